-- A finished video's message, kept so that Refresh link and Delete can show it again exactly as it was,
-- after a restart too: what went with it beyond its job and its turn.
ALTER TABLE jobs ADD COLUMN video_attached INTEGER NOT NULL DEFAULT 0;  -- the mp4 was uploaded with the message
ALTER TABLE jobs ADD COLUMN attached_preview TEXT;   -- file name of the uploaded image (vendor preview or a frame)
ALTER TABLE jobs ADD COLUMN reencoded_for INTEGER;   -- the upload limit (bytes) the uploaded re-encode was made for
ALTER TABLE jobs ADD COLUMN too_large_limit INTEGER; -- the upload limit (bytes) the video was linked for
ALTER TABLE jobs ADD COLUMN fit_failed INTEGER NOT NULL DEFAULT 0;  -- ... even though a re-encode was tried
ALTER TABLE jobs ADD COLUMN trimmed_to INTEGER;      -- the history sent was cut to the first prompt and N turns
ALTER TABLE jobs ADD COLUMN link_gone INTEGER NOT NULL DEFAULT 0;   -- Refresh link found the vendor no longer has it
ALTER TABLE jobs ADD COLUMN service_note TEXT;       -- the service made something else than asked (its words)

-- A video deleted by its requester or a moderator: its attachment is removed from the message, and its turn
-- can no longer be remixed (the audit log says who and when).
ALTER TABLE turns ADD COLUMN deleted_by INTEGER;
ALTER TABLE turns ADD COLUMN deleted_at INTEGER;
