-- The whole data model of DESIGN.md. Times are UTC Unix seconds; Discord IDs are integers.

-- A Discord thread made by the bot is one conversation with the video API.
CREATE TABLE conversations (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,           -- the channel the thread hangs off
    thread_id   INTEGER NOT NULL UNIQUE,
    owner_id    INTEGER NOT NULL,
    model       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);

-- Turns form a tree: a remix answers one earlier video, so history is the path root -> that turn.
-- Assistant content is stored exactly as streamed; it is sent back verbatim.
CREATE TABLE turns (
    id                  INTEGER PRIMARY KEY,
    conversation_id     INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    parent_id           INTEGER REFERENCES turns (id),
    role                TEXT    NOT NULL CHECK (role IN ('user', 'assistant')),
    content             TEXT    NOT NULL,
    discord_message_id  INTEGER,
    author_id           INTEGER,
    task_id             TEXT,
    sid                 TEXT,
    video_url           TEXT,
    preview_url         TEXT,
    created_at          INTEGER NOT NULL
);
CREATE INDEX turns_by_conversation ON turns (conversation_id, id);
CREATE INDEX turns_by_parent ON turns (parent_id);
CREATE UNIQUE INDEX turns_by_message ON turns (discord_message_id) WHERE discord_message_id IS NOT NULL;

-- One generation. Written before the API call so that a restart can resume it.
CREATE TABLE jobs (
    id               INTEGER PRIMARY KEY,
    guild_id         INTEGER NOT NULL,
    user_id          INTEGER NOT NULL,
    conversation_id  INTEGER REFERENCES conversations (id) ON DELETE SET NULL,
    request_turn_id  INTEGER REFERENCES turns (id),
    result_turn_id   INTEGER REFERENCES turns (id),
    status           TEXT    NOT NULL DEFAULT 'queued'
                             CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    model            TEXT    NOT NULL,
    params           TEXT    NOT NULL DEFAULT '{}',   -- JSON: prompt, orientation, duration, size, image_url
    task_id          TEXT,
    progress         INTEGER,
    channel_id       INTEGER,                          -- where the progress message lives
    message_id       INTEGER,                          -- the progress message
    error            TEXT,                             -- one sentence for the user
    error_kind       TEXT,                             -- refused | unavailable | interrupted | cancelled | ...
    cancelled_by     INTEGER,
    cost             INTEGER NOT NULL DEFAULT 0,
    attempts         INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER
);
CREATE INDEX jobs_unfinished ON jobs (status) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_by_user ON jobs (guild_id, user_id, status);
CREATE INDEX jobs_by_message ON jobs (message_id);

-- A limit for the whole server, a role or one member. target_id is the guild, role or user id.
CREATE TABLE quota_policies (
    id              INTEGER PRIMARY KEY,
    guild_id        INTEGER NOT NULL,
    scope           TEXT    NOT NULL CHECK (scope IN ('guild', 'role', 'user')),
    target_id       INTEGER NOT NULL,
    period          TEXT    NOT NULL CHECK (period IN ('day', 'week', 'month')),
    max_units       INTEGER NOT NULL CHECK (max_units >= 0),
    max_concurrent  INTEGER CHECK (max_concurrent IS NULL OR max_concurrent >= 1),
    updated_by      INTEGER,
    updated_at      INTEGER NOT NULL,
    UNIQUE (guild_id, scope, target_id)
);

-- Units a model costs per generation in a server (default 1 when absent).
CREATE TABLE model_costs (
    guild_id  INTEGER NOT NULL,
    model     TEXT    NOT NULL,
    units     INTEGER NOT NULL CHECK (units >= 0),
    PRIMARY KEY (guild_id, model)
);

-- The usage ledger: one row per charged job; a refund marks the row instead of deleting it.
CREATE TABLE usage (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    job_id       INTEGER NOT NULL UNIQUE REFERENCES jobs (id) ON DELETE CASCADE,
    units        INTEGER NOT NULL CHECK (units >= 0),
    created_at   INTEGER NOT NULL,
    refunded_at  INTEGER
);
CREATE INDEX usage_by_user_time ON usage (guild_id, user_id, created_at);
CREATE INDEX usage_by_guild_time ON usage (guild_id, created_at);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    guild_id    INTEGER NOT NULL,
    actor_id    INTEGER NOT NULL,
    action      TEXT    NOT NULL,
    details     TEXT    NOT NULL DEFAULT '{}',        -- JSON: target, before, after
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_by_guild_time ON audit_log (guild_id, created_at);

CREATE TABLE guild_settings (
    guild_id              INTEGER PRIMARY KEY,
    default_model         TEXT,
    plain_messages_remix  INTEGER NOT NULL DEFAULT 0 CHECK (plain_messages_remix IN (0, 1)),
    moderators_exempt     INTEGER NOT NULL DEFAULT 1 CHECK (moderators_exempt IN (0, 1)),
    mod_log_channel_id    INTEGER,
    cooldown_seconds      INTEGER NOT NULL DEFAULT 0 CHECK (cooldown_seconds >= 0),
    max_jobs_per_user     INTEGER CHECK (max_jobs_per_user IS NULL OR max_jobs_per_user >= 1),
    max_jobs_per_guild    INTEGER CHECK (max_jobs_per_guild IS NULL OR max_jobs_per_guild >= 1),
    updated_at            INTEGER NOT NULL
);

-- Channels where /video is allowed; none listed means everywhere.
CREATE TABLE allowed_channels (
    guild_id    INTEGER NOT NULL,
    channel_id  INTEGER NOT NULL,
    PRIMARY KEY (guild_id, channel_id)
);
