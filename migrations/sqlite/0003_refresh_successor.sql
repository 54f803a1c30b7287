-- A rotated refresh token keeps what its rotation issued, sealed under a key derived from the
-- token itself, so that a retry within the grace window gets the same tokens back.
ALTER TABLE refresh_tokens ADD COLUMN successor TEXT;
