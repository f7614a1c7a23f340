//! The one-stop shop's tables on PostgreSQL: dossiers, named counters, the civil-status books,
//! attachments and complaints. A book's next line is taken under a lock on the book's row in
//! `serials`, so concurrent writers of one book get consecutive lines. Dossiers, forms,
//! attachments and complaints hold personal data: nothing here logs them.

use std::collections::HashMap;
use std::sync::LazyLock;

use postgres::types::ToSql;
use postgres::{GenericClient, Row, Statement};

use crate::postgres::{
    add_event_in, insert_person_in, prepared, update_person_in, PgConn, PgStore,
};
use crate::{
    check_not_blank, check_rating, list_limit, now_rfc3339, sha256_hex, AttachmentLink,
    CivilStatusEntry, CivilStatusFilter, Complaint, ComplaintFilter, DossierChange, DossierFilter,
    DossierRecord, DossierStore, NewCivilStatusEntry, NewComplaint, RegisterEffect, Result,
    SavedDossier, StoreError,
};

macro_rules! dossier_columns {
    () => {
        "receipt_number, parent, procedure_code, unit, channel, applicant_id, handling_role,
     assigned_officer, state, received_at, due_on, finished_on, form, data, result, rating,
     rating_comment, version, updated_at, updated_by"
    };
}

const INSERT_DOSSIER: &str = concat!(
    "INSERT INTO dossiers (",
    dossier_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 1,
               $18, $19)
 ON CONFLICT (receipt_number) DO NOTHING"
);
const GET_DOSSIER: &str = concat!(
    "SELECT ",
    dossier_columns!(),
    " FROM dossiers WHERE receipt_number = $1"
);
const GROUP_STEPS: &str = concat!(
    "SELECT ",
    dossier_columns!(),
    " FROM dossiers WHERE parent = $1 ORDER BY receipt_number"
);
const DOSSIER_EXISTS: &str = "SELECT version FROM dossiers WHERE receipt_number = $1";
const SAVE_DOSSIER: &str = "UPDATE dossiers SET parent = $2, procedure_code = $3, unit = $4,
     channel = $5, applicant_id = $6, handling_role = $7, assigned_officer = $8, state = $9,
     received_at = $10, due_on = $11, finished_on = $12, form = $13, data = $14, result = $15,
     version = version + 1, updated_at = $16, updated_by = $17
 WHERE receipt_number = $1 AND version = $18";
const RATE_DOSSIER: &str = "UPDATE dossiers SET rating = $2, rating_comment = $3
 WHERE receipt_number = $1 AND rating IS NULL";
const NEXT_SERIAL: &str = "INSERT INTO serials (name, value) VALUES ($1, 1)
 ON CONFLICT (name) DO UPDATE SET value = serials.value + 1
 RETURNING value";

/// The conditions `list_dossiers` may put on a query, in the order of their bits and of their
/// parameters; the last two (top level or not) take none.
const DOSSIER_CONDITIONS: [&str; 8] = [
    "state = ANY($)",
    "handling_role = $",
    "assigned_officer = $",
    "applicant_id = $",
    "received_at >= $",
    "received_at < $",
    "parent IS NULL",
    "state <> 'group'",
];

/// `list_dossiers`, one statement per combination of filters, indexed by the bits of
/// [`DOSSIER_CONDITIONS`], so that each plan fits its filters.
static LIST_DOSSIERS: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..1usize << DOSSIER_CONDITIONS.len())
        .map(|which| {
            let mut sql = String::from(concat!("SELECT ", dossier_columns!(), " FROM dossiers"));
            let mut n = 0;
            let mut first = true;
            for (bit, condition) in DOSSIER_CONDITIONS.iter().enumerate() {
                if which & (1 << bit) == 0 {
                    continue;
                }
                sql.push_str(if first { " WHERE " } else { " AND " });
                first = false;
                if condition.contains('$') {
                    n += 1;
                    sql.push_str(&condition.replace('$', &format!("${n}")));
                } else {
                    sql.push_str(condition);
                }
            }
            sql.push_str(&format!(
                " ORDER BY received_at DESC, receipt_number DESC LIMIT ${}",
                n + 1
            ));
            sql
        })
        .collect()
});

