//! `POST /oidc/token`: the authorization code (with PKCE) and refresh (with rotation) grants,
//! for clients authenticated by `client_secret_basic` or `private_key_jwt`.
//!
//! The whole exchange runs as one blocking task (the store is synchronous): authenticate the
//! client, load and check the grant, issue, and store the result with
//! `consume_oidc_grant`, which marks the code or old refresh token used *only if it was not
//! used yet* and inserts the new tokens in the same transaction. Losing that race means two
//! parties hold the same code or token, so the family (everything issued from one
//! authorization) is revoked, as for a reuse seen before the race.
//!
//! Answers are JSON with `Cache-Control: no-store`; errors carry the status RFC 6749 §5.2 asks
//! for (401 with `WWW-Authenticate` for a client that failed HTTP Basic).

use std::sync::atomic::{AtomicI64, Ordering};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use time::{Duration, OffsetDateTime};
use xaso_identity::oidc::client::GrantType;
use xaso_identity::oidc::client_auth::{extract, AssertionPolicy};
use xaso_identity::oidc::code::{hash_code, CodeRecord};
use xaso_identity::oidc::discovery::Issuer;
use xaso_identity::oidc::tokens::{
    hash_token, IssuedTokens, RefreshOutcome, RefreshRecord, RefreshState, RevocationReason,
    TokenIssuer, TokenPolicy, TokenResponse,
};
use xaso_identity::oidc::{OidcError, OsRandom, ScopeSet};
use xaso_store::{AuditRecord, OidcGrantRecord, Store, StoreError};

use super::clients::{load_client, RegisteredClient};
use super::{claims, issuer, json_error, keys, no_store, parse_pairs};
use crate::api::audited;
use crate::AppState;

const ROUTE: &str = "POST /oidc/token";

/// Grants expired longer ago than this are purged (at most once an hour, by a token request).
/// Until then a reused code or refresh token is still recognised, and revokes its family.
const PURGE_AFTER: Duration = Duration::days(1);

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let now = OffsetDateTime::now_utc();
    let issuer = match issuer(&state, &headers) {
        Ok(i) => i,
        Err(e) => return json_error(&e, false),
    };
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let tried_basic = authorization.as_deref().is_some_and(|h| {
        h.trim_start()
            .get(..6)
            .is_some_and(|s| s.eq_ignore_ascii_case("basic "))
    });
    let form_body = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    let form = std::str::from_utf8(&body).ok().and_then(parse_pairs);
    let Some(form) = form.filter(|_| form_body) else {
        return json_error(
            &OidcError::InvalidParameter {
                name: "body",
                reason: "must be application/x-www-form-urlencoded",
            },
            tried_basic,
        );
    };
    let store = state.store.clone();
    let done = tokio::task::spawn_blocking(move || {
        purge_now_and_then(store.as_ref(), now);
        exchange(
            store.as_ref(),
            &issuer,
            authorization.as_deref(),
            &form,
            now,
        )
    })
    .await;
    let outcome = match done {
        Ok(o) => o,
        Err(e) => return json_error(&OidcError::ServerError(e.to_string()), false),
    };
    // Records first: the issuance of personal data, and revocations on reuse.
    if let Err(e) = audited(&state, outcome.audit).await {
        tracing::error!("OpenID token endpoint: the audit log cannot be written: {e:?}");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            no_store(),
            axum::Json(OidcError::ServerError(String::new()).response()),
        )
            .into_response();
    }
    match outcome.result {
        Ok(response) => (StatusCode::OK, no_store(), axum::Json(response)).into_response(),
        Err(e) => json_error(&e, tried_basic),
    }
}

/// What a token request led to, and what to audit whatever the answer.
pub struct Outcome {
    pub result: Result<TokenResponse, OidcError>,
    pub audit: Vec<AuditRecord>,
}

fn server(e: impl std::fmt::Display) -> OidcError {
    OidcError::ServerError(e.to_string())
}

/// The single value of a parameter (absent when empty); a repeated parameter is an error.
fn one<'a>(form: &'a [(String, String)], name: &'static str) -> Result<Option<&'a str>, OidcError> {
    let mut found = None;
    for (k, v) in form {
        if k == name {
            if found.is_some() {
                return Err(OidcError::DuplicateParameter(name));
            }
            found = Some(v.as_str());
        }
    }
    Ok(found.filter(|v| !v.is_empty()))
}

fn event(client_id: &str, action: &str, subject: &str, reason: String) -> AuditRecord {
    let mut r = AuditRecord::now(client_id, "oidc-client", action, ROUTE);
    r.subject = Some(subject.to_string());
    r.reason = Some(reason);
    r
}

