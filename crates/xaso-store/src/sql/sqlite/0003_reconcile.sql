-- Data cleaning: a sector list reconciled with the register ("runs"), what became of each of
-- its rows, and the officers' review decisions. Runs are kept per list kind so that progress
-- over time can be charted. JSON columns are opaque to the store: the web layer writes and
-- reads them.
CREATE TABLE reconcile_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    -- welfare, civil-status, land, school, health-insurance, sim, cadre, other
    kind        TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    error       TEXT,
    finished_at TEXT,
    row_count   INTEGER NOT NULL DEFAULT 0,
    -- Outcome counts and the four measures (JSON).
    summary     TEXT,
    -- Which column is which field (JSON), and the list's own headers (JSON array).
    columns     TEXT NOT NULL,
    headers     TEXT NOT NULL
);
CREATE INDEX reconcile_runs_kind ON reconcile_runs (kind, id);
CREATE INDEX reconcile_runs_status ON reconcile_runs (status);

CREATE TABLE reconcile_rows (
    run_id         INTEGER NOT NULL REFERENCES reconcile_runs (id),
    -- The row's line in the file (1 = the header).
    row            INTEGER NOT NULL,
    -- The list's cells as read (JSON array of text).
    cells          TEXT NOT NULL,
    -- What the engine found, and what the row is now (after review decisions).
    engine_outcome TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    personal_id    TEXT,
    weight         REAL,
    probability    REAL,
    -- JSON array of text.
    differences    TEXT NOT NULL,
    -- The engine's best and runner-up candidates: personal ID, and weight, probability and
    -- per-field weights (JSON).
    best_id        TEXT,
    best           TEXT,
    runner_up_id   TEXT,
    runner_up      TEXT,
    -- A digest of the row's mapped values: the same row in a later list of the same kind has
    -- the same key, so earlier decisions can be applied to it.
    row_key        TEXT NOT NULL,
    -- The latest review decision, if any (accept, reject, correct).
    decision       TEXT,
    PRIMARY KEY (run_id, row)
) WITHOUT ROWID;
CREATE INDEX reconcile_rows_outcome ON reconcile_rows (run_id, outcome, row);

-- Review decisions, append-only: a changed mind is a new decision.
CREATE TABLE reconcile_decisions (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id      INTEGER NOT NULL,
    row         INTEGER NOT NULL,
    decision    TEXT NOT NULL CHECK (decision IN ('accept', 'reject', 'correct')),
    -- The person accepted, rejected, or chosen instead.
    personal_id TEXT,
    officer     TEXT NOT NULL,
    at          TEXT NOT NULL,
    note        TEXT,
    -- Copied from the run and the row, for feeding decisions back into later runs.
    kind        TEXT NOT NULL,
    row_key     TEXT NOT NULL,
    FOREIGN KEY (run_id, row) REFERENCES reconcile_rows (run_id, row)
);
CREATE INDEX reconcile_decisions_run ON reconcile_decisions (run_id, id);
CREATE INDEX reconcile_decisions_kind ON reconcile_decisions (kind, id);
CREATE TRIGGER reconcile_decisions_no_update BEFORE UPDATE ON reconcile_decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
CREATE TRIGGER reconcile_decisions_no_delete BEFORE DELETE ON reconcile_decisions
BEGIN SELECT RAISE(ABORT, 'review decisions are append-only'); END;
