//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) at `/oidc/logout`: ends the
//! citizen's session here and, if asked, sends the browser back to the client.
//!
//! - `id_token_hint` is optional; when given it must be an ID token this provider signed (an
//!   expired one is fine), and it names the client.
//! - `post_logout_redirect_uri` is followed only if it is registered for that client (named
//!   by the hint or by `client_id`), exactly; `state` is passed back.
//! - Without a hint naming the signed-in citizen, the citizen confirms first (a form with the
//!   session's CSRF token), so that another site cannot sign them out with a link.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use time::OffsetDateTime;
use xaso_identity::oidc::discovery::paths;
use xaso_identity::oidc::tokens::{pairwise_subject, IdTokenClaims};
use xaso_identity::oidc::{form_urlencode, OidcError};
use xaso_store::AuditRecord;

use super::clients::load_client;
use super::{error_page, go_to, issuer, keys, page, page_lang, param, parse_pairs, t};
use crate::api::{audited, blocking, read};
use crate::citizen::session::{self, Citizen};
use crate::i18n::Lang;
use crate::AppState;

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    handle(&state, &headers, uri.query().unwrap_or(""), None).await
}

#[derive(Debug, Default, Deserialize)]
pub struct LogoutForm {
    #[serde(default)]
    csrf: String,
    /// The logout request's query.
    #[serde(default)]
    query: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let query = form.query.clone();
    handle(&state, &headers, &query, Some(&form)).await
}

fn invalid(name: &'static str, reason: &'static str) -> OidcError {
    OidcError::InvalidParameter { name, reason }
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    raw: &str,
    form: Option<&LogoutForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let Some(params) = parse_pairs(raw) else {
        return error_page(
            page_lang(headers, &[]),
            &invalid("query", "is not application/x-www-form-urlencoded"),
        );
    };
    let locales: Vec<String> = param(&params, "ui_locales")
        .unwrap_or("")
        .split(' ')
        .map(str::to_string)
        .collect();
    let lang = page_lang(headers, &locales);
    let issuer = match issuer(state, headers) {
        Ok(i) => i,
        Err(e) => return error_page(lang, &e),
    };
    // On the blocking pool: the first use writes the keys.
    let keys = match blocking(state, |s| Ok(keys::load(s))).await {
        Ok(Ok(k)) => k,
        Ok(Err(e)) => return error_page(lang, &OidcError::ServerError(e)),
        Err(e) => return error_page(lang, &OidcError::ServerError(format!("{e:?}"))),
    };
    let hint = match param(&params, "id_token_hint") {
        None => None,
        Some(token) => {
            let claims = keys
                .keys
                .verify(token, now)
                .ok()
                .and_then(|payload| serde_json::from_slice::<IdTokenClaims>(&payload).ok())
                .filter(|c| c.iss == issuer.as_str());
            match claims {
                Some(c) => Some(c),
                None => {
                    return error_page(
                        lang,
                        &invalid("id_token_hint", "is not an ID token of this provider"),
                    )
                }
            }
        }
    };
    let client_id = match (
        hint.as_ref().map(|h| h.aud.as_str()),
        param(&params, "client_id"),
    ) {
        (Some(a), Some(c)) if a != c => {
            return error_page(
                lang,
                &invalid("client_id", "differs from the id_token_hint audience"),
            )
        }
        (Some(a), _) => Some(a.to_string()),
        (None, c) => c.map(str::to_string),
    };
    let client = match client_id {
        Some(id) => match read(state, move |s| load_client(s, &id)).await {
            Ok(Some(c)) => Some(c),
            Ok(None) => return error_page(lang, &OidcError::UnknownClient),
            Err(e) => return error_page(lang, &OidcError::ServerError(format!("{e:?}"))),
        },
        None => None,
    };
    let back = match param(&params, "post_logout_redirect_uri") {
        None => None,
        Some(uri) => {
            let registered = client
                .as_ref()
                .is_some_and(|c| c.post_logout_redirect_uris.iter().any(|r| r == uri));
            if !registered {
                return error_page(
                    lang,
                    &invalid(
                        "post_logout_redirect_uri",
                        "is not registered for this client",
                    ),
                );
            }
            Some(match param(&params, "state") {
                Some(s) => {
                    let sep = if uri.contains('?') { '&' } else { '?' };
                    format!("{uri}{sep}state={}", form_urlencode(s))
                }
                None => uri.to_string(),
            })
        }
    };
    let client_name = client.as_ref().map(|c| c.client.name.clone());

    let Some(citizen) = session::current(state, headers).await else {
        // Nobody signed in here: nothing to end.
        return finished(lang, headers, back.as_deref(), form.is_some(), None);
    };
    let hint_names_citizen = hint.as_ref().zip(client.as_ref()).is_some_and(|(h, c)| {
        h.sub
            == pairwise_subject(
                &keys.pairwise,
                &c.client.sector_identifier,
                &citizen.personal_id,
            )
    });
    match form {
        Some(f) if !citizen.check_csrf(state, &f.csrf) => {
            return page(
                lang,
                StatusCode::FORBIDDEN,
                paths::END_SESSION,
                lang.msg().error_title,
                html! { p.notice.error role="alert" { (lang.msg().error_csrf) } },
            );
        }
        Some(_) => {}
        None if !hint_names_citizen => {
            return confirm_page(state, lang, &citizen, raw, client_name.as_deref());
        }
        None => {}
    }
    let route = if form.is_some() {
        "POST /oidc/logout"
    } else {
        "GET /oidc/logout"
    };
    let by = session::EndedBy::citizen(&citizen.personal_id, route);
    if let Err(e) = session::end(state, &citizen.session_hash, by).await {
        return error_page(lang, &OidcError::ServerError(format!("{e:?}")));
    }
    let mut record = AuditRecord::now(&citizen.personal_id, "citizen", "oidc.logout", route);
    record.subject = Some(citizen.personal_id.clone());
    record.reason = client
        .as_ref()
        .map(|c| format!("client {}", c.client.client_id));
    if let Err(e) = audited(state, vec![record]).await {
        tracing::warn!("OpenID logout: the audit log cannot be written: {e:?}");
    }
    let clear = session::session_cookie(state, "", Some(0));
    finished(lang, headers, back.as_deref(), form.is_some(), Some(clear))
}

