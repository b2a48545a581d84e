-- Delivery guarantees: a job knows every place it can speak to its member from the moment each exists,
-- a cancel is an intent recorded before any work stops, and a finished job says where it was shown.

-- The post the video answers (the public post, an announcement in the thread, or the member's own reply),
-- recorded the moment it exists, before the thread and the progress message.
ALTER TABLE jobs ADD COLUMN post_channel_id INTEGER;
ALTER TABLE jobs ADD COLUMN post_message_id INTEGER;
-- Set by the Cancel click in the same transaction that checks it may cancel; honoured by a restart.
ALTER TABLE jobs ADD COLUMN cancel_requested_by INTEGER;
-- Where the final state was shown: 'message' (the progress message), 'thread' (a new message in the
-- thread), 'channel' (a reply to the starter post outside the thread); NULL: shown nowhere.
ALTER TABLE jobs ADD COLUMN delivered_to TEXT CHECK (delivered_to IN ('message', 'thread', 'channel'));

-- Small facts the bot keeps about itself, such as the hash of the slash commands it last synced.
CREATE TABLE app_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
