//! The audit sink: every access to a person's data is recorded.
//!
//! Handlers append records to a shared buffer; one writer thread commits whatever has gathered
//! in a single transaction, as soon as the previous commit is done. So the log trails the
//! accesses by one commit (milliseconds), a burst of lookups costs one commit rather than one
//! each, and no request waits on the disk.
//!
//! What is guaranteed:
//! - Fail closed: if a commit fails, every later access is refused (503) until a retry succeeds,
//!   so data is never served while the log cannot be written.
//! - Bounded: when the writer falls behind by [`MAX_PENDING`] records, handlers wait for it.
//! - Graceful shutdown flushes the buffer ([`AuditSink::close`]); [`AuditSink::sync`] waits
//!   until everything recorded so far is committed (the audit-log pages read through it).
//! - What a hard kill can lose: the records of the commit in flight, i.e. milliseconds of
//!   accesses. (SQLite in WAL mode with synchronous=NORMAL may lose the last commits on power
//!   loss anyway.)

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use xaso_store::{AuditRecord, Store};

/// Records waiting for the writer beyond which handlers wait.
pub const MAX_PENDING: usize = 100_000;
/// Records committed in one transaction at most.
const MAX_BATCH: usize = 20_000;
/// A batch vector larger than this (after a burst) is not kept for reuse.
const SPARE_CAPACITY: usize = 8192;
const RETRY_AFTER: Duration = Duration::from_millis(500);
/// Commits are spaced at least this far apart, so that under load each one carries many
/// records (the table's last page and shared index pages are written once per commit).
const COMMIT_INTERVAL: Duration = Duration::from_millis(10);

#[derive(Clone)]
pub struct AuditSink {
    shared: Arc<Shared>,
}

struct Shared {
    buffer: Mutex<Buffer>,
    /// Wakes the writer when records arrive or the sink closes.
    work: Condvar,
    /// Sequence number of the last committed record; handlers waiting for room or for a sync
    /// watch it.
    committed: watch::Sender<u64>,
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

#[derive(Default)]
struct Buffer {
    records: Vec<AuditRecord>,
    /// Sequence number of the last record appended.
    appended: u64,
    /// Why the last commit failed, while it keeps failing.
    failure: Option<String>,
    closed: bool,
}

fn lock(m: &Mutex<Buffer>) -> MutexGuard<'_, Buffer> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl AuditSink {
    pub fn start(store: Arc<dyn Store>) -> AuditSink {
        let shared = Arc::new(Shared {
            buffer: Mutex::new(Buffer::default()),
            work: Condvar::new(),
            committed: watch::channel(0).0,
            writer: Mutex::new(None),
        });
        let for_writer = shared.clone();
        match std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer_loop(store, &for_writer))
        {
            Ok(handle) => *shared.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle),
            Err(e) => {
                // Without a writer nothing may be served: fail closed.
                lock(&shared.buffer).failure = Some(format!("cannot start the audit writer: {e}"));
            }
        }
        AuditSink { shared }
    }

    /// Appends records. Refuses while the log cannot be written; waits while the writer is
    /// more than [`MAX_PENDING`] records behind.
    pub async fn record(&self, records: Vec<AuditRecord>) -> Result<(), String> {
        if records.is_empty() {
            return Ok(());
        }
        let mut committed = self.shared.committed.subscribe();
        loop {
            {
                let mut buffer = lock(&self.shared.buffer);
                if let Some(failure) = &buffer.failure {
                    return Err(failure.clone());
                }
                if buffer.closed {
                    return Err("the server is shutting down".into());
                }
                if buffer.records.len() < MAX_PENDING {
                    let was_empty = buffer.records.is_empty();
                    buffer.appended += records.len() as u64;
                    buffer.records.extend(records);
                    drop(buffer);
                    if was_empty {
                        self.shared.work.notify_one();
                    }
                    return Ok(());
                }
            }
            if committed.changed().await.is_err() {
                return Err("the audit writer has stopped".into());
            }
        }
    }

    /// Waits until every record appended so far is committed.
    pub async fn sync(&self) -> Result<(), String> {
        let target = lock(&self.shared.buffer).appended;
        let mut committed = self.shared.committed.subscribe();
        loop {
            if *committed.borrow_and_update() >= target {
                return Ok(());
            }
            if let Some(failure) = &lock(&self.shared.buffer).failure {
                return Err(failure.clone());
            }
            if committed.changed().await.is_err() {
                return Err("the audit writer has stopped".into());
            }
        }
    }

    /// Stops accepting records, commits what is buffered and stops the writer. Blocking.
    pub fn close(&self) {
        lock(&self.shared.buffer).closed = true;
        self.shared.work.notify_one();
        let handle = self
            .shared
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(handle) = handle {
            let _ = handle.join();
        }
    }
}

