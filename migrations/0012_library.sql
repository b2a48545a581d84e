-- /videos and ⭐ (issue 24, a library in Discord).
-- One star per member per video: the primary key makes a second star impossible, and unstarring deletes it.
CREATE TABLE video_stars (
    job_id     INTEGER NOT NULL REFERENCES jobs (id),
    user_id    INTEGER NOT NULL,
    guild_id   INTEGER NOT NULL,
    starred_at INTEGER NOT NULL,
    PRIMARY KEY (job_id, user_id)
);

-- A video is reposted to a server's best-of channel once: the row is claimed before the post is sent, so two
-- processes (or two ticks) never post it twice. message_id is NULL until Discord accepted the post.
CREATE TABLE best_of_posts (
    job_id     INTEGER PRIMARY KEY REFERENCES jobs (id),
    guild_id   INTEGER NOT NULL,
    channel_id INTEGER NOT NULL,
    message_id INTEGER,
    posted_at  INTEGER NOT NULL
);

-- What moderators chose for the library (kept apart from guild_settings, which other features extend).
CREATE TABLE library_settings (
    guild_id           INTEGER PRIMARY KEY,
    library_enabled    INTEGER NOT NULL DEFAULT 1,
    stars_enabled      INTEGER NOT NULL DEFAULT 1,
    best_of_channel_id INTEGER,
    best_of_stars      INTEGER NOT NULL DEFAULT 3,
    updated_by         INTEGER,
    updated_at         INTEGER NOT NULL
);

-- /videos lists a server's finished videos newest first; the best-of task counts a week's stars per server.
CREATE INDEX jobs_library ON jobs (guild_id, status, finished_at);
CREATE INDEX video_stars_by_guild ON video_stars (guild_id, starred_at);
