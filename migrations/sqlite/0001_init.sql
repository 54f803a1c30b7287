-- identita's SQLite schema: each record is kept whole as JSON in `data`, next to the columns
-- that lookups, expiry and the single-statement atomic updates need. Times are Unix seconds.

CREATE TABLE clients (
    client_id  TEXT PRIMARY KEY NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

-- The password hash lives in its own column because `User` never serializes it.
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    profile       TEXT NOT NULL,
    updated_at    INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE consents (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE sessions (
    key        TEXT PRIMARY KEY NOT NULL,
    sid        TEXT NOT NULL UNIQUE,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE interactions (
    id         TEXT PRIMARY KEY NOT NULL,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX interactions_expires_at ON interactions (expires_at);

CREATE TABLE codes (
    digest     TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    -- Set by a second redemption, so the first one can tell it raced with a replay.
    replayed   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX codes_grant_id ON codes (grant_id);
CREATE INDEX codes_expires_at ON codes (expires_at);

-- `offline` is 1 when the grant's scopes contain `offline_access`: such tokens outlive logout.
CREATE TABLE access_tokens (
    digest     TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL,
    sid        TEXT,
    offline    INTEGER NOT NULL DEFAULT 0,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id);
CREATE INDEX access_tokens_sid ON access_tokens (sid);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    digest     TEXT PRIMARY KEY NOT NULL,
    grant_id   TEXT NOT NULL,
    sid        TEXT,
    offline    INTEGER NOT NULL DEFAULT 0,
    data       TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_sid ON refresh_tokens (sid);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Keys seen once (assertion `jti`s and the like), kept until they could no longer be replayed.
CREATE TABLE replay (
    key        TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX replay_expires_at ON replay (expires_at);
