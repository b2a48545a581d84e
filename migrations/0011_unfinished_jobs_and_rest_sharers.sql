-- Start-up, adoption and resume read the unfinished jobs oldest first (`... ORDER BY id LIMIT n`). The index
-- of 0001 on status alone leaves a planner the choice of walking the primary key through every job ever made
-- and filtering; this one holds exactly the unfinished rows in id order, so those reads grow with the work
-- in flight, not with history (tests/store/test_unfinished_index.py proves it with EXPLAIN on both engines).
CREATE INDEX jobs_unfinished_by_id ON jobs (id) WHERE status IN ('queued', 'running');

-- The processes of one bot token that share Discord's global REST limit, each renewing its row about twice a
-- second; each takes its share by how many are alive (bot/discord_ui/rest_share.py). Unix milliseconds.
CREATE TABLE rest_sharers (
    owner      TEXT    PRIMARY KEY,
    joined_at  INTEGER NOT NULL,
    seen_at    INTEGER NOT NULL
);
