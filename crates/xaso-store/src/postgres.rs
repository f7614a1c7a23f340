//! PostgreSQL: the same register for a province or the nation.
//!
//! Connections are pooled, and each keeps the statements it has prepared, so a hot read is one
//! round trip. The audit log has a connection of its own, so the audit writer never queues
//! behind readers. Bulk loads stream through COPY in one transaction: straight into `persons`
//! when the register is empty, else through a temporary table that is checked and moved.
//! A server's lookups by personal ID run on asynchronous connections instead
//! ([`Store::async_person_reader`], `postgres_lookups.rs`).

use std::cell::Cell;
use std::collections::hash_map::{Entry, RandomState};
use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::io::Write;
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::time::Duration;

use postgres::types::ToSql;
use postgres::{Client, GenericClient, NoTls, Row, Statement};
use xaso_domain::register::{Household, Person, ResidenceEvent};
use xaso_domain::PersonalId;

use crate::postgres_lookups::PgLookups;
use crate::{
    keep_given_name_matches, now_rfc3339, person_from_json, person_json, prefix_upper_bound,
    rank_name_results, strings_from_json, strings_json, ApiTokenRecord, AsyncPersonReader,
    AuditFilter, AuditRecord, AuditStore, ChangeMeta, CommitDecision, DecisionFilter, LoadConflict,
    LoadItem, LoadSummary, MetaStore, NameMatch, NameQuery, NewDecision, NewRun, OfficerRecord,
    OfficerStore, PersonKeys, PersonVersion, PreparedPerson, RawPerson, ReconcileDecision,
    ReconcileRow, ReconcileRun, ReconcileStore, RegisterStore, Result, ReviewDecision,
    RowCandidate, RowFilter, RowResolution, RunFilter, RunStatus, SessionRecord, Store, StoreError,
    StoredPerson, TokenStore,
};

const MIGRATIONS: &[&str] = &[
    include_str!("sql/postgres/0001_register.sql"),
    include_str!("sql/postgres/0002_officers.sql"),
    include_str!("sql/postgres/0003_reconcile.sql"),
    include_str!("sql/postgres/0004_onestop.sql"),
    include_str!("sql/postgres/0005_citizens.sql"),
    include_str!("sql/postgres/0006_oidc_grant_session.sql"),
];

/// How long a caller waits for a pooled connection before it opens one of its own (up to
/// [`PgStore::max_open`]): a wait this long means the pool is held by something slow or stuck,
/// such as callers that wait on each other.
const POOL_WAIT: Duration = Duration::from_secs(2);

impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        if e.code() == Some(&postgres::error::SqlState::UNIQUE_VIOLATION) {
            return StoreError::Conflict(e.to_string());
        }
        StoreError::Database(
            e.as_db_error()
                .map_or_else(|| e.to_string(), |d| d.to_string()),
        )
    }
}

/// A connection and the statements prepared on it, by SQL text.
pub(crate) struct PgConn {
    pub(crate) client: Client,
    pub(crate) stmts: HashMap<&'static str, Statement>,
}

impl PgConn {
    /// The statement for `sql`, prepared on this connection the first time it is asked for.
    pub(crate) fn stmt(&mut self, sql: &'static str) -> Result<Statement> {
        prepared(&mut self.stmts, &mut self.client, sql)
    }

    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<Row>> {
        let stmt = self.stmt(sql)?;
        Ok(self.client.query(&stmt, params)?)
    }

    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Option<Row>> {
        let stmt = self.stmt(sql)?;
        Ok(self.client.query_opt(&stmt, params)?)
    }

    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<u64> {
        let stmt = self.stmt(sql)?;
        Ok(self.client.execute(&stmt, params)?)
    }

    fn persons(
        &mut self,
        sql: &'static str,
        params: &[&(dyn ToSql + Sync)],
    ) -> Result<Vec<StoredPerson>> {
        to_stored_all(self.query(sql, params)?)
    }
}

/// Looks `sql` up in `stmts`, preparing it on `client` (a connection or a transaction on it)
/// when missing. Prepared statements outlive the transaction they were prepared in.
pub(crate) fn prepared<C: GenericClient>(
    stmts: &mut HashMap<&'static str, Statement>,
    client: &mut C,
    sql: &'static str,
) -> Result<Statement> {
    match stmts.entry(sql) {
        Entry::Occupied(e) => Ok(e.get().clone()),
        Entry::Vacant(e) => Ok(e.insert(client.prepare(sql)?).clone()),
    }
}

struct Pool {
    idle: Vec<PgConn>,
    /// Connections in existence: idle plus lent out.
    open: usize,
    /// Callers waiting for a connection, oldest first. A connection given back goes to the
    /// oldest directly, so no caller is overtaken again and again while others come and go.
    waiters: VecDeque<(u64, SyncSender<Handoff>)>,
    next_waiter: u64,
}

/// What a waiting caller is handed: a connection, or leave to open one (already counted).
enum Handoff {
    Conn(Box<PgConn>),
    Open,
}

impl Pool {
    /// Gives `conn` to the oldest waiter, or keeps it idle.
    fn give_back(&mut self, conn: PgConn) {
        let mut handoff = Handoff::Conn(Box::new(conn));
        while let Some((_, waiter)) = self.waiters.pop_front() {
            match waiter.try_send(handoff) {
                Ok(()) => return,
                Err(TrySendError::Full(h) | TrySendError::Disconnected(h)) => handoff = h,
            }
        }
        if let Handoff::Conn(conn) = handoff {
            self.idle.push(*conn);
        }
    }

    /// One connection fewer (closed or never opened): the oldest waiter may open one.
    fn release(&mut self, size: usize) {
        self.open -= 1;
        while self.open < size {
            let Some((_, waiter)) = self.waiters.pop_front() else {
                return;
            };
            if waiter.try_send(Handoff::Open).is_ok() {
                self.open += 1;
            }
        }
    }
}

pub struct PgStore {
    url: String,
    schema: Option<String>,
    pool: Mutex<Pool>,
    /// Connections kept open when idle.
    size: usize,
    /// The audit log's own connection, used by one writer at a time.
    audit: Mutex<Option<PgConn>>,
    /// Lookups by personal ID on asynchronous connections, for the server (opened on its
    /// runtime when it starts).
    lookups: Arc<PgLookups>,
}

thread_local! {
    /// Pooled connections this thread holds. A thread that holds one and asks for another never
    /// waits for the pool (it gets a connection of its own), so nesting cannot deadlock.
    static HELD: Cell<usize> = const { Cell::new(0) };
}

