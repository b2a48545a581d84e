-- Display facts a job keeps for its progress message, as columns of their own rather than an untyped
-- "extra" object inside the params JSON. Both are written in the admission transaction.
ALTER TABLE jobs ADD COLUMN remix_number INTEGER;  -- "Remixing video 2 of this thread"
ALTER TABLE jobs ADD COLUMN quota_note TEXT;       -- "3 of 5 left today", as it stood when the job was admitted

UPDATE jobs
SET remix_number = json_extract(params, '$.extra.remix_number'),
    quota_note = json_extract(params, '$.extra.quota_note'),
    params = json_remove(params, '$.extra')
WHERE json_extract(params, '$.extra') IS NOT NULL;
