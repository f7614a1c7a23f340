//! The embedded default: one SQLite file in WAL mode. Readers use a small pool of connections;
//! writes go through one connection, which is how SQLite serialises them anyway.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard, RwLock};

use rusqlite::types::{Value, ValueRef};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};
use xaso_domain::register::{Household, Person, ResidenceEvent};
use xaso_domain::PersonalId;

use crate::{
    keep_given_name_matches, now_rfc3339, person_from_json, person_json, prefix_upper_bound,
    rank_name_results, strings_from_json, strings_json, ApiTokenRecord, AuditFilter, AuditRecord,
    AuditStore, ChangeMeta, CommitDecision, DecisionFilter, LoadConflict, LoadItem, LoadSummary,
    MetaStore, NameMatch, NameQuery, NewDecision, NewRun, OfficerRecord, OfficerStore, PersonKeys,
    PersonVersion, PreparedPerson, RawPerson, ReconcileDecision, ReconcileRow, ReconcileRun,
    ReconcileStore, RegisterStore, Result, ReviewDecision, RowCandidate, RowFilter, RowResolution,
    RunFilter, RunStatus, SessionRecord, Store, StoreError, StoredPerson, TokenStore,
};

/// Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
const MIGRATIONS: &[&str] = &[
    include_str!("sql/sqlite/0001_register.sql"),
    include_str!("sql/sqlite/0002_officers.sql"),
    include_str!("sql/sqlite/0003_reconcile.sql"),
    include_str!("sql/sqlite/0004_onestop.sql"),
    include_str!("sql/sqlite/0005_citizens.sql"),
    include_str!("sql/sqlite/0006_oidc_grant_session.sql"),
];
/// The audit log lives in a file of its own: SQLite readers drop their page cache whenever
/// their file changes, and the audit log changes on every read of the register.
const AUDIT_MIGRATIONS: &[&str] = &[
    include_str!("sql/sqlite/audit/0001_audit.sql"),
    include_str!("sql/sqlite/audit/0002_audit_index_tables.sql"),
];

const READERS: usize = 8;
/// The most of the register file a reader maps (SQLite lowers it to its compile-time limit,
/// 2 GB; beyond that, reads fall back to read(2)).
const READER_MMAP_BYTES: i64 = 1 << 40;

pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<ReaderPool>,
    reader_ready: Condvar,
    audit_writer: Mutex<AuditWriter>,
    audit_reader: Mutex<Connection>,
    rowid_hints: RowidHints,
    /// See [`DeferredIndexes`].
    rebuild_indexes_after: u64,
}

/// Idle reader connections, and how many threads wait for one (so that returning a
/// connection wakes a waiter only when there is one: a wake-up is a system call).
struct ReaderPool {
    idle: Vec<Connection>,
    waiting: usize,
}

/// A reader connection borrowed from the pool, returned on drop.
pub(crate) struct Reader<'a> {
    store: &'a SqliteStore,
    conn: Option<Connection>,
}

impl std::ops::Deref for Reader<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        // Present from creation until drop.
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Reader<'_> {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut pool = lock(&self.store.readers);
            pool.idle.push(conn);
            let wake = pool.waiting > 0;
            drop(pool);
            if wake {
                self.store.reader_ready.notify_one();
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection cannot leave SQLite inconsistent (transactions roll
    // back on drop), so a poisoned lock is safe to keep using.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl SqliteStore {
    /// Opens (creating if needed) `DIR/xaso.db`.
    pub fn open_dir(dir: &Path) -> Result<Self> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Open(format!("cannot create {}: {e}", dir.display())))?;
        Self::open_file(&dir.join("xaso.db"))
    }

    /// Opens (creating if needed) the register at `path` and its audit log beside it
    /// (`xaso.db` → `xaso.audit.db`).
    pub fn open_file(path: &Path) -> Result<Self> {
        let open = |p: &Path| {
            Connection::open(p).map_err(|e| StoreError::Open(format!("{}: {e}", p.display())))
        };
        let mut writer = open(path)?;
        configure(&writer)?;
        migrate(&mut writer, MIGRATIONS)?;
        let audit_path = audit_path(path);
        let mut audit_writer = open(&audit_path)?;
        // Records are appended and indexed in large batches (see `append_audit`), which cost
        // less per record with the default 4 KiB pages than with small ones (measured: a
        // third less). Takes effect when the file is new; older logs keep their page size.
        audit_writer.pragma_update(None, "page_size", 4096)?;
        configure(&audit_writer)?;
        // A big cache only makes each commit slower (SQLite walks the cache's hash table when a
        // transaction ends); checkpoints are spaced out so pages written many times between
        // them are copied back once.
        audit_writer.pragma_update(None, "cache_size", -16384)?;
        audit_writer.pragma_update(None, "wal_autocheckpoint", AUDIT_CHECKPOINT_PAGES)?;
        migrate(&mut audit_writer, AUDIT_MIGRATIONS)?;
        let unindexed: i64 = audit_writer.query_row(
            "SELECT count(*) FROM audit WHERE id > (SELECT upto FROM audit_indexed)",
            [],
            |r| r.get(0),
        )?;
        let audit_reader = open(&audit_path)?;
        audit_reader.busy_timeout(std::time::Duration::from_secs(10))?;
        let mut readers = Vec::with_capacity(READERS);
        for _ in 0..READERS {
            let conn = Connection::open_with_flags(
                path,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
            )
            .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
            conn.busy_timeout(std::time::Duration::from_secs(10))?;
            // Reads through a memory map of the file: a page missing from the reader's own
            // cache costs neither a read(2) nor a copy, and all readers share the OS's copy.
            // (Mapped pages count in the server's RSS as file pages, not as its own memory.)
            conn.pragma_update(None, "cache_size", -16384)?;
            conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
            readers.push(conn);
        }
        Ok(SqliteStore {
            path: path.to_path_buf(),
            writer: Mutex::new(writer),
            readers: Mutex::new(ReaderPool {
                idle: readers,
                waiting: 0,
            }),
            reader_ready: Condvar::new(),
            audit_writer: Mutex::new(AuditWriter {
                conn: audit_writer,
                unindexed: usize::try_from(unindexed).unwrap_or(0),
            }),
            audit_reader: Mutex::new(audit_reader),
            rowid_hints: RowidHints::default(),
            rebuild_indexes_after: REBUILD_INDEXES_AFTER,
        })
    }

    /// Sets how many persons a load inserts before it may drop the register's secondary
    /// indexes and rebuild them at its end (default [`REBUILD_INDEXES_AFTER`]; see
    /// [`DeferredIndexes`]). Tests lower it to exercise the rebuild on small loads.
    pub fn with_index_rebuild_after(mut self, persons: u64) -> Self {
        self.rebuild_indexes_after = persons;
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn reader(&self) -> Reader<'_> {
        let mut pool = lock(&self.readers);
        loop {
            if let Some(conn) = pool.idle.pop() {
                return Reader {
                    store: self,
                    conn: Some(conn),
                };
            }
            pool.waiting += 1;
            pool = self
                .reader_ready
                .wait(pool)
                .unwrap_or_else(|e| e.into_inner());
            pool.waiting -= 1;
        }
    }

    pub(crate) fn writer(&self) -> MutexGuard<'_, Connection> {
        lock(&self.writer)
    }
}

fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // NORMAL in WAL mode: a power cut may lose the last commits but never corrupts the file.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", -262144)?;
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    Ok(())
}

/// `xaso.db` → `xaso.audit.db`.
pub fn audit_path(path: &Path) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "xaso".into());
    path.with_file_name(format!("{stem}.audit.db"))
}

fn migrate(conn: &mut Connection, migrations: &[&str]) -> Result<()> {
    let applied: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let applied = usize::try_from(applied).unwrap_or(0);
    if applied > migrations.len() {
        return Err(StoreError::Open(format!(
            "the database was written by a newer version (schema {applied}, this program knows {})",
            migrations.len()
        )));
    }
    for (i, sql) in migrations.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

const PERSON_COLUMNS: &str = "data, version, updated_at, updated_by";
/// The hottest read, spelt out so that no call builds its text.
const PERSON_BY_ID: &str =
    "SELECT data, version, updated_at, updated_by, id FROM persons WHERE personal_id = ?1";
/// The same through a [`RowidHints`] entry: the row by its id, if it is still that person's
/// (`+` keeps the planner on the row id rather than the `personal_id` index).
const PERSON_BY_ROWID: &str = "SELECT data, version, updated_at, updated_by FROM persons
     WHERE id = ?1 AND +personal_id = ?2";

/// A person's row: the record's JSON as bytes (not checked for UTF-8 again: only
/// [`person_json`]'s output is stored), version, when, who.
fn stored_person(row: &Row<'_>) -> rusqlite::Result<(Vec<u8>, i64, String, String)> {
    let json = match row.get_ref(0)? {
        ValueRef::Text(b) | ValueRef::Blob(b) => b.to_vec(),
        other => {
            return Err(rusqlite::Error::InvalidColumnType(
                0,
                "data".into(),
                other.data_type(),
            ))
        }
    };
    Ok((json, row.get(1)?, row.get(2)?, row.get(3)?))
}

fn to_stored(
    (json, version, updated_at, updated_by): (Vec<u8>, i64, String, String),
) -> Result<StoredPerson> {
    RawPerson {
        json,
        version,
        updated_at,
        updated_by,
    }
    .into_stored()
}

fn collect_persons(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<Vec<StoredPerson>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, stored_person)?;
    let mut out = Vec::new();
    for row in rows {
        out.push(to_stored(row?)?);
    }
    Ok(out)
}

/// Inserts or replaces the household row.
fn upsert_household(conn: &Connection, h: &Household) -> Result<()> {
    let address = serde_json::to_string(&h.address)?;
    conn.prepare_cached(
        "INSERT INTO households (id, head_personal_id, address) VALUES (?1, ?2, ?3)
         ON CONFLICT(id) DO UPDATE SET head_personal_id = excluded.head_personal_id,
                                       address = excluded.address",
    )?
    .execute(params![
        h.id,
        h.head_personal_id.as_ref().map(|p| p.as_str()),
        address
    ])?;
    Ok(())
}

fn insert_event(conn: &Connection, e: &ResidenceEvent, at: &str) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO residence_events (personal_id, kind, date, data, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        e.personal_id.as_str(),
        e.kind.as_str(),
        e.date.to_iso(),
        serde_json::to_string(e)?,
        at
    ])?;
    Ok(())
}

fn insert_person_row(
    conn: &Connection,
    prepared: &PreparedPerson,
    version: i64,
    at: &str,
    change: &ChangeMeta,
) -> rusqlite::Result<usize> {
    let PreparedPerson {
        person,
        keys,
        json: data,
    } = prepared;
    conn.prepare_cached(
        "INSERT INTO persons (personal_id, old_cmnd, name_key, name_stripped, given_stripped,
             birth_year, household_id, deceased, version, updated_at, updated_by, change_reason, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        person.personal_id.as_str(),
        person.old_cmnd.as_ref().map(|c| c.as_str()),
        keys.name_key,
        keys.name_stripped,
        keys.given_stripped,
        keys.birth_year,
        person.household_id,
        person.is_deceased(),
        version,
        at,
        change.actor,
        change.reason,
        data
    ])
}

pub(crate) fn is_unique_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation
    )
}

/// A primary key or unique constraint refused the row (and no other constraint did).
pub(crate) fn is_primary_key_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                || f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
    )
}

