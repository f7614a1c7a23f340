//! `GET /oidc/authorize` and the consent form (`POST /oidc/authorize`).
//!
//! The request is checked by the core (`authorize::validate`), then the citizen's browser
//! session decides (`authorize::decide`):
//! - not signed in (or `prompt=login`, or `max_age` passed): to the citizens' login page with
//!   `next` = this request, and back here afterwards;
//! - signed in below the level the client needs: a page saying how to reach level 2 (at the
//!   commune's desk, with the chip ID card), or the error for `prompt=none`;
//! - no consent yet for these scopes: the consent page (a form with the session's CSRF token);
//! - otherwise a code, and the browser back to the client with `code`, `state` and `iss`.
//!
//! **When the request arrived** matters for `prompt=login`, `prompt=consent` and `max_age`
//! (an authentication or consent after that instant satisfies them). The request travels
//! through the login page as a URL, so that instant travels with it: the `next` URL and the
//! consent form carry `xaso_at=NANOS.MAC`, the time (Unix, in nanoseconds) under an HMAC of the server's key bound to
//! the rest of the query. Without a valid marker (or after 30 minutes) the request is new.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use serde::Deserialize;
use time::{Duration, OffsetDateTime};
use xaso_identity::oidc::authorize::{
    decide, requested_client_id, validate, Authentication, AuthorizationRequest, AuthorizeError,
    Consent, Decision,
};
use xaso_identity::oidc::code::{new_code, CodeRecord};
use xaso_identity::oidc::discovery::{paths, Issuer};
use xaso_identity::oidc::{form_urldecode, form_urlencode, Loa, OidcError, OsRandom, Scope};
use xaso_store::{AuditRecord, OidcGrantRecord};

use super::clients::{load_client, RegisteredClient};
use super::{error_page, go_to, issuer, page, page_lang, parse_pairs, random_id, t};
use crate::api::{audited, blocking, read};
use crate::citizen::portal_sign_in::{self, PORTAL_CLIENT_ID};
use crate::citizen::session::{self, Citizen, LOGIN_PATH};
use crate::i18n::Lang;
use crate::pages::url_encode;
use crate::AppState;

/// The query parameter that carries when the request arrived.
const MARKER: &str = "xaso_at";
/// How long that marker is honoured.
const MARKER_TTL: Duration = Duration::minutes(30);

pub async fn authorize(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    handle(&state, &headers, uri.query().unwrap_or(""), None).await
}

/// The consent page's answer.
#[derive(Debug, Default, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    csrf: String,
    /// The authorization request's query, with its arrival marker.
    #[serde(default)]
    query: String,
    /// `allow` or `deny`.
    #[serde(default)]
    decision: String,
}

pub async fn consent(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<ConsentForm>,
) -> Response {
    let query = form.query.clone();
    handle(&state, &headers, &query, Some(&form)).await
}

/// The request's query without the marker, and when the request arrived.
fn split_marker<'a>(
    state: &AppState,
    raw: &'a str,
    now: OffsetDateTime,
) -> (&'a str, OffsetDateTime) {
    let fresh = now;
    let needle = format!("&{MARKER}=");
    let Some(at) = raw.rfind(&needle) else {
        return (raw, fresh);
    };
    let (original, value) = (&raw[..at], &raw[at + needle.len()..]);
    let received = form_urldecode(value)
        .as_deref()
        .and_then(|v| v.split_once('.'))
        .filter(|(unix, mac)| state.web.verify_csrf(&marker_subject(unix, original), mac))
        .and_then(|(nanos, _)| nanos.parse::<i128>().ok())
        .and_then(|nanos| OffsetDateTime::from_unix_timestamp_nanos(nanos).ok())
        .filter(|t| *t <= now + Duration::seconds(60) && now - *t <= MARKER_TTL);
    (original, received.unwrap_or(fresh))
}

fn marker_subject(nanos: &str, original: &str) -> String {
    format!("oidc-authorize-at:{nanos}:{original}")
}

/// `original` with the marker of `received_at` appended.
fn with_marker(state: &AppState, original: &str, received_at: OffsetDateTime) -> String {
    let nanos = received_at.unix_timestamp_nanos().to_string();
    let mac = state.web.csrf_for(&marker_subject(&nanos, original));
    format!("{original}&{MARKER}={nanos}.{}", form_urlencode(&mac))
}

/// RFC 8176 values for how the citizen signed in: a TOTP code is `otp`, and two kinds of
/// factor add `mfa`.
fn amr(methods: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in methods {
        let v = match m.as_str() {
            "totp" => "otp",
            other => other,
        };
        if !v.is_empty() && !out.iter().any(|o| o == v) {
            out.push(v.to_string());
        }
    }
    if out.len() >= 2 && !out.iter().any(|o| o == "mfa") {
        out.push("mfa".into());
    }
    out
}

