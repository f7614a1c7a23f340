//! Citizens: their accounts (electronic identity at levels 1 and 2), their sessions in the
//! browser, and the citizen portal. Officers' pages are in [`crate::pages`]; the OpenID
//! provider that other services (and the portal) sign citizens in through is in
//! [`crate::oidc`].
//!
//! Invariants:
//! - A citizen's session cookie (`xaso_citizen`) is separate from an officer's: neither
//!   opens the other's pages. Only the SHA-256 of its secret is stored.
//! - A session carries the level it was authenticated at and how (`amr`); a level-2 account
//!   signed in with a password alone is still a level-2 session (the level is the account's
//!   proofing; the methods say how it signed in).

pub mod session;

use axum::Router;

pub use session::{Citizen, CITIZEN_COOKIE};

use crate::AppState;

/// The citizens' pages.
pub fn routes() -> Router<AppState> {
    Router::new()
}