pub(crate) fn is_foreign_key_violation(e: &rusqlite::Error) -> bool {
    matches!(
        e,
        rusqlite::Error::SqliteFailure(f, _)
            if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}

/// Runs the write `sql` on `conn`; returns how many rows it changed.
pub(crate) fn execute_count(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
) -> Result<u64> {
    Ok(conn.prepare_cached(sql)?.execute(params)? as u64)
}

/// The row `sql` selects with `params` (if any), mapped by `row`.
pub(crate) fn query_opt<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Option<T>> {
    Ok(conn
        .prepare_cached(sql)?
        .query_row(params, row)
        .optional()?)
}

/// All rows `sql` selects with `params`, mapped by `row`.
pub(crate) fn query_all<T>(
    conn: &Connection,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params, row)?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// A failed insert as the store's error: a foreign-key violation is `NotFound(missing)` when
/// `missing` is given, a primary key or unique violation is `Conflict(exists)`.
pub(crate) fn insert_error(e: rusqlite::Error, missing: Option<&str>, exists: &str) -> StoreError {
    match missing {
        Some(missing) if is_foreign_key_violation(&e) => StoreError::NotFound(missing.into()),
        _ if is_primary_key_violation(&e) => StoreError::Conflict(exists.into()),
        _ => e.into(),
    }
}

/// `NotFound(missing())` when an update or delete changed no row.
pub(crate) fn require_changed(changed: usize, missing: impl FnOnce() -> String) -> Result<()> {
    if changed == 0 {
        return Err(StoreError::NotFound(missing()));
    }
    Ok(())
}

/// Adds a new person as version 1 on `conn` (inside the caller's transaction, if any); the key
/// columns are computed from the record. `Conflict` if the ID is taken.
pub(crate) fn insert_person_in(
    conn: &Connection,
    person: &Person,
    at: &str,
    change: &ChangeMeta,
) -> Result<()> {
    let prepared = PreparedPerson::new(person.clone())?;
    match insert_person_row(conn, &prepared, 1, at, change) {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict(format!(
            "personal ID {} is already in the register",
            person.personal_id
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Replaces a person's record with a new version inside the caller's transaction, keeping the
/// old one in `person_versions`; the key columns are recomputed. Returns the new version.
/// `NotFound` without the person, `Conflict` if the stored version is not `expected_version`.
pub(crate) fn update_person_in(
    tx: &Connection,
    person: &Person,
    expected_version: i64,
    at: &str,
    change: &ChangeMeta,
) -> Result<i64> {
    let current: Option<(i64, String, String, Option<String>, String)> = tx
        .prepare_cached(
            "SELECT version, updated_at, updated_by, change_reason, data
             FROM persons WHERE personal_id = ?1",
        )?
        .query_row([person.personal_id.as_str()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
        })
        .optional()?;
    let Some((version, old_at, old_by, old_reason, old_data)) = current else {
        return Err(StoreError::NotFound(format!(
            "person {}",
            person.personal_id
        )));
    };
    if version != expected_version {
        return Err(StoreError::Conflict(format!(
            "the record of {} changed (now version {version}, you edited version {expected_version}); reload and edit again",
            person.personal_id
        )));
    }
    tx.prepare_cached(
        "INSERT INTO person_versions (personal_id, version, changed_at, changed_by, reason, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        person.personal_id.as_str(),
        version,
        old_at,
        old_by,
        old_reason,
        old_data
    ])?;
    let keys = PersonKeys::of(person);
    tx.prepare_cached(
        "UPDATE persons SET old_cmnd = ?2, name_key = ?3, name_stripped = ?4, given_stripped = ?5,
             birth_year = ?6, household_id = ?7, deceased = ?8, version = ?9, updated_at = ?10,
             updated_by = ?11, change_reason = ?12, data = ?13
         WHERE personal_id = ?1",
    )?
    .execute(params![
        person.personal_id.as_str(),
        person.old_cmnd.as_ref().map(|c| c.as_str()),
        keys.name_key,
        keys.name_stripped,
        keys.given_stripped,
        keys.birth_year,
        person.household_id,
        person.is_deceased(),
        version + 1,
        at,
        change.actor,
        change.reason,
        person_json(person)?
    ])?;
    Ok(version + 1)
}

/// Records a residence event of a person in the register inside the caller's transaction
/// (`NotFound` otherwise).
pub(crate) fn add_event_in(tx: &Connection, event: &ResidenceEvent, at: &str) -> Result<()> {
    let known: Option<i64> = tx
        .prepare_cached("SELECT 1 FROM persons WHERE personal_id = ?1")?
        .query_row([event.personal_id.as_str()], |r| r.get(0))
        .optional()?;
    if known.is_none() {
        return Err(StoreError::NotFound(format!(
            "no person with personal ID {} in the register",
            event.personal_id
        )));
    }
    insert_event(tx, event, at)
}

impl RegisterStore for SqliteStore {
    fn get_person(&self, id: &PersonalId) -> Result<Option<StoredPerson>> {
        self.get_person_raw(id)?
            .map(RawPerson::into_stored)
            .transpose()
    }

    fn get_person_raw(&self, id: &PersonalId) -> Result<Option<RawPerson>> {
        let conn = self.reader();
        let key = rowid_key(id.as_str());
        let hint = key.and_then(|k| {
            self.rowid_hints
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(&k)
                .copied()
        });
        let mut raw = match hint {
            Some(rowid) => conn
                .prepare_cached(PERSON_BY_ROWID)?
                .query_row(params![rowid, id.as_str()], stored_person)
                .optional()?,
            None => None,
        };
        if raw.is_none() {
            let found = conn
                .prepare_cached(PERSON_BY_ID)?
                .query_row([id.as_str()], |row| {
                    Ok((stored_person(row)?, row.get::<_, i64>(4)?))
                })
                .optional()?;
            if let Some((person, rowid)) = found {
                if let Some(k) = key {
                    self.rowid_hints
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(k, rowid);
                }
                raw = Some(person);
            }
        }
        Ok(
            raw.map(|(json, version, updated_at, updated_by)| RawPerson {
                json,
                version,
                updated_at,
                updated_by,
            }),
        )
    }

    fn find_by_cmnd(&self, cmnd: &str) -> Result<Vec<StoredPerson>> {
        let conn = self.reader();
        collect_persons(
            &conn,
            &format!("SELECT {PERSON_COLUMNS} FROM persons WHERE old_cmnd = ?1 ORDER BY personal_id LIMIT 50"),
            [cmnd],
        )
    }

    fn search_by_name(&self, query: &NameQuery) -> Result<Vec<StoredPerson>> {
        let conn = self.reader();
        let (column, key) = match query.matcher() {
            NameMatch::Toned(k) => ("name_key", k),
            NameMatch::Stripped(k) => ("name_stripped", k),
        };
        if key.is_empty() || query.limit == 0 {
            return Ok(Vec::new());
        }
        // Every query walks an index in its own order and stops at the limit: no sort of all
        // matches (common names match thousands at a province's scale).
        let run = |condition: &str, mut binds: Vec<Value>, order: &str, limit: usize| {
            let mut sql = format!("SELECT {PERSON_COLUMNS} FROM persons WHERE {condition}");
            if let Some(year) = query.birth_year {
                binds.push(Value::Integer(i64::from(year)));
                sql.push_str(&format!(" AND birth_year = ?{}", binds.len()));
            }
            binds.push(Value::Integer(limit as i64));
            sql.push_str(&format!(" {order} LIMIT ?{}", binds.len()));
            collect_persons(&conn, &sql, rusqlite::params_from_iter(binds))
        };
        // 1. The whole name.
        let mut found = run(
            &format!("{column} = ?1"),
            vec![Value::Text(key.clone())],
            "",
            query.limit,
        )?;
        // 2. Names that start with it ("nguyen van" finds every Nguyễn Văn …), if room is left.
        if found.len() < query.limit {
            found.extend(run(
                &format!("{column} > ?1 AND {column} < ?2"),
                vec![
                    Value::Text(key.clone()),
                    Value::Text(prefix_upper_bound(&key)),
                ],
                &format!("ORDER BY {column}"),
                query.limit - found.len(),
            )?);
        }
        // 3. A single word is most often the given name ("Hoà 1990").
        if !key.contains(' ') {
            let given = xaso_domain::name::stripped_key(&query.name);
            let mut more = run(
                "given_stripped = ?1",
                vec![Value::Text(given)],
                "",
                query.limit,
            )?;
            keep_given_name_matches(query, &mut more);
            found.extend(more);
        }
        Ok(rank_name_results(query, found))
    }

    fn insert_person(&self, person: &Person, change: &ChangeMeta) -> Result<StoredPerson> {
        let at = now_rfc3339();
        insert_person_in(&self.writer(), person, &at, change)?;
        Ok(StoredPerson {
            person: person.clone(),
            version: 1,
            updated_at: at,
            updated_by: change.actor.clone(),
        })
    }

    fn update_person(
        &self,
        person: &Person,
        expected_version: i64,
        change: &ChangeMeta,
    ) -> Result<StoredPerson> {
        let at = now_rfc3339();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let version = update_person_in(&tx, person, expected_version, &at, change)?;
        tx.commit()?;
        Ok(StoredPerson {
            person: person.clone(),
            version,
            updated_at: at,
            updated_by: change.actor.clone(),
        })
    }

    fn person_history(&self, id: &PersonalId) -> Result<Vec<PersonVersion>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT version, changed_at, changed_by, reason, data FROM person_versions
             WHERE personal_id = ?1
             UNION ALL
             SELECT version, updated_at, updated_by, change_reason, data FROM persons
             WHERE personal_id = ?1
             ORDER BY version",
        )?;
        let rows = stmt.query_map([id.as_str()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, Option<String>>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (version, changed_at, changed_by, reason, data) = row?;
            out.push(PersonVersion {
                version,
                changed_at,
                changed_by,
                reason,
                record: person_from_json(data.as_bytes())?,
            });
        }
        Ok(out)
    }

    fn residence_events(&self, id: &PersonalId) -> Result<Vec<ResidenceEvent>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT data FROM residence_events WHERE personal_id = ?1 ORDER BY date, id",
        )?;
        let rows = stmt.query_map([id.as_str()], |r| r.get::<_, String>(0))?;
        let mut out = Vec::new();
        for row in rows {
            out.push(serde_json::from_str(&row?)?);
        }
        Ok(out)
    }

    fn add_residence_event(&self, event: &ResidenceEvent) -> Result<()> {
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        add_event_in(&tx, event, &now_rfc3339())?;
        tx.commit()?;
        Ok(())
    }

    fn get_household(&self, id: &str) -> Result<Option<Household>> {
        let conn = self.reader();
        let raw: Option<(String, Option<String>, String)> = conn
            .prepare_cached("SELECT id, head_personal_id, address FROM households WHERE id = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        raw.map(|(id, head, address)| {
            Ok(Household {
                id,
                head_personal_id: head
                    .map(|h| PersonalId::parse(&h))
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                address: serde_json::from_str(&address)?,
            })
        })
        .transpose()
    }

    fn household_members(&self, id: &str) -> Result<Vec<StoredPerson>> {
        let conn = self.reader();
        collect_persons(
            &conn,
            &format!(
                "SELECT {PERSON_COLUMNS} FROM persons WHERE household_id = ?1 ORDER BY personal_id"
            ),
            [id],
        )
    }

    fn count_persons(&self) -> Result<u64> {
        let conn = self.reader();
        let n: i64 = conn.query_row("SELECT count(*) FROM persons", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn for_each_person(&self, f: &mut dyn FnMut(StoredPerson) -> Result<()>) -> Result<()> {
        self.stream_persons("ORDER BY personal_id", f)
    }

    fn for_each_person_unordered(
        &self,
        f: &mut dyn FnMut(StoredPerson) -> Result<()>,
    ) -> Result<()> {
        // Table order: a sequential read of the file instead of one seek per person.
        self.stream_persons("ORDER BY id", f)
    }

    fn load(
        &self,
        items: &mut dyn Iterator<Item = LoadItem>,
        change: &ChangeMeta,
        decide: CommitDecision<'_>,
    ) -> Result<LoadSummary> {
        let at = now_rfc3339();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let mut summary = LoadSummary::default();
        let mut conflicts = Vec::new();
        let mut seen: HashSet<PersonalId> = HashSet::new();
        let mut deferred = DeferredIndexes::new(&tx, self.rebuild_indexes_after)?;
        for item in items {
            match item {
                LoadItem::Person { line, person } => {
                    deferred.before_insert(&tx, summary.persons as u64)?;
                    if !seen.insert(person.person.personal_id.clone()) {
                        conflicts.push(LoadConflict {
                            line,
                            personal_id: person.person.personal_id.to_string(),
                            rule: "personal ID repeated in this file".into(),
                        });
                        continue;
                    }
                    match insert_person_row(&tx, &person, 1, &at, change) {
                        Ok(_) => summary.persons += 1,
                        Err(e) if is_unique_violation(&e) => conflicts.push(LoadConflict {
                            line,
                            personal_id: person.person.personal_id.to_string(),
                            rule: "personal ID already in the register".into(),
                        }),
                        Err(e) => return Err(e.into()),
                    }
                }
                LoadItem::Household(h) => {
                    upsert_household(&tx, &h)?;
                    summary.households += 1;
                }
                LoadItem::ResidenceEvent(e) => {
                    insert_event(&tx, &e, &at)?;
                    summary.events += 1;
                }
            }
        }
        if decide(&conflicts) {
            deferred.rebuild(&tx)?;
            // Test hook: the end-to-end tests kill a big import here, its indexes rebuilt and
            // not committed, and check that the register is as it was.
            if std::env::var_os("XASO_TEST_ABORT_IN").is_some_and(|v| v == "load_commit") {
                std::process::abort();
            }
            tx.commit()?;
            summary.committed = true;
            // A big load leaves a WAL as big as itself; fold it into the database now rather
            // than keep twice the disk until the next checkpoint.
            if summary.persons > 10_000 {
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
            }
        } else {
            tx.rollback()?;
            summary = LoadSummary::default();
        }
        Ok(summary)
    }
}

/// Persons a load inserts with the register's secondary indexes in place before it drops
/// them, at least; past this, and past the persons already in the register, the indexes are
/// rebuilt when the load ends.
pub const REBUILD_INDEXES_AFTER: u64 = 50_000;

/// The secondary indexes of `persons` (names, household, old ID number) during a big load.
///
/// Inserting a million rows into five indexes in the rows' order scatters writes over every
/// index's pages; building each index at the end sorts its keys first and writes its pages
/// once, in order, which is several times cheaper. So once a load has inserted more persons
/// than the register held before it (and at least [`REBUILD_INDEXES_AFTER`]), the indexes are
/// dropped and made again from their own definitions before the commit. It all happens in
/// the load's transaction: a rollback or a killed run restores the indexes with the rows, and
/// other connections never see the register without them. The primary key and the unique
/// index on `personal_id` stay, since they refuse duplicates as rows arrive.
struct DeferredIndexes {
    /// Persons in the register before the load (its largest row id: no count scan needed).
    before: u64,
    /// [`REBUILD_INDEXES_AFTER`] or the store's own setting.
    at_least: u64,
    /// `CREATE INDEX` statements of the indexes dropped.
    dropped: Vec<String>,
    /// The indexes were dropped (or there were none to drop).
    deferred: bool,
}

impl DeferredIndexes {
    fn new(conn: &Connection, at_least: u64) -> rusqlite::Result<DeferredIndexes> {
        let before: i64 =
            conn.query_row("SELECT coalesce(max(id), 0) FROM persons", [], |r| r.get(0))?;
        Ok(DeferredIndexes {
            before: u64::try_from(before).unwrap_or(0),
            at_least,
            dropped: Vec::new(),
            deferred: false,
        })
    }

    /// Drops the indexes when the load has grown past the point where rebuilding them
    /// costs less than keeping them up to date.
    fn before_insert(&mut self, conn: &Connection, inserted: u64) -> rusqlite::Result<()> {
        if self.deferred || inserted < self.at_least || inserted <= self.before {
            return Ok(());
        }
        self.deferred = true;
        // Indexes SQLite made for constraints have no SQL and are kept.
        let indexes: Vec<(String, String)> = conn
            .prepare(
                "SELECT name, sql FROM sqlite_schema
                 WHERE type = 'index' AND tbl_name = 'persons' AND sql IS NOT NULL",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (name, sql) in indexes {
            conn.execute_batch(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))?;
            self.dropped.push(sql);
        }
        Ok(())
    }

    /// Makes the dropped indexes again: SQLite sorts each index's keys and writes its pages
    /// in order.
    fn rebuild(&mut self, conn: &Connection) -> rusqlite::Result<()> {
        for sql in self.dropped.drain(..) {
            conn.execute_batch(&sql)?;
        }
        Ok(())
    }
}

/// Records appended after the index tables' last batch before the next batch indexes them.
/// A bigger batch costs less per record (its index pages are found and written once for
/// more records) but holds the audit writer longer (50,000 records: about a tenth of a
/// second), and readers scan the records not yet indexed.
pub const AUDIT_FOLD_AT: usize = 50_000;

/// WAL pages of the audit log between automatic checkpoints (32 MiB at 4 KiB pages): spaced
/// out so pages written many times between them are copied back once.
const AUDIT_CHECKPOINT_PAGES: i64 = 8192;

/// The audit connection that writes, and how many records the index tables do not cover yet.
struct AuditWriter {
    conn: Connection,
    unindexed: usize,
}

const AUDIT_COLUMNS: &str = "at, actor, actor_kind, role, action, route, subject, reason";
/// [`AUDIT_COLUMNS`] of the table aliased `a`.
const AUDIT_COLUMNS_OF_A: &str =
    "a.at, a.actor, a.actor_kind, a.role, a.action, a.route, a.subject, a.reason";

/// Audit records inserted by one statement (8 parameters each).
const AUDIT_ROWS_PER_INSERT: usize = 64;

/// `INSERT INTO audit (...) VALUES (?, …)` for `rows` records.
fn audit_insert_sql(rows: usize) -> String {
    let mut sql = format!("INSERT INTO audit ({AUDIT_COLUMNS}) VALUES ");
    for i in 0..rows {
        if i > 0 {
            sql.push(',');
        }
        sql.push_str("(?,?,?,?,?,?,?,?)");
    }
    sql
}

static AUDIT_INSERT_ONE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| audit_insert_sql(1));
static AUDIT_INSERT_MANY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| audit_insert_sql(AUDIT_ROWS_PER_INSERT));

