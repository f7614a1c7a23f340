-- The audit log (SQLite keeps it in its own file beside the register).
-- Who touched whose data, when, through which route, and why. Append-only.
CREATE TABLE audit (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    role       TEXT,
    action     TEXT NOT NULL,
    route      TEXT NOT NULL,
    subject    TEXT,
    reason     TEXT
);
CREATE INDEX audit_subject ON audit (subject, id);
CREATE INDEX audit_actor ON audit (actor, id);

-- New records land here first, without indexes, and are moved into `audit` in large
-- batches (see SqliteStore::append_audit); readers look at both.
CREATE TABLE audit_inbox (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    role       TEXT,
    action     TEXT NOT NULL,
    route      TEXT NOT NULL,
    subject    TEXT,
    reason     TEXT
);
CREATE TRIGGER audit_inbox_no_update BEFORE UPDATE ON audit_inbox
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- Append-only, through SQL too.
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
