-- The audit log: each decision of a clerk or an operator, whole as JSON, at its place in the
-- hash chain (`seq`); the person or account it is about in a column of its own for lookups.
-- Append-only: the trigger refuses a change or a removal (and `identita audit verify` finds one
-- made behind its back).
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    entry TEXT NOT NULL,
    subject TEXT,
    at BIGINT NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
