//! PostgreSQL lookups by personal ID on asynchronous connections, for the server's hottest
//! route.
//!
//! The synchronous pool costs a lookup a hand-off to a blocking thread, the `postgres` client's
//! own `block_on`, and a round trip on a connection no one else uses meanwhile. Here a few
//! `tokio_postgres` clients (one per core, at least two) run on the caller's runtime, each with
//! the lookup prepared once; lookups take them in turn, and concurrent lookups on one client are
//! pipelined, so they do not wait for each other's round trip.
//!
//! A connection that closed (the server restarted, the backend was terminated) is opened again
//! by the next lookup on its slot; a lookup that finds its connection broken under it reads
//! again once on a new one (a read is safe to repeat). One opening per slot at a time: lookups
//! that waited for an opening that failed get its error instead of trying again each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use tokio_postgres::error::Severity;
use tokio_postgres::{Client, Config, NoTls, Statement};
use xaso_domain::PersonalId;

use crate::postgres::{raw_person, BY_ID};
use crate::{AsyncPersonReader, RawPerson, Result, StoreError, StoreFuture};

/// How long opening a lookup connection may take, unless the URL says (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a lookup may wait for its answer by default. A connection that stays silent this
/// long (a server or network that hangs without closing, a table locked by someone) is given
/// up: the lookups queued on it fail with [`StoreError::Unavailable`] instead of waiting for
/// ever, and the next lookup on its slot opens another.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_secs(15);

/// The lookup connections of one [`crate::postgres::PgStore`]. Opens nothing until asked.
pub(crate) struct PgLookups {
    config: Config,
    schema: Option<String>,
    slots: Box<[Slot]>,
    next: AtomicUsize,
    /// [`LOOKUP_TIMEOUT`] unless the store was given another.
    timeout: Duration,
}

struct Slot {
    /// The open connection; a lookup clones it out and lets go at once.
    current: Mutex<Option<Arc<LookupConn>>>,
    /// Held while the connection is being opened.
    opening: tokio::sync::Mutex<Openings>,
}

#[derive(Default)]
struct Openings {
    /// Connections opened on this slot so far.
    opened: u64,
    /// The last opening that failed: when it gave up, and why (the error for the lookups
    /// that waited for it).
    failed: Option<(Instant, Failure)>,
}

/// Why an opening failed: the server refused or broke it, or it did not finish in time.
#[derive(Clone)]
enum Failure {
    Refused(String),
    Silent(String),
}

impl Failure {
    fn of(e: &StoreError) -> Failure {
        match e {
            StoreError::Unavailable(m) => Failure::Silent(m.clone()),
            other => Failure::Refused(other.to_string()),
        }
    }

    fn error(&self) -> StoreError {
        match self {
            Failure::Refused(m) => StoreError::Open(m.clone()),
            Failure::Silent(m) => StoreError::Unavailable(m.clone()),
        }
    }
}

struct LookupConn {
    client: Client,
    by_id: Statement,
}

/// `application_name` of the lookup connections (unless the URL names one), so that they can be
/// told apart in `pg_stat_activity`: `xaso-lookup`, and the schema when the store has one.
pub(crate) fn application_name(schema: Option<&str>) -> String {
    match schema {
        Some(s) => format!("xaso-lookup {s}"),
        None => "xaso-lookup".to_string(),
    }
}

impl PgLookups {
    /// Lookups on `connections` clients (at least one) of the database at `url`, in `schema`
    /// when given (already created by the store).
    pub(crate) fn new(
        url: &str,
        schema: Option<&str>,
        connections: usize,
        timeout: Duration,
    ) -> Result<PgLookups> {
        let mut config: Config = url
            .parse()
            .map_err(|e| StoreError::Open(format!("cannot connect to PostgreSQL: {e}")))?;
        if config.get_application_name().is_none() {
            config.application_name(application_name(schema));
        }
        // An unreachable server fails the lookups waiting on an opening in bounded time.
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        Ok(PgLookups::unopened(
            config,
            schema.map(str::to_string),
            connections.max(1),
            timeout,
        ))
    }

