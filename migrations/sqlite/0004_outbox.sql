-- The messages the notifier sent to the outbox instead of to a person (SMS texts, later
-- e-mails), for a developer to read; kept a day (store::OUTBOX_RETENTION), then purged.
CREATE TABLE outbox (
    id         TEXT PRIMARY KEY NOT NULL,
    channel    TEXT NOT NULL,
    recipient  TEXT NOT NULL,
    data       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX outbox_recipient ON outbox (recipient, created_at);
CREATE INDEX outbox_created_at ON outbox (created_at);