pub(crate) struct Conn<'a> {
    store: &'a PgStore,
    conn: Option<PgConn>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = PgConn;
    fn deref(&self) -> &PgConn {
        self.conn.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut PgConn {
        self.conn.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        HELD.with(|h| h.set(h.get().saturating_sub(1)));
        let Some(conn) = self.conn.take() else { return };
        let mut pool = lock(&self.store.pool);
        if conn.client.is_closed() {
            // A connection that broke is closed; a new one is opened when needed.
            pool.release(self.store.size);
        } else if pool.open > self.store.size && pool.waiters.is_empty() {
            // One opened beyond the pool's size is closed once no one waits.
            pool.open -= 1;
        } else {
            pool.give_back(conn);
            return;
        }
        drop(pool);
        drop(conn);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn valid_schema_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() < 60
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl PgStore {
    /// Connects and migrates. `schema`, when given, isolates this store in its own schema
    /// (created if missing): the contract tests use one per test.
    /// Sets how long a server lookup by personal ID may wait for PostgreSQL's answer before it
    /// fails with [`StoreError::Unavailable`] (default
    /// [`LOOKUP_TIMEOUT`](crate::postgres_lookups::LOOKUP_TIMEOUT)).
    pub fn with_lookup_timeout(mut self, timeout: Duration) -> Self {
        self.lookups = Arc::new(self.lookups.with_timeout(timeout));
        self
    }

    pub fn connect(url: &str, schema: Option<&str>) -> Result<Self> {
        if let Some(s) = schema {
            if !valid_schema_name(s) {
                return Err(StoreError::Open(format!(
                    "schema name {s:?} must be lowercase letters, digits and _"
                )));
            }
        }
        // Requests wait on the database, not the CPU, for part of their time: a few connections
        // per core keep the cores busy without a crowd of idle backends.
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut store = PgStore {
            url: url.to_string(),
            schema: schema.map(str::to_string),
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
                waiters: VecDeque::new(),
                next_waiter: 0,
            }),
            size: (cores * 3).clamp(4, 32),
            audit: Mutex::new(None),
            // Concurrent lookups share a connection (pipelined), so one per core is enough.
            lookups: Arc::new(PgLookups::new(
                url,
                schema,
                cores.clamp(2, 16),
                crate::postgres_lookups::LOOKUP_TIMEOUT,
            )?),
        };
        let mut first = store.new_conn()?;
        store.migrate(&mut first.client)?;
        // More connections are opened when needed.
        let pool = store.pool.get_mut().unwrap_or_else(|e| e.into_inner());
        pool.idle.push(first);
        pool.open = 1;
        Ok(store)
    }

    fn new_conn(&self) -> Result<PgConn> {
        let mut client = Client::connect(&self.url, NoTls)
            .map_err(|e| StoreError::Open(format!("cannot connect to PostgreSQL: {e}")))?;
        if let Some(schema) = &self.schema {
            client.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
            ))?;
        }
        Ok(PgConn {
            client,
            stmts: HashMap::new(),
        })
    }

    /// At most this many connections, counting those opened beyond the pool's size after a long
    /// wait; a thread that already holds one may still open another.
    fn max_open(&self) -> usize {
        self.size * 2
    }

    fn migrate(&self, client: &mut Client) -> Result<()> {
        let mut tx = client.transaction()?;
        // One migrator at a time across processes.
        tx.batch_execute(
            "SELECT pg_advisory_xact_lock(7206);
             CREATE TABLE IF NOT EXISTS xaso_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)",
        )?;
        let applied: i32 = tx
            .query_one("SELECT coalesce(max(version), 0) FROM xaso_migrations", &[])?
            .get(0);
        let applied = usize::try_from(applied).unwrap_or(0);
        if applied > MIGRATIONS.len() {
            return Err(StoreError::Open(format!(
                "the database was written by a newer version (schema {applied}, this program knows {})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO xaso_migrations (version, applied_at) VALUES ($1, $2)",
                &[&((i + 1) as i32), &now_rfc3339()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// A pooled connection: an idle one, else a new one while fewer than `size` are open, else
    /// the next one given back, first come first served. Never waits when this thread already
    /// holds one.
    pub(crate) fn conn(&self) -> Result<Conn<'_>> {
        let nested = HELD.with(Cell::get) > 0;
        let mut pool = lock(&self.pool);
        if let Some(conn) = pool.idle.pop() {
            drop(pool);
            return Ok(self.lend(conn));
        }
        if pool.open < self.size || nested {
            pool.open += 1;
            drop(pool);
            return self.open_lent();
        }
        let (tx, rx) = mpsc::sync_channel(1);
        let me = pool.next_waiter;
        pool.next_waiter += 1;
        pool.waiters.push_back((me, tx));
        drop(pool);
        loop {
            let handoff = match rx.recv_timeout(POOL_WAIT) {
                Ok(handoff) => handoff,
                Err(RecvTimeoutError::Timeout) => {
                    let mut pool = lock(&self.pool);
                    // Given one just before the lock was taken?
                    if let Ok(handoff) = rx.try_recv() {
                        handoff
                    } else if pool.open < self.max_open() {
                        pool.waiters.retain(|(w, _)| *w != me);
                        pool.open += 1;
                        Handoff::Open
                    } else {
                        continue;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(StoreError::Database(
                        "the connection pool was closed".into(),
                    ))
                }
            };
            return match handoff {
                Handoff::Conn(conn) => Ok(self.lend(*conn)),
                Handoff::Open => self.open_lent(),
            };
        }
    }

    /// Opens a connection whose place in the pool is already counted.
    fn open_lent(&self) -> Result<Conn<'_>> {
        match self.new_conn() {
            Ok(conn) => Ok(self.lend(conn)),
            Err(e) => {
                lock(&self.pool).release(self.size);
                Err(e)
            }
        }
    }

    fn lend(&self, conn: PgConn) -> Conn<'_> {
        HELD.with(|h| h.set(h.get() + 1));
        Conn {
            store: self,
            conn: Some(conn),
        }
    }

    /// Drops the schema this store was opened with (tests clean up after themselves).
    pub fn drop_schema(self) -> Result<()> {
        if let Some(schema) = self.schema.clone() {
            let mut conn = self.conn()?;
            conn.client
                .batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        }
        Ok(())
    }
}

/// `SELECT <the columns of a StoredPerson> FROM persons <rest>`, as a `&'static str`.
macro_rules! select_persons {
    ($($rest:literal),+) => {
        concat!("SELECT data::text, version, updated_at, updated_by FROM persons ", $($rest),+)
    };
}

/// The statements of a name search on one key column, in the order of its index
/// `(column, birth_year)`: exact key, then the rest of the prefix range.
struct NameStatements {
    exact: &'static str,
    exact_year: &'static str,
    prefix: &'static str,
    prefix_year: &'static str,
}

const BY_NAME_KEY: NameStatements = NameStatements {
    exact: select_persons!("WHERE name_key = $1 ORDER BY birth_year LIMIT $2"),
    exact_year: select_persons!("WHERE name_key = $1 AND birth_year = $2 LIMIT $3"),
    prefix: select_persons!(
        "WHERE name_key > $1 AND name_key < $2 ORDER BY name_key, birth_year LIMIT $3"
    ),
    prefix_year: select_persons!(
        "WHERE name_key > $1 AND name_key < $2 AND birth_year = $3",
        " ORDER BY name_key, birth_year LIMIT $4"
    ),
};
const BY_NAME_STRIPPED: NameStatements = NameStatements {
    exact: select_persons!("WHERE name_stripped = $1 ORDER BY birth_year LIMIT $2"),
    exact_year: select_persons!("WHERE name_stripped = $1 AND birth_year = $2 LIMIT $3"),
    prefix: select_persons!(
        "WHERE name_stripped > $1 AND name_stripped < $2",
        " ORDER BY name_stripped, birth_year LIMIT $3"
    ),
    prefix_year: select_persons!(
        "WHERE name_stripped > $1 AND name_stripped < $2 AND birth_year = $3",
        " ORDER BY name_stripped, birth_year LIMIT $4"
    ),
};
const BY_GIVEN: &str = select_persons!("WHERE given_stripped = $1 ORDER BY birth_year LIMIT $2");
const BY_GIVEN_YEAR: &str =
    select_persons!("WHERE given_stripped = $1 AND birth_year = $2 LIMIT $3");
pub(crate) const BY_ID: &str = select_persons!("WHERE personal_id = $1");
const BY_CMND: &str = select_persons!("WHERE old_cmnd = $1 ORDER BY personal_id LIMIT 50");
const BY_HOUSEHOLD: &str = select_persons!("WHERE household_id = $1 ORDER BY personal_id");
const ALL_PERSONS: &str = select_persons!("ORDER BY personal_id");

const INSERT_PERSON: &str = "INSERT INTO persons (personal_id, old_cmnd, name_key, name_stripped,
     given_stripped, birth_year, household_id, deceased, version, updated_at, updated_by,
     change_reason, data)
 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12::text::json)
 ON CONFLICT (personal_id) DO NOTHING";