/// The token endpoint's use cases, synchronous (run on the blocking pool).
pub fn exchange(
    store: &dyn Store,
    issuer: &Issuer,
    authorization: Option<&str>,
    form: &[(String, String)],
    now: OffsetDateTime,
) -> Outcome {
    let mut audit = Vec::new();
    let result = exchange_inner(store, issuer, authorization, form, now, &mut audit);
    Outcome { result, audit }
}

fn exchange_inner(
    store: &dyn Store,
    issuer: &Issuer,
    authorization: Option<&str>,
    form: &[(String, String)],
    now: OffsetDateTime,
    audit: &mut Vec<AuditRecord>,
) -> Result<TokenResponse, OidcError> {
    let credentials = extract(authorization, form)?;
    let client = load_client(store, credentials.client_id()).map_err(server)?;
    let mut jti_failure = None;
    let checked = credentials.authenticate(
        client.as_ref().map(|c| &c.client),
        issuer,
        &AssertionPolicy::default(),
        now,
        |jti, expires_at| {
            let id = credentials.client_id();
            match store.remember_jti(id, jti, &xaso_store::format_utc(expires_at)) {
                Ok(()) => false,
                Err(StoreError::Conflict(_)) => true,
                Err(e) => {
                    // Unknown whether it was seen: refuse (as a replay), and say why below.
                    jti_failure = Some(e);
                    true
                }
            }
        },
    );
    if let Some(e) = jti_failure {
        return Err(server(e));
    }
    checked?;
    let client = client.ok_or(OidcError::UnknownClient)?;
    let grant_type = GrantType::parse(one(form, "grant_type")?.unwrap_or(""))?;
    if !client.client.allows_grant(grant_type) {
        return Err(OidcError::GrantTypeNotAllowed);
    }
    let keys = keys::load(store).map_err(OidcError::ServerError)?;
    let token_issuer = TokenIssuer {
        issuer,
        keys: &keys.keys,
        pairwise_key: &keys.pairwise,
        policy: TokenPolicy::default(),
    };
    let request = Grant {
        store,
        token_issuer: &token_issuer,
        client: &client,
        form,
        now,
    };
    match grant_type {
        GrantType::AuthorizationCode => code_grant(&request, audit),
        GrantType::RefreshToken => refresh_grant(&request, audit),
    }
}

/// The grant rows for what was issued (the access token, and the refresh token if any), all
/// in `family` and under `session`, the citizen session the consumed code or refresh token was
/// issued under (they end with it).
fn grant_rows(
    tokens: &mut IssuedTokens,
    family: &str,
    session: Option<&str>,
) -> Result<Vec<OidcGrantRecord>, OidcError> {
    tokens.family_id = family.to_string();
    tokens.access_record.family_id = family.to_string();
    let a = &tokens.access_record;
    let mut rows = vec![OidcGrantRecord {
        hash: a.token_hash.clone(),
        kind: "access".into(),
        client_id: a.client_id.clone(),
        family: family.to_string(),
        data: serde_json::to_string(a).map_err(server)?,
        expires_at: xaso_store::format_utc(a.expires_at),
        consumed_at: None,
        revoked: false,
        session: session.map(str::to_owned),
    }];
    if let Some(r) = tokens.refresh_record.as_mut() {
        r.family_id = family.to_string();
        rows.push(OidcGrantRecord {
            hash: r.token_hash.clone(),
            kind: "refresh".into(),
            client_id: r.client_id.clone(),
            family: family.to_string(),
            data: serde_json::to_string(&*r).map_err(server)?,
            expires_at: xaso_store::format_utc(r.expires_at),
            consumed_at: None,
            revoked: false,
            session: session.map(str::to_owned),
        });
    }
    Ok(rows)
}

fn revoke(
    store: &dyn Store,
    family: &str,
    client_id: &str,
    subject: &str,
    why: &str,
    audit: &mut Vec<AuditRecord>,
) -> Result<(), OidcError> {
    let n = store.revoke_oidc_family(family).map_err(server)?;
    tracing::warn!("OpenID provider: {why}: {n} grants of client {client_id} revoked");
    audit.push(event(
        client_id,
        "oidc.revoke",
        subject,
        format!("{why}: every token of the grant revoked"),
    ));
    Ok(())
}

/// An authenticated token request: what both grants work from.
#[derive(Clone, Copy)]
struct Grant<'a> {
    store: &'a dyn Store,
    token_issuer: &'a TokenIssuer<'a>,
    client: &'a RegisteredClient,
    form: &'a [(String, String)],
    now: OffsetDateTime,
}

