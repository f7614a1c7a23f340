-- The population register, its history and API tokens. The audit log has a file of its own
-- (audit/0001_audit.sql) so that its constant writes never invalidate the readers' page cache
-- of the register.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Current version of each person. `data` is the full record (JSON); the other columns are
-- derived from it on every write so that lookups use an index.
CREATE TABLE persons (
    id             INTEGER PRIMARY KEY,
    personal_id    TEXT NOT NULL UNIQUE,
    old_cmnd       TEXT,
    name_key       TEXT NOT NULL,
    name_stripped  TEXT NOT NULL,
    given_stripped TEXT NOT NULL,
    birth_year     INTEGER,
    household_id   TEXT,
    deceased       INTEGER NOT NULL DEFAULT 0,
    version        INTEGER NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    change_reason  TEXT,
    data           TEXT NOT NULL
);
CREATE INDEX persons_name_stripped ON persons (name_stripped, birth_year);
CREATE INDEX persons_name_key ON persons (name_key, birth_year);
CREATE INDEX persons_given ON persons (given_stripped, birth_year);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_cmnd ON persons (old_cmnd) WHERE old_cmnd IS NOT NULL;

-- Superseded versions; never updated or deleted.
CREATE TABLE person_versions (
    personal_id TEXT NOT NULL,
    version     INTEGER NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    reason      TEXT,
    data        TEXT NOT NULL,
    PRIMARY KEY (personal_id, version)
) WITHOUT ROWID;

CREATE TABLE households (
    id               TEXT PRIMARY KEY,
    head_personal_id TEXT,
    address          TEXT NOT NULL
);

CREATE TABLE residence_events (
    id          INTEGER PRIMARY KEY,
    personal_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    date        TEXT NOT NULL,
    data        TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX residence_events_person ON residence_events (personal_id, date);

CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked    INTEGER NOT NULL DEFAULT 0
);

-- History cannot be rewritten through SQL either.
CREATE TRIGGER person_versions_no_update BEFORE UPDATE ON person_versions
BEGIN SELECT RAISE(ABORT, 'person history is append-only'); END;
CREATE TRIGGER person_versions_no_delete BEFORE DELETE ON person_versions
BEGIN SELECT RAISE(ABORT, 'person history is append-only'); END;