fn level(level: i32) -> Loa {
    if level >= 2 {
        Loa::Level2
    } else {
        Loa::Level1
    }
}

fn authentication(c: &Citizen) -> Authentication {
    Authentication {
        subject: c.personal_id.clone(),
        level: level(c.level),
        amr: amr(&c.methods),
        auth_time: c.auth_time,
    }
}

fn server_error(e: impl std::fmt::Debug) -> OidcError {
    OidcError::ServerError(format!("{e:?}"))
}

async fn handle(
    state: &AppState,
    headers: &HeaderMap,
    raw_query: &str,
    form: Option<&ConsentForm>,
) -> Response {
    let now = OffsetDateTime::now_utc();
    let lang = page_lang(headers, &[]);
    let issuer = match issuer(state, headers) {
        Ok(i) => i,
        Err(e) => return error_page(lang, &e),
    };
    let (original, received_at) = split_marker(state, raw_query, now);
    let Some(params) = parse_pairs(original) else {
        return error_page(
            lang,
            &OidcError::InvalidParameter {
                name: "query",
                reason: "is not application/x-www-form-urlencoded",
            },
        );
    };
    let client = match requested_client_id(&params) {
        Ok(id) => {
            let id = id.to_string();
            match read(state, move |s| load_client(s, &id)).await {
                Ok(c) => c,
                Err(e) => return error_page(lang, &server_error(e)),
            }
        }
        Err(_) => None,
    };
    // The built-in portal client answers at this server's own address.
    let client = client.map(|c| {
        if c.client.client_id == PORTAL_CLIENT_ID {
            portal_sign_in::for_issuer(c, &issuer)
        } else {
            c
        }
    });
    let request = match validate(&params, client.as_ref().map(|c| &c.client), received_at) {
        Ok(r) => r,
        Err(AuthorizeError::Show(e)) => return error_page(lang, &e),
        Err(AuthorizeError::Redirect(r)) => {
            return go_to(lang, headers, &r.url(&issuer), form.is_some())
        }
    };
    let Some(client) = client else {
        return error_page(lang, &OidcError::UnknownClient);
    };
    let lang = page_lang(headers, &request.ui_locales);
    let after_form = form.is_some();
    let marked = with_marker(state, original, received_at);

    // The signed-in citizen, if the account is still usable.
    let citizen = match session::current(state, headers).await {
        Some(c) => {
            let pid = c.personal_id.clone();
            match read(state, move |s| s.get_citizen(&pid)).await {
                Ok(Some(account)) if !account.disabled => Some((c, account.level)),
                Ok(_) => {
                    // A session of an account disabled since: over (else the login page,
                    // seeing the session, would send the browser straight back here).
                    let route = if form.is_some() {
                        "POST /oidc/authorize"
                    } else {
                        "GET /oidc/authorize"
                    };
                    let by = session::EndedBy::citizen(&c.personal_id, route);
                    if let Err(e) = session::end(state, &c.session_hash, by).await {
                        return error_page(lang, &server_error(e));
                    }
                    None
                }
                Err(e) => return error_page(lang, &server_error(e)),
            }
        }
        None => None,
    };

    if let Some(f) = form {
        let Some((c, _)) = &citizen else {
            return sign_in(&marked, false);
        };
        if !c.check_csrf(state, &f.csrf) {
            return page(
                lang,
                StatusCode::FORBIDDEN,
                paths::AUTHORIZE,
                lang.msg().error_title,
                html! { p.notice.error role="alert" { (lang.msg().error_csrf) } },
            );
        }
        let allowed = f.decision == "allow";
        let mut record = AuditRecord::now(
            &c.personal_id,
            "citizen",
            if allowed {
                "oidc.consent"
            } else {
                "oidc.consent.denied"
            },
            "POST /oidc/authorize",
        );
        record.subject = Some(c.personal_id.clone());
        record.reason = Some(format!(
            "client {} scope {}",
            request.client_id, request.scope
        ));
        if let Err(e) = audited(state, vec![record]).await {
            return error_page(lang, &server_error(e));
        }
        if !allowed {
            let url = request.error_redirect(OidcError::AccessDenied).url(&issuer);
            return go_to(lang, headers, &url, true);
        }
        let consent = Consent {
            scope: request.scope.clone(),
            granted_at: now,
        };
        let text = match serde_json::to_string(&consent) {
            Ok(t) => t,
            Err(e) => return error_page(lang, &server_error(e)),
        };
        let (pid, cid) = (c.personal_id.clone(), request.client_id.clone());
        if let Err(e) = blocking(state, move |s| s.set_oidc_consent(&pid, &cid, &text)).await {
            return error_page(lang, &server_error(e));
        }
    }

    let consent = match &citizen {
        // The platform's own portal is first-party: no consent to ask.
        Some(_) if request.client_id == PORTAL_CLIENT_ID => Some(Consent {
            scope: request.scope.clone(),
            granted_at: now,
        }),
        Some((c, _)) => {
            let (pid, cid) = (c.personal_id.clone(), request.client_id.clone());
            match read(state, move |s| s.get_oidc_consent(&pid, &cid)).await {
                Ok(text) => text.and_then(|t| serde_json::from_str::<Consent>(&t).ok()),
                Err(e) => return error_page(lang, &server_error(e)),
            }
        }
        None => None,
    };
    let auth = citizen.as_ref().map(|(c, _)| authentication(c));
    match decide(&request, auth.as_ref(), consent.as_ref(), now) {
        Err(refused) => go_to(lang, headers, &refused.url(&issuer), after_form),
        Ok(Decision::Authenticate) => sign_in(&marked, citizen.is_some()),
        Ok(Decision::StepUpRequired { current, required }) => {
            let account_level = citizen.as_ref().map_or(1, |(_, l)| *l);
            step_up_page(
                lang,
                &issuer,
                &request,
                &client,
                current,
                required,
                account_level,
                &marked,
            )
        }
        Ok(Decision::Consent) => {
            let Some((c, _)) = &citizen else {
                return sign_in(&marked, false);
            };
            consent_page(state, lang, c, &request, &client, &marked)
        }
        Ok(Decision::Issue(auth)) => {
            // Issued only to a signed-in citizen: the code belongs to that session.
            let Some((c, _)) = &citizen else {
                return sign_in(&marked, false);
            };
            match issue_code(state, &request, &auth, &c.session_hash, now).await {
                Ok(code) => go_to(
                    lang,
                    headers,
                    &request.success_redirect(&code, &issuer),
                    after_form,
                ),
                Err(e) => error_page(lang, &e),
            }
        }
    }
}