impl Grant<'_> {
    /// The stored code or refresh token the request names, and its hash.
    fn named(&self, kind: ConsumedKind) -> Result<(String, OidcGrantRecord), OidcError> {
        let param = kind.param();
        let value = one(self.form, param)?.ok_or(OidcError::MissingParameter(param))?;
        let hash = match kind {
            ConsumedKind::Code => hash_code(value),
            ConsumedKind::RefreshToken => hash_token(value),
        };
        let grant = self
            .store
            .get_oidc_grant(&hash)
            .map_err(server)?
            .filter(|g| g.kind == kind.stored_kind())
            .ok_or_else(|| kind.unknown())?;
        Ok((hash, grant))
    }
}

fn code_grant(g: &Grant<'_>, audit: &mut Vec<AuditRecord>) -> Result<TokenResponse, OidcError> {
    let (store, now) = (g.store, g.now);
    let client_id = g.client.client.client_id.as_str();
    let (hash, grant) = g.named(ConsumedKind::Code)?;
    let record: CodeRecord = serde_json::from_str(&grant.data).map_err(server)?;
    if grant.revoked && grant.consumed_at.is_none() {
        // Revoked before it was used: the citizen session that authorized it ended. Not a
        // reuse; the code is simply no longer good.
        return Err(OidcError::CodeUnknown);
    }
    if grant.consumed_at.is_some() || grant.revoked {
        // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for — unless the
        // client presenting it is not the one it was issued to (that one learns nothing).
        if record.client_id != client_id {
            return Err(OidcError::CodeIssuedToAnotherClient);
        }
        revoke(
            store,
            &grant.family,
            client_id,
            &record.subject,
            ConsumedKind::Code.reuse(),
            audit,
        )?;
        return Err(OidcError::CodeAlreadyUsed);
    }
    let granted = record.redeem(
        client_id,
        one(g.form, "redirect_uri")?,
        one(g.form, "code_verifier")?,
        now,
    )?;
    let Some((user, _)) = claims::for_account(store, &granted.subject).map_err(server)? else {
        // The account was disabled (or the person left the register) since the sign-in.
        return Err(OidcError::CodeUnknown);
    };
    let tokens = g
        .token_issuer
        .issue(&g.client.client, &granted, &user, now, &mut OsRandom)?;
    let reason = format!("scope {}; acr {}", granted.scope, granted.acr);
    store_issued(
        store,
        tokens,
        &Consumed {
            hash: &hash,
            family: &grant.family,
            session: grant.session.as_deref(),
            client_id,
            subject: &granted.subject,
            kind: ConsumedKind::Code,
            reason,
        },
        now,
        audit,
    )
}

/// What a grant used up: a code or a refresh token.
#[derive(Clone, Copy)]
enum ConsumedKind {
    Code,
    RefreshToken,
}

impl ConsumedKind {
    /// The form parameter that names it.
    fn param(self) -> &'static str {
        match self {
            ConsumedKind::Code => "code",
            ConsumedKind::RefreshToken => "refresh_token",
        }
    }

    /// The grant row's kind.
    fn stored_kind(self) -> &'static str {
        match self {
            ConsumedKind::Code => "code",
            ConsumedKind::RefreshToken => "refresh",
        }
    }

    /// Why the family is revoked when it was used twice.
    fn reuse(self) -> &'static str {
        match self {
            ConsumedKind::Code => "authorization code reuse",
            ConsumedKind::RefreshToken => "refresh token reuse",
        }
    }

    fn reused(self) -> OidcError {
        match self {
            ConsumedKind::Code => OidcError::CodeAlreadyUsed,
            ConsumedKind::RefreshToken => OidcError::RefreshTokenReused,
        }
    }

    fn unknown(self) -> OidcError {
        match self {
            ConsumedKind::Code => OidcError::CodeUnknown,
            ConsumedKind::RefreshToken => OidcError::RefreshTokenUnknown,
        }
    }

    fn action(self) -> &'static str {
        match self {
            ConsumedKind::Code => "oidc.token",
            ConsumedKind::RefreshToken => "oidc.refresh",
        }
    }
}

/// The code or refresh token a grant consumes, and what to record when it succeeds.
struct Consumed<'a> {
    /// The stored hash of the code or refresh token.
    hash: &'a str,
    family: &'a str,
    /// The citizen session it was issued under; what is issued in its place inherits it.
    session: Option<&'a str>,
    client_id: &'a str,
    subject: &'a str,
    kind: ConsumedKind,
    /// The audit record's reason.
    reason: String,
}

