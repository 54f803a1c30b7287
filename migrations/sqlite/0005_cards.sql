-- The eObčanka card register: each card's public key and certificate, whose it is, and its
-- status (valid, lost, stolen, revoked); the date of expiry is checked against valid_until.
CREATE TABLE cards (
    number TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    record TEXT NOT NULL,
    status TEXT NOT NULL,
    issued_at BIGINT NOT NULL
);
CREATE INDEX cards_user ON cards (user_id);
