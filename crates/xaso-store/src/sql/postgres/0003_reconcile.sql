-- Data cleaning (PostgreSQL): a sector list reconciled with the register ("runs"), what became
-- of each of its rows, and the officers' review decisions. Runs are kept per list kind so
-- that progress over time can be charted. JSON columns are opaque text to the store: the web
-- layer writes and reads them. Times and IDs use the "C" collation: byte order, as in SQLite.
CREATE TABLE reconcile_runs (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- welfare, civil-status, land, school, health-insurance, sim, cadre, other
    kind        TEXT COLLATE "C" NOT NULL,
    file_name   TEXT NOT NULL,
    created_by  TEXT COLLATE "C" NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error       TEXT,
    finished_at TEXT COLLATE "C",
    row_count   BIGINT NOT NULL DEFAULT 0,
    -- Outcome counts and the four measures (JSON).
    summary     TEXT,
    -- Which column is which field (JSON), and the list's own headers (JSON array).
    columns     TEXT NOT NULL,
    headers     TEXT NOT NULL
);
CREATE INDEX reconcile_runs_kind ON reconcile_runs (kind, id);
CREATE INDEX reconcile_runs_status ON reconcile_runs (status);

CREATE TABLE reconcile_rows (
    run_id         BIGINT NOT NULL REFERENCES reconcile_runs (id),
    -- The row's line in the file (1 = the header).
    row            BIGINT NOT NULL,
    -- The list's cells as read (JSON array of text).
    cells          TEXT NOT NULL,
    -- What the engine found, and what the row is now (after review decisions).
    engine_outcome TEXT COLLATE "C" NOT NULL,
    outcome        TEXT COLLATE "C" NOT NULL,
    personal_id    TEXT COLLATE "C",
    weight         DOUBLE PRECISION,
    probability    DOUBLE PRECISION,
    -- JSON array of text.
    differences    TEXT NOT NULL,
    -- The engine's best and runner-up candidates: personal ID, and weight, probability and
    -- per-field weights (JSON).
    best_id        TEXT COLLATE "C",
    best           TEXT,
    runner_up_id   TEXT COLLATE "C",
    runner_up      TEXT,
    -- A digest of the row's mapped values: the same row in a later list of the same kind has
    -- the same key, so earlier decisions can be applied to it.
    row_key        TEXT COLLATE "C" NOT NULL,
    -- The latest review decision, if any (accept, reject, correct).
    decision       TEXT,
    PRIMARY KEY (run_id, row)
);
CREATE INDEX reconcile_rows_outcome ON reconcile_rows (run_id, outcome, row);

-- Review decisions, append-only: a changed mind is a new decision.
CREATE TABLE reconcile_decisions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id      BIGINT NOT NULL,
    row         BIGINT NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'correct')),
    -- The person accepted, rejected, or chosen instead.
    personal_id TEXT COLLATE "C",
    officer     TEXT COLLATE "C" NOT NULL,
    at          TEXT COLLATE "C" NOT NULL,
    note        TEXT,
    -- Copied from the run and the row, for feeding decisions back into later runs.
    kind        TEXT COLLATE "C" NOT NULL,
    row_key     TEXT COLLATE "C" NOT NULL,
    FOREIGN KEY (run_id, row) REFERENCES reconcile_rows (run_id, row)
);
CREATE INDEX reconcile_decisions_run ON reconcile_decisions (run_id, id);
CREATE INDEX reconcile_decisions_kind ON reconcile_decisions (kind, id);
CREATE TRIGGER reconcile_decisions_append_only BEFORE UPDATE OR DELETE ON reconcile_decisions
    FOR EACH ROW EXECUTE FUNCTION xaso_append_only();
