//! The OpenID Connect provider over HTTP: discovery, JWKS, authorization (citizens sign in
//! with their `xaso_citizen` session), token, userinfo, logout; the client registry. The
//! protocol rules are `xaso_identity::oidc`'s; the state is `xaso_store::OidcStore`'s.

use axum::Router;

use crate::AppState;

/// The provider's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
}
