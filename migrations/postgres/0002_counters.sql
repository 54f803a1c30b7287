-- Fixed-window counters: failed logins per account (lockout), and later rate limits.
CREATE TABLE counters (
    key        TEXT PRIMARY KEY,
    count      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX counters_expires_at ON counters (expires_at);
