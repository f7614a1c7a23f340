//! The audit sink: every access to a person's data is recorded before the answer leaves.
//!
//! Requests hand their records to one writer thread, which commits whatever has queued up in a
//! single transaction (group commit) and then releases the waiting requests. So a lookup never
//! returns data whose audit record is not committed, and a burst of lookups costs one commit,
//! not one each.

use std::sync::mpsc;
use std::sync::Arc;

use tokio::sync::oneshot;
use xaso_store::{AuditRecord, Store};

type Ack = oneshot::Sender<Result<(), String>>;

#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<(Vec<AuditRecord>, Ack)>,
}

/// Largest batch in one commit; bounds the latency of the first record in a burst.
const MAX_BATCH: usize = 4096;

impl AuditSink {
    pub fn start(store: Arc<dyn Store>) -> AuditSink {
        let (tx, rx) = mpsc::channel::<(Vec<AuditRecord>, Ack)>();
        std::thread::Builder::new()
            .name("audit-writer".into())
            .spawn(move || writer_loop(store, rx))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!("cannot start the audit writer: {e}"));
        AuditSink { tx }
    }

    /// Records and waits until the records are committed.
    pub async fn record(&self, records: Vec<AuditRecord>) -> Result<(), String> {
        if records.is_empty() {
            return Ok(());
        }
        let (ack, done) = oneshot::channel();
        self.tx
            .send((records, ack))
            .map_err(|_| "the audit writer has stopped".to_string())?;
        done.await
            .map_err(|_| "the audit writer has stopped".to_string())?
    }
}

fn writer_loop(store: Arc<dyn Store>, rx: mpsc::Receiver<(Vec<AuditRecord>, Ack)>) {
    while let Ok(first) = rx.recv() {
        let mut records = first.0;
        let mut acks = vec![first.1];
        while records.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok((more, ack)) => {
                    records.extend(more);
                    acks.push(ack);
                }
                Err(_) => break,
            }
        }
        let result = store.append_audit(&records).map_err(|e| {
            tracing::error!("audit write failed: {e}");
            format!("the audit log could not be written: {e}")
        });
        for ack in acks {
            // The request may have gone away; its record is written all the same.
            let _ = ack.send(result.clone());
        }
    }
}
