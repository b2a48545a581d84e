-- Issue 21: what reached the video service, and what its failures likely cost.
-- `sending_at`: set in the statement that lets a generation request leave, before it leaves. A job found
-- running after a restart without a task ID and without this mark never reached the service, so it is run
-- (charged once); one with the mark may have reached it, and cannot be found again, so it is ended and refunded.
ALTER TABLE jobs ADD COLUMN sending_at INTEGER;
-- The vendor's own code for a refusal or failure (sentinel_block, moderation_blocked, …), when it gave one.
ALTER TABLE jobs ADD COLUMN failure_code TEXT;
-- For a job that ended without a video: what the vendor likely billed for it (billed, maybe_billed,
-- not_billed). Members are refunded either way; this is the operator's cost.
ALTER TABLE jobs ADD COLUMN vendor_billing TEXT;