const LOCK_PERSON: &str = "SELECT version FROM persons WHERE personal_id = $1 FOR UPDATE";
const KEEP_VERSION: &str =
    "INSERT INTO person_versions (personal_id, version, changed_at, changed_by, reason, data)
 SELECT personal_id, version, updated_at, updated_by, change_reason, data
 FROM persons WHERE personal_id = $1";
const UPDATE_PERSON: &str = "UPDATE persons SET old_cmnd = $2, name_key = $3, name_stripped = $4,
     given_stripped = $5, birth_year = $6, household_id = $7, deceased = $8, version = $9,
     updated_at = $10, updated_by = $11, change_reason = $12, data = $13::text::json
 WHERE personal_id = $1";
const HISTORY: &str =
    "SELECT version, changed_at, changed_by, reason, data::text FROM person_versions
 WHERE personal_id = $1
 UNION ALL
 SELECT version, updated_at, updated_by, change_reason, data::text FROM persons
 WHERE personal_id = $1
 ORDER BY 1";
const EVENTS: &str =
    "SELECT data::text FROM residence_events WHERE personal_id = $1 ORDER BY date, id";
const INSERT_EVENT: &str =
    "INSERT INTO residence_events (personal_id, kind, date, data, recorded_at)
 SELECT $1, $2, $3, $4::text::json, $5
 WHERE EXISTS (SELECT 1 FROM persons WHERE personal_id = $1)";
const HOUSEHOLD: &str = "SELECT id, head_personal_id, address::text FROM households WHERE id = $1";
const COUNT_PERSONS: &str = "SELECT count(*) FROM persons";

/// One statement, so one transaction and one round trip, for a whole batch.
const INSERT_AUDIT: &str =
    "INSERT INTO audit (at, actor, actor_kind, role, action, route, subject, reason)
 SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                      $7::text[], $8::text[])";

/// Batches larger than this go through COPY: its setup costs a few round trips, but per row it
/// is cheaper than unpacking arrays (measured: equal near 256 rows, a quarter less time at 4096).
const AUDIT_COPY_FROM: usize = 1024;

/// The conditions `list_audit` may put on a query, in the order of their bits (1, 2, 4, 8, 16)
/// and of their parameters. Times compare byte for byte, as in SQLite, whatever the database's
/// collation.
const AUDIT_CONDITIONS: [&str; 5] = [
    "subject = ",
    "actor = ",
    "action = ",
    "at COLLATE \"C\" >= ",
    "at COLLATE \"C\" < ",
];

/// `list_audit`, one statement per combination of filters (subject, actor, action, since,
/// until), indexed by the bits of [`AUDIT_CONDITIONS`], so that each plan fits its filters.
static LIST_AUDIT: LazyLock<Vec<String>> = LazyLock::new(|| {
    (0..1usize << AUDIT_CONDITIONS.len())
        .map(|which| {
            let mut sql = String::from(
                "SELECT at, actor, actor_kind, role, action, route, subject, reason FROM audit",
            );
            let mut n = 0;
            for (bit, condition) in AUDIT_CONDITIONS.iter().enumerate() {
                if which & (1 << bit) != 0 {
                    n += 1;
                    sql.push_str(if n == 1 { " WHERE " } else { " AND " });
                    sql.push_str(condition);
                    sql.push_str(&format!("${n}"));
                }
            }
            sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", n + 1));
            sql
        })
        .collect()
});

const INSERT_TOKEN: &str = "INSERT INTO api_tokens (name, role, token_hash, created_at, revoked)
 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING";
const FIND_TOKEN: &str =
    "SELECT name, role, token_hash, created_at, revoked FROM api_tokens WHERE token_hash = $1";
const LIST_TOKENS: &str =
    "SELECT name, role, token_hash, created_at, revoked FROM api_tokens ORDER BY name";
const GET_META: &str = "SELECT value FROM meta WHERE key = $1";

macro_rules! officer_columns {
    () => {
        "login, display_name, role, password_hash, must_change_password, totp_secret,
     totp_last_step, disabled, login_attempts, created_at, updated_at"
    };
}
const INSERT_OFFICER: &str = concat!(
    "INSERT INTO officers (",
    officer_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (login) DO NOTHING"
);
const GET_OFFICER: &str = concat!(
    "SELECT ",
    officer_columns!(),
    " FROM officers WHERE login = $1"
);
const LIST_OFFICERS: &str = concat!(
    "SELECT ",
    officer_columns!(),
    " FROM officers ORDER BY login"
);
const UPDATE_OFFICER: &str = "UPDATE officers SET display_name = $2, role = $3,
     password_hash = $4, must_change_password = $5, totp_secret = $6, totp_last_step = $7,
     disabled = $8, login_attempts = $9, updated_at = $10
 WHERE login = $1";
const COUNT_OFFICERS: &str = "SELECT count(*) FROM officers";

macro_rules! session_columns {
    () => {
        "id_hash, login, created_at, last_seen, second_factor_pending"
    };
}
const INSERT_SESSION: &str = concat!(
    "INSERT INTO sessions (",
    session_columns!(),
    ") VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id_hash) DO NOTHING"
);
const GET_SESSION: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM sessions WHERE id_hash = $1"
);
const UPDATE_SESSION: &str =
    "UPDATE sessions SET last_seen = $2, second_factor_pending = $3 WHERE id_hash = $1";
const DELETE_SESSION: &str = "DELETE FROM sessions WHERE id_hash = $1";
const DELETE_SESSIONS_OF: &str = "DELETE FROM sessions WHERE login = $1";
const DELETE_SESSIONS_SEEN_BEFORE: &str = "DELETE FROM sessions WHERE last_seen < $1";
const SET_META: &str = "INSERT INTO meta (key, value) VALUES ($1, $2)
 ON CONFLICT (key) DO UPDATE SET value = excluded.value";

fn to_stored(row: &Row) -> Result<StoredPerson> {
    let data: &str = row.try_get(0)?;
    Ok(StoredPerson {
        person: person_from_json(data.as_bytes())?,
        version: row.try_get(1)?,
        updated_at: row.try_get(2)?,
        updated_by: row.try_get(3)?,
    })
}

/// A row of [`BY_ID`] with the record as stored: passed on unparsed.
pub(crate) fn raw_person(row: Row) -> Result<RawPerson> {
    Ok(RawPerson {
        json: row.try_get::<_, String>(0)?.into_bytes(),
        version: row.try_get(1)?,
        updated_at: row.try_get(2)?,
        updated_by: row.try_get(3)?,
    })
}

fn to_stored_all(rows: Vec<Row>) -> Result<Vec<StoredPerson>> {
    rows.iter().map(to_stored).collect()
}

/// Escapes one value for COPY's text format.
fn copy_field(out: &mut Vec<u8>, value: Option<&str>) {
    let Some(value) = value else {
        out.extend_from_slice(b"\\N");
        return;
    };
    let bytes = value.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        out.extend_from_slice(escaped);
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

fn copy_row(out: &mut Vec<u8>, fields: &[Option<&str>]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'\t');
        }
        copy_field(out, *f);
    }
    out.push(b'\n');
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Database(format!("COPY failed: {e}"))
}

/// Personal IDs met so far in a load: as numbers (an ID is 12 digits), else as text.
#[derive(Default)]
struct SeenIds {
    numbers: HashSet<u64>,
    others: HashSet<String>,
}