/// Stores what was issued in place of `consumed` (only if it was not used yet, in one
/// transaction) and records it; a lost race revokes the family, as a reuse does.
fn store_issued(
    store: &dyn Store,
    mut tokens: IssuedTokens,
    consumed: &Consumed<'_>,
    now: OffsetDateTime,
    audit: &mut Vec<AuditRecord>,
) -> Result<TokenResponse, OidcError> {
    let kind = consumed.kind;
    let rows = grant_rows(&mut tokens, consumed.family, consumed.session)?;
    match store.consume_oidc_grant(consumed.hash, &xaso_store::format_utc(now), &rows) {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => {
            // Another redemption won the race: two parties hold this code or token.
            revoke(
                store,
                consumed.family,
                consumed.client_id,
                consumed.subject,
                kind.reuse(),
                audit,
            )?;
            return Err(kind.reused());
        }
        Err(StoreError::NotFound(_)) => return Err(kind.unknown()),
        Err(e) => return Err(server(e)),
    }
    audit.push(event(
        consumed.client_id,
        kind.action(),
        consumed.subject,
        consumed.reason.clone(),
    ));
    Ok(tokens.response)
}

fn refresh_grant(g: &Grant<'_>, audit: &mut Vec<AuditRecord>) -> Result<TokenResponse, OidcError> {
    let (store, now) = (g.store, g.now);
    let client_id = g.client.client.client_id.as_str();
    let (hash, grant) = g.named(ConsumedKind::RefreshToken)?;
    let mut record: RefreshRecord = serde_json::from_str(&grant.data).map_err(server)?;
    // The store's columns say where the token is in its life.
    if grant.revoked {
        record.state = RefreshState::Revoked {
            at: now,
            reason: RevocationReason::Administrator,
        };
    } else if let Some(at) = &grant.consumed_at {
        record.state = RefreshState::Rotated {
            at: crate::pages::parse_time(at),
            successor_hash: String::new(),
        };
    }
    let requested_scope = one(g.form, "scope")?
        .map(ScopeSet::parse_request)
        .transpose()?;
    let Some((user, _)) = claims::for_account(store, &record.subject).map_err(server)? else {
        if record.client_id == client_id {
            revoke(
                store,
                &grant.family,
                client_id,
                &record.subject,
                "account disabled or gone",
                audit,
            )?;
        }
        return Err(OidcError::RefreshTokenRevoked);
    };
    match g.token_issuer.refresh(
        &g.client.client,
        &record,
        requested_scope.as_ref(),
        &user,
        now,
        &mut OsRandom,
    ) {
        RefreshOutcome::Rotated { tokens, .. } => {
            let reason = format!("scope {}; acr {}", tokens.access_record.scope, record.acr);
            store_issued(
                store,
                *tokens,
                &Consumed {
                    hash: &hash,
                    family: &grant.family,
                    session: grant.session.as_deref(),
                    client_id,
                    subject: &record.subject,
                    kind: ConsumedKind::RefreshToken,
                    reason,
                },
                now,
                audit,
            )
        }
        RefreshOutcome::Refused(e) => Err(e),
        RefreshOutcome::RevokeFamily {
            family_id, error, ..
        } => {
            revoke(
                store,
                &family_id,
                client_id,
                &record.subject,
                ConsumedKind::RefreshToken.reuse(),
                audit,
            )?;
            Err(error)
        }
    }
}

/// Deletes long-expired grants, at most once an hour per process.
fn purge_now_and_then(store: &dyn Store, now: OffsetDateTime) {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let t = now.unix_timestamp();
    let last = LAST.load(Ordering::Relaxed);
    if t - last < 3600
        || LAST
            .compare_exchange(last, t, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    match store.delete_expired_oidc_grants(&xaso_store::format_utc(now - PURGE_AFTER)) {
        Ok(0) => {}
        Ok(n) => tracing::info!("OpenID provider: {n} expired grants purged"),
        Err(e) => tracing::warn!("OpenID provider: purging expired grants failed: {e}"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        let form = vec![
            ("code".to_string(), "a".to_string()),
            ("code".to_string(), "b".to_string()),
            ("scope".to_string(), String::new()),
        ];
        assert_eq!(
            one(&form, "code"),
            Err(OidcError::DuplicateParameter("code"))
        );
        assert_eq!(one(&form, "scope"), Ok(None));
        assert_eq!(one(&form, "state"), Ok(None));
    }
}
