-- The one-stop shop: dossiers (an interlinked group is one row and one row per step), named
-- counters, the civil-status books, and attachments stored once per SHA-256. JSON columns
-- (form, data, result, entry data) are opaque to the store: the web layer writes and reads them.
CREATE TABLE dossiers (
    receipt_number   TEXT PRIMARY KEY,
    -- The group's receipt number, for a step of an interlinked group. Checked at commit, so a
    -- group and its steps may be inserted in any order.
    parent           TEXT REFERENCES dossiers (receipt_number) DEFERRABLE INITIALLY DEFERRED,
    procedure_code   TEXT NOT NULL,
    unit             TEXT NOT NULL,
    -- desk, online, post
    channel          TEXT NOT NULL,
    applicant_id     TEXT,
    -- The handling role's code; empty for a group row.
    handling_role    TEXT NOT NULL,
    assigned_officer TEXT,
    -- The state's code; 'group' for a group row.
    state            TEXT NOT NULL,
    -- RFC 3339 UTC; text order is time order.
    received_at      TEXT NOT NULL,
    due_on           TEXT NOT NULL,
    finished_on      TEXT,
    form             TEXT,
    data             TEXT,
    result           TEXT,
    -- Given once by the applicant at return.
    rating           INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment   TEXT,
    version          INTEGER NOT NULL,
    updated_at       TEXT NOT NULL,
    updated_by       TEXT NOT NULL
);
CREATE INDEX dossiers_state ON dossiers (state, received_at);
CREATE INDEX dossiers_handling_role ON dossiers (handling_role, received_at);
CREATE INDEX dossiers_assigned_officer ON dossiers (assigned_officer, received_at)
    WHERE assigned_officer IS NOT NULL;
CREATE INDEX dossiers_applicant ON dossiers (applicant_id, received_at)
    WHERE applicant_id IS NOT NULL;
CREATE INDEX dossiers_parent ON dossiers (parent) WHERE parent IS NOT NULL;
CREATE INDEX dossiers_received ON dossiers (received_at, receipt_number);

-- Named counters (the day's receipt serial...).
CREATE TABLE serials (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- The civil-status books: one book per kind and year, its lines numbered 1, 2, ... in the
-- order written. `digitised` marks an entry copied from an old paper book (else registered
-- here, by a dossier).
CREATE TABLE civil_status_entries (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    -- birth, death, marriage, correction, marital-status
    kind           TEXT NOT NULL,
    year           INTEGER NOT NULL,
    line           INTEGER NOT NULL,
    receipt_number TEXT,
    personal_id    TEXT,
    full_name      TEXT NOT NULL,
    event_date     TEXT NOT NULL,
    registered_on  TEXT NOT NULL,
    data           TEXT NOT NULL,
    paper_book     TEXT,
    paper_line     TEXT,
    -- The SHA-256 of the scanned page (an attachment).
    scanned_page   TEXT,
    digitised      INTEGER NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (kind, year, line)
);
CREATE INDEX civil_status_person ON civil_status_entries (personal_id)
    WHERE personal_id IS NOT NULL;
CREATE INDEX civil_status_receipt ON civil_status_entries (receipt_number)
    WHERE receipt_number IS NOT NULL;

-- Files, once per content; and the links that attach them to dossiers and citizens' folders.
CREATE TABLE attachment_blobs (
    sha256     TEXT PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    bytes      BLOB NOT NULL
);
CREATE TABLE attachment_links (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    sha256         TEXT NOT NULL REFERENCES attachment_blobs (sha256),
    receipt_number TEXT,
    personal_id    TEXT,
    -- The required document it stands for, or 'result'.
    document       TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size           INTEGER NOT NULL,
    added_at       TEXT NOT NULL,
    added_by       TEXT NOT NULL
);
CREATE INDEX attachment_links_receipt ON attachment_links (receipt_number)
    WHERE receipt_number IS NOT NULL;
CREATE INDEX attachment_links_person ON attachment_links (personal_id)
    WHERE personal_id IS NOT NULL;
CREATE INDEX attachment_links_blob ON attachment_links (sha256);

-- Complaints (phản ánh, kiến nghị) about the handling of a dossier. The answer is written
-- once (answer, answered_by and answered_on together), then the complainant's verdict once.
-- The text may hold personal data.
CREATE TABLE complaints (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    receipt_number TEXT NOT NULL REFERENCES dossiers (receipt_number),
    text           TEXT NOT NULL,
    -- RFC 3339 UTC; text order is time order.
    received_at    TEXT NOT NULL,
    -- YYYY-MM-DD: the day the answer is due.
    due_on         TEXT NOT NULL,
    -- desk, online
    channel        TEXT NOT NULL,
    answer         TEXT,
    answered_by    TEXT,
    -- YYYY-MM-DD.
    answered_on    TEXT,
    -- 1 satisfied, 0 not; NULL until the complainant says.
    satisfied      INTEGER CHECK (satisfied IN (0, 1)),
    CHECK ((answer IS NULL) = (answered_by IS NULL) AND (answer IS NULL) = (answered_on IS NULL)),
    CHECK (satisfied IS NULL OR answer IS NOT NULL)
);
CREATE INDEX complaints_receipt ON complaints (receipt_number, received_at, id);
CREATE INDEX complaints_received ON complaints (received_at, id);
CREATE INDEX complaints_open ON complaints (received_at, id) WHERE answer IS NULL;