impl SeenIds {
    /// False when the ID was met before.
    fn insert(&mut self, id: &PersonalId) -> bool {
        match id.as_str().parse::<u64>() {
            Ok(n) => self.numbers.insert(n),
            Err(_) => self.others.insert(id.as_str().to_string()),
        }
    }
}

const REPEATED: &str = "personal ID repeated in this file";
const REGISTERED: &str = "personal ID already in the register";

/// The columns a load writes into `persons` besides the constant ones, in COPY order.
const LOAD_COLUMNS: &str = "personal_id, old_cmnd, name_key, name_stripped, given_stripped, \
                            birth_year, household_id, deceased, data";

/// Adds a new person as version 1 on `client` (a connection, or the caller's transaction); the
/// key columns are computed from the record. `Conflict` if the ID is taken.
pub(crate) fn insert_person_in<C: GenericClient>(
    client: &mut C,
    stmts: &mut HashMap<&'static str, Statement>,
    person: &Person,
    at: &str,
    change: &ChangeMeta,
) -> Result<()> {
    let keys = PersonKeys::of(person);
    let json = person_json(person)?;
    let insert = prepared(stmts, client, INSERT_PERSON)?;
    let inserted = client.execute(
        &insert,
        &[
            &person.personal_id.as_str(),
            &person.old_cmnd.as_ref().map(|c| c.as_str()),
            &keys.name_key,
            &keys.name_stripped,
            &keys.given_stripped,
            &keys.birth_year,
            &person.household_id,
            &person.is_deceased(),
            &at,
            &change.actor,
            &change.reason,
            &json,
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::Conflict(format!(
            "personal ID {} is already in the register",
            person.personal_id
        )));
    }
    Ok(())
}

/// Replaces a person's record with a new version inside the caller's transaction `tx`, keeping
/// the old one in `person_versions`; the key columns are recomputed. Returns the new version.
/// `NotFound` without the person, `Conflict` if the stored version is not `expected_version`.
pub(crate) fn update_person_in<C: GenericClient>(
    tx: &mut C,
    stmts: &mut HashMap<&'static str, Statement>,
    person: &Person,
    expected_version: i64,
    at: &str,
    change: &ChangeMeta,
) -> Result<i64> {
    let keys = PersonKeys::of(person);
    let json = person_json(person)?;
    let lock_person = prepared(stmts, tx, LOCK_PERSON)?;
    let keep_version = prepared(stmts, tx, KEEP_VERSION)?;
    let update = prepared(stmts, tx, UPDATE_PERSON)?;
    let current = tx.query_opt(&lock_person, &[&person.personal_id.as_str()])?;
    let Some(current) = current else {
        return Err(StoreError::NotFound(format!(
            "person {}",
            person.personal_id
        )));
    };
    let version: i64 = current.try_get(0)?;
    if version != expected_version {
        return Err(StoreError::Conflict(format!(
            "the record of {} changed (now version {version}, you edited version {expected_version}); reload and edit again",
            person.personal_id
        )));
    }
    tx.execute(&keep_version, &[&person.personal_id.as_str()])?;
    tx.execute(
        &update,
        &[
            &person.personal_id.as_str(),
            &person.old_cmnd.as_ref().map(|c| c.as_str()),
            &keys.name_key,
            &keys.name_stripped,
            &keys.given_stripped,
            &keys.birth_year,
            &person.household_id,
            &person.is_deceased(),
            &(version + 1),
            &at,
            &change.actor,
            &change.reason,
            &json,
        ],
    )?;
    Ok(version + 1)
}

/// Records a residence event of a person in the register on `client` (a connection, or the
/// caller's transaction); `NotFound` otherwise.
pub(crate) fn add_event_in<C: GenericClient>(
    client: &mut C,
    stmts: &mut HashMap<&'static str, Statement>,
    event: &ResidenceEvent,
    at: &str,
) -> Result<()> {
    let data = serde_json::to_string(event)?;
    let insert = prepared(stmts, client, INSERT_EVENT)?;
    let inserted = client.execute(
        &insert,
        &[
            &event.personal_id.as_str(),
            &event.kind.as_str(),
            &event.date.to_iso(),
            &data,
            &at,
        ],
    )?;
    if inserted == 0 {
        return Err(StoreError::NotFound(format!(
            "no person with personal ID {} in the register",
            event.personal_id
        )));
    }
    Ok(())
}

impl RegisterStore for PgStore {
    fn get_person(&self, id: &PersonalId) -> Result<Option<StoredPerson>> {
        self.conn()?
            .query_opt(BY_ID, &[&id.as_str()])?
            .as_ref()
            .map(to_stored)
            .transpose()
    }

    fn get_person_raw(&self, id: &PersonalId) -> Result<Option<RawPerson>> {
        // The record is stored as JSON text, as written: it is passed on unparsed.
        self.conn()?
            .query_opt(BY_ID, &[&id.as_str()])?
            .map(raw_person)
            .transpose()
    }

    fn find_by_cmnd(&self, cmnd: &str) -> Result<Vec<StoredPerson>> {
        self.conn()?.persons(BY_CMND, &[&cmnd])
    }

    fn search_by_name(&self, query: &NameQuery) -> Result<Vec<StoredPerson>> {
        let matcher = query.matcher();
        let (sql, key) = match &matcher {
            NameMatch::Toned(k) => (&BY_NAME_KEY, k),
            NameMatch::Stripped(k) => (&BY_NAME_STRIPPED, k),
        };
        if key.is_empty() || query.limit == 0 {
            return Ok(Vec::new());
        }
        let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
        let mut conn = self.conn()?;
        // The exact key first, then, if that is not enough, the names it is a prefix of
        // ("nguyen van" finds every Nguyễn Văn …): both walk the index in its order and stop at
        // the limit. The ranking of the final set is done in Rust.
        let mut found = match query.birth_year {
            Some(year) => conn.persons(sql.exact_year, &[key, &year, &limit])?,
            None => conn.persons(sql.exact, &[key, &limit])?,
        };
        let rest = limit - found.len() as i64;
        if rest > 0 {
            let upper = prefix_upper_bound(key);
            let more = match query.birth_year {
                Some(year) => conn.persons(sql.prefix_year, &[key, &upper, &year, &rest])?,
                None => conn.persons(sql.prefix, &[key, &upper, &rest])?,
            };
            found.extend(more);
        }
        // A single word is most often the given name ("Hoà 1990").
        if !key.contains(' ') {
            let given = xaso_domain::name::stripped_key(&query.name);
            let mut more = match query.birth_year {
                Some(year) => conn.persons(BY_GIVEN_YEAR, &[&given, &year, &limit])?,
                None => conn.persons(BY_GIVEN, &[&given, &limit])?,
            };
            keep_given_name_matches(query, &mut more);
            found.extend(more);
        }
        drop(conn);
        Ok(rank_name_results(query, found))
    }

    fn insert_person(&self, person: &Person, change: &ChangeMeta) -> Result<StoredPerson> {
        let at = now_rfc3339();
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        insert_person_in(client, stmts, person, &at, change)?;
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
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let version = update_person_in(&mut tx, stmts, person, expected_version, &at, change)?;
        tx.commit()?;
        Ok(StoredPerson {
            person: person.clone(),
            version,
            updated_at: at,
            updated_by: change.actor.clone(),
        })
    }

    fn person_history(&self, id: &PersonalId) -> Result<Vec<PersonVersion>> {
        let rows = self.conn()?.query(HISTORY, &[&id.as_str()])?;
        rows.iter()
            .map(|r| {
                let data: &str = r.try_get(4)?;
                Ok(PersonVersion {
                    version: r.try_get(0)?,
                    changed_at: r.try_get(1)?,
                    changed_by: r.try_get(2)?,
                    reason: r.try_get(3)?,
                    record: person_from_json(data.as_bytes())?,
                })
            })
            .collect()
    }

