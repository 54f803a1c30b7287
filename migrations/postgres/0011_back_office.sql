-- The back office: its clerks (each whole as JSON: name, where the login code goes, roles,
-- whether disabled, the password's argon2id hash), the API tokens an administrator made for
-- scripts (their SHA-256 digests, never the tokens), the clerks' sessions, and the Czech POINT
-- requests clerks record (each whole as JSON, with the columns a recipient takes one by).
CREATE TABLE clerks (
    login TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE clerk_tokens (
    digest TEXT PRIMARY KEY,
    login TEXT NOT NULL REFERENCES clerks (login),
    created_at BIGINT NOT NULL
);
CREATE INDEX clerk_tokens_login ON clerk_tokens (login);
CREATE TABLE backoffice_sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX backoffice_sessions_expiry ON backoffice_sessions (expires_at);
CREATE TABLE czech_point_requests (
    id TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES persons (id),
    recipient_ico TEXT NOT NULL,
    message TEXT NOT NULL,
    one_time BOOLEAN NOT NULL,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    taken_at BIGINT
);
CREATE INDEX czech_point_requests_message ON czech_point_requests (recipient_ico, message);
CREATE INDEX czech_point_requests_person ON czech_point_requests (person_id);
