-- Records are now written once, straight into `audit`, which keeps no SQL index: an index
-- updated per record costs a random B-tree insert per access. The two look-ups the log
-- serves (by subject, by actor) go through index tables the writer fills in large batches,
-- sorted, for every record up to `audit_indexed.upto`; readers scan the few records after it.

-- What waited in the inbox joins the table, in order.
INSERT INTO audit (at, actor, actor_kind, role, action, route, subject, reason)
    SELECT at, actor, actor_kind, role, action, route, subject, reason
    FROM audit_inbox ORDER BY id;
DROP TABLE audit_inbox;

CREATE TABLE audit_by_subject (
    subject TEXT NOT NULL,
    id      INTEGER NOT NULL,
    PRIMARY KEY (subject, id)
) WITHOUT ROWID;
CREATE TABLE audit_by_actor (
    actor TEXT NOT NULL,
    id    INTEGER NOT NULL,
    PRIMARY KEY (actor, id)
) WITHOUT ROWID;
CREATE TABLE audit_indexed (
    upto INTEGER NOT NULL
);

INSERT INTO audit_by_subject (subject, id)
    SELECT subject, id FROM audit WHERE subject IS NOT NULL ORDER BY subject, id;
INSERT INTO audit_by_actor (actor, id) SELECT actor, id FROM audit ORDER BY actor, id;
INSERT INTO audit_indexed (upto) SELECT coalesce(max(id), 0) FROM audit;
DROP INDEX audit_subject;
DROP INDEX audit_actor;

-- The index tables only grow, like the log.
CREATE TRIGGER audit_by_subject_no_update BEFORE UPDATE ON audit_by_subject
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_by_subject_no_delete BEFORE DELETE ON audit_by_subject
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_by_actor_no_update BEFORE UPDATE ON audit_by_actor
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_by_actor_no_delete BEFORE DELETE ON audit_by_actor
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_indexed_no_delete BEFORE DELETE ON audit_indexed
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_indexed_forward BEFORE UPDATE ON audit_indexed
WHEN NEW.upto < OLD.upto
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