/// The current time as the audit log stores it (the form of [`xaso_store::now_rfc3339`]:
/// RFC 3339 in UTC with microseconds), written without the formatting machinery: every audited
/// request takes one.
pub fn now_stamp() -> String {
    stamp(time::OffsetDateTime::now_utc())
}

fn stamp(t: time::OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return xaso_store::format_utc(t);
    }
    // "YYYY-MM-DDTHH:MM:SS.ffffffZ"
    let mut b = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |at: usize, width: usize, mut v: u32| {
        for i in (at..at + width).rev() {
            b[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year as u32);
    put(5, 2, u32::from(u8::from(t.month())));
    put(8, 2, u32::from(t.day()));
    put(11, 2, u32::from(t.hour()));
    put(14, 2, u32::from(t.minute()));
    put(17, 2, u32::from(t.second()));
    put(20, 6, t.microsecond());
    // Digits and ASCII punctuation only.
    std::str::from_utf8(&b).map_or_else(|_| xaso_store::format_utc(t), str::to_string)
}

fn writer_loop(store: Arc<dyn Store>, shared: &Shared) {
    let mut committed = 0u64;
    let mut last_commit = std::time::Instant::now() - COMMIT_INTERVAL;
    // The last batch's vector, emptied, goes back to the buffer: handlers append into
    // memory already there instead of growing a new vector after every commit.
    let mut spare: Vec<AuditRecord> = Vec::new();
    loop {
        let batch = {
            let mut buffer = lock(&shared.buffer);
            while buffer.records.is_empty() && !buffer.closed {
                buffer = shared.work.wait(buffer).unwrap_or_else(|e| e.into_inner());
            }
            // Let records gather until the interval is up (or the batch is full, or closing).
            loop {
                let since = last_commit.elapsed();
                if since >= COMMIT_INTERVAL || buffer.records.len() >= MAX_BATCH || buffer.closed {
                    break;
                }
                buffer = shared
                    .work
                    .wait_timeout(buffer, COMMIT_INTERVAL - since)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            last_commit = std::time::Instant::now();
            if buffer.records.is_empty() {
                return;
            }
            if buffer.records.len() <= MAX_BATCH {
                std::mem::replace(&mut buffer.records, std::mem::take(&mut spare))
            } else {
                let rest = buffer.records.split_off(MAX_BATCH);
                std::mem::replace(&mut buffer.records, rest)
            }
        };
        // Keep the batch until it is written: a failed commit is retried, never dropped.
        loop {
            match store.append_audit(&batch) {
                Ok(()) => {
                    committed += batch.len() as u64;
                    lock(&shared.buffer).failure = None;
                    shared.committed.send_replace(committed);
                    spare = batch;
                    spare.clear();
                    if spare.capacity() > SPARE_CAPACITY {
                        spare = Vec::new();
                    }
                    break;
                }
                Err(e) => {
                    tracing::error!("audit write failed, refusing access until it works: {e}");
                    let mut buffer = lock(&shared.buffer);
                    buffer.failure = Some(format!("the audit log cannot be written: {e}"));
                    if buffer.closed {
                        // Shutting down and the log still fails: say what is lost.
                        tracing::error!(
                            "{} audit records could not be written",
                            batch.len() + buffer.records.len()
                        );
                        return;
                    }
                    drop(buffer);
                    std::thread::sleep(RETRY_AFTER);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stamp_is_the_stored_time_form() {
        let base = time::macros::datetime!(2026-11-28 07:05:09.000042 UTC);
        for t in [
            base,
            time::macros::datetime!(2026-01-01 00:00:00 UTC),
            time::macros::datetime!(1999-12-31 23:59:59.999999 UTC),
            time::macros::datetime!(2026-11-28 14:05:09.5 +07:00),
            base + time::Duration::microseconds(123_456_789_012),
        ] {
            assert_eq!(stamp(t), xaso_store::format_utc(t));
        }
        assert_eq!(stamp(base), "2026-11-28T07:05:09.000042Z".to_string());
        assert_eq!(now_stamp().len(), xaso_store::now_rfc3339().len());
    }
}