    fn unopened(
        config: Config,
        schema: Option<String>,
        connections: usize,
        timeout: Duration,
    ) -> PgLookups {
        PgLookups {
            config,
            schema,
            slots: (0..connections)
                .map(|_| Slot {
                    current: Mutex::new(None),
                    opening: tokio::sync::Mutex::new(Openings::default()),
                })
                .collect(),
            next: AtomicUsize::new(0),
            timeout,
        }
    }

    /// The same lookups with another time limit (none opened yet).
    pub(crate) fn with_timeout(&self, timeout: Duration) -> PgLookups {
        PgLookups::unopened(
            self.config.clone(),
            self.schema.clone(),
            self.slots.len(),
            timeout,
        )
    }

    /// Reads `id` on `conn`, within the time limit; a silent connection is discarded and the
    /// server asked to cancel what it runs on it (so that its backend ends rather than wait).
    async fn query(
        &self,
        i: usize,
        conn: &Arc<LookupConn>,
        id: &PersonalId,
    ) -> Result<std::result::Result<Option<tokio_postgres::Row>, tokio_postgres::Error>> {
        match tokio::time::timeout(
            self.timeout,
            conn.client.query_opt(&conn.by_id, &[&id.as_str()]),
        )
        .await
        {
            Ok(answer) => Ok(answer),
            Err(_) => {
                tracing::warn!(
                    "PostgreSQL lookup connection {i} gave no answer within {:?}; opening another",
                    self.timeout
                );
                self.discard(i, conn);
                let cancel = conn.client.cancel_token();
                tokio::spawn(async move {
                    if let Err(e) = cancel.cancel_query(NoTls).await {
                        tracing::warn!(
                            "PostgreSQL lookup connection {i}: cancel failed: {}",
                            reason(&e)
                        );
                    }
                });
                Err(StoreError::Unavailable(format!(
                    "PostgreSQL gave no answer to a lookup within {} s",
                    self.timeout.as_secs_f64()
                )))
            }
        }
    }

    /// The open connection of slot `i`, opened first when it is missing or closed.
    async fn conn(&self, i: usize) -> Result<Arc<LookupConn>> {
        let slot = &self.slots[i];
        if let Some(conn) = usable(lock(&slot.current).as_ref()) {
            return Ok(conn);
        }
        let asked = Instant::now();
        let mut openings = slot.opening.lock().await;
        // Opened by the lookup this one waited for?
        if let Some(conn) = usable(lock(&slot.current).as_ref()) {
            return Ok(conn);
        }
        if let Some((at, why)) = &openings.failed {
            if *at > asked {
                return Err(why.error());
            }
        }
        if openings.opened > 0 {
            tracing::warn!("PostgreSQL lookup connection {i} is closed; opening a new one");
        }
        // Bounded like a lookup: PostgreSQL may accept the connection and then not answer
        // (preparing the lookup waits for a lock on the table, say).
        let opened = match tokio::time::timeout(self.timeout, self.open(i)).await {
            Ok(opened) => opened,
            Err(_) => Err(StoreError::Unavailable(format!(
                "PostgreSQL did not finish opening a lookup connection within {} s",
                self.timeout.as_secs_f64()
            ))),
        };
        match opened {
            Ok(conn) => {
                let conn = Arc::new(conn);
                *lock(&slot.current) = Some(conn.clone());
                openings.opened += 1;
                openings.failed = None;
                Ok(conn)
            }
            Err(e) => {
                tracing::warn!("PostgreSQL lookup connection {i} cannot be opened: {e}");
                openings.failed = Some((Instant::now(), Failure::of(&e)));
                Err(e)
            }
        }
    }

