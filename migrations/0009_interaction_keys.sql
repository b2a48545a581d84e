-- Every interaction names a job by the custom ID of its button or form. Job IDs are small sequential numbers,
-- so a modified client could name any job by guessing; each job now carries a random key that its custom IDs
-- include and that the bot compares before doing anything. Jobs made before this migration keep no key: their
-- buttons (old custom IDs) are still honoured, checked against the job's server, channel and message.
ALTER TABLE jobs ADD COLUMN button_key TEXT;

-- Refresh link asks the vendor with the bot's key: when it last did, per video, so a flood of clicks is answered
-- from the last result instead of turning the bot into a request pump (kept across restarts and processes).
ALTER TABLE jobs ADD COLUMN link_checked_at INTEGER;
