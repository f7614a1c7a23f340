-- The population register, its history, the audit log and API tokens (PostgreSQL).
-- Key columns use the "C" collation so that prefix range scans follow byte order.
-- Records are JSON (checked, kept as written), not JSONB: the register reads and writes whole
-- documents, and converting to JSONB and back on every load and read costs more than it gives.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE persons (
    id             BIGSERIAL PRIMARY KEY,
    personal_id    TEXT COLLATE "C" NOT NULL UNIQUE,
    old_cmnd       TEXT COLLATE "C",
    name_key       TEXT COLLATE "C" NOT NULL,
    name_stripped  TEXT COLLATE "C" NOT NULL,
    given_stripped TEXT COLLATE "C" NOT NULL,
    birth_year     INTEGER,
    household_id   TEXT COLLATE "C",
    deceased       BOOLEAN NOT NULL DEFAULT FALSE,
    version        BIGINT NOT NULL,
    updated_at     TEXT NOT NULL,
    updated_by     TEXT NOT NULL,
    change_reason  TEXT,
    data           JSON NOT NULL
);
CREATE INDEX persons_name_stripped ON persons (name_stripped, birth_year);
CREATE INDEX persons_name_key ON persons (name_key, birth_year);
CREATE INDEX persons_given ON persons (given_stripped, birth_year);
CREATE INDEX persons_household ON persons (household_id);
CREATE INDEX persons_cmnd ON persons (old_cmnd) WHERE old_cmnd IS NOT NULL;

CREATE TABLE person_versions (
    personal_id TEXT COLLATE "C" NOT NULL,
    version     BIGINT NOT NULL,
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    reason      TEXT,
    data        JSON NOT NULL,
    PRIMARY KEY (personal_id, version)
);

CREATE TABLE households (
    id               TEXT COLLATE "C" PRIMARY KEY,
    head_personal_id TEXT,
    address          JSON NOT NULL
);

CREATE TABLE residence_events (
    id          BIGSERIAL PRIMARY KEY,
    personal_id TEXT COLLATE "C" NOT NULL,
    kind        TEXT NOT NULL,
    date        TEXT NOT NULL,
    data        JSON NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX residence_events_person ON residence_events (personal_id, date);

CREATE TABLE audit (
    id         BIGSERIAL PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    actor_kind TEXT NOT NULL,
    role       TEXT,
    action     TEXT NOT NULL,
    route      TEXT NOT NULL,
    subject    TEXT COLLATE "C",
    reason     TEXT
);
CREATE INDEX audit_subject ON audit (subject, id);
CREATE INDEX audit_actor ON audit (actor, id);

CREATE TABLE api_tokens (
    name       TEXT PRIMARY KEY,
    role       TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked    BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE FUNCTION xaso_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION xaso_append_only();
CREATE TRIGGER person_versions_append_only BEFORE UPDATE OR DELETE ON person_versions
    FOR EACH ROW EXECUTE FUNCTION xaso_append_only();