    /// Connects, spawns the connection's task on the current runtime, sets the schema and
    /// prepares the lookup.
    async fn open(&self, i: usize) -> Result<LookupConn> {
        let (client, connection) = self
            .config
            .connect(NoTls)
            .await
            .map_err(|e| StoreError::Open(format!("cannot connect to PostgreSQL: {e}")))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!("PostgreSQL lookup connection {i} ended: {}", reason(&e));
            }
        });
        if let Some(schema) = &self.schema {
            client
                .batch_execute(&format!("SET search_path TO {schema}"))
                .await?;
        }
        let by_id = client.prepare(BY_ID).await?;
        Ok(LookupConn { client, by_id })
    }

    /// Forgets slot `i`'s connection if it is still `conn`, so that the next lookup opens
    /// another.
    fn discard(&self, i: usize, conn: &Arc<LookupConn>) {
        let mut current = lock(&self.slots[i].current);
        if current.as_ref().is_some_and(|c| Arc::ptr_eq(c, conn)) {
            *current = None;
        }
    }
}

impl AsyncPersonReader for PgLookups {
    fn get_person_raw<'a>(&'a self, id: &'a PersonalId) -> StoreFuture<'a, Option<RawPerson>> {
        Box::pin(async move {
            let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
            let conn = self.conn(i).await?;
            match self.query(i, &conn, id).await? {
                Ok(row) => row.map(raw_person).transpose(),
                Err(e) if broken(&conn, &e) => {
                    tracing::warn!(
                        "PostgreSQL lookup connection {i} broke during a read ({}); reading again on a new one",
                        reason(&e)
                    );
                    self.discard(i, &conn);
                    let conn = self.conn(i).await?;
                    self.query(i, &conn, id).await??.map(raw_person).transpose()
                }
                Err(e) => Err(e.into()),
            }
        })
    }

    fn open_connections(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            for i in 0..self.slots.len() {
                self.conn(i).await?;
            }
            Ok(())
        })
    }
}

/// A connection still open, cloned out of its slot.
fn usable(conn: Option<&Arc<LookupConn>>) -> Option<Arc<LookupConn>> {
    conn.filter(|c| !c.client.is_closed()).cloned()
}

/// Whether `e` means the connection is gone (rather than the query failing on a live one).
fn broken(conn: &LookupConn, e: &tokio_postgres::Error) -> bool {
    conn.client.is_closed()
        || e.is_closed()
        || e.as_db_error()
            .is_some_and(|d| matches!(d.parsed_severity(), Some(Severity::Fatal | Severity::Panic)))
}

/// Why a connection failed, for the log: the server's code and message, without the detail
/// and context lines that may quote values.
fn reason(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(d) => format!("{} {}: {}", d.severity(), d.code().code(), d.message()),
        None => e.to_string(),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn an_unreachable_server_fails_lookups_with_the_opening_error() {
        // Nothing listens on port 1: every connection is refused at once.
        let lookups = Arc::new(
            PgLookups::new(
                "postgres://xaso@127.0.0.1:1/none",
                Some("s_1"),
                2,
                LOOKUP_TIMEOUT,
            )
            .unwrap(),
        );
        assert_eq!(
            lookups.config.get_application_name(),
            Some("xaso-lookup s_1")
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let opened = lookups.open_connections().await;
            assert!(matches!(opened, Err(StoreError::Open(_))), "{opened:?}");
            let id = PersonalId::parse("038075000001").unwrap();
            let tasks: Vec<_> = (0..20)
                .map(|_| {
                    let (lookups, id) = (lookups.clone(), id.clone());
                    tokio::spawn(async move { lookups.get_person_raw(&id).await })
                })
                .collect();
            for t in tasks {
                let got = t.await.unwrap();
                assert!(
                    matches!(&got, Err(StoreError::Open(m)) if m.contains("cannot connect")),
                    "{got:?}"
                );
            }
        });
    }
}
