-- The audit log: each decision of a clerk or an operator, whole as JSON, at its place in the
-- hash chain (`seq`); the person or account it is about in a column of its own for lookups.
-- Append-only: the triggers refuse a change or a removal (and `identita audit verify` finds one
-- made behind their back).
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY NOT NULL,
    entry TEXT NOT NULL,
    subject TEXT,
    at INTEGER NOT NULL
);
CREATE INDEX audit_log_subject ON audit_log (subject);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