macro_rules! entry_columns {
    () => {
        "id, line, kind, year, receipt_number, personal_id, full_name, event_date, registered_on,
     data, paper_book, paper_line, scanned_page, created_by, created_at"
    };
}
/// Locks the row of a book in `serials` (creating it) until the transaction ends.
const LOCK_BOOK: &str = "INSERT INTO serials (name, value) VALUES ($1, 1)
 ON CONFLICT (name) DO UPDATE SET value = serials.value + 1";
const NEXT_LINE: &str = "SELECT coalesce(max(line), 0) + 1 FROM civil_status_entries
 WHERE kind = $1 AND year = $2";
const INSERT_ENTRY: &str = "INSERT INTO civil_status_entries (kind, year, line, receipt_number,
     personal_id, full_name, event_date, registered_on, data, paper_book, paper_line,
     scanned_page, digitised, created_by, created_at)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
 RETURNING id";
const LIST_ENTRIES: &str = concat!(
    "SELECT ",
    entry_columns!(),
    " FROM civil_status_entries
 WHERE ($1::text IS NULL OR kind = $1) AND ($2::integer IS NULL OR year = $2)
   AND ($3::text IS NULL OR personal_id = $3) AND ($4::boolean IS NULL OR digitised = $4)
 ORDER BY kind, year, line LIMIT $5"
);

macro_rules! link_columns {
    () => {
        "sha256, receipt_number, personal_id, document, file_name, media_type, size, added_at,
     added_by"
    };
}
const INSERT_BLOB: &str = "INSERT INTO attachment_blobs (sha256, media_type, size, bytes)
 VALUES ($1, $2, $3, $4) ON CONFLICT (sha256) DO NOTHING";
const INSERT_LINK: &str = concat!(
    "INSERT INTO attachment_links (",
    link_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
);
const GET_BLOB: &str = "SELECT media_type, bytes FROM attachment_blobs WHERE sha256 = $1";
const DOSSIER_LINKS: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM attachment_links WHERE receipt_number = $1 ORDER BY id"
);
const CITIZEN_FOLDER: &str = concat!(
    "SELECT ",
    link_columns!(),
    " FROM (SELECT ",
    link_columns!(),
    ", id, row_number() OVER (PARTITION BY sha256, document ORDER BY added_at DESC, id DESC) AS n
   FROM attachment_links WHERE personal_id = $1) AS l
 WHERE n = 1 ORDER BY added_at DESC, id DESC"
);

macro_rules! complaint_columns {
    () => {
        "id, receipt_number, text, received_at, due_on, channel, answer, answered_by, answered_on,
     satisfied"
    };
}
const INSERT_COMPLAINT: &str = "INSERT INTO complaints (receipt_number, text, received_at,
     due_on, channel)
 VALUES ($1, $2, $3, $4, $5)
 RETURNING id";
const ANSWER_COMPLAINT: &str = "UPDATE complaints SET answer = $2, answered_by = $3,
     answered_on = $4
 WHERE id = $1 AND answer IS NULL";
const JUDGE_COMPLAINT: &str = "UPDATE complaints SET satisfied = $2
 WHERE id = $1 AND answer IS NOT NULL AND satisfied IS NULL";
/// Whether the complaint is answered: to say why an update touched no row.
const COMPLAINT_ANSWERED: &str = "SELECT answer IS NOT NULL FROM complaints WHERE id = $1";
const GET_COMPLAINT: &str = concat!(
    "SELECT ",
    complaint_columns!(),
    " FROM complaints WHERE id = $1"
);
/// `list_complaints`, indexed by two bits: 1 = by receipt number, 2 = open only. Only the
/// conditions in use are written, so that the open complaints' partial index can serve.
const LIST_COMPLAINTS: [&str; 4] = [
    concat!(
        "SELECT ",
        complaint_columns!(),
        " FROM complaints ORDER BY received_at DESC, id DESC LIMIT $1"
    ),
    concat!(
        "SELECT ",
        complaint_columns!(),
        " FROM complaints WHERE receipt_number = $1 ORDER BY received_at DESC, id DESC LIMIT $2"
    ),
    concat!(
        "SELECT ",
        complaint_columns!(),
        " FROM complaints WHERE answer IS NULL ORDER BY received_at DESC, id DESC LIMIT $1"
    ),
    concat!(
        "SELECT ",
        complaint_columns!(),
        " FROM complaints WHERE receipt_number = $1 AND answer IS NULL
 ORDER BY received_at DESC, id DESC LIMIT $2"
    ),
];