    fn residence_events(&self, id: &PersonalId) -> Result<Vec<ResidenceEvent>> {
        let rows = self.conn()?.query(EVENTS, &[&id.as_str()])?;
        rows.iter()
            .map(|r| {
                let data: &str = r.try_get(0)?;
                Ok(serde_json::from_str(data)?)
            })
            .collect()
    }

    fn add_residence_event(&self, event: &ResidenceEvent) -> Result<()> {
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        add_event_in(client, stmts, event, &now_rfc3339())
    }

    fn get_household(&self, id: &str) -> Result<Option<Household>> {
        let row = self.conn()?.query_opt(HOUSEHOLD, &[&id])?;
        row.map(|r| {
            let head: Option<&str> = r.try_get(1)?;
            let address: &str = r.try_get(2)?;
            Ok(Household {
                id: r.try_get(0)?,
                head_personal_id: head
                    .map(PersonalId::parse)
                    .transpose()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                address: serde_json::from_str(address)?,
            })
        })
        .transpose()
    }

    fn household_members(&self, id: &str) -> Result<Vec<StoredPerson>> {
        self.conn()?.persons(BY_HOUSEHOLD, &[&id])
    }

    fn count_persons(&self) -> Result<u64> {
        let n: i64 = self
            .conn()?
            .client
            .query_one(COUNT_PERSONS, &[])?
            .try_get(0)?;
        Ok(n as u64)
    }

    fn for_each_person(&self, f: &mut dyn FnMut(StoredPerson) -> Result<()>) -> Result<()> {
        let mut conn = self.conn()?;
        let all = conn.stmt(ALL_PERSONS)?;
        let mut tx = conn.client.transaction()?;
        let portal = tx.bind(&all, &[])?;
        loop {
            let rows = tx.query_portal(&portal, 5000)?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                f(to_stored(row)?)?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn load(
        &self,
        items: &mut dyn Iterator<Item = LoadItem>,
        change: &ChangeMeta,
        decide: CommitDecision<'_>,
    ) -> Result<LoadSummary> {
        let at = now_rfc3339();
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        // Loads run one at a time, and no person is inserted or edited while one runs (readers
        // are not held up): the conflicts found below are exactly the rows not written.
        tx.batch_execute("LOCK TABLE persons IN SHARE ROW EXCLUSIVE MODE")?;
        let empty = tx.query_one(
            "SELECT NOT EXISTS (SELECT 1 FROM persons), NOT EXISTS (SELECT 1 FROM households)",
            &[],
        )?;
        // The first load of a register, the common case, goes straight into `persons`: nothing
        // there can conflict, and repeats within the file are left out below.
        let direct: bool = empty.try_get(0)?;
        let households_empty: bool = empty.try_get(1)?;
        if !direct {
            tx.batch_execute(
                "CREATE TEMP TABLE load_persons (
                     line BIGINT NOT NULL, personal_id TEXT COLLATE \"C\" NOT NULL,
                     old_cmnd TEXT, name_key TEXT NOT NULL, name_stripped TEXT NOT NULL,
                     given_stripped TEXT NOT NULL, birth_year INTEGER, household_id TEXT,
                     deceased BOOLEAN NOT NULL, data JSON NOT NULL
                 ) ON COMMIT DROP",
            )?;
        }
        let mut conflicts: Vec<LoadConflict> = Vec::new();
        let mut seen = SeenIds::default();
        // Households as COPY rows, in file order; their numbers only as hashes, to notice a
        // number given twice (the last one wins) without keeping every household in memory.
        let mut households = Vec::new();
        let mut household_ids = HashSet::new();
        let id_hasher = RandomState::new();
        let mut households_repeated = false;
        let mut events = Vec::new();
        let mut summary = LoadSummary::default();
        let copied = {
            let mut writer = if direct {
                tx.copy_in(&format!(
                    "COPY persons ({LOAD_COLUMNS}, version, updated_at, updated_by, change_reason)
                     FROM STDIN"
                ))?
            } else {
                tx.copy_in(&format!(
                    "COPY load_persons (line, {LOAD_COLUMNS}) FROM STDIN"
                ))?
            };
            // The values every row of a direct load ends with.
            let mut constants = Vec::new();
            copy_row(
                &mut constants,
                &[
                    Some("1"),
                    Some(&at),
                    Some(&change.actor),
                    change.reason.as_deref(),
                ],
            );
            let mut buf = Vec::with_capacity(1 << 20);
            for item in items {
                match item {
                    LoadItem::Person { line, person } => {
                        let PreparedPerson { person, keys, json } = *person;
                        if !seen.insert(&person.personal_id) {
                            conflicts.push(LoadConflict {
                                line,
                                personal_id: person.personal_id.to_string(),
                                rule: REPEATED.into(),
                            });
                            continue;
                        }
                        if !direct {
                            copy_field(&mut buf, Some(&line.to_string()));
                            buf.push(b'\t');
                        }
                        let year = keys.birth_year.map(|y| y.to_string());
                        copy_row(
                            &mut buf,
                            &[
                                Some(person.personal_id.as_str()),
                                person.old_cmnd.as_ref().map(|c| c.as_str()),
                                Some(&keys.name_key),
                                Some(&keys.name_stripped),
                                Some(&keys.given_stripped),
                                year.as_deref(),
                                person.household_id.as_deref(),
                                Some(if person.is_deceased() { "t" } else { "f" }),
                                Some(&json),
                            ],
                        );
                        if direct {
                            // Replace the row's newline by the constant columns.
                            buf.pop();
                            buf.push(b'\t');
                            buf.extend_from_slice(&constants);
                        }
                        if buf.len() >= 1 << 20 {
                            writer.write_all(&buf).map_err(io_err)?;
                            buf.clear();
                        }
                    }
                    LoadItem::Household(h) => {
                        if !household_ids.insert(id_hasher.hash_one(&h.id)) {
                            households_repeated = true;
                        }
                        let address = serde_json::to_string(&h.address)?;
                        copy_row(
                            &mut households,
                            &[
                                Some(&h.id),
                                h.head_personal_id.as_ref().map(|p| p.as_str()),
                                Some(&address),
                            ],
                        );
                        summary.households += 1;
                    }
                    LoadItem::ResidenceEvent(e) => {
                        let data = serde_json::to_string(&e)?;
                        let date = e.date.to_iso();
                        copy_row(
                            &mut events,
                            &[
                                Some(e.personal_id.as_str()),
                                Some(e.kind.as_str()),
                                Some(&date),
                                Some(&data),
                                Some(&at),
                            ],
                        );
                        summary.events += 1;
                    }
                }
            }
            writer.write_all(&buf).map_err(io_err)?;
            writer.finish()?
        };
        if direct {
            summary.persons = copied as usize;
            // The planner's statistics of an empty table say nothing of what it now holds.
            tx.batch_execute("ANALYZE persons")?;
        } else {
            tx.batch_execute("ANALYZE load_persons")?;
            for row in tx.query(
                "SELECT l.line, l.personal_id FROM load_persons l
                 JOIN persons p ON p.personal_id = l.personal_id",
                &[],
            )? {
                let line: i64 = row.try_get(0)?;
                conflicts.push(LoadConflict {
                    line: line as usize,
                    personal_id: row.try_get(1)?,
                    rule: REGISTERED.into(),
                });
            }
            let inserted = tx.execute(
                &format!(
                    "INSERT INTO persons ({LOAD_COLUMNS}, version, updated_at, updated_by,
                         change_reason)
                     SELECT {LOAD_COLUMNS}, 1, $1, $2, $3 FROM load_persons l
                     WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.personal_id = l.personal_id)"
                ),
                &[&at, &change.actor, &change.reason],
            )?;
            summary.persons = inserted as usize;
        }
        conflicts.sort_by_key(|c| c.line);
        if !households.is_empty() {
            let direct = households_empty && !households_repeated;
            if !direct {
                tx.batch_execute(
                    "CREATE TEMP TABLE load_households (
                         seq BIGSERIAL, id TEXT NOT NULL, head_personal_id TEXT,
                         address JSON NOT NULL
                     ) ON COMMIT DROP",
                )?;
            }
            let mut w = tx.copy_in(if direct {
                "COPY households (id, head_personal_id, address) FROM STDIN"
            } else {
                "COPY load_households (id, head_personal_id, address) FROM STDIN"
            })?;
            w.write_all(&households).map_err(io_err)?;
            w.finish()?;
            if !direct {
                tx.batch_execute(if households_repeated {
                    "INSERT INTO households (id, head_personal_id, address)
                     SELECT DISTINCT ON (id) id, head_personal_id, address FROM load_households
                     ORDER BY id, seq DESC
                     ON CONFLICT (id) DO UPDATE SET head_personal_id = excluded.head_personal_id,
                                                    address = excluded.address"
                } else {
                    "INSERT INTO households (id, head_personal_id, address)
                     SELECT id, head_personal_id, address FROM load_households
                     ON CONFLICT (id) DO UPDATE SET head_personal_id = excluded.head_personal_id,
                                                    address = excluded.address"
                })?;
            }
        }
        if !events.is_empty() {
            let mut w = tx.copy_in(
                "COPY residence_events (personal_id, kind, date, data, recorded_at) FROM STDIN",
            )?;
            w.write_all(&events).map_err(io_err)?;
            w.finish()?;
        }
        if decide(&conflicts) {
            tx.commit()?;
            summary.committed = true;
        } else {
            tx.rollback()?;
            summary = LoadSummary::default();
        }
        Ok(summary)
    }
}