/// To the citizens' login page, back to this request afterwards. `again`: the citizen is
/// signed in but must authenticate anew (`prompt=login`, `max_age`).
fn sign_in(marked_query: &str, again: bool) -> Response {
    let next = format!("{}?{marked_query}", paths::AUTHORIZE);
    let mut to = format!("{LOGIN_PATH}?next={}", url_encode(&next));
    if again {
        to.push_str("&prompt=login");
    }
    Redirect::to(&to).into_response()
}

/// Stores a new code for the request, under the citizen session (its hash) that authorized
/// it, and returns it (to go in the redirect only).
async fn issue_code(
    state: &AppState,
    request: &AuthorizationRequest,
    auth: &Authentication,
    session_hash: &str,
    now: OffsetDateTime,
) -> Result<String, OidcError> {
    let new = new_code(&mut OsRandom).map_err(server_error)?;
    let record = CodeRecord::new(request, auth, now);
    let grant = OidcGrantRecord {
        hash: new.hash.clone(),
        kind: "code".into(),
        client_id: request.client_id.clone(),
        // The family of every token this code leads to: a reused code revokes them all.
        family: random_id()?,
        data: serde_json::to_string(&record).map_err(server_error)?,
        expires_at: xaso_store::format_utc(record.expires_at),
        consumed_at: None,
        revoked: false,
        // Every token the code leads to inherits it: ending the session revokes them.
        session: Some(session_hash.to_owned()),
    };
    blocking(state, move |s| s.insert_oidc_grant(&grant))
        .await
        .map_err(server_error)?;
    Ok(new.code)
}

/// What a scope gives the client, in the citizen's words.
fn scope_text(lang: Lang, scope: Scope) -> &'static str {
    match scope {
        Scope::Openid => t(
            lang,
            "Một mã nhận diện bạn chỉ dùng cho dịch vụ này (không phải số định danh cá nhân)",
            "An identifier for you that only this service gets (not your personal ID number)",
        ),
        Scope::Profile => t(
            lang,
            "Họ tên, ngày sinh và giới tính",
            "Your full name, date of birth and sex",
        ),
        Scope::PersonalId => t(
            lang,
            "Số định danh cá nhân (12 chữ số)",
            "Your personal identification number (12 digits)",
        ),
        Scope::Address => t(lang, "Địa chỉ thường trú", "Your permanent address"),
        Scope::Phone => t(
            lang,
            "Số điện thoại đã xác nhận",
            "Your confirmed phone number",
        ),
    }
}

fn level_text(lang: Lang, loa: Loa) -> &'static str {
    match loa {
        Loa::Level1 => t(lang, "mức 1", "level 1"),
        Loa::Level2 => t(lang, "mức 2", "level 2"),
    }
}

