//! The OpenID Connect provider over HTTP: discovery, JWKS, authorization (citizens sign in
//! with their `xaso_citizen` session), token, userinfo, logout; the client registry. The
//! protocol rules are `xaso_identity::oidc`'s; the state is `xaso_store::OidcStore`'s.
//!
//! - [`authorize`]: `GET /oidc/authorize` (sign-in, step-up, consent, code) and the consent
//!   form's `POST`;
//! - [`token`]: `POST /oidc/token` (authorization code with PKCE, refresh with rotation and
//!   reuse detection; `client_secret_basic` and `private_key_jwt`);
//! - [`userinfo`]: `GET`/`POST /oidc/userinfo` with a bearer access token;
//! - [`logout`]: RP-initiated logout at `/oidc/logout`;
//! - [`clients`]: the registry (`/admin/oidc-clients`, and [`clients::register_client`] for the
//!   command line);
//! - [`keys`]: the signing keys and the pairwise-subject key, kept in `meta`, and rotation;
//! - [`claims`]: what the register says about the signed-in citizen.
//!
//! Invariants:
//! - The issuer URL is computed in one place ([`issuer`]).
//! - Codes and tokens are stored only as hashes; a secret is shown once.
//! - Every answer that carries personal data (ID token, UserInfo) is audited first, and
//!   refused while the audit log cannot be written.
//! - A browser is never redirected to a URI that is not registered for the client.

pub mod authorize;
pub mod claims;
pub mod clients;
pub mod keys;
pub mod logout;
pub mod token;
pub mod userinfo;

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use maud::{html, Markup, DOCTYPE};
use time::OffsetDateTime;
use xaso_identity::oidc::discovery::{discovery_document, paths, Issuer};
use xaso_identity::oidc::{form_urldecode, ErrorResponse, OidcError};

use crate::i18n::Lang;
use crate::pages::{cookie, layout, Chrome, LANG_COOKIE};
use crate::AppState;

/// The provider's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(paths::DISCOVERY, get(discovery))
        .route(paths::JWKS, get(jwks))
        .route(
            paths::AUTHORIZE,
            get(authorize::authorize).post(authorize::consent),
        )
        .route(paths::TOKEN, post(token::token))
        .route(
            paths::USERINFO,
            get(userinfo::userinfo).post(userinfo::userinfo),
        )
        .route(
            paths::END_SESSION,
            get(logout::logout).post(logout::confirm),
        )
        .route(
            clients::ADMIN_PATH,
            get(clients::clients_page).post(clients::create),
        )
        .route("/admin/oidc-clients/{client_id}/{op}", post(clients::act))
        .route(clients::KEYS_ROTATE_PATH, post(clients::rotate_keys))
}

/// The issuer URL of this server: the request's `Host`, with `https` when the server marks
/// its cookies Secure (it is behind TLS) and `http` otherwise, or always for a loopback host
/// (a development machine or a test: browsers treat `http://localhost` as secure). The only
/// place the issuer is decided. `xaso serve --public-url URL` fixes it instead (a server behind
/// a proxy).
///
/// Fails when the result is not a valid issuer: a plain-HTTP server reached by a name other
/// than a loopback address cannot be an OpenID provider.
pub fn issuer(state: &AppState, headers: &HeaderMap) -> Result<Issuer, OidcError> {
    if let Some(public) = &state.web.config.public_url {
        return Ok(public.clone());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::trim)
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or("localhost");
    let name = if host.starts_with('[') {
        host.find(']').map_or(host, |end| &host[..=end])
    } else {
        host.split(':').next().unwrap_or(host)
    };
    let loopback = matches!(name, "localhost" | "127.0.0.1" | "[::1]");
    let scheme = if state.web.config.secure_cookies && !loopback {
        "https"
    } else {
        "http"
    };
    Issuer::parse(&format!("{scheme}://{host}")).map_err(|e| {
        OidcError::ServerError(format!(
            "{e}: serve the OpenID provider over https (or on a loopback address)"
        ))
    })
}

/// `GET /.well-known/openid-configuration`.
async fn discovery(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match issuer(&state, &headers) {
        Ok(issuer) => public_json(&discovery_document(&issuer)),
        Err(e) => json_error(&e, false),
    }
}

/// `GET /oidc/jwks`: the active key and the retired ones still valid.
async fn jwks(State(state): State<AppState>) -> Response {
    // On the blocking pool: the first use writes the keys.
    let loaded = crate::api::blocking(&state, |s| Ok(keys::load(s))).await;
    match loaded {
        Ok(Ok(k)) => public_json(&k.keys.jwks(OffsetDateTime::now_utc())),
        Ok(Err(e)) => json_error(&OidcError::ServerError(e), false),
        Err(e) => json_error(&OidcError::ServerError(format!("{e:?}")), false),
    }
}

/// JSON anyone may fetch and cache for five minutes (discovery, keys).
fn public_json<T: serde::Serialize>(value: &T) -> Response {
    (
        [
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=300"),
            ),
            (
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            ),
        ],
        axum::Json(value),
    )
        .into_response()
}

/// An OAuth error as JSON (RFC 6749 §5.2), never cached. `basic`: the client tried HTTP
/// Basic, so an `invalid_client` answer carries `WWW-Authenticate: Basic`.
pub(crate) fn json_error(error: &OidcError, basic: bool) -> Response {
    if let OidcError::ServerError(detail) = error {
        tracing::error!("OpenID provider: {detail}");
    }
    let status = StatusCode::from_u16(error.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body: ErrorResponse = error.response();
    let mut response = (status, no_store(), axum::Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        let challenge = if error.code() == xaso_identity::oidc::ErrorCode::InvalidToken {
            r#"Bearer error="invalid_token""#
        } else if basic {
            r#"Basic realm="xaso""#
        } else {
            ""
        };
        if !challenge.is_empty() {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static(challenge),
            );
        }
    }
    response
}

