//! The one-stop shop's tables on SQLite: dossiers, named counters, the civil-status books,
//! attachments and complaints. Writes go through the store's one writer connection, which also makes the
//! allocation of a book's next line safe. Dossiers, forms, attachments and complaints hold
//! personal data: nothing here logs them.

use rusqlite::types::Value;
use rusqlite::{
    params, params_from_iter, Connection, OptionalExtension, ParamsFromIter, Row, ToSql,
};

use crate::sqlite::{
    add_event_in, insert_error, insert_person_in, is_foreign_key_violation, query_all, query_opt,
    update_person_in, SqliteStore,
};
use crate::{
    check_not_blank, check_rating, list_limit, now_rfc3339, sha256_hex, AttachmentLink,
    CivilStatusEntry, CivilStatusFilter, Complaint, ComplaintFilter, DossierChange, DossierFilter,
    DossierRecord, DossierStore, NewCivilStatusEntry, NewComplaint, RegisterEffect, Result,
    SavedDossier, StoreError,
};

const DOSSIER_COLUMNS: &str = "receipt_number, parent, procedure_code, unit, channel,
     applicant_id, handling_role, assigned_officer, state, received_at, due_on, finished_on,
     form, data, result, rating, rating_comment, version, updated_at, updated_by";

fn dossier_row(r: &Row<'_>) -> rusqlite::Result<DossierRecord> {
    Ok(DossierRecord {
        receipt_number: r.get(0)?,
        parent: r.get(1)?,
        procedure_code: r.get(2)?,
        unit: r.get(3)?,
        channel: r.get(4)?,
        applicant_id: r.get(5)?,
        handling_role: r.get(6)?,
        assigned_officer: r.get(7)?,
        state: r.get(8)?,
        received_at: r.get(9)?,
        due_on: r.get(10)?,
        finished_on: r.get(11)?,
        form: r.get(12)?,
        data: r.get(13)?,
        result: r.get(14)?,
        rating: r.get(15)?,
        rating_comment: r.get(16)?,
        version: r.get(17)?,
        updated_at: r.get(18)?,
        updated_by: r.get(19)?,
    })
}

const ENTRY_COLUMNS: &str = "id, line, kind, year, receipt_number, personal_id, full_name,
     event_date, registered_on, data, paper_book, paper_line, scanned_page, created_by,
     created_at";

fn entry_row(r: &Row<'_>) -> rusqlite::Result<CivilStatusEntry> {
    Ok(CivilStatusEntry {
        id: r.get(0)?,
        line: r.get(1)?,
        entry: NewCivilStatusEntry {
            kind: r.get(2)?,
            year: r.get(3)?,
            receipt_number: r.get(4)?,
            personal_id: r.get(5)?,
            full_name: r.get(6)?,
            event_date: r.get(7)?,
            registered_on: r.get(8)?,
            data: r.get(9)?,
            paper_book: r.get(10)?,
            paper_line: r.get(11)?,
            scanned_page: r.get(12)?,
            created_by: r.get(13)?,
        },
        created_at: r.get(14)?,
    })
}

const LINK_COLUMNS: &str = "sha256, receipt_number, personal_id, document, file_name,
     media_type, size, added_at, added_by";

fn link_row(r: &Row<'_>) -> rusqlite::Result<AttachmentLink> {
    Ok(AttachmentLink {
        sha256: r.get(0)?,
        receipt_number: r.get(1)?,
        personal_id: r.get(2)?,
        document: r.get(3)?,
        file_name: r.get(4)?,
        media_type: r.get(5)?,
        size: r.get(6)?,
        added_at: r.get(7)?,
        added_by: r.get(8)?,
    })
}

const COMPLAINT_COLUMNS: &str = "id, receipt_number, text, received_at, due_on, channel, answer,
     answered_by, answered_on, satisfied";

