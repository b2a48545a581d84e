-- A server's own video API key (/videobot key set), sealed with SERVER_KEY_SECRET: only the ciphertext is kept,
-- and its last four characters, the most anyone is ever shown again.
CREATE TABLE server_keys (
    guild_id   INTEGER PRIMARY KEY,
    ciphertext TEXT NOT NULL,
    last4      TEXT NOT NULL,
    set_by     INTEGER NOT NULL,
    set_at     INTEGER NOT NULL
);

-- What one job costs in money, fixed when it is admitted (prices may change later; a report must not), and
-- whether the server paid with its own key. Spend counts the jobs whose units are still charged.
CREATE TABLE job_costs (
    job_id       INTEGER PRIMARY KEY REFERENCES jobs (id),
    guild_id     INTEGER NOT NULL,
    price_micros INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    own_key      INTEGER NOT NULL DEFAULT 0
);

-- The vendor's health in /videobot status reads the jobs that ended in the last hour.
CREATE INDEX jobs_by_finish ON jobs (finished_at);