/// `Cache-Control: no-store` and `Pragma: no-cache`, for every answer with a token or an
/// error of the token endpoint (RFC 6749 §5.1).
pub(crate) fn no_store() -> [(header::HeaderName, HeaderValue); 2] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

/// Reads an `application/x-www-form-urlencoded` text (a query or a body) into pairs, keeping
/// duplicates (the core refuses them by name). `None` for a malformed escape.
pub(crate) fn parse_pairs(text: &str) -> Option<Vec<(String, String)>> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Some((form_urldecode(k)?, form_urldecode(v)?))
        })
        .collect()
}

/// The first value of a parameter (for parameters the core does not read).
pub(crate) fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// The page language: the language cookie if set, else the first of `ui_locales` this server
/// speaks, else Vietnamese.
pub(crate) fn page_lang(headers: &HeaderMap, ui_locales: &[String]) -> Lang {
    if let Some(lang) = cookie(headers, LANG_COOKIE).and_then(Lang::parse) {
        return lang;
    }
    ui_locales
        .iter()
        .find_map(|tag| {
            let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
            Lang::parse(&primary)
        })
        .unwrap_or_default()
}

/// Vietnamese or English.
pub(crate) fn t<'a>(lang: Lang, vi: &'a str, en: &'a str) -> &'a str {
    lang.pick(en, vi)
}

/// A page of the provider for a citizen (no officer chrome).
pub(crate) fn page(
    lang: Lang,
    status: StatusCode,
    path: &str,
    title: &str,
    body: Markup,
) -> Response {
    let ctx = Chrome {
        lang,
        officer: None,
        path: path.to_string(),
    };
    (status, Html(layout(&ctx, title, body).into_string())).into_response()
}

/// An error page: for requests whose client or redirect URI cannot be trusted (never
/// redirected), and for server errors.
pub(crate) fn error_page(lang: Lang, error: &OidcError) -> Response {
    if let OidcError::ServerError(detail) = error {
        tracing::error!("OpenID provider: {detail}");
    }
    let status = match error {
        OidcError::ServerError(_) => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    };
    let title = t(
        lang,
        "Không thể đăng nhập vào dịch vụ",
        "Cannot sign in to the service",
    );
    let body = html! {
        h1 { (title) }
        p.notice.error role="alert" {
            (t(lang,
               "Yêu cầu đăng nhập từ dịch vụ kia không hợp lệ, nên không thể tiếp tục. Hãy quay lại dịch vụ và thử lại, hoặc báo cho đơn vị quản lý dịch vụ.",
               "The sign-in request from the other service is not valid, so it cannot go on. Go back to the service and try again, or tell whoever runs it."))
        }
        p { code #oidc-error { (error.code().as_str()) ": " (error.description()) } }
    };
    page(lang, status, "/", title, body)
}

/// Where a browser goes next, outside this server (the client's redirect URI). A plain
/// redirect, except after a form of this server: there a redirect to another origin would be
/// blocked by the pages' `form-action 'self'` policy, so the answer is a page that moves on
/// by itself (`meta refresh`, which that policy does not govern) with a link for browsers that
/// do not. `Sec-Fetch-Site: same-origin` says a redirect chain began on one of our forms (the
/// citizen login), so it is treated like a form.
pub(crate) fn go_to(lang: Lang, headers: &HeaderMap, url: &str, after_form: bool) -> Response {
    let same_origin = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("same-origin"));
    if !after_form && !same_origin {
        return (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                HeaderValue::from_str(url).unwrap_or_else(|_| HeaderValue::from_static("/")),
            )],
        )
            .into_response();
    }
    let title = t(lang, "Đang chuyển về dịch vụ", "Returning to the service");
    let markup = html! {
        (DOCTYPE)
        html lang=(lang.code()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                meta http-equiv="refresh" content={ "0;url=" (url) };
                title { (title) }
                link rel="stylesheet" href="/assets/style.css";
            }
            body {
                main #main {
                    h1 { (title) }
                    p { a #continue href=(url) { (t(lang, "Tiếp tục", "Continue")) } }
                }
            }
        }
    };
    (StatusCode::OK, Html(markup.into_string())).into_response()
}

/// A random identifier: 128 bits, base64url.
pub(crate) fn random_id() -> Result<String, OidcError> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| OidcError::ServerError(e.to_string()))?;
    Ok(xaso_identity::base64url_encode(&bytes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pairs_keep_duplicates_and_decode() {
        let p = parse_pairs("a=1&b=x+y%21&a=2&flag&").unwrap();
        assert_eq!(
            p,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y!".into()),
                ("a".into(), "2".into()),
                ("flag".into(), String::new()),
            ]
        );
        assert_eq!(param(&p, "a"), Some("1"));
        assert_eq!(param(&p, "flag"), None);
        assert!(parse_pairs("a=%zz").is_none());
    }

    #[test]
    fn the_page_language_follows_the_cookie_then_ui_locales() {
        let mut h = HeaderMap::new();
        assert_eq!(page_lang(&h, &["en-GB".into()]), Lang::En);
        assert_eq!(page_lang(&h, &["fr".into(), "vi".into()]), Lang::Vi);
        assert_eq!(page_lang(&h, &[]), Lang::Vi);
        h.insert(header::COOKIE, HeaderValue::from_static("xaso_lang=vi"));
        assert_eq!(page_lang(&h, &["en".into()]), Lang::Vi);
    }
}