impl AuditStore for PgStore {
    fn append_audit(&self, records: &[AuditRecord]) -> Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        let mut slot = lock(&self.audit);
        let conn = match slot.take() {
            Some(c) if !c.client.is_closed() => slot.insert(c),
            _ => slot.insert(self.new_conn()?),
        };
        if records.len() > AUDIT_COPY_FROM {
            let mut buf = Vec::with_capacity(records.len() * 160);
            for r in records {
                copy_row(
                    &mut buf,
                    &[
                        Some(&r.at),
                        Some(&r.actor),
                        Some(&r.actor_kind),
                        r.role.as_deref(),
                        Some(&r.action),
                        Some(&r.route),
                        r.subject.as_deref(),
                        r.reason.as_deref(),
                    ],
                );
            }
            let mut tx = conn.client.transaction()?;
            let mut w = tx.copy_in(
                "COPY audit (at, actor, actor_kind, role, action, route, subject, reason)
                 FROM STDIN",
            )?;
            w.write_all(&buf).map_err(io_err)?;
            w.finish()?;
            tx.commit()?;
            return Ok(());
        }
        let column =
            |f: fn(&AuditRecord) -> Option<&str>| records.iter().map(f).collect::<Vec<_>>();
        conn.execute(
            INSERT_AUDIT,
            &[
                &column(|r| Some(&r.at)),
                &column(|r| Some(&r.actor)),
                &column(|r| Some(&r.actor_kind)),
                &column(|r| r.role.as_deref()),
                &column(|r| Some(&r.action)),
                &column(|r| Some(&r.route)),
                &column(|r| r.subject.as_deref()),
                &column(|r| r.reason.as_deref()),
            ],
        )?;
        Ok(())
    }

    fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let mut params: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(6);
        let mut which = 0;
        for (bit, value) in [
            &filter.subject,
            &filter.actor,
            &filter.action,
            &filter.since,
            &filter.until,
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(v) = value {
                which |= 1 << bit;
                params.push(v);
            }
        }
        params.push(&limit);
        let statements: &'static [String] = &LIST_AUDIT;
        let rows = self.conn()?.query(&statements[which], &params)?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    at: r.try_get(0)?,
                    actor: r.try_get(1)?,
                    actor_kind: r.try_get(2)?,
                    role: r.try_get(3)?,
                    action: r.try_get(4)?,
                    route: r.try_get(5)?,
                    subject: r.try_get(6)?,
                    reason: r.try_get(7)?,
                })
            })
            .collect()
    }
}

fn token_row(r: &Row) -> Result<ApiTokenRecord> {
    Ok(ApiTokenRecord {
        name: r.try_get(0)?,
        role: r.try_get(1)?,
        token_hash: r.try_get(2)?,
        created_at: r.try_get(3)?,
        revoked: r.try_get(4)?,
    })
}

impl TokenStore for PgStore {
    fn insert_token(&self, t: &ApiTokenRecord) -> Result<()> {
        let inserted = self.conn()?.execute(
            INSERT_TOKEN,
            &[&t.name, &t.role, &t.token_hash, &t.created_at, &t.revoked],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "a token named {:?} already exists",
                t.name
            )));
        }
        Ok(())
    }

    fn find_token(&self, token_hash: &str) -> Result<Option<ApiTokenRecord>> {
        self.conn()?
            .query_opt(FIND_TOKEN, &[&token_hash])?
            .as_ref()
            .map(token_row)
            .transpose()
    }

    fn list_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        self.conn()?
            .query(LIST_TOKENS, &[])?
            .iter()
            .map(token_row)
            .collect()
    }

    fn revoke_token(&self, name: &str) -> Result<()> {
        let changed = self.conn()?.execute(
            "UPDATE api_tokens SET revoked = TRUE WHERE name = $1",
            &[&name],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("no token named {name:?}")));
        }
        Ok(())
    }
}

impl MetaStore for PgStore {
    fn get_meta(&self, key: &str) -> Result<Option<String>> {
        self.conn()?
            .query_opt(GET_META, &[&key])?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(StoreError::from)
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        self.conn()?.execute(SET_META, &[&key, &value])?;
        Ok(())
    }
}

fn officer_row(r: &Row) -> Result<OfficerRecord> {
    Ok(OfficerRecord {
        login: r.try_get(0)?,
        display_name: r.try_get(1)?,
        role: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        must_change_password: r.try_get(4)?,
        totp_secret: r.try_get(5)?,
        totp_last_step: r.try_get(6)?,
        disabled: r.try_get(7)?,
        login_attempts: r.try_get(8)?,
        created_at: r.try_get(9)?,
        updated_at: r.try_get(10)?,
    })
}

fn session_row(r: &Row) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id_hash: r.try_get(0)?,
        login: r.try_get(1)?,
        created_at: r.try_get(2)?,
        last_seen: r.try_get(3)?,
        second_factor_pending: r.try_get(4)?,
    })
}

