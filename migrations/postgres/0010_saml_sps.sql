-- SAML 2.0: the service providers registered from their metadata, each at one face (the empty
-- name for the primary face). The record is the whole registration as JSON (entityID, assertion
-- consumer and logout services, signing and encryption certificates, SPType).
CREATE TABLE saml_sps (
    face TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    record TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (face, entity_id)
);
