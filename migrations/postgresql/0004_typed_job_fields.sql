-- PostgreSQL's version of migrations/0004_typed_job_fields.sql (json_extract is SQLite's): the same columns,
-- the same move of the display hints out of the params JSON.
ALTER TABLE jobs ADD COLUMN remix_number BIGINT;  -- "Remixing video 2 of this thread"
ALTER TABLE jobs ADD COLUMN quota_note TEXT;      -- "3 of 5 left today", as it stood when the job was admitted

UPDATE jobs
SET remix_number = (params::jsonb #>> '{extra,remix_number}')::bigint,
    quota_note = params::jsonb #>> '{extra,quota_note}',
    params = (params::jsonb - 'extra')::text
WHERE params::jsonb ? 'extra';
