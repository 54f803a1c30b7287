-- mojeID + WebAuthn: the security keys registered to accounts. The record is the whole key as
-- JSON (the WebAuthn library's serialised credential, its AAGUID, name and dates).
CREATE TABLE security_keys (
    credential_id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX security_keys_user ON security_keys (user_id);