fn complaint_row(r: &Row) -> Result<Complaint> {
    Ok(Complaint {
        id: r.try_get(0)?,
        complaint: NewComplaint {
            receipt_number: r.try_get(1)?,
            text: r.try_get(2)?,
            received_at: r.try_get(3)?,
            due_on: r.try_get(4)?,
            channel: r.try_get(5)?,
        },
        answer: r.try_get(6)?,
        answered_by: r.try_get(7)?,
        answered_on: r.try_get(8)?,
        satisfied: r.try_get(9)?,
    })
}

fn dossier_row(r: &Row) -> Result<DossierRecord> {
    Ok(DossierRecord {
        receipt_number: r.try_get(0)?,
        parent: r.try_get(1)?,
        procedure_code: r.try_get(2)?,
        unit: r.try_get(3)?,
        channel: r.try_get(4)?,
        applicant_id: r.try_get(5)?,
        handling_role: r.try_get(6)?,
        assigned_officer: r.try_get(7)?,
        state: r.try_get(8)?,
        received_at: r.try_get(9)?,
        due_on: r.try_get(10)?,
        finished_on: r.try_get(11)?,
        form: r.try_get(12)?,
        data: r.try_get(13)?,
        result: r.try_get(14)?,
        rating: r.try_get(15)?,
        rating_comment: r.try_get(16)?,
        version: r.try_get(17)?,
        updated_at: r.try_get(18)?,
        updated_by: r.try_get(19)?,
    })
}

fn entry_row(r: &Row) -> Result<CivilStatusEntry> {
    Ok(CivilStatusEntry {
        id: r.try_get(0)?,
        line: r.try_get(1)?,
        entry: NewCivilStatusEntry {
            kind: r.try_get(2)?,
            year: r.try_get(3)?,
            receipt_number: r.try_get(4)?,
            personal_id: r.try_get(5)?,
            full_name: r.try_get(6)?,
            event_date: r.try_get(7)?,
            registered_on: r.try_get(8)?,
            data: r.try_get(9)?,
            paper_book: r.try_get(10)?,
            paper_line: r.try_get(11)?,
            scanned_page: r.try_get(12)?,
            created_by: r.try_get(13)?,
        },
        created_at: r.try_get(14)?,
    })
}

fn link_row(r: &Row) -> Result<AttachmentLink> {
    Ok(AttachmentLink {
        sha256: r.try_get(0)?,
        receipt_number: r.try_get(1)?,
        personal_id: r.try_get(2)?,
        document: r.try_get(3)?,
        file_name: r.try_get(4)?,
        media_type: r.try_get(5)?,
        size: r.try_get(6)?,
        added_at: r.try_get(7)?,
        added_by: r.try_get(8)?,
    })
}

/// `NotFound` unless a dossier with this receipt number is stored (seen from `client`'s
/// transaction).
/// The parameters $1 to $15 of [`INSERT_DOSSIER`] and [`SAVE_DOSSIER`] (the same columns in
/// both), then `tail`.
fn dossier_params<'a, const N: usize>(
    d: &'a DossierRecord,
    tail: [&'a (dyn ToSql + Sync); N],
) -> Vec<&'a (dyn ToSql + Sync)> {
    let head: [&'a (dyn ToSql + Sync); 15] = dossier_head!(d);
    head.into_iter().chain(tail).collect()
}

fn require_group<C: GenericClient>(
    client: &mut C,
    stmts: &mut HashMap<&'static str, Statement>,
    parent: &str,
) -> Result<()> {
    let exists = prepared(stmts, client, DOSSIER_EXISTS)?;
    match client.query_opt(&exists, &[&parent])? {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!(
            "no dossier {parent:?} to be the group of a step"
        ))),
    }
}

/// Commits, reporting a step whose group is missing (the deferred foreign key) as `NotFound`.
fn commit(tx: postgres::Transaction<'_>) -> Result<()> {
    tx.commit().map_err(|e| {
        if e.code() == Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
            StoreError::NotFound("a step's group dossier is not stored".into())
        } else {
            e.into()
        }
    })
}

