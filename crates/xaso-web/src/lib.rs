//! HTTP for Xã số: the JSON API under `/api/v1` (and, later, the officer and citizen pages).
//!
//! Invariants:
//! - This is the only crate that knows HTTP. Errors of the layers below are mapped to HTTP in
//!   one place ([`error::ApiError`]).
//! - Every handler that returns a person's data records an audit entry first; if the audit log
//!   cannot be written, personal data is not served ([`audit::AuditSink`]).
//! - Request logs carry the route template, never the path values or query (personal IDs and
//!   names are personal data).

pub mod api;
pub mod audit;
pub mod error;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use xaso_store::Store;

pub use audit::AuditSink;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub audit: AuditSink,
    pub tokens: api::TokenCache,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>) -> AppState {
        AppState {
            audit: AuditSink::start(store.clone()),
            tokens: api::TokenCache::default(),
            store,
        }
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(api::home))
        .route("/healthz", get(api::healthz))
        .route("/api/openapi.json", get(api::openapi))
        .nest("/api/v1", api::routes())
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then drains in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    let audit = state.audit.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await;
    // Commit the audit records still buffered before the process ends.
    let _ = tokio::task::spawn_blocking(move || audit.close()).await;
    served
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
