-- mojeID accounts beyond their login: the kind (natural person, entrepreneur, legal entity), the
-- organisation and IČO, and the validation (its path, when, by whom, over which data), each
-- account's record whole as JSON.
CREATE TABLE mojeid_accounts (
    user_id TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The data-box simulator: boxes (FO, PFO, PO, OVM) with their owner's data, and the messages
-- sent between them (each found in its recipient's inbox, newest first).
CREATE TABLE data_boxes (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE data_box_messages (
    id TEXT PRIMARY KEY NOT NULL,
    sender TEXT NOT NULL,
    recipient TEXT NOT NULL,
    record TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX data_box_messages_recipient ON data_box_messages (recipient, sent_at);