/// The parameters of `records`, in [`AUDIT_COLUMNS`] order, record after record.
fn audit_params(records: &[AuditRecord]) -> impl Iterator<Item = &dyn rusqlite::ToSql> {
    records.iter().flat_map(|r| {
        [
            &r.at as &dyn rusqlite::ToSql,
            &r.actor,
            &r.actor_kind,
            &r.role,
            &r.action,
            &r.route,
            &r.subject,
            &r.reason,
        ]
    })
}

fn audit_row(r: &Row<'_>) -> rusqlite::Result<AuditRecord> {
    Ok(AuditRecord {
        at: r.get(0)?,
        actor: r.get(1)?,
        actor_kind: r.get(2)?,
        role: r.get(3)?,
        action: r.get(4)?,
        route: r.get(5)?,
        subject: r.get(6)?,
        reason: r.get(7)?,
    })
}

impl AuditStore for SqliteStore {
    /// Appends to the log's table, which has no SQL index (every record lands on its last
    /// page), and every [`AUDIT_FOLD_AT`] records adds the new ones to the index tables in
    /// one transaction, sorted, so each index page is found and written once per batch
    /// rather than once per record.
    fn append_audit(&self, records: &[AuditRecord]) -> Result<()> {
        let mut writer = lock(&self.audit_writer);
        let tx = writer.conn.transaction()?;
        {
            // Many rows per statement: one statement run costs about as much as a row, so a
            // batch of a thousand records is a few dozen runs instead of a thousand.
            let mut chunks = records.chunks_exact(AUDIT_ROWS_PER_INSERT);
            if chunks.len() > 0 {
                let mut stmt = tx.prepare_cached(&AUDIT_INSERT_MANY)?;
                for chunk in chunks.by_ref() {
                    stmt.execute(rusqlite::params_from_iter(audit_params(chunk)))?;
                }
            }
            let rest = chunks.remainder();
            if !rest.is_empty() {
                let mut stmt = tx.prepare_cached(&AUDIT_INSERT_ONE)?;
                for r in rest {
                    stmt.execute(rusqlite::params_from_iter(audit_params(
                        std::slice::from_ref(r),
                    )))?;
                }
            }
        }
        tx.commit()?;
        writer.unindexed += records.len();
        // The records are committed: a batch that fails here is not the caller's failure (it
        // would append them again). Readers scan what is not indexed, so nothing is hidden;
        // the next append tries again.
        if writer.unindexed >= AUDIT_FOLD_AT && index_audit(&mut writer.conn).is_ok() {
            writer.unindexed = 0;
        }
        Ok(())
    }

    fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let conn = lock(&self.audit_reader);
        // One snapshot, so an indexing batch in between neither hides nor repeats a row.
        let tx = conn.unchecked_transaction()?;
        let upto: i64 = tx.query_row("SELECT upto FROM audit_indexed", [], |r| r.get(0))?;
        // The newest records first, those after the index tables' last batch (a short scan),
        // then the indexed ones, through the index table that fits the filter.
        let indexed = if filter.subject.is_some() {
            (
                "audit_by_subject x JOIN audit a ON a.id = x.id WHERE x.subject = ?1 AND x.id <= ?7",
                "x.id",
            )
        } else if filter.actor.is_some() {
            (
                "audit_by_actor x JOIN audit a ON a.id = x.id WHERE x.actor = ?2 AND x.id <= ?7",
                "x.id",
            )
        } else {
            ("audit a WHERE a.id <= ?7", "a.id")
        };
        let mut out = Vec::new();
        for (source, order) in [("audit a WHERE a.id > ?7", "a.id"), indexed] {
            let remaining = filter.limit.saturating_sub(out.len());
            if remaining == 0 {
                break;
            }
            let mut stmt = tx.prepare_cached(&format!(
                "SELECT {AUDIT_COLUMNS_OF_A} FROM {source}
                   AND (?1 IS NULL OR a.subject = ?1) AND (?2 IS NULL OR a.actor = ?2)
                   AND (?3 IS NULL OR a.action = ?3)
                   AND (?4 IS NULL OR a.at >= ?4) AND (?5 IS NULL OR a.at < ?5)
                 ORDER BY {order} DESC LIMIT ?6"
            ))?;
            let rows = stmt.query_map(
                params![
                    filter.subject,
                    filter.actor,
                    filter.action,
                    filter.since,
                    filter.until,
                    remaining as i64,
                    upto
                ],
                audit_row,
            )?;
            for row in rows {
                out.push(row?);
            }
        }
        tx.commit()?;
        Ok(out)
    }
}

/// Adds every record after the index tables' last batch to them, sorted by key.
fn index_audit(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction()?;
    let upto: i64 = tx.query_row("SELECT upto FROM audit_indexed", [], |r| r.get(0))?;
    let last: i64 = tx.query_row("SELECT coalesce(max(id), 0) FROM audit", [], |r| r.get(0))?;
    if last > upto {
        tx.execute(
            "INSERT INTO audit_by_subject (subject, id)
             SELECT subject, id FROM audit WHERE id > ?1 AND id <= ?2 AND subject IS NOT NULL
             ORDER BY subject, id",
            params![upto, last],
        )?;
        tx.execute(
            "INSERT INTO audit_by_actor (actor, id)
             SELECT actor, id FROM audit WHERE id > ?1 AND id <= ?2 ORDER BY actor, id",
            params![upto, last],
        )?;
        tx.execute("UPDATE audit_indexed SET upto = ?1", [last])?;
    }
    tx.commit()?;
    Ok(())
}

