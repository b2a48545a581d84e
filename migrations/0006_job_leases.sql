-- Jobs survive a dead process: each unfinished job is owned through a lease that its process renews.
-- owner:        the process running the job (NULL until one claims it, e.g. just admitted)
-- heartbeat_at: when the owner last renewed the lease; NULL with an owner means it was released on a clean
--               shutdown, so another process may take the job at once. See bot/store/leases.py.
ALTER TABLE jobs ADD COLUMN owner TEXT;
ALTER TABLE jobs ADD COLUMN heartbeat_at INTEGER;
CREATE INDEX jobs_by_owner ON jobs (owner) WHERE status IN ('queued', 'running');
