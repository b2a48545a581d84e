-- Moderation: resetting a member's usage, and the moderator-log line of each generation.

-- "/quota reset" forgives a member's charges for the current period without pretending they were refunds:
-- a refund means "no video came of it" (refunded_at); forgiveness means "a moderator let it not count
-- against the limit" (forgiven_at, forgiven_by). Limits count rows with neither; usage reports count every
-- row that was not refunded, because those videos were made and cost what they cost. The audit log holds
-- the reset itself (who, whom, how many units).
ALTER TABLE usage ADD COLUMN forgiven_at INTEGER;
ALTER TABLE usage ADD COLUMN forgiven_by INTEGER;

-- The moderator-log message that shows a generation, so that the line posted when the job was launched is
-- edited with its outcome when it ends, even after a restart. The channel is kept with the message: a
-- moderator may move the log in between.
CREATE TABLE modlog_posts (
    job_id      INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
    channel_id  INTEGER NOT NULL,
    message_id  INTEGER NOT NULL
);