impl TokenStore for SqliteStore {
    fn insert_token(&self, t: &ApiTokenRecord) -> Result<()> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO api_tokens (name, role, token_hash, created_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t.name, t.role, t.token_hash, t.created_at, t.revoked],
        )
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("a token named {:?} already exists", t.name))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    fn find_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached(
                "SELECT name, role, token_hash, created_at, revoked FROM api_tokens WHERE token_hash = ?1",
            )?
            .query_row([token_hash], token_row)
            .optional()?;
        Ok(found)
    }

    fn list_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT name, role, token_hash, created_at, revoked FROM api_tokens ORDER BY name",
        )?;
        let rows = stmt.query_map([], token_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn revoke_token(&self, name: &str) -> Result<()> {
        let changed = self
            .writer()
            .execute("UPDATE api_tokens SET revoked = 1 WHERE name = ?1", [name])?;
        require_changed(changed, || format!("no token named {name:?}"))
    }
}

fn token_row(r: &Row<'_>) -> rusqlite::Result<ApiTokenRecord> {
    Ok(ApiTokenRecord {
        name: r.get(0)?,
        role: r.get(1)?,
        token_hash: r.get(2)?,
        created_at: r.get(3)?,
        revoked: r.get(4)?,
    })
}

impl MetaStore for SqliteStore {
    fn get_meta(&self, key: &str) -> Result<Option<String>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?;
        Ok(found)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let conn = self.writer();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }
}

const OFFICER_COLUMNS: &str = "login, display_name, role, password_hash, must_change_password,
     totp_secret, totp_last_step, disabled, login_attempts, created_at, updated_at";

fn officer_row(r: &Row<'_>) -> rusqlite::Result<OfficerRecord> {
    Ok(OfficerRecord {
        login: r.get(0)?,
        display_name: r.get(1)?,
        role: r.get(2)?,
        password_hash: r.get(3)?,
        must_change_password: r.get(4)?,
        totp_secret: r.get(5)?,
        totp_last_step: r.get(6)?,
        disabled: r.get(7)?,
        login_attempts: r.get(8)?,
        created_at: r.get(9)?,
        updated_at: r.get(10)?,
    })
}

const SESSION_COLUMNS: &str = "id_hash, login, created_at, last_seen, second_factor_pending";

fn session_row(r: &Row<'_>) -> rusqlite::Result<SessionRecord> {
    Ok(SessionRecord {
        id_hash: r.get(0)?,
        login: r.get(1)?,
        created_at: r.get(2)?,
        last_seen: r.get(3)?,
        second_factor_pending: r.get(4)?,
    })
}

impl OfficerStore for SqliteStore {
    fn insert_officer(&self, o: &OfficerRecord) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(&format!(
            "INSERT INTO officers ({OFFICER_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
        ))?
        .execute(params![
            o.login,
            o.display_name,
            o.role,
            o.password_hash,
            o.must_change_password,
            o.totp_secret,
            o.totp_last_step,
            o.disabled,
            o.login_attempts,
            o.created_at,
            o.updated_at
        ])
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict(format!("an officer with login {:?} exists", o.login))
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    fn get_officer(&self, login: &str) -> Result<Option<OfficerRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {OFFICER_COLUMNS} FROM officers WHERE login = ?1"),
            [login],
            officer_row,
        )
    }

    fn list_officers(&self) -> Result<Vec<OfficerRecord>> {
        query_all(
            &self.reader(),
            &format!("SELECT {OFFICER_COLUMNS} FROM officers ORDER BY login"),
            [],
            officer_row,
        )
    }

    fn update_officer(&self, o: &OfficerRecord) -> Result<()> {
        let conn = self.writer();
        let changed = conn
            .prepare_cached(
                "UPDATE officers SET display_name = ?2, role = ?3, password_hash = ?4,
                     must_change_password = ?5, totp_secret = ?6, totp_last_step = ?7,
                     disabled = ?8, login_attempts = ?9, updated_at = ?10
                 WHERE login = ?1",
            )?
            .execute(params![
                o.login,
                o.display_name,
                o.role,
                o.password_hash,
                o.must_change_password,
                o.totp_secret,
                o.totp_last_step,
                o.disabled,
                o.login_attempts,
                o.updated_at
            ])?;
        require_changed(changed, || format!("no officer with login {:?}", o.login))
    }

    fn count_officers(&self) -> Result<u64> {
        let conn = self.reader();
        let n: i64 = conn.query_row("SELECT count(*) FROM officers", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn insert_session(&self, s: &SessionRecord) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5)"
        ))?
        .execute(params![
            s.id_hash,
            s.login,
            s.created_at,
            s.last_seen,
            s.second_factor_pending
        ])
        .map_err(|e| {
            if is_foreign_key_violation(&e) {
                StoreError::NotFound(format!("no officer with login {:?}", s.login))
            } else if is_unique_violation(&e) {
                StoreError::Conflict("a session with this id exists".into())
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {SESSION_COLUMNS} FROM sessions WHERE id_hash = ?1"),
            [id_hash],
            session_row,
        )
    }

    fn update_session(&self, s: &SessionRecord) -> Result<()> {
        let conn = self.writer();
        let changed = conn
            .prepare_cached(
                "UPDATE sessions SET last_seen = ?2, second_factor_pending = ?3 WHERE id_hash = ?1",
            )?
            .execute(params![s.id_hash, s.last_seen, s.second_factor_pending])?;
        require_changed(changed, || "no such session".into())
    }

    fn delete_session(&self, id_hash: &str) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached("DELETE FROM sessions WHERE id_hash = ?1")?
            .execute([id_hash])?;
        Ok(())
    }

    fn delete_sessions_of(&self, login: &str) -> Result<u64> {
        execute_count(
            &self.writer(),
            "DELETE FROM sessions WHERE login = ?1",
            [login],
        )
    }

    fn delete_sessions_seen_before(&self, before: &str) -> Result<u64> {
        execute_count(
            &self.writer(),
            "DELETE FROM sessions WHERE last_seen < ?1",
            [before],
        )
    }
}

const RUN_COLUMNS: &str = "id, kind, file_name, created_by, created_at, status, error,
     finished_at, row_count, summary, columns, headers";

fn run_row(r: &Row<'_>) -> rusqlite::Result<(ReconcileRun, String)> {
    let status: String = r.get(5)?;
    Ok((
        ReconcileRun {
            id: r.get(0)?,
            kind: r.get(1)?,
            file_name: r.get(2)?,
            created_by: r.get(3)?,
            created_at: r.get(4)?,
            // Checked by the schema; an unknown value reads as failed.
            status: RunStatus::parse(&status).unwrap_or(RunStatus::Failed),
            error: r.get(6)?,
            finished_at: r.get(7)?,
            row_count: r.get(8)?,
            summary: r.get(9)?,
            columns: r.get(10)?,
            headers: Vec::new(),
        },
        r.get(11)?,
    ))
}