/// Writes `entry` on the next line of its book (kind and year) inside the caller's
/// transaction. The book's row in `serials` stays locked until the transaction ends, so a
/// concurrent writer of the same book waits and then sees this line.
fn write_entry<C: GenericClient>(
    tx: &mut C,
    stmts: &mut HashMap<&'static str, Statement>,
    entry: &NewCivilStatusEntry,
    digitised: bool,
    at: &str,
) -> Result<CivilStatusEntry> {
    let lock_book = prepared(stmts, tx, LOCK_BOOK)?;
    let next_line = prepared(stmts, tx, NEXT_LINE)?;
    let insert = prepared(stmts, tx, INSERT_ENTRY)?;
    let book = format!("civil-status-book/{}/{}", entry.kind, entry.year);
    tx.execute(&lock_book, &[&book])?;
    let line: i64 = tx
        .query_one(&next_line, &[&entry.kind, &entry.year])?
        .try_get(0)?;
    let id: i64 = tx
        .query_one(
            &insert,
            &[
                &entry.kind,
                &entry.year,
                &line,
                &entry.receipt_number,
                &entry.personal_id,
                &entry.full_name,
                &entry.event_date,
                &entry.registered_on,
                &entry.data,
                &entry.paper_book,
                &entry.paper_line,
                &entry.scanned_page,
                &digitised,
                &entry.created_by,
                &at,
            ],
        )?
        .try_get(0)?;
    Ok(CivilStatusEntry {
        id,
        line,
        entry: entry.clone(),
        created_at: at.to_string(),
    })
}

