-- NIA ID's online registration (seed 000): the account registered on the web (in `users`,
-- disabled until activated) waits for its e-mail address to be verified (the link's token, kept
-- as a digest), then for a Czech POINT request whose message is its identification code; the
-- request binds it to a person of the register and activates it. The record is the whole
-- registration as JSON; the columns are what it is found by.
CREATE TABLE nia_registrations (
    user_id TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    email_token TEXT NOT NULL UNIQUE,
    identification_code TEXT UNIQUE,
    record TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
