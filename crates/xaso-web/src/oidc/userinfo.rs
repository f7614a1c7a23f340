//! `GET`/`POST /oidc/userinfo` (Core §5.3): the claims the access token's scopes release,
//! for the bearer of a valid access token (RFC 6750 §2.1, the `Authorization` header). Every
//! answer is audited first: it is the register's data about a person, sent to a service.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::OffsetDateTime;
use xaso_identity::oidc::discovery::Issuer;
use xaso_identity::oidc::tokens::{self, hash_token, AccessTokenRecord, TokenIssuer, TokenPolicy};
use xaso_identity::oidc::OidcError;
use xaso_store::{AuditRecord, Store};

use super::clients::load_client;
use super::{claims, issuer, json_error, keys, no_store};
use crate::api::audited;
use crate::AppState;

pub async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let now = OffsetDateTime::now_utc();
    let issuer = match issuer(&state, &headers) {
        Ok(i) => i,
        Err(e) => return json_error(&e, false),
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(xaso_identity::bearer)
        .map(str::to_string);
    let Some(token) = token else {
        // RFC 6750 §3.1: no credentials, no error code, just the challenge.
        return (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))],
        )
            .into_response();
    };
    let store = state.store.clone();
    let done =
        tokio::task::spawn_blocking(move || answer(store.as_ref(), &issuer, &token, now)).await;
    let (body, record) = match done {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => return json_error(&e, false),
        Err(e) => return json_error(&OidcError::ServerError(e.to_string()), false),
    };
    if let Err(e) = audited(&state, vec![record]).await {
        tracing::error!("OpenID userinfo: the audit log cannot be written: {e:?}");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            no_store(),
            axum::Json(OidcError::ServerError(String::new()).response()),
        )
            .into_response();
    }
    (StatusCode::OK, no_store(), axum::Json(body)).into_response()
}

fn answer(
    store: &dyn Store,
    issuer: &Issuer,
    token: &str,
    now: OffsetDateTime,
) -> Result<(tokens::UserInfoResponse, AuditRecord), OidcError> {
    let server = |e: String| OidcError::ServerError(e);
    let grant = store
        .get_oidc_grant(&hash_token(token))
        .map_err(|e| server(e.to_string()))?
        .filter(|g| g.kind == "access")
        .ok_or(OidcError::InvalidAccessToken)?;
    let mut record: AccessTokenRecord =
        serde_json::from_str(&grant.data).map_err(|e| server(e.to_string()))?;
    record.revoked |= grant.revoked;
    record.check_for_userinfo(now)?;
    let client = load_client(store, &record.client_id)
        .map_err(|e| server(e.to_string()))?
        .ok_or(OidcError::InvalidAccessToken)?;
    let (user, _) = claims::for_account(store, &record.subject)
        .map_err(|e| server(e.to_string()))?
        .ok_or(OidcError::InvalidAccessToken)?;
    let keys = keys::load(store).map_err(server)?;
    let token_issuer = TokenIssuer {
        issuer,
        keys: &keys.keys,
        pairwise_key: &keys.pairwise,
        policy: TokenPolicy::default(),
    };
    let body = tokens::userinfo(&token_issuer, &client.client, &record, &user, now)?;
    let mut audit = AuditRecord::now(
        &record.client_id,
        "oidc-client",
        "oidc.userinfo",
        "GET /oidc/userinfo",
    );
    audit.subject = Some(record.subject.clone());
    audit.reason = Some(format!("scope {}", record.scope));
    Ok((body, audit))
}