fn to_run((mut run, headers): (ReconcileRun, String)) -> Result<ReconcileRun> {
    run.headers = strings_from_json(&headers)?;
    Ok(run)
}

const ROW_COLUMNS: &str = "row, cells, engine_outcome, outcome, personal_id, weight,
     probability, differences, best_id, best, runner_up_id, runner_up, row_key, decision";

type RawRow = (
    i64,
    String,
    String,
    String,
    Option<String>,
    Option<f64>,
    Option<f64>,
    String,
    [Option<String>; 4],
    String,
    Option<String>,
);

fn raw_row(r: &Row<'_>) -> rusqlite::Result<RawRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
        [r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?],
        r.get(12)?,
        r.get(13)?,
    ))
}

fn candidate(id: Option<String>, detail: Option<String>) -> Option<RowCandidate> {
    id.map(|personal_id| RowCandidate {
        personal_id,
        detail: detail.unwrap_or_else(|| "{}".into()),
    })
}

fn to_row(raw: RawRow) -> Result<ReconcileRow> {
    let (row, cells, engine_outcome, outcome, personal_id, weight, probability, diffs, c, key, d) =
        raw;
    let [best_id, best, runner_id, runner] = c;
    Ok(ReconcileRow {
        row,
        cells: strings_from_json(&cells)?,
        engine_outcome,
        outcome,
        personal_id,
        weight,
        probability,
        differences: strings_from_json(&diffs)?,
        best: candidate(best_id, best),
        runner_up: candidate(runner_id, runner),
        row_key: key,
        decision: d,
    })
}

/// The WHERE clause of a row filter, its parameters after the run id (?1).
fn row_condition(filter: &RowFilter) -> (String, Vec<Value>) {
    let mut sql = String::from("run_id = ?1");
    let mut binds = Vec::new();
    if !filter.outcomes.is_empty() {
        let marks: Vec<String> = filter
            .outcomes
            .iter()
            .map(|o| {
                binds.push(Value::Text(o.clone()));
                format!("?{}", binds.len() + 1)
            })
            .collect();
        sql.push_str(&format!(" AND outcome IN ({})", marks.join(", ")));
    }
    if filter.undecided {
        sql.push_str(" AND decision IS NULL");
    }
    if let Some(after) = filter.after_row {
        binds.push(Value::Integer(after));
        sql.push_str(&format!(" AND row > ?{}", binds.len() + 1));
    }
    (sql, binds)
}

const DECISION_COLUMNS: &str =
    "run_id, row, decision, personal_id, officer, at, note, kind, row_key";

fn decision_row(r: &Row<'_>) -> rusqlite::Result<ReconcileDecision> {
    let decision: String = r.get(2)?;
    Ok(ReconcileDecision {
        run_id: r.get(0)?,
        row: r.get(1)?,
        decision: ReviewDecision::parse(&decision).unwrap_or(ReviewDecision::Reject),
        personal_id: r.get(3)?,
        officer: r.get(4)?,
        at: r.get(5)?,
        note: r.get(6)?,
        kind: r.get(7)?,
        row_key: r.get(8)?,
    })
}