/// Back to the client, or a page saying the citizen is signed out.
fn finished(
    lang: Lang,
    headers: &HeaderMap,
    back: Option<&str>,
    after_form: bool,
    clear_cookie: Option<axum::http::HeaderValue>,
) -> Response {
    let mut response = match back {
        Some(url) => go_to(lang, headers, url, after_form),
        None => {
            let title = t(lang, "Bạn đã đăng xuất", "You have signed out");
            page(
                lang,
                StatusCode::OK,
                paths::END_SESSION,
                title,
                html! {
                    section.narrow #oidc-signed-out {
                        h1 { (title) }
                        p { a href=(session::LOGIN_PATH) { (t(lang, "Đăng nhập lại", "Sign in again")) } }
                    }
                },
            )
        }
    };
    if let Some(c) = clear_cookie {
        response.headers_mut().append(header::SET_COOKIE, c);
    }
    response
}

fn confirm_page(
    state: &AppState,
    lang: Lang,
    citizen: &Citizen,
    query: &str,
    client_name: Option<&str>,
) -> Response {
    let title = t(lang, "Đăng xuất?", "Sign out?");
    let body = html! {
        section.narrow #oidc-logout {
            h1 { (title) }
            p {
                @if let Some(name) = client_name {
                    strong { (name) }
                    (t(lang, " muốn đăng xuất bạn khỏi tài khoản định danh Xã số.",
                             " wants to sign you out of your Xã số identity account."))
                } @else {
                    (t(lang, "Một dịch vụ muốn đăng xuất bạn khỏi tài khoản định danh Xã số.",
                             "A service wants to sign you out of your Xã số identity account."))
                }
            }
            form.stack method="post" action=(paths::END_SESSION) {
                (citizen.csrf_field(state))
                input type="hidden" name="query" value=(query);
                p { button.primary type="submit" { (t(lang, "Đăng xuất", "Sign out")) } }
            }
        }
    };
    page(lang, StatusCode::OK, paths::END_SESSION, title, body).into_response()
}
