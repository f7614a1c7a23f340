//! HTTP for Xã số: the officer pages ([`pages`]) and the JSON API under `/api/v1` ([`api`]).
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
pub mod citizen;
pub mod error;
pub mod handle;
pub mod i18n;
pub mod oidc;
pub mod pages;
pub mod shop;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::routing::get;
use axum::Router;
use xaso_store::{AsyncPersonReader, Store};

pub use audit::AuditSink;
pub use pages::WebConfig;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub audit: AuditSink,
    pub tokens: api::TokenCache,
    pub web: Arc<pages::WebState>,
    /// The one-stop shop: catalogue, calendar, unit. Replaced whole when an admin edits the
    /// catalogue or the calendar; readers keep the snapshot they took.
    shop: Arc<std::sync::RwLock<Arc<shop::Shop>>>,
    /// The store's asynchronous lookups by personal ID, where it has them (PostgreSQL); their
    /// connections are opened by [`serve`], on the server's runtime.
    pub(crate) person_reader: Option<Arc<dyn AsyncPersonReader>>,
}

impl AppState {
    /// The state with the default page settings.
    pub fn new(store: Arc<dyn Store>) -> Result<AppState, String> {
        AppState::with_config(store, WebConfig::default())
    }

    /// Reads (or, on first run, creates) the server's page key from the store.
    pub fn with_config(store: Arc<dyn Store>, config: WebConfig) -> Result<AppState, String> {
        let web = pages::WebState::load(store.as_ref(), config)?;
        let shop = shop::Shop::load(store.as_ref())?;
        Ok(AppState {
            shop: Arc::new(std::sync::RwLock::new(Arc::new(shop))),
            audit: AuditSink::start(store.clone()),
            tokens: api::TokenCache::default(),
            web: Arc::new(web),
            person_reader: store.async_person_reader(),
            store,
        })
    }
}

impl AppState {
    /// The one-stop shop as it is now.
    pub fn shop(&self) -> Arc<shop::Shop> {
        self.shop.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Puts an edited shop in place for the requests that follow.
    pub fn replace_shop(&self, shop: shop::Shop) {
        *self.shop.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(shop);
    }
}

/// The whole application.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .merge(citizen::routes())
        .merge(oidc::routes())
        .route("/healthz", get(api::healthz))
        .route("/api/openapi.json", get(api::openapi))
        .merge(api::routes())
        .layer(axum::middleware::map_response(pages::security_headers))
        .with_state(state)
}

/// Serves until Ctrl-C or SIGTERM, then drains in-flight requests.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    if let Some(reader) = &state.person_reader {
        if let Err(e) = reader.open_connections().await {
            tracing::warn!(
                "the store's lookup connections are not open yet ({e}); each lookup tries again"
            );
        }
    }
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