impl OfficerStore for PgStore {
    fn insert_officer(&self, o: &OfficerRecord) -> Result<()> {
        let inserted = self.conn()?.execute(
            INSERT_OFFICER,
            &[
                &o.login,
                &o.display_name,
                &o.role,
                &o.password_hash,
                &o.must_change_password,
                &o.totp_secret,
                &o.totp_last_step,
                &o.disabled,
                &o.login_attempts,
                &o.created_at,
                &o.updated_at,
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "an officer with login {:?} exists",
                o.login
            )));
        }
        Ok(())
    }

    fn get_officer(&self, login: &str) -> Result<Option<OfficerRecord>> {
        self.conn()?
            .query_opt(GET_OFFICER, &[&login])?
            .as_ref()
            .map(officer_row)
            .transpose()
    }

    fn list_officers(&self) -> Result<Vec<OfficerRecord>> {
        self.conn()?
            .query(LIST_OFFICERS, &[])?
            .iter()
            .map(officer_row)
            .collect()
    }

    fn update_officer(&self, o: &OfficerRecord) -> Result<()> {
        let changed = self.conn()?.execute(
            UPDATE_OFFICER,
            &[
                &o.login,
                &o.display_name,
                &o.role,
                &o.password_hash,
                &o.must_change_password,
                &o.totp_secret,
                &o.totp_last_step,
                &o.disabled,
                &o.login_attempts,
                &o.updated_at,
            ],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!(
                "no officer with login {:?}",
                o.login
            )));
        }
        Ok(())
    }

    fn count_officers(&self) -> Result<u64> {
        let n: Option<i64> = self
            .conn()?
            .query_opt(COUNT_OFFICERS, &[])?
            .map(|r| r.try_get(0))
            .transpose()?;
        Ok(n.unwrap_or(0) as u64)
    }

    fn insert_session(&self, s: &SessionRecord) -> Result<()> {
        let mut conn = self.conn()?;
        let stmt = conn.stmt(INSERT_SESSION)?;
        let inserted = conn
            .client
            .execute(
                &stmt,
                &[
                    &s.id_hash,
                    &s.login,
                    &s.created_at,
                    &s.last_seen,
                    &s.second_factor_pending,
                ],
            )
            .map_err(|e| {
                if e.code() == Some(&postgres::error::SqlState::FOREIGN_KEY_VIOLATION) {
                    StoreError::NotFound(format!("no officer with login {:?}", s.login))
                } else {
                    e.into()
                }
            })?;
        if inserted == 0 {
            return Err(StoreError::Conflict("a session with this id exists".into()));
        }
        Ok(())
    }

    fn get_session(&self, id_hash: &str) -> Result<Option<SessionRecord>> {
        self.conn()?
            .query_opt(GET_SESSION, &[&id_hash])?
            .as_ref()
            .map(session_row)
            .transpose()
    }

    fn update_session(&self, s: &SessionRecord) -> Result<()> {
        let changed = self.conn()?.execute(
            UPDATE_SESSION,
            &[&s.id_hash, &s.last_seen, &s.second_factor_pending],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound("no such session".into()));
        }
        Ok(())
    }

    fn delete_session(&self, id_hash: &str) -> Result<()> {
        self.conn()?.execute(DELETE_SESSION, &[&id_hash])?;
        Ok(())
    }

    fn delete_sessions_of(&self, login: &str) -> Result<u64> {
        self.conn()?.execute(DELETE_SESSIONS_OF, &[&login])
    }

    fn delete_sessions_seen_before(&self, before: &str) -> Result<u64> {
        self.conn()?
            .execute(DELETE_SESSIONS_SEEN_BEFORE, &[&before])
    }
}

macro_rules! run_columns {
    () => {
        "id, kind, file_name, created_by, created_at, status, error, finished_at, row_count,
     summary, columns, headers"
    };
}
const INSERT_RUN: &str = concat!(
    "INSERT INTO reconcile_runs (kind, file_name, created_by, created_at, status, columns, headers,
     row_count)
 VALUES ($1, $2, $3, $4, 'queued', $5, $6, $7) RETURNING ",
    run_columns!()
);
const GET_RUN: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM reconcile_runs WHERE id = $1"
);
const LIST_RUNS: &str = concat!(
    "SELECT ",
    run_columns!(),
    " FROM reconcile_runs WHERE ($1::text IS NULL OR kind = $1) ORDER BY id DESC LIMIT $2"
);
const SET_RUN_STATUS: &str =
    "UPDATE reconcile_runs SET status = $2, error = $3, finished_at = $4 WHERE id = $1";
const FAIL_UNFINISHED_RUNS: &str =
    "UPDATE reconcile_runs SET status = 'failed', error = $1, finished_at = $2
 WHERE status IN ('queued', 'running')";

macro_rules! row_columns {
    () => {
        "row, cells, engine_outcome, outcome, personal_id, weight, probability, differences,
     best_id, best, runner_up_id, runner_up, row_key, decision"
    };
}
/// Rows of a run: $2 the outcomes (empty: all), $3 only undecided ones, $4 only after a row.
macro_rules! row_condition {
    () => {
        " WHERE run_id = $1 AND (cardinality($2::text[]) = 0 OR outcome = ANY($2::text[]))
       AND (NOT $3 OR decision IS NULL) AND ($4::bigint IS NULL OR row > $4)"
    };
}
const LIST_ROWS: &str = concat!(
    "SELECT ",
    row_columns!(),
    " FROM reconcile_rows",
    row_condition!(),
    " ORDER BY row LIMIT $5 OFFSET $6"
);
const COUNT_ROWS: &str = concat!("SELECT count(*) FROM reconcile_rows", row_condition!());
const GET_ROW: &str = concat!(
    "SELECT ",
    row_columns!(),
    " FROM reconcile_rows WHERE run_id = $1 AND row = $2"
);
const OUTCOME_COUNTS: &str = "SELECT outcome, count(*) FROM reconcile_rows WHERE run_id = $1
 GROUP BY outcome ORDER BY outcome";

macro_rules! decision_columns {
    () => {
        "run_id, row, decision, personal_id, officer, at, note, kind, row_key"
    };
}
const LIST_DECISIONS: &str = concat!(
    "SELECT ",
    decision_columns!(),
    " FROM reconcile_decisions WHERE ($1::bigint IS NULL OR run_id = $1)
   AND ($2::text IS NULL OR kind = $2) ORDER BY id DESC LIMIT $3"
);

fn pg_run(r: &Row) -> Result<ReconcileRun> {
    let status: &str = r.try_get(5)?;
    let headers: &str = r.try_get(11)?;
    Ok(ReconcileRun {
        id: r.try_get(0)?,
        kind: r.try_get(1)?,
        file_name: r.try_get(2)?,
        created_by: r.try_get(3)?,
        created_at: r.try_get(4)?,
        // Checked by the schema; an unknown value reads as failed.
        status: RunStatus::parse(status).unwrap_or(RunStatus::Failed),
        error: r.try_get(6)?,
        finished_at: r.try_get(7)?,
        row_count: r.try_get(8)?,
        summary: r.try_get(9)?,
        columns: r.try_get(10)?,
        headers: strings_from_json(headers)?,
    })
}

fn pg_row(r: &Row) -> Result<ReconcileRow> {
    let cells: &str = r.try_get(1)?;
    let differences: &str = r.try_get(7)?;
    let candidate = |id: usize| -> Result<Option<RowCandidate>> {
        let personal_id: Option<String> = r.try_get(id)?;
        let detail: Option<String> = r.try_get(id + 1)?;
        Ok(personal_id.map(|personal_id| RowCandidate {
            personal_id,
            detail: detail.unwrap_or_else(|| "{}".into()),
        }))
    };
    Ok(ReconcileRow {
        row: r.try_get(0)?,
        cells: strings_from_json(cells)?,
        engine_outcome: r.try_get(2)?,
        outcome: r.try_get(3)?,
        personal_id: r.try_get(4)?,
        weight: r.try_get(5)?,
        probability: r.try_get(6)?,
        differences: strings_from_json(differences)?,
        best: candidate(8)?,
        runner_up: candidate(10)?,
        row_key: r.try_get(12)?,
        decision: r.try_get(13)?,
    })
}