fn complaint_row(r: &Row<'_>) -> rusqlite::Result<Complaint> {
    Ok(Complaint {
        id: r.get(0)?,
        complaint: NewComplaint {
            receipt_number: r.get(1)?,
            text: r.get(2)?,
            received_at: r.get(3)?,
            due_on: r.get(4)?,
            channel: r.get(5)?,
        },
        answer: r.get(6)?,
        answered_by: r.get(7)?,
        answered_on: r.get(8)?,
        satisfied: r.get(9)?,
    })
}

/// Whether the complaint is answered, `None` when there is no such complaint: to say why an
/// update touched no row.
fn complaint_answered(conn: &Connection, id: i64) -> Result<Option<bool>> {
    let found = conn
        .prepare_cached("SELECT answer IS NOT NULL FROM complaints WHERE id = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    Ok(found)
}

/// `NotFound` unless a dossier with this receipt number is stored (seen from `conn`'s
/// transaction).
fn require_group(conn: &Connection, parent: &str) -> Result<()> {
    let found: Option<i64> = conn
        .prepare_cached("SELECT 1 FROM dossiers WHERE receipt_number = ?1")?
        .query_row([parent], |r| r.get(0))
        .optional()?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::NotFound(format!(
            "no dossier {parent:?} to be the group of a step"
        ))),
    }
}

/// Commits, reporting a step whose group is missing (the deferred foreign key) as `NotFound`.
fn commit(tx: rusqlite::Transaction<'_>) -> Result<()> {
    tx.commit().map_err(|e| {
        if is_foreign_key_violation(&e) {
            StoreError::NotFound("a step's group dossier is not stored".into())
        } else {
            e.into()
        }
    })
}

/// Writes `entry` on the next line of its book (kind and year) inside the caller's
/// transaction. The one writer connection serialises writers, so `max(line) + 1` is free.
fn write_entry(
    tx: &Connection,
    entry: &NewCivilStatusEntry,
    digitised: bool,
    at: &str,
) -> Result<CivilStatusEntry> {
    let line: i64 = tx
        .prepare_cached(
            "SELECT coalesce(max(line), 0) + 1 FROM civil_status_entries
             WHERE kind = ?1 AND year = ?2",
        )?
        .query_row(params![entry.kind, entry.year], |r| r.get(0))?;
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO civil_status_entries (kind, year, line, receipt_number, personal_id,
                 full_name, event_date, registered_on, data, paper_book, paper_line,
                 scanned_page, digitised, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             RETURNING id",
        )?
        .query_row(
            params![
                entry.kind,
                entry.year,
                line,
                entry.receipt_number,
                entry.personal_id,
                entry.full_name,
                entry.event_date,
                entry.registered_on,
                entry.data,
                entry.paper_book,
                entry.paper_line,
                entry.scanned_page,
                digitised,
                entry.created_by,
                at
            ],
            |r| r.get(0),
        )?;
    Ok(CivilStatusEntry {
        id,
        line,
        entry: entry.clone(),
        created_at: at.to_string(),
    })
}

/// The parameters ?1 to ?15 of the dossier insert and save (the same columns in both), then
/// `tail`.
fn dossier_params<'a, const N: usize>(
    d: &'a DossierRecord,
    tail: [&'a dyn ToSql; N],
) -> ParamsFromIter<Vec<&'a dyn ToSql>> {
    let head: [&'a dyn ToSql; 15] = dossier_head!(d);
    params_from_iter(head.into_iter().chain(tail).collect())
}

