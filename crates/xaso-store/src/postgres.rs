//! PostgreSQL: the same register for a province or the nation. Bulk loads stream through COPY
//! into a temporary table and are checked and moved in one transaction.

use std::io::Write;
use std::sync::{Condvar, Mutex, MutexGuard};

use postgres::{Client, NoTls, Row};
use xaso_domain::register::{Household, Person, ResidenceEvent};
use xaso_domain::PersonalId;

use crate::{
    now_rfc3339, person_from_json, person_json, prefix_upper_bound, rank_name_results,
    ApiTokenRecord, AuditFilter, AuditRecord, AuditStore, ChangeMeta, CommitDecision, LoadConflict,
    LoadItem, LoadSummary, MetaStore, NameMatch, NameQuery, PersonKeys, PersonVersion,
    PreparedPerson, RegisterStore, Result, Store, StoreError, StoredPerson, TokenStore,
};

const MIGRATIONS: &[&str] = &[include_str!("sql/postgres/0001_register.sql")];
const POOL_SIZE: usize = 6;

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

pub struct PgStore {
    pool: Mutex<Vec<Client>>,
    ready: Condvar,
    schema: Option<String>,
}

struct Conn<'a> {
    store: &'a PgStore,
    client: Option<Client>,
}

impl std::ops::Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().unwrap_or_else(|| unreachable!())
    }
}

