-- The one-stop shop (PostgreSQL): dossiers (an interlinked group is one row and one row per
-- step), named counters, the civil-status books, and attachments stored once per SHA-256.
-- JSON columns (form, data, result, entry data) are opaque text to the store: the web layer
-- writes and reads them. Keys, codes and times use the "C" collation: byte order, as in SQLite.
CREATE TABLE dossiers (
    receipt_number   TEXT COLLATE "C" PRIMARY KEY,
    -- The group's receipt number, for a step of an interlinked group. Checked at commit, so a
    -- group and its steps may be inserted in any order.
    parent           TEXT COLLATE "C" REFERENCES dossiers (receipt_number)
                         DEFERRABLE INITIALLY DEFERRED,
    procedure_code   TEXT COLLATE "C" NOT NULL,
    unit             TEXT COLLATE "C" NOT NULL,
    -- desk, online, post
    channel          TEXT COLLATE "C" NOT NULL,
    applicant_id     TEXT COLLATE "C",
    -- The handling role's code; empty for a group row.
    handling_role    TEXT COLLATE "C" NOT NULL,
    assigned_officer TEXT COLLATE "C",
    -- The state's code; 'group' for a group row.
    state            TEXT COLLATE "C" NOT NULL,
    -- RFC 3339 UTC; text order is time order.
    received_at      TEXT COLLATE "C" NOT NULL,
    due_on           TEXT COLLATE "C" NOT NULL,
    finished_on      TEXT COLLATE "C",
    form             TEXT,
    data             TEXT,
    result           TEXT,
    -- Given once by the applicant at return.
    rating           INTEGER CHECK (rating BETWEEN 1 AND 5),
    rating_comment   TEXT,
    version          BIGINT NOT NULL,
    updated_at       TEXT COLLATE "C" NOT NULL,
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

-- Named counters (the day's receipt serial...). Also one row per civil-status book
-- ('civil-status-book/<kind>/<year>'), locked by the transaction that writes a line of it, so
-- that concurrent writers take the book's lines one after the other.
CREATE TABLE serials (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BIGINT NOT NULL
);

-- The civil-status books: one book per kind and year, its lines numbered 1, 2, ... in the
-- order written. `digitised` marks an entry copied from an old paper book (else registered
-- here, by a dossier).
CREATE TABLE civil_status_entries (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- birth, death, marriage, correction, marital-status
    kind           TEXT COLLATE "C" NOT NULL,
    year           INTEGER NOT NULL,
    line           BIGINT NOT NULL,
    receipt_number TEXT COLLATE "C",
    personal_id    TEXT COLLATE "C",
    full_name      TEXT NOT NULL,
    event_date     TEXT COLLATE "C" NOT NULL,
    registered_on  TEXT COLLATE "C" NOT NULL,
    data           TEXT NOT NULL,
    paper_book     TEXT,
    paper_line     TEXT,
    -- The SHA-256 of the scanned page (an attachment).
    scanned_page   TEXT COLLATE "C",
    digitised      BOOLEAN NOT NULL,
    created_by     TEXT NOT NULL,
    created_at     TEXT COLLATE "C" NOT NULL,
    UNIQUE (kind, year, line)
);
CREATE INDEX civil_status_person ON civil_status_entries (personal_id)
    WHERE personal_id IS NOT NULL;
CREATE INDEX civil_status_receipt ON civil_status_entries (receipt_number)
    WHERE receipt_number IS NOT NULL;

-- Files, once per content; and the links that attach them to dossiers and citizens' folders.
CREATE TABLE attachment_blobs (
    sha256     TEXT COLLATE "C" PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL
);
CREATE TABLE attachment_links (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sha256         TEXT COLLATE "C" NOT NULL REFERENCES attachment_blobs (sha256),
    receipt_number TEXT COLLATE "C",
    personal_id    TEXT COLLATE "C",
    -- The required document it stands for, or 'result'.
    document       TEXT NOT NULL,
    file_name      TEXT NOT NULL,
    media_type     TEXT NOT NULL,
    size           BIGINT NOT NULL,
    added_at       TEXT COLLATE "C" NOT NULL,
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
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    receipt_number TEXT COLLATE "C" NOT NULL REFERENCES dossiers (receipt_number),
    text           TEXT NOT NULL,
    -- RFC 3339 UTC; text order is time order.
    received_at    TEXT COLLATE "C" NOT NULL,
    -- YYYY-MM-DD: the day the answer is due.
    due_on         TEXT COLLATE "C" NOT NULL,
    -- desk, online
    channel        TEXT COLLATE "C" NOT NULL,
    answer         TEXT,
    answered_by    TEXT,
    -- YYYY-MM-DD.
    answered_on    TEXT COLLATE "C",
    -- NULL until the complainant says.
    satisfied      BOOLEAN,
    CHECK ((answer IS NULL) = (answered_by IS NULL) AND (answer IS NULL) = (answered_on IS NULL)),
    CHECK (satisfied IS NULL OR answer IS NOT NULL)
);
CREATE INDEX complaints_receipt ON complaints (receipt_number, received_at, id);
CREATE INDEX complaints_received ON complaints (received_at, id);
CREATE INDEX complaints_open ON complaints (received_at, id) WHERE answer IS NULL;