impl DossierStore for SqliteStore {
    fn next_serial(&self, counter: &str) -> Result<u64> {
        let conn = self.writer();
        let value: i64 = conn
            .prepare_cached(
                "INSERT INTO serials (name, value) VALUES (?1, 1)
                 ON CONFLICT (name) DO UPDATE SET value = value + 1
                 RETURNING value",
            )?
            .query_row([counter], |r| r.get(0))?;
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
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(&format!(
                "INSERT INTO dossiers ({DOSSIER_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         ?17, 1, ?18, ?19)"
            ))?;
            for d in dossiers {
                insert
                    .execute(dossier_params(
                        d,
                        [&d.rating, &d.rating_comment, &d.updated_at, &d.updated_by],
                    ))
                    .map_err(|e| {
                        insert_error(
                            e,
                            None,
                            &format!("receipt number {:?} exists", d.receipt_number),
                        )
                    })?;
            }
        }
        for parent in dossiers.iter().filter_map(|d| d.parent.as_deref()) {
            require_group(&tx, parent)?;
        }
        commit(tx)
    }

    fn get_dossier(&self, receipt_number: &str) -> Result<Option<DossierRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE receipt_number = ?1"),
            [receipt_number],
            dossier_row,
        )
    }

    fn group_steps(&self, parent: &str) -> Result<Vec<DossierRecord>> {
        query_all(
            &self.reader(),
            &format!(
                "SELECT {DOSSIER_COLUMNS} FROM dossiers WHERE parent = ?1 ORDER BY receipt_number"
            ),
            [parent],
            dossier_row,
        )
    }

    /// `limit` 0 lists at most 200 rows. `top_level: Some(true)` keeps the rows without a
    /// parent (groups and single dossiers), `Some(false)` the rows that are not groups (steps
    /// and single dossiers).
    fn list_dossiers(&self, filter: &DossierFilter) -> Result<Vec<DossierRecord>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<Value> = Vec::new();
        fn bind(binds: &mut Vec<Value>, v: &str) -> String {
            binds.push(Value::Text(v.to_string()));
            format!("?{}", binds.len())
        }
        if !filter.states.is_empty() {
            let marks: Vec<String> = filter.states.iter().map(|s| bind(&mut binds, s)).collect();
            conditions.push(format!("state IN ({})", marks.join(", ")));
        }
        for (column, value) in [
            ("handling_role = ", &filter.handling_role),
            ("assigned_officer = ", &filter.assigned_officer),
            ("applicant_id = ", &filter.applicant_id),
            ("received_at >= ", &filter.received_since),
            ("received_at < ", &filter.received_until),
        ] {
            if let Some(v) = value {
                let mark = bind(&mut binds, v);
                conditions.push(format!("{column}{mark}"));
            }
        }
        match filter.top_level {
            Some(true) => conditions.push("parent IS NULL".into()),
            Some(false) => conditions.push("state <> 'group'".into()),
            None => {}
        }
        let mut sql = format!("SELECT {DOSSIER_COLUMNS} FROM dossiers");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        binds.push(Value::Integer(list_limit(filter.limit)));
        sql.push_str(&format!(
            " ORDER BY received_at DESC, receipt_number DESC LIMIT ?{}",
            binds.len()
        ));
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(binds), dossier_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
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
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let updated = tx
            .prepare_cached(
                "UPDATE dossiers SET parent = ?2, procedure_code = ?3, unit = ?4, channel = ?5,
                     applicant_id = ?6, handling_role = ?7, assigned_officer = ?8, state = ?9,
                     received_at = ?10, due_on = ?11, finished_on = ?12, form = ?13, data = ?14,
                     result = ?15, version = version + 1, updated_at = ?16, updated_by = ?17
                 WHERE receipt_number = ?1 AND version = ?18",
            )?
            .execute(dossier_params(
                d,
                [&d.updated_at, &d.updated_by, &d.version],
            ))?;
        if updated == 0 {
            let stored: Option<i64> = tx
                .prepare_cached("SELECT version FROM dossiers WHERE receipt_number = ?1")?
                .query_row([&d.receipt_number], |r| r.get(0))
                .optional()?;
            return Err(match stored {
                None => StoreError::NotFound(format!("dossier {:?}", d.receipt_number)),
                Some(now) => StoreError::Conflict(format!(
                    "dossier {:?} changed (now version {now}, you saved version {}); reload and try again",
                    d.receipt_number, d.version
                )),
            });
        }
        if let Some(parent) = &d.parent {
            require_group(&tx, parent)?;
        }
        for effect in &change.register {
            match effect {
                RegisterEffect::Insert(person) => {
                    insert_person_in(&tx, person, &at, &change.meta)?;
                }
                RegisterEffect::Update {
                    person,
                    expected_version,
                } => {
                    update_person_in(&tx, person, *expected_version, &at, &change.meta)?;
                }
                RegisterEffect::Residence(event) => add_event_in(&tx, event, &at)?,
            }
        }
        let civil_status = change
            .civil_status
            .as_ref()
            .map(|entry| write_entry(&tx, entry, false, &at))
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
        let conn = self.writer();
        let updated = conn
            .prepare_cached(
                "UPDATE dossiers SET rating = ?2, rating_comment = ?3
                 WHERE receipt_number = ?1 AND rating IS NULL",
            )?
            .execute(params![receipt_number, rating, comment])?;
        if updated == 1 {
            return Ok(());
        }
        let exists: Option<i64> = conn
            .prepare_cached("SELECT 1 FROM dossiers WHERE receipt_number = ?1")?
            .query_row([receipt_number], |r| r.get(0))
            .optional()?;
        Err(match exists {
            Some(_) => StoreError::Conflict(format!("dossier {receipt_number:?} is rated already")),
            None => StoreError::NotFound(format!("dossier {receipt_number:?}")),
        })
    }

    fn add_civil_status_entry(&self, entry: &NewCivilStatusEntry) -> Result<CivilStatusEntry> {
        let at = now_rfc3339();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let written = write_entry(&tx, entry, true, &at)?;
        tx.commit()?;
        Ok(written)
    }

    /// In book order (kind, year, line); `limit` 0 lists at most 200 entries.
    fn list_civil_status(&self, filter: &CivilStatusFilter) -> Result<Vec<CivilStatusEntry>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ENTRY_COLUMNS} FROM civil_status_entries
             WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR year = ?2)
               AND (?3 IS NULL OR personal_id = ?3) AND (?4 IS NULL OR digitised = ?4)
             ORDER BY kind, year, line LIMIT ?5"
        ))?;
        let rows = stmt.query_map(
            params![
                filter.kind,
                filter.year,
                filter.personal_id,
                filter.digitised,
                list_limit(filter.limit)
            ],
            entry_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// The SHA-256 and size are computed here from `bytes` (those of `link` are ignored); the
    /// blob keeps the media type it was first stored with.
    fn add_attachment(&self, bytes: &[u8], link: &AttachmentLink) -> Result<AttachmentLink> {
        let link = AttachmentLink {
            sha256: sha256_hex(bytes),
            size: i64::try_from(bytes.len()).unwrap_or(i64::MAX),
            ..link.clone()
        };
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.prepare_cached(
            "INSERT INTO attachment_blobs (sha256, media_type, size, bytes) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (sha256) DO NOTHING",
        )?
        .execute(params![link.sha256, link.media_type, link.size, bytes])?;
        tx.prepare_cached(&format!(
            "INSERT INTO attachment_links ({LINK_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))?
        .execute(params![
            link.sha256,
            link.receipt_number,
            link.personal_id,
            link.document,
            link.file_name,
            link.media_type,
            link.size,
            link.added_at,
            link.added_by
        ])?;
        tx.commit()?;
        Ok(link)
    }

    fn get_attachment(&self, sha256: &str) -> Result<Option<(String, Vec<u8>)>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached("SELECT media_type, bytes FROM attachment_blobs WHERE sha256 = ?1")?
            .query_row([sha256], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(found)
    }

    /// In the order they were added.
    fn dossier_attachments(&self, receipt_number: &str) -> Result<Vec<AttachmentLink>> {
        query_all(
            &self.reader(),
            &format!(
                "SELECT {LINK_COLUMNS} FROM attachment_links WHERE receipt_number = ?1 ORDER BY id"
            ),
            [receipt_number],
            link_row,
        )
    }

    /// Of the links of one file as one document, the newest (by `added_at`, then as added).
    fn citizen_folder(&self, personal_id: &str) -> Result<Vec<AttachmentLink>> {
        query_all(
            &self.reader(),
            &format!(
                "SELECT {LINK_COLUMNS} FROM (
                 SELECT {LINK_COLUMNS}, id, row_number() OVER (
                     PARTITION BY sha256, document ORDER BY added_at DESC, id DESC) AS n
                 FROM attachment_links WHERE personal_id = ?1) AS l
             WHERE n = 1 ORDER BY added_at DESC, id DESC"
            ),
            [personal_id],
            link_row,
        )
    }

    /// Refuses (`Conflict`) a blank text. The dossier is looked up in the insert's
    /// transaction.
    fn add_complaint(&self, complaint: &NewComplaint) -> Result<Complaint> {
        check_not_blank("complaint text", &complaint.text)?;
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let exists: Option<i64> = tx
            .prepare_cached("SELECT 1 FROM dossiers WHERE receipt_number = ?1")?
            .query_row([&complaint.receipt_number], |r| r.get(0))
            .optional()?;
        if exists.is_none() {
            return Err(StoreError::NotFound(format!(
                "dossier {:?}",
                complaint.receipt_number
            )));
        }
        let id: i64 = tx
            .prepare_cached(
                "INSERT INTO complaints (receipt_number, text, received_at, due_on, channel)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING id",
            )?
            .query_row(
                params![
                    complaint.receipt_number,
                    complaint.text,
                    complaint.received_at,
                    complaint.due_on,
                    complaint.channel
                ],
                |r| r.get(0),
            )
            .map_err(|e| {
                if is_foreign_key_violation(&e) {
                    StoreError::NotFound(format!("dossier {:?}", complaint.receipt_number))
                } else {
                    e.into()
                }
            })?;
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
        let conn = self.writer();
        let updated = conn
            .prepare_cached(
                "UPDATE complaints SET answer = ?2, answered_by = ?3, answered_on = ?4
                 WHERE id = ?1 AND answer IS NULL",
            )?
            .execute(params![id, answer, answered_by, answered_on])?;
        if updated == 1 {
            return Ok(());
        }
        Err(match complaint_answered(&conn, id)? {
            Some(_) => StoreError::Conflict(format!("complaint {id} is answered already")),
            None => StoreError::NotFound(format!("complaint {id}")),
        })
    }

    fn judge_complaint(&self, id: i64, satisfied: bool) -> Result<()> {
        let conn = self.writer();
        let updated = conn
            .prepare_cached(
                "UPDATE complaints SET satisfied = ?2
                 WHERE id = ?1 AND answer IS NOT NULL AND satisfied IS NULL",
            )?
            .execute(params![id, satisfied])?;
        if updated == 1 {
            return Ok(());
        }
        Err(match complaint_answered(&conn, id)? {
            None => StoreError::NotFound(format!("complaint {id}")),
            Some(false) => StoreError::Conflict(format!(
                "complaint {id} is not answered yet: the answer is judged once given"
            )),
            Some(true) => StoreError::Conflict(format!("complaint {id} is judged already")),
        })
    }

    fn get_complaint(&self, id: i64) -> Result<Option<Complaint>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {COMPLAINT_COLUMNS} FROM complaints WHERE id = ?1"),
            [id],
            complaint_row,
        )
    }

    /// Newest received first (then the last added first); `limit` 0 lists at most 200.
    fn list_complaints(&self, filter: &ComplaintFilter) -> Result<Vec<Complaint>> {
        // Only the conditions in use are written, so that the open complaints' index
        // (`WHERE answer IS NULL`) can serve `open_only`.
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<Value> = Vec::new();
        if let Some(receipt) = &filter.receipt_number {
            binds.push(Value::Text(receipt.clone()));
            conditions.push(format!("receipt_number = ?{}", binds.len()));
        }
        if filter.open_only {
            conditions.push("answer IS NULL".into());
        }
        let mut sql = format!("SELECT {COMPLAINT_COLUMNS} FROM complaints");
        if !conditions.is_empty() {
            sql.push_str(" WHERE ");
            sql.push_str(&conditions.join(" AND "));
        }
        binds.push(Value::Integer(list_limit(filter.limit)));
        sql.push_str(&format!(
            " ORDER BY received_at DESC, id DESC LIMIT ?{}",
            binds.len()
        ));
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(binds), complaint_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