impl ReconcileStore for SqliteStore {
    fn create_run(&self, run: &NewRun) -> Result<ReconcileRun> {
        let at = now_rfc3339();
        let headers = strings_json(&run.headers)?;
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT INTO reconcile_runs (kind, file_name, created_by, created_at, status, columns,
                 headers, row_count)
             VALUES (?1, ?2, ?3, ?4, 'queued', ?5, ?6, ?7)",
        )?
        .execute(params![
            run.kind,
            run.file_name,
            run.created_by,
            at,
            run.columns,
            headers,
            run.row_count
        ])?;
        Ok(ReconcileRun {
            id: conn.last_insert_rowid(),
            kind: run.kind.clone(),
            file_name: run.file_name.clone(),
            created_by: run.created_by.clone(),
            created_at: at,
            status: RunStatus::Queued,
            error: None,
            finished_at: None,
            row_count: run.row_count,
            summary: None,
            columns: run.columns.clone(),
            headers: run.headers.clone(),
        })
    }

    fn set_run_status(&self, id: i64, status: RunStatus, error: Option<&str>) -> Result<()> {
        let finished = (!status.is_unfinished()).then(now_rfc3339);
        let changed = self
            .writer()
            .prepare_cached(
                "UPDATE reconcile_runs SET status = ?2, error = ?3, finished_at = ?4 WHERE id = ?1",
            )?
            .execute(params![id, status.as_str(), error, finished])?;
        require_changed(changed, || format!("no reconciliation run {id}"))
    }

    fn complete_run(&self, id: i64, summary: &str, rows: &[ReconcileRow]) -> Result<()> {
        let at = now_rfc3339();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let status: Option<String> = tx
            .query_row(
                "SELECT status FROM reconcile_runs WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        match status.as_deref() {
            None => return Err(StoreError::NotFound(format!("no reconciliation run {id}"))),
            Some("done") => {
                return Err(StoreError::Conflict(format!(
                    "reconciliation run {id} is already done"
                )))
            }
            Some(_) => {}
        }
        {
            let mut insert = tx.prepare_cached(&format!(
                "INSERT INTO reconcile_rows (run_id, {ROW_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
            ))?;
            for r in rows {
                insert
                    .execute(params![
                        id,
                        r.row,
                        strings_json(&r.cells)?,
                        r.engine_outcome,
                        r.outcome,
                        r.personal_id,
                        r.weight,
                        r.probability,
                        strings_json(&r.differences)?,
                        r.best.as_ref().map(|c| &c.personal_id),
                        r.best.as_ref().map(|c| &c.detail),
                        r.runner_up.as_ref().map(|c| &c.personal_id),
                        r.runner_up.as_ref().map(|c| &c.detail),
                        r.row_key,
                        r.decision,
                    ])
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::Conflict(format!("row {} repeated in run {id}", r.row))
                        } else {
                            e.into()
                        }
                    })?;
            }
        }
        tx.execute(
            "UPDATE reconcile_runs SET status = 'done', error = NULL, finished_at = ?2,
                 row_count = ?3, summary = ?4
             WHERE id = ?1",
            params![id, at, rows.len() as i64, summary],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn fail_unfinished_runs(&self, error: &str) -> Result<u64> {
        let n = self.writer().execute(
            "UPDATE reconcile_runs SET status = 'failed', error = ?1, finished_at = ?2
             WHERE status IN ('queued', 'running')",
            params![error, now_rfc3339()],
        )?;
        Ok(n as u64)
    }

    fn get_run(&self, id: i64) -> Result<Option<ReconcileRun>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached(&format!(
                "SELECT {RUN_COLUMNS} FROM reconcile_runs WHERE id = ?1"
            ))?
            .query_row([id], run_row)
            .optional()?;
        found.map(to_run).transpose()
    }

    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<ReconcileRun>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {RUN_COLUMNS} FROM reconcile_runs WHERE (?1 IS NULL OR kind = ?1)
             ORDER BY id DESC LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![filter.kind, filter.limit as i64], run_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(to_run(r?)?);
        }
        Ok(out)
    }

    fn list_run_rows(&self, run_id: i64, filter: &RowFilter) -> Result<Vec<ReconcileRow>> {
        let (condition, mut binds) = row_condition(filter);
        binds.insert(0, Value::Integer(run_id));
        binds.push(Value::Integer(filter.limit as i64));
        binds.push(Value::Integer(filter.offset as i64));
        let n = binds.len();
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ROW_COLUMNS} FROM reconcile_rows WHERE {condition}
             ORDER BY row LIMIT ?{} OFFSET ?{n}",
            n - 1
        ))?;
        let rows = stmt.query_map(rusqlite::params_from_iter(binds), raw_row)?;
        let mut out = Vec::new();
        for r in rows {
            out.push(to_row(r?)?);
        }
        Ok(out)
    }

    fn count_run_rows(&self, run_id: i64, filter: &RowFilter) -> Result<u64> {
        let (condition, mut binds) = row_condition(filter);
        binds.insert(0, Value::Integer(run_id));
        let conn = self.reader();
        let n: i64 = conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM reconcile_rows WHERE {condition}"
            ))?
            .query_row(rusqlite::params_from_iter(binds), |r| r.get(0))?;
        Ok(n as u64)
    }

    fn run_outcome_counts(&self, run_id: i64) -> Result<Vec<(String, u64)>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(
            "SELECT outcome, count(*) FROM reconcile_rows WHERE run_id = ?1
             GROUP BY outcome ORDER BY outcome",
        )?;
        let rows = stmt.query_map([run_id], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn get_run_row(&self, run_id: i64, row: i64) -> Result<Option<ReconcileRow>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached(&format!(
                "SELECT {ROW_COLUMNS} FROM reconcile_rows WHERE run_id = ?1 AND row = ?2"
            ))?
            .query_row([run_id, row], raw_row)
            .optional()?;
        found.map(to_row).transpose()
    }

    fn record_decision(
        &self,
        d: &NewDecision,
        resolution: &RowResolution,
    ) -> Result<ReconcileDecision> {
        let at = now_rfc3339();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let found: Option<(String, String)> = tx
            .query_row(
                "SELECT r.row_key, u.kind FROM reconcile_rows r
                 JOIN reconcile_runs u ON u.id = r.run_id
                 WHERE r.run_id = ?1 AND r.row = ?2",
                [d.run_id, d.row],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((row_key, kind)) = found else {
            return Err(StoreError::NotFound(format!(
                "no row {} in reconciliation run {}",
                d.row, d.run_id
            )));
        };
        tx.execute(
            &format!(
                "INSERT INTO reconcile_decisions ({DECISION_COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
            ),
            params![
                d.run_id,
                d.row,
                d.decision.as_str(),
                d.personal_id,
                d.officer,
                at,
                d.note,
                kind,
                row_key
            ],
        )?;
        tx.execute(
            "UPDATE reconcile_rows SET outcome = ?3, personal_id = ?4, differences = ?5,
                 decision = ?6
             WHERE run_id = ?1 AND row = ?2",
            params![
                d.run_id,
                d.row,
                resolution.outcome,
                resolution.personal_id,
                strings_json(&resolution.differences)?,
                d.decision.as_str()
            ],
        )?;
        tx.commit()?;
        Ok(ReconcileDecision {
            run_id: d.run_id,
            row: d.row,
            decision: d.decision,
            personal_id: d.personal_id.clone(),
            officer: d.officer.clone(),
            at,
            note: d.note.clone(),
            kind,
            row_key,
        })
    }

    fn list_decisions(&self, filter: &DecisionFilter) -> Result<Vec<ReconcileDecision>> {
        let conn = self.reader();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DECISION_COLUMNS} FROM reconcile_decisions
             WHERE (?1 IS NULL OR run_id = ?1) AND (?2 IS NULL OR kind = ?2)
             ORDER BY id DESC LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![filter.run_id, filter.kind, filter.limit as i64],
            decision_row,
        )?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    fn reads_inline(&self) -> bool {
        true
    }

    /// Learns where every person's row is (see [`RowidHints`]).
    fn prepare_to_serve(&self) -> Result<()> {
        let persons = self.count_persons()?;
        let conn = self.reader();
        let mut stmt = conn.prepare("SELECT personal_id, id FROM persons")?;
        let mut rows = stmt.query([])?;
        // Sized once: growing by doubling would leave the smaller tables' memory behind.
        let mut hints = HashMap::with_capacity(usize::try_from(persons).unwrap_or(0));
        while let Some(row) = rows.next()? {
            if let Some(key) = rowid_key(row.get_ref(0)?.as_str().unwrap_or_default()) {
                hints.insert(key, row.get::<_, i64>(1)?);
            }
        }
        *self.rowid_hints.write().unwrap_or_else(|e| e.into_inner()) = hints;
        Ok(())
    }
}

/// Where a person's row is: personal ID (as its 12 digits' number) → the row's id. A lookup
/// by personal ID then reads the table once instead of the `personal_id` index and then the
/// table. Only a hint: the read checks the row's personal ID and falls back to the index when
/// the hint is missing or wrong (a person added by another process, say); rows found that way
/// are added. Filled by [`Store::prepare_to_serve`]; about 20 bytes per person.
type RowidHints = RwLock<HashMap<u64, i64>>;

fn rowid_key(personal_id: &str) -> Option<u64> {
    (personal_id.len() == 12)
        .then(|| personal_id.parse().ok())
        .flatten()
}

impl SqliteStore {
    /// Streams every current person in the given order, parsing the JSON on two threads.
    fn stream_persons(
        &self,
        order: &str,
        f: &mut dyn FnMut(StoredPerson) -> Result<()>,
    ) -> Result<()> {
        let conn = self.reader();
        let mut stmt = conn.prepare(&format!("SELECT {PERSON_COLUMNS} FROM persons {order}"))?;
        let mut rows = stmt.query([])?;
        // Parsing the JSON is most of the work: read a chunk of rows, parse its halves on two
        // threads, then hand the persons over in order.
        const CHUNK: usize = 8192;
        let mut raw = Vec::with_capacity(CHUNK);
        loop {
            raw.clear();
            while raw.len() < CHUNK {
                match rows.next()? {
                    Some(row) => raw.push(stored_person(row)?),
                    None => break,
                }
            }
            if raw.is_empty() {
                return Ok(());
            }
            let half = raw.len() / 2;
            let (first, second) = raw.split_at_mut(half);
            let parse = |part: &mut [(Vec<u8>, i64, String, String)]| -> Vec<Result<StoredPerson>> {
                part.iter_mut()
                    .map(|r| to_stored(std::mem::take(r)))
                    .collect()
            };
            let (a, b) = std::thread::scope(|scope| {
                let other = scope.spawn(|| parse(second));
                let a = parse(first);
                (a, other.join())
            });
            let b =
                b.map_err(|_| StoreError::Database("a register-reading thread failed".into()))?;
            for person in a.into_iter().chain(b) {
                f(person?)?;
            }
        }
    }
}
