-- Mobilní klíč eGovernmentu (MEG): the paired devices (each a P-256 public key, whose it is,
-- its name, when it was paired and last used, active or revoked), and the pairing codes an
-- operator hands out (kept as digests, single use, four minutes).
CREATE TABLE meg_devices (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    record TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX meg_devices_user ON meg_devices (user_id);
CREATE TABLE meg_pairings (
    digest TEXT PRIMARY KEY,
    user_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
