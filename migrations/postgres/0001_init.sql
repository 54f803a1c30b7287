-- identita's PostgreSQL schema, table for table the SQLite one: each record is kept whole as JSON
-- in `data`, next to the columns that lookups, expiry and the single-statement atomic updates
-- need. Times are Unix seconds (BIGINT).
--
-- `data` is TEXT holding JSON rather than JSONB: JSONB refuses a string containing U+0000, which
-- an authorization request may carry in its parameters, and would reorder the record's keys.
-- The few statements that edit a record in place (adding a client to a session) cast to JSONB.

CREATE TABLE clients (
    client_id  TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- The password hash lives in its own column because `User` never serializes it.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    profile       TEXT NOT NULL,
    updated_at    BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT FALSE
);

-- A set of scopes as an array, so that granting more is a union computed by one statement.
CREATE TABLE consents (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scopes     TEXT[] NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE sessions (
    key        TEXT PRIMARY KEY,
    sid        TEXT NOT NULL UNIQUE,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires_at ON sessions (expires_at);

CREATE TABLE interactions (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX interactions_expires_at ON interactions (expires_at);

CREATE TABLE codes (
    digest     TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    -- Set by a second redemption, so the first one can tell it raced with a replay.
    replayed   BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX codes_grant_id ON codes (grant_id);
CREATE INDEX codes_expires_at ON codes (expires_at);

-- `offline` is true when the grant's scopes contain `offline_access`: such tokens outlive logout.
CREATE TABLE access_tokens (
    digest     TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    sid        TEXT,
    offline    BOOLEAN NOT NULL DEFAULT FALSE,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id);
CREATE INDEX access_tokens_sid ON access_tokens (sid);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    digest     TEXT PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    sid        TEXT,
    offline    BOOLEAN NOT NULL DEFAULT FALSE,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_sid ON refresh_tokens (sid);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

-- Keys seen once (assertion `jti`s and the like), kept until they could no longer be replayed.
CREATE TABLE replay (
    key        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX replay_expires_at ON replay (expires_at);
