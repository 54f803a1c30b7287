-- Fixed-window counters: failed logins per account (lockout), and later rate limits.
CREATE TABLE counters (
    key        TEXT PRIMARY KEY NOT NULL,
    count      INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX counters_expires_at ON counters (expires_at);