fn consent_page(
    state: &AppState,
    lang: Lang,
    citizen: &Citizen,
    request: &AuthorizationRequest,
    client: &RegisteredClient,
    marked_query: &str,
) -> Response {
    let title = t(
        lang,
        "Cho phép dịch vụ dùng tài khoản của bạn",
        "Allow a service to use your account",
    );
    let body = html! {
        section.narrow #oidc-consent {
            h1 { (title) }
            p {
                strong #client-name { (client.client.name) }
                (t(lang, " muốn đăng nhập cho bạn bằng tài khoản định danh của Xã số và nhận:",
                         " wants to sign you in with your Xã số identity account and receive:"))
            }
            ul #scopes {
                @for s in request.scope.iter() {
                    li data-scope=(s.as_str()) { (scope_text(lang, s)) }
                }
            }
            p.muted {
                (t(lang, "Tài khoản của bạn ở ", "Your account is at "))
                (level_text(lang, level(citizen.level)))
                ". "
                (t(lang,
                   "Việc chia sẻ được ghi vào nhật ký truy cập mà bạn xem được trong cổng công dân. Bạn có thể từ chối.",
                   "Each release is recorded in the access log you can read in the citizen portal. You may refuse."))
            }
            form.stack method="post" action=(paths::AUTHORIZE) {
                (citizen.csrf_field(state))
                input type="hidden" name="query" value=(marked_query);
                p {
                    button.primary type="submit" name="decision" value="allow" { (t(lang, "Đồng ý", "Allow")) }
                    " "
                    button type="submit" name="decision" value="deny" { (t(lang, "Từ chối", "Refuse")) }
                }
            }
        }
    };
    page(lang, StatusCode::OK, paths::AUTHORIZE, title, body)
}

#[allow(clippy::too_many_arguments)]
fn step_up_page(
    lang: Lang,
    issuer: &Issuer,
    request: &AuthorizationRequest,
    client: &RegisteredClient,
    current: Loa,
    required: Loa,
    account_level: i32,
    marked_query: &str,
) -> Response {
    let back = request
        .error_redirect(OidcError::StepUpRequired { current, required })
        .url(issuer);
    let raised_since = level(account_level) >= required;
    let again = {
        let next = format!("{}?{marked_query}", paths::AUTHORIZE);
        format!("{LOGIN_PATH}?next={}&prompt=login", url_encode(&next))
    };
    let title = t(
        lang,
        "Dịch vụ này cần tài khoản định danh mức 2",
        "This service needs a level 2 identity account",
    );
    let body = html! {
        section.narrow #oidc-step-up {
            h1 { (title) }
            p {
                strong { (client.client.name) }
                (t(lang, " yêu cầu tài khoản ", " asks for an account at "))
                (level_text(lang, required))
                (t(lang, ". Bạn đang đăng nhập ở ", ". You are signed in at "))
                (level_text(lang, current))
                "."
            }
            @if raised_since {
                p.notice.info {
                    (t(lang,
                       "Tài khoản của bạn đã được nâng lên mức 2 sau khi bạn đăng nhập. Hãy đăng nhập lại để dùng mức mới.",
                       "Your account was raised to level 2 after you signed in. Sign in again to use the new level."))
                }
                p { a.button.primary #sign-in-again href=(again) { (t(lang, "Đăng nhập lại", "Sign in again")) } }
            } @else {
                h2 { (t(lang, "Cách nâng lên mức 2", "How to reach level 2")) }
                ol {
                    li { (t(lang,
                        "Mang thẻ Căn cước (Căn cước công dân) gắn chip đến bộ phận một cửa của Ủy ban nhân dân xã.",
                        "Bring your chip ID card (Căn cước) to the one-stop desk of the commune People's Committee.")) }
                    li { (t(lang,
                        "Cán bộ đọc chip của thẻ, kiểm tra chữ ký số của thẻ và đối chiếu ảnh trên chip với bạn.",
                        "The officer reads the card's chip, checks its digital signature and compares the photo on the chip with you.")) }
                    li { (t(lang,
                        "Tài khoản của bạn được nâng lên mức 2 ngay tại chỗ; không cần nộp giấy tờ khác.",
                        "Your account is raised to level 2 on the spot; no other paper is needed.")) }
                    li { (t(lang,
                        "Sau đó, quay lại dịch vụ và đăng nhập lại.",
                        "Then come back to the service and sign in again.")) }
                }
            }
            p { a #back-to-service href=(back) { (t(lang, "Quay lại dịch vụ", "Back to the service")) } }
        }
    };
    page(lang, StatusCode::FORBIDDEN, paths::AUTHORIZE, title, body)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn amr_values_follow_rfc_8176() {
        assert_eq!(amr(&["pwd".into()]), vec!["pwd"]);
        assert_eq!(
            amr(&["pwd".into(), "totp".into()]),
            vec!["pwd", "otp", "mfa"]
        );
        assert_eq!(amr(&["pwd".into(), "pwd".into()]), vec!["pwd"]);
    }
}