impl DossierStore for PgStore {
    fn next_serial(&self, counter: &str) -> Result<u64> {
        let row = self.conn()?.query_opt(NEXT_SERIAL, &[&counter])?;
        let value: i64 = row
            .ok_or_else(|| StoreError::Database("the counter was not returned".into()))?
            .try_get(0)?;
        u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("counter {counter:?}")))
    }

    /// Every row is stored at version 1. A step's group may come before or after it in
    /// `dossiers`, or be stored already (`NotFound` otherwise).
    fn insert_dossiers(&self, dossiers: &[DossierRecord]) -> Result<()> {
        for d in dossiers {
            if let Some(rating) = d.rating {
                check_rating(rating)?;
            }
        }
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let insert = prepared(stmts, &mut tx, INSERT_DOSSIER)?;
        for d in dossiers {
            let inserted = tx.execute(
                &insert,
                &dossier_params(
                    d,
                    [&d.rating, &d.rating_comment, &d.updated_at, &d.updated_by],
                ),
            )?;
            if inserted == 0 {
                return Err(StoreError::Conflict(format!(
                    "receipt number {:?} exists",
                    d.receipt_number
                )));
            }
        }
        for parent in dossiers.iter().filter_map(|d| d.parent.as_deref()) {
            require_group(&mut tx, stmts, parent)?;
        }
        commit(tx)
    }

    fn get_dossier(&self, receipt_number: &str) -> Result<Option<DossierRecord>> {
        self.conn()?
            .query_opt(GET_DOSSIER, &[&receipt_number])?
            .as_ref()
            .map(dossier_row)
            .transpose()
    }

    fn group_steps(&self, parent: &str) -> Result<Vec<DossierRecord>> {
        self.conn()?
            .query(GROUP_STEPS, &[&parent])?
            .iter()
            .map(dossier_row)
            .collect()
    }

    /// `limit` 0 lists at most 200 rows. `top_level: Some(true)` keeps the rows without a
    /// parent (groups and single dossiers), `Some(false)` the rows that are not groups (steps
    /// and single dossiers).
    fn list_dossiers(&self, filter: &DossierFilter) -> Result<Vec<DossierRecord>> {
        let limit = list_limit(filter.limit);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(7);
        let mut which = 0;
        if !filter.states.is_empty() {
            which |= 1;
            params.push(&filter.states);
        }
        for (bit, value) in [
            &filter.handling_role,
            &filter.assigned_officer,
            &filter.applicant_id,
            &filter.received_since,
            &filter.received_until,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(v) = value {
                which |= 1 << (bit + 1);
                params.push(v);
            }
        }
        match filter.top_level {
            Some(true) => which |= 1 << 6,
            Some(false) => which |= 1 << 7,
            None => {}
        }
        params.push(&limit);
        let statements: &'static [String] = &LIST_DOSSIERS;
        self.conn()?
            .query(&statements[which], &params)?
            .iter()
            .map(dossier_row)
            .collect()
    }

    /// Replaces every column of the dossier but its receipt number and the applicant's rating
    /// (written only by [`DossierStore::rate_dossier`], so a save never erases it); the
    /// version becomes the stored one plus 1, `updated_at`/`updated_by` are the record's.
    ///
    /// Test hook: when the environment variable `XASO_TEST_ABORT_IN` is `save_dossier`, the
    /// process aborts after everything is written and before the commit (the end-to-end tests
    /// kill a birth registration there and check that nothing of it was kept).
    fn save_dossier(&self, change: &DossierChange) -> Result<SavedDossier> {
        let at = now_rfc3339();
        let d = &change.record;
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let save = prepared(stmts, &mut tx, SAVE_DOSSIER)?;
        let updated = tx.execute(
            &save,
            &dossier_params(d, [&d.updated_at, &d.updated_by, &d.version]),
        )?;
        if updated == 0 {
            let exists = prepared(stmts, &mut tx, DOSSIER_EXISTS)?;
            let stored = tx.query_opt(&exists, &[&d.receipt_number])?;
            return Err(match stored {
                None => StoreError::NotFound(format!("dossier {:?}", d.receipt_number)),
                Some(row) => {
                    let now: i64 = row.try_get(0)?;
                    StoreError::Conflict(format!(
                        "dossier {:?} changed (now version {now}, you saved version {}); reload and try again",
                        d.receipt_number, d.version
                    ))
                }
            });
        }
        if let Some(parent) = &d.parent {
            require_group(&mut tx, stmts, parent)?;
        }
        for effect in &change.register {
            match effect {
                RegisterEffect::Insert(person) => {
                    insert_person_in(&mut tx, stmts, person, &at, &change.meta)?;
                }
                RegisterEffect::Update {
                    person,
                    expected_version,
                } => {
                    update_person_in(&mut tx, stmts, person, *expected_version, &at, &change.meta)?;
                }
                RegisterEffect::Residence(event) => add_event_in(&mut tx, stmts, event, &at)?,
            }
        }
        let civil_status = change
            .civil_status
            .as_ref()
            .map(|entry| write_entry(&mut tx, stmts, entry, false, &at))
            .transpose()?;
        if std::env::var_os("XASO_TEST_ABORT_IN").is_some_and(|v| v == "save_dossier") {
            std::process::abort();
        }
        commit(tx)?;
        Ok(SavedDossier {
            version: d.version + 1,
            civil_status,
        })
    }

    /// Refuses (`Conflict`) a rating outside 1..=5. The dossier's version does not change: a
    /// rating never makes an officer's edit stale.
    fn rate_dossier(&self, receipt_number: &str, rating: i32, comment: Option<&str>) -> Result<()> {
        check_rating(rating)?;
        let mut conn = self.conn()?;
        let updated = conn.execute(RATE_DOSSIER, &[&receipt_number, &rating, &comment])?;
        if updated == 1 {
            return Ok(());
        }
        Err(match conn.query_opt(DOSSIER_EXISTS, &[&receipt_number])? {
            Some(_) => StoreError::Conflict(format!("dossier {receipt_number:?} is rated already")),
            None => StoreError::NotFound(format!("dossier {receipt_number:?}")),
        })
    }

    fn add_civil_status_entry(&self, entry: &NewCivilStatusEntry) -> Result<CivilStatusEntry> {
        let at = now_rfc3339();
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let written = write_entry(&mut tx, stmts, entry, true, &at)?;
        tx.commit()?;
        Ok(written)
    }

    /// In book order (kind, year, line); `limit` 0 lists at most 200 entries.
    fn list_civil_status(&self, filter: &CivilStatusFilter) -> Result<Vec<CivilStatusEntry>> {
        self.conn()?
            .query(
                LIST_ENTRIES,
                &[
                    &filter.kind,
                    &filter.year,
                    &filter.personal_id,
                    &filter.digitised,
                    &list_limit(filter.limit),
                ],
            )?
            .iter()
            .map(entry_row)
            .collect()
    }

    /// The SHA-256 and size are computed here from `bytes` (those of `link` are ignored); the
    /// blob keeps the media type it was first stored with.
    fn add_attachment(&self, bytes: &[u8], link: &AttachmentLink) -> Result<AttachmentLink> {
        let link = AttachmentLink {
            sha256: sha256_hex(bytes),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            ..link.clone()
        };
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let insert_blob = prepared(stmts, &mut tx, INSERT_BLOB)?;
        let insert_link = prepared(stmts, &mut tx, INSERT_LINK)?;
        tx.execute(
            &insert_blob,
            &[&link.sha256, &link.media_type, &link.size, &bytes],
        )?;
        tx.execute(
            &insert_link,
            &[
                &link.sha256,
                &link.receipt_number,
                &link.personal_id,
                &link.document,
                &link.file_name,
                &link.media_type,
                &link.size,
                &link.added_at,
                &link.added_by,
            ],
        )?;
        tx.commit()?;
        Ok(link)
    }

    fn get_attachment(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        self.conn()?
            .query_opt(GET_BLOB, &[&sha256])?
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
            .transpose()
    }

    /// In the order they were added.
    fn dossier_attachments(&self, receipt_number: &str) -> Result<Vec<AttachmentLink>> {
        self.conn()?
            .query(DOSSIER_LINKS, &[&receipt_number])?
            .iter()
            .map(link_row)
            .collect()
    }

    /// Of the links of one file as one document, the newest (by `added_at`, then as added).
    fn citizen_folder(&self, personal_id: &str) -> Result<Vec<AttachmentLink>> {
        self.conn()?
            .query(CITIZEN_FOLDER, &[&personal_id])?
            .iter()
            .map(link_row)
            .collect()
    }

    /// Refuses (`Conflict`) a blank text. The dossier is looked up in the insert's
    /// transaction.
    fn add_complaint(&self, complaint: &NewComplaint) -> Result<Complaint> {
        check_not_blank("complaint text", &complaint.text)?;
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let exists = prepared(stmts, &mut tx, DOSSIER_EXISTS)?;
        let insert = prepared(stmts, &mut tx, INSERT_COMPLAINT)?;
        if tx
            .query_opt(&exists, &[&complaint.receipt_number])?
            .is_none()
        {
            return Err(StoreError::NotFound(format!(
                "dossier {:?}",
                complaint.receipt_number
            )));
        }
        let id: i64 = tx
            .query_one(
                &insert,
                &[
                    &complaint.receipt_number,
                    &complaint.text,
                    &complaint.received_at,
                    &complaint.due_on,
                    &complaint.channel,
                ],
            )
            .map_err(|e| {
                if e.code() == Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                    StoreError::NotFound(format!("dossier {:?}", complaint.receipt_number))
                } else {
                    e.into()
                }
            })?
            .try_get(0)?;
        tx.commit()?;
        Ok(Complaint::unanswered(id, complaint))
    }

    /// Refuses (`Conflict`) a blank answer.
    fn answer_complaint(
        &self,
        id: i64,
        answer: &str,
        answered_by: &str,
        answered_on: &str,
    ) -> Result<()> {
        check_not_blank("complaint answer", answer)?;
        let mut conn = self.conn()?;
        let updated = conn.execute(
            ANSWER_COMPLAINT,
            &[&id, &answer, &answered_by, &answered_on],
        )?;
        if updated == 1 {
            return Ok(());
        }
        Err(match conn.query_opt(COMPLAINT_ANSWERED, &[&id])? {
            Some(_) => StoreError::Conflict(format!("complaint {id} is answered already")),
            None => StoreError::NotFound(format!("complaint {id}")),
        })
    }

    fn judge_complaint(&self, id: i64, satisfied: bool) -> Result<()> {
        let mut conn = self.conn()?;
        let updated = conn.execute(JUDGE_COMPLAINT, &[&id, &satisfied])?;
        if updated == 1 {
            return Ok(());
        }
        let Some(row) = conn.query_opt(COMPLAINT_ANSWERED, &[&id])? else {
            return Err(StoreError::NotFound(format!("complaint {id}")));
        };
        let answered: bool = row.try_get(0)?;
        Err(if answered {
            StoreError::Conflict(format!("complaint {id} is judged already"))
        } else {
            StoreError::Conflict(format!(
                "complaint {id} is not answered yet: the answer is judged once given"
            ))
        })
    }

    fn get_complaint(&self, id: i64) -> Result<Option<Complaint>> {
        self.conn()?
            .query_opt(GET_COMPLAINT, &[&id])?
            .as_ref()
            .map(complaint_row)
            .transpose()
    }

    /// Newest received first (then the last added first); `limit` 0 lists at most 200.
    fn list_complaints(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>> {
        let limit = list_limit(filter.limit);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(2);
        let mut which = 0;
        if let Some(receipt) = &filter.receipt_number {
            which |= 1;
            params.push(receipt);
        }
        if filter.open_only {
            which |= 2;
        }
        params.push(&limit);
        self.conn()?
            .query(LIST_COMPLAINTS[which], &params)?
            .iter()
            .map(complaint_row)
            .collect()
    }
}