impl std::ops::DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(client) = self.client.take() {
            // A connection that broke is dropped; the pool refills on demand.
            if !client.is_closed() {
                lock(&self.store.pool).push(client);
            }
            self.store.ready.notify_one();
        }
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
    pub fn connect(url: &str, schema: Option<&str>) -> Result<Self> {
        if let Some(s) = schema {
            if !valid_schema_name(s) {
                return Err(StoreError::Open(format!(
                    "schema name {s:?} must be lowercase letters, digits and _"
                )));
            }
        }
        let store = PgStore {
            pool: Mutex::new(Vec::new()),
            ready: Condvar::new(),
            schema: schema.map(str::to_string),
        };
        let mut first = store.new_client(url)?;
        store.migrate(&mut first)?;
        let mut pool = vec![first];
        for _ in 1..POOL_SIZE {
            pool.push(store.new_client(url)?);
        }
        *lock(&store.pool) = pool;
        Ok(store)
    }

    fn new_client(&self, url: &str) -> Result<Client> {
        let mut client = Client::connect(url, NoTls)
            .map_err(|e| StoreError::Open(format!("cannot connect to PostgreSQL: {e}")))?;
        if let Some(schema) = &self.schema {
            client.batch_execute(&format!(
                "CREATE SCHEMA IF NOT EXISTS {schema}; SET search_path TO {schema}"
            ))?;
        }
        Ok(client)
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

    fn conn(&self) -> Conn<'_> {
        let mut pool = lock(&self.pool);
        loop {
            if let Some(client) = pool.pop() {
                return Conn {
                    store: self,
                    client: Some(client),
                };
            }
            pool = self.ready.wait(pool).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Drops the schema this store was opened with (tests clean up after themselves).
    pub fn drop_schema(self) -> Result<()> {
        if let Some(schema) = self.schema.clone() {
            let mut conn = self.conn();
            conn.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        }
        Ok(())
    }
}

const PERSON_COLUMNS: &str = "data::text, version, updated_at, updated_by";

fn to_stored(row: &Row) -> Result<StoredPerson> {
    let data: String = row.try_get(0)?;
    Ok(StoredPerson {
        person: person_from_json(&data)?,
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
    for b in value.bytes() {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            _ => out.push(b),
        }
    }
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

impl RegisterStore for PgStore {
    fn get_person(&self, id: &PersonalId) -> Result<Option<StoredPerson>> {
        let mut conn = self.conn();
        let stmt = conn.prepare(&format!(
            "SELECT {PERSON_COLUMNS} FROM persons WHERE personal_id = $1"
        ))?;
        conn.query_opt(&stmt, &[&id.as_str()])?
            .as_ref()
            .map(to_stored)
            .transpose()
    }

    fn find_by_cmnd(&self, cmnd: &str) -> Result<Vec<StoredPerson>> {
        let mut conn = self.conn();
        to_stored_all(conn.query(
            &format!("SELECT {PERSON_COLUMNS} FROM persons WHERE old_cmnd = $1 ORDER BY personal_id LIMIT 50"),
            &[&cmnd],
        )?)
    }

    fn search_by_name(&self, query: &NameQuery) -> Result<Vec<StoredPerson>> {
        let mut conn = self.conn();
        let limit = query.limit as i64;
        let (column, key) = match query.matcher() {
            NameMatch::Toned(k) => ("name_key", k),
            NameMatch::Stripped(k) => ("name_stripped", k),
        };
        if key.is_empty() {
            return Ok(Vec::new());
        }
        let upper = prefix_upper_bound(&key);
        let mut found = to_stored_all(conn.query(
            &format!(
                "SELECT {PERSON_COLUMNS} FROM persons
                 WHERE {column} >= $1 AND {column} < $2
                   AND ($3::int IS NULL OR birth_year = $3)
                 ORDER BY {column}, personal_id LIMIT $4"
            ),
            &[&key, &upper, &query.birth_year, &limit],
        )?)?;
        if !key.contains(' ') {
            let given = xaso_domain::name::stripped_key(&query.name);
            let more = to_stored_all(conn.query(
                &format!(
                    "SELECT {PERSON_COLUMNS} FROM persons
                     WHERE given_stripped = $1 AND ($2::int IS NULL OR birth_year = $2)
                     ORDER BY name_stripped, personal_id LIMIT $3"
                ),
                &[&given, &query.birth_year, &limit],
            )?)?;
            let toned = matches!(query.matcher(), NameMatch::Toned(_));
            let want = xaso_domain::name::key(&query.name);
            found.extend(more.into_iter().filter(|p| {
                !toned
                    || xaso_domain::name::key(&p.person.full_name)
                        .rsplit(' ')
                        .next()
                        .is_some_and(|g| g == want)
            }));
        }
        Ok(rank_name_results(query, found))
    }

    fn insert_person(&self, person: &Person, change: &ChangeMeta) -> Result<StoredPerson> {
        let at = now_rfc3339();
        let keys = PersonKeys::of(person);
        let mut conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO persons (personal_id, old_cmnd, name_key, name_stripped, given_stripped,
                 birth_year, household_id, deceased, version, updated_at, updated_by, change_reason, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11, $12::text::jsonb)
             ON CONFLICT (personal_id) DO NOTHING",
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
                &person_json(person)?,
            ],
        )?;
        if inserted == 0 {
            return Err(StoreError::Conflict(format!(
                "personal ID {} is already in the register",
                person.personal_id
            )));
        }
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
        let mut conn = self.conn();
        let mut tx = conn.transaction()?;
        let current = tx.query_opt(
            "SELECT version FROM persons WHERE personal_id = $1 FOR UPDATE",
            &[&person.personal_id.as_str()],
        )?;
        let Some(current) = current else {
            return Err(StoreError::NotFound(format!(
                "person {}",
                person.personal_id
            )));
        };
        let version: i64 = current.get(0);
        if version != expected_version {
            return Err(StoreError::Conflict(format!(
                "the record of {} changed (now version {version}, you edited version {expected_version}); reload and edit again",
                person.personal_id
            )));
        }
        tx.execute(
            "INSERT INTO person_versions (personal_id, version, changed_at, changed_by, reason, data)
             SELECT personal_id, version, updated_at, updated_by, change_reason, data
             FROM persons WHERE personal_id = $1",
            &[&person.personal_id.as_str()],
        )?;
        let keys = PersonKeys::of(person);
        tx.execute(
            "UPDATE persons SET old_cmnd = $2, name_key = $3, name_stripped = $4, given_stripped = $5,
                 birth_year = $6, household_id = $7, deceased = $8, version = $9, updated_at = $10,
                 updated_by = $11, change_reason = $12, data = $13::text::jsonb
             WHERE personal_id = $1",
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
                &person_json(person)?,
            ],
        )?;
        tx.commit()?;
        Ok(StoredPerson {
            person: person.clone(),
            version: version + 1,
            updated_at: at,
            updated_by: change.actor.clone(),
        })
    }

    fn person_history(&self, id: &PersonalId) -> Result<Vec<PersonVersion>> {
        let mut conn = self.conn();
        let rows = conn.query(
            "SELECT version, changed_at, changed_by, reason, data::text FROM person_versions
             WHERE personal_id = $1
             UNION ALL
             SELECT version, updated_at, updated_by, change_reason, data::text FROM persons
             WHERE personal_id = $1
             ORDER BY 1",
            &[&id.as_str()],
        )?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get(4)?;
                Ok(PersonVersion {
                    version: r.try_get(0)?,
                    changed_at: r.try_get(1)?,
                    changed_by: r.try_get(2)?,
                    reason: r.try_get(3)?,
                    record: person_from_json(&data)?,
                })
            })
            .collect()
    }

    fn residence_events(&self, id: &PersonalId) -> Result<Vec<ResidenceEvent>> {
        let mut conn = self.conn();
        let rows = conn.query(
            "SELECT data::text FROM residence_events WHERE personal_id = $1 ORDER BY date, id",
            &[&id.as_str()],
        )?;
        rows.iter()
            .map(|r| {
                let data: String = r.try_get(0)?;
                Ok(serde_json::from_str(&data)?)
            })
            .collect()
    }

    fn add_residence_event(&self, event: &ResidenceEvent) -> Result<()> {
        let mut conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO residence_events (personal_id, kind, date, data, recorded_at)
             SELECT $1, $2, $3, $4::text::jsonb, $5
             WHERE EXISTS (SELECT 1 FROM persons WHERE personal_id = $1)",
            &[
                &event.personal_id.as_str(),
                &event.kind.as_str(),
                &event.date.to_iso(),
                &serde_json::to_string(event)?,
                &now_rfc3339(),
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

    fn get_household(&self, id: &str) -> Result<Option<Household>> {
        let mut conn = self.conn();
        let row = conn.query_opt(
            "SELECT id, head_personal_id, address::text FROM households WHERE id = $1",
            &[&id],
        )?;
        row.map(|r| {
            let head: Option<String> = r.try_get(1)?;
            let address: String = r.try_get(2)?;
            Ok(Household {
                id: r.try_get(0)?,
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
        let mut conn = self.conn();
        to_stored_all(conn.query(
            &format!(
                "SELECT {PERSON_COLUMNS} FROM persons WHERE household_id = $1 ORDER BY personal_id"
            ),
            &[&id],
        )?)
    }

    fn count_persons(&self) -> Result<u64> {
        let mut conn = self.conn();
        let n: i64 = conn.query_one("SELECT count(*) FROM persons", &[])?.get(0);
        Ok(n as u64)
    }

    fn for_each_person(&self, f: &mut dyn FnMut(StoredPerson) -> Result<()>) -> Result<()> {
        let mut conn = self.conn();
        let mut tx = conn.transaction()?;
        let portal = tx.bind(
            &format!("SELECT {PERSON_COLUMNS} FROM persons ORDER BY personal_id"),
            &[],
        )?;
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
        let mut conn = self.conn();
        let mut tx = conn.transaction()?;
        tx.batch_execute(
            "CREATE TEMP TABLE load_persons (
                 line BIGINT NOT NULL, personal_id TEXT COLLATE \"C\" NOT NULL, old_cmnd TEXT,
                 name_key TEXT NOT NULL, name_stripped TEXT NOT NULL, given_stripped TEXT NOT NULL,
                 birth_year INTEGER, household_id TEXT, deceased BOOLEAN NOT NULL, data TEXT NOT NULL
             ) ON COMMIT DROP;
             CREATE TEMP TABLE load_households (
                 seq BIGINT NOT NULL, id TEXT NOT NULL, head_personal_id TEXT, address TEXT NOT NULL
             ) ON COMMIT DROP",
        )?;
        let mut households = Vec::new();
        let mut events = Vec::new();
        let mut summary = LoadSummary::default();
        {
            let mut writer = tx.copy_in(
                "COPY load_persons (line, personal_id, old_cmnd, name_key, name_stripped,
                         given_stripped, birth_year, household_id, deceased, data) FROM STDIN",
            )?;
            let mut buf = Vec::with_capacity(1 << 20);
            for item in items {
                match item {
                    LoadItem::Person { line, person } => {
                        let PreparedPerson {
                            person,
                            keys,
                            json: data,
                        } = *person;
                        let line = line.to_string();
                        let year = keys.birth_year.map(|y| y.to_string());
                        copy_row(
                            &mut buf,
                            &[
                                Some(&line),
                                Some(person.personal_id.as_str()),
                                person.old_cmnd.as_ref().map(|c| c.as_str()),
                                Some(&keys.name_key),
                                Some(&keys.name_stripped),
                                Some(&keys.given_stripped),
                                year.as_deref(),
                                person.household_id.as_deref(),
                                Some(if person.is_deceased() { "t" } else { "f" }),
                                Some(&data),
                            ],
                        );
                        if buf.len() > (1 << 20) {
                            writer.write_all(&buf).map_err(io_err)?;
                            buf.clear();
                        }
                    }
                    LoadItem::Household(h) => {
                        let seq = households.len().to_string();
                        let address = serde_json::to_string(&h.address)?;
                        copy_row(
                            &mut households,
                            &[
                                Some(&seq),
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
            writer.finish()?;
        }
        let mut conflicts: Vec<LoadConflict> = Vec::new();
        for row in tx.query(
            "SELECT line, personal_id, 'personal ID repeated in this file' FROM (
                 SELECT line, personal_id,
                        row_number() OVER (PARTITION BY personal_id ORDER BY line) AS n
                 FROM load_persons) r WHERE n > 1
             UNION ALL
             SELECT l.line, l.personal_id, 'personal ID already in the register'
             FROM load_persons l JOIN persons p ON p.personal_id = l.personal_id
             ORDER BY 1",
            &[],
        )? {
            let line: i64 = row.get(0);
            conflicts.push(LoadConflict {
                line: line as usize,
                personal_id: row.get(1),
                rule: row.get(2),
            });
        }
        // On a conflict within the file the first row wins, like the SQLite store.
        let inserted = tx.execute(
            "INSERT INTO persons (personal_id, old_cmnd, name_key, name_stripped, given_stripped,
                 birth_year, household_id, deceased, version, updated_at, updated_by, change_reason, data)
             SELECT DISTINCT ON (personal_id) personal_id, old_cmnd, name_key, name_stripped,
                 given_stripped, birth_year, household_id, deceased, 1, $1, $2, $3, data::jsonb
             FROM load_persons l
             WHERE NOT EXISTS (SELECT 1 FROM persons p WHERE p.personal_id = l.personal_id)
             ORDER BY personal_id, line",
            &[&at, &change.actor, &change.reason],
        )?;
        summary.persons = inserted as usize;
        if !households.is_empty() {
            let mut w =
                tx.copy_in("COPY load_households (seq, id, head_personal_id, address) FROM STDIN")?;
            w.write_all(&households).map_err(io_err)?;
            w.finish()?;
            tx.batch_execute(
                "INSERT INTO households (id, head_personal_id, address)
                 SELECT DISTINCT ON (id) id, head_personal_id, address::jsonb
                 FROM load_households ORDER BY id, seq DESC
                 ON CONFLICT (id) DO UPDATE SET head_personal_id = excluded.head_personal_id,
                                                address = excluded.address",
            )?;
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
        let mut conn = self.conn();
        let mut tx = conn.transaction()?;
        let mut buf = Vec::with_capacity(records.len() * 128);
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
        let mut w = tx.copy_in(
            "COPY audit (at, actor, actor_kind, role, action, route, subject, reason) FROM STDIN",
        )?;
        w.write_all(&buf).map_err(io_err)?;
        w.finish()?;
        tx.commit()?;
        Ok(())
    }

    fn list_audit(&self, filter: &AuditFilter) -> Result<Vec<AuditRecord>> {
        let mut conn = self.conn();
        let rows = conn.query(
            "SELECT at, actor, actor_kind, role, action, route, subject, reason FROM audit
             WHERE ($1::text IS NULL OR subject = $1) AND ($2::text IS NULL OR actor = $2)
               AND ($3::text IS NULL OR action = $3)
             ORDER BY id DESC LIMIT $4",
            &[
                &filter.subject,
                &filter.actor,
                &filter.action,
                &(filter.limit as i64),
            ],
        )?;
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
        let mut conn = self.conn();
        let inserted = conn.execute(
            "INSERT INTO api_tokens (name, role, token_hash, created_at, revoked)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING",
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
        let mut conn = self.conn();
        conn.query_opt(
            "SELECT name, role, token_hash, created_at, revoked FROM api_tokens WHERE token_hash = $1",
            &[&token_hash],
        )?
        .as_ref()
        .map(token_row)
        .transpose()
    }

    fn list_tokens(&self) -> Result<Vec<ApiTokenRecord>> {
        let mut conn = self.conn();
        conn.query(
            "SELECT name, role, token_hash, created_at, revoked FROM api_tokens ORDER BY name",
            &[],
        )?
        .iter()
        .map(token_row)
        .collect()
    }
}

impl MetaStore for PgStore {
    fn get_meta(&self, key: &str) -> Result<Option<String>> {
        let mut conn = self.conn();
        Ok(conn
            .query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let mut conn = self.conn();
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }
}

impl Store for PgStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }
}