fn pg_decision(r: &Row) -> Result<ReconcileDecision> {
    let decision: &str = r.try_get(2)?;
    Ok(ReconcileDecision {
        run_id: r.try_get(0)?,
        row: r.try_get(1)?,
        decision: ReviewDecision::parse(decision).unwrap_or(ReviewDecision::Reject),
        personal_id: r.try_get(3)?,
        officer: r.try_get(4)?,
        at: r.try_get(5)?,
        note: r.try_get(6)?,
        kind: r.try_get(7)?,
        row_key: r.try_get(8)?,
    })
}

impl ReconcileStore for PgStore {
    fn create_run(&self, run: &NewRun) -> Result<ReconcileRun> {
        let headers = strings_json(&run.headers)?;
        let row = self.conn()?.query_opt(
            INSERT_RUN,
            &[
                &run.kind,
                &run.file_name,
                &run.created_by,
                &now_rfc3339(),
                &run.columns,
                &headers,
                &run.row_count,
            ],
        )?;
        let row = row.ok_or_else(|| StoreError::Database("the new run was not returned".into()))?;
        pg_run(&row)
    }

    fn set_run_status(&self, id: i64, status: RunStatus, error: Option<&str>) -> Result<()> {
        let finished = (!status.is_unfinished()).then(now_rfc3339);
        let changed = self
            .conn()?
            .execute(SET_RUN_STATUS, &[&id, &status.as_str(), &error, &finished])?;
        if changed == 0 {
            return Err(StoreError::NotFound(format!("no reconciliation run {id}")));
        }
        Ok(())
    }

    fn complete_run(&self, id: i64, summary: &str, rows: &[ReconcileRow]) -> Result<()> {
        let at = now_rfc3339();
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        let status = tx.query_opt(
            "SELECT status FROM reconcile_runs WHERE id = $1 FOR UPDATE",
            &[&id],
        )?;
        let Some(status) = status else {
            return Err(StoreError::NotFound(format!("no reconciliation run {id}")));
        };
        let status: &str = status.try_get(0)?;
        if status == "done" {
            return Err(StoreError::Conflict(format!(
                "reconciliation run {id} is already done"
            )));
        }
        if !rows.is_empty() {
            let mut buf = Vec::with_capacity(rows.len() * 256);
            let run = id.to_string();
            for r in rows {
                let number = |v: Option<f64>| v.map(|x| x.to_string());
                let (weight, probability) = (number(r.weight), number(r.probability));
                let line = r.row.to_string();
                let cells = strings_json(&r.cells)?;
                let differences = strings_json(&r.differences)?;
                copy_row(
                    &mut buf,
                    &[
                        Some(&run),
                        Some(&line),
                        Some(&cells),
                        Some(&r.engine_outcome),
                        Some(&r.outcome),
                        r.personal_id.as_deref(),
                        weight.as_deref(),
                        probability.as_deref(),
                        Some(&differences),
                        r.best.as_ref().map(|c| c.personal_id.as_str()),
                        r.best.as_ref().map(|c| c.detail.as_str()),
                        r.runner_up.as_ref().map(|c| c.personal_id.as_str()),
                        r.runner_up.as_ref().map(|c| c.detail.as_str()),
                        Some(&r.row_key),
                        r.decision.as_deref(),
                    ],
                );
            }
            let mut w = tx.copy_in(concat!(
                "COPY reconcile_rows (run_id, ",
                row_columns!(),
                ") FROM STDIN"
            ))?;
            w.write_all(&buf).map_err(io_err)?;
            w.finish()?;
        }
        tx.execute(
            "UPDATE reconcile_runs SET status = 'done', error = NULL, finished_at = $2,
                 row_count = $3, summary = $4
             WHERE id = $1",
            &[&id, &at, &(rows.len() as i64), &summary],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn fail_unfinished_runs(&self, error: &str) -> Result<u64> {
        self.conn()?
            .execute(FAIL_UNFINISHED_RUNS, &[&error, &now_rfc3339()])
    }

    fn get_run(&self, id: i64) -> Result<Option<ReconcileRun>> {
        self.conn()?
            .query_opt(GET_RUN, &[&id])?
            .as_ref()
            .map(pg_run)
            .transpose()
    }

    fn list_runs(&self, filter: &RunFilter) -> Result<Vec<ReconcileRun>> {
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        self.conn()?
            .query(LIST_RUNS, &[&filter.kind, &limit])?
            .iter()
            .map(pg_run)
            .collect()
    }

    fn list_run_rows(&self, run_id: i64, filter: &RowFilter) -> Result<Vec<ReconcileRow>> {
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let offset = i64::try_from(filter.offset).unwrap_or(i64::MAX);
        self.conn()?
            .query(
                LIST_ROWS,
                &[
                    &run_id,
                    &filter.outcomes,
                    &filter.undecided,
                    &filter.after_row,
                    &limit,
                    &offset,
                ],
            )?
            .iter()
            .map(pg_row)
            .collect()
    }

    fn count_run_rows(&self, run_id: i64, filter: &RowFilter) -> Result<u64> {
        let row = self.conn()?.query_opt(
            COUNT_ROWS,
            &[
                &run_id,
                &filter.outcomes,
                &filter.undecided,
                &filter.after_row,
            ],
        )?;
        let n: i64 = match row {
            Some(r) => r.try_get(0)?,
            None => 0,
        };
        Ok(n as u64)
    }

    fn run_outcome_counts(&self, run_id: i64) -> Result<Vec<(String, u64)>> {
        self.conn()?
            .query(OUTCOME_COUNTS, &[&run_id])?
            .iter()
            .map(|r| {
                let n: i64 = r.try_get(1)?;
                Ok((r.try_get(0)?, n as u64))
            })
            .collect()
    }

    fn get_run_row(&self, run_id: i64, row: i64) -> Result<Option<ReconcileRow>> {
        self.conn()?
            .query_opt(GET_ROW, &[&run_id, &row])?
            .as_ref()
            .map(pg_row)
            .transpose()
    }

    fn record_decision(
        &self,
        d: &NewDecision,
        resolution: &RowResolution,
    ) -> Result<ReconcileDecision> {
        let at = now_rfc3339();
        let differences = strings_json(&resolution.differences)?;
        let mut conn = self.conn()?;
        let mut tx = conn.client.transaction()?;
        let found = tx.query_opt(
            "SELECT r.row_key, u.kind FROM reconcile_rows r
             JOIN reconcile_runs u ON u.id = r.run_id
             WHERE r.run_id = $1 AND r.row = $2 FOR UPDATE OF r",
            &[&d.run_id, &d.row],
        )?;
        let Some(found) = found else {
            return Err(StoreError::NotFound(format!(
                "no row {} in reconciliation run {}",
                d.row, d.run_id
            )));
        };
        let row_key: String = found.try_get(0)?;
        let kind: String = found.try_get(1)?;
        tx.execute(
            concat!(
                "INSERT INTO reconcile_decisions (",
                decision_columns!(),
                ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
            ),
            &[
                &d.run_id,
                &d.row,
                &d.decision.as_str(),
                &d.personal_id,
                &d.officer,
                &at,
                &d.note,
                &kind,
                &row_key,
            ],
        )?;
        tx.execute(
            "UPDATE reconcile_rows SET outcome = $3, personal_id = $4, differences = $5,
                 decision = $6
             WHERE run_id = $1 AND row = $2",
            &[
                &d.run_id,
                &d.row,
                &resolution.outcome,
                &resolution.personal_id,
                &differences,
                &d.decision.as_str(),
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
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        self.conn()?
            .query(LIST_DECISIONS, &[&filter.run_id, &filter.kind, &limit])?
            .iter()
            .map(pg_decision)
            .collect()
    }
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    fn async_person_reader(&self) -> Option<Arc<dyn AsyncPersonReader>> {
        Some(self.lookups.clone())
    }
}
