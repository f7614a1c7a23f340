//! The client registry: relying parties registered by administrators, on the page
//! `/admin/oidc-clients` or with `xaso admin oidc-client create` (both through
//! [`register_client`]). A client secret is generated here, shown once, and only its hash is
//! stored.
//!
//! The stored record is the core's [`Client`] as JSON, with this layer's additions beside it
//! ([`RegisteredClient`]: the URIs a client may be sent back to after logout).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::html;
use serde::{Deserialize, Serialize};
use xaso_domain::role::Role;
use xaso_identity::oidc::client::{
    check_redirect_uri, sector_identifier_for, Client, ClientAuth, MAX_CLIENT_KEYS,
};
use xaso_identity::oidc::client_auth::new_client_secret;
use xaso_identity::oidc::jws::Jwks;
use xaso_identity::oidc::{Loa, OsRandom, Scope, ScopeSet};
use xaso_store::{AuditRecord, OidcClientRecord, Store, StoreError};

use super::t;
use crate::api::{audited, blocking, read};
use crate::pages::{local_time, notice, Officer, OrPage, PageError};
use crate::AppState;

pub const ADMIN_PATH: &str = "/admin/oidc-clients";
/// An administrator rotates the provider's signing key.
pub const KEYS_ROTATE_PATH: &str = "/admin/oidc-keys/rotate";

/// A client as stored: the core's registration and what this layer adds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegisteredClient {
    #[serde(flatten)]
    pub client: Client,
    /// Where RP-initiated logout may send the browser back (exact strings, like redirect URIs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_logout_redirect_uris: Vec<String>,
}

/// How a new client will authenticate at the token endpoint.
#[derive(Debug, Clone)]
pub enum AuthChoice {
    /// A secret made here, shown once.
    SecretBasic,
    /// Its public keys (a JWKS document).
    PrivateKeyJwt(Jwks),
}

/// What an administrator gives to register a client.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub auth: AuthChoice,
    /// `openid` is added if missing.
    pub scopes: ScopeSet,
    pub minimum_level: Loa,
    pub refresh_tokens: bool,
    /// The pairwise-subject sector; by default the redirect URIs' host.
    pub sector_identifier: Option<String>,
}

/// A client just registered; `secret` (for `client_secret_basic`) is shown once.
pub struct Registered {
    pub client: RegisteredClient,
    pub secret: Option<String>,
}

impl std::fmt::Debug for Registered {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registered")
            .field("client", &self.client)
            .field("secret", &self.secret.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// Checks and stores a new client; its id is made from its name and random digits. The
/// caller audits.
pub fn register_client(
    store: &dyn Store,
    new: NewClient,
    created_by: &str,
) -> Result<Registered, String> {
    let name = new.name.trim().to_string();
    let redirect_uris: Vec<String> = clean_list(&new.redirect_uris);
    let post_logout: Vec<String> = clean_list(&new.post_logout_redirect_uris);
    for uri in &post_logout {
        check_redirect_uri(uri).map_err(|e| format!("post-logout redirect URI {uri:?}: {e}"))?;
    }
    let sector_identifier = match new
        .sector_identifier
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
    {
        Some(s) => s,
        None => sector_identifier_for(&redirect_uris).map_err(|e| e.to_string())?,
    };
    let (auth, secret) = match new.auth {
        AuthChoice::SecretBasic => {
            let s = new_client_secret(&mut OsRandom).map_err(|e| e.to_string())?;
            (
                ClientAuth::ClientSecretBasic {
                    secret_hash: s.hash,
                },
                Some(s.secret),
            )
        }
        AuthChoice::PrivateKeyJwt(jwks) => (ClientAuth::PrivateKeyJwt { jwks }, None),
    };
    let mut scopes: Vec<Scope> = new.scopes.iter().collect();
    scopes.push(Scope::Openid);
    let client = Client {
        client_id: new_client_id(&name)?,
        name: name.clone(),
        redirect_uris,
        auth,
        allowed_scopes: ScopeSet::new(scopes),
        refresh_tokens: new.refresh_tokens,
        minimum_level: new.minimum_level,
        sector_identifier,
    };
    client.validate().map_err(|e| e.to_string())?;
    let registered = RegisteredClient {
        client,
        post_logout_redirect_uris: post_logout,
    };
    let data = serde_json::to_string(&registered).map_err(|e| e.to_string())?;
    store
        .insert_oidc_client(&OidcClientRecord {
            client_id: registered.client.client_id.clone(),
            name,
            data,
            disabled: false,
            created_at: xaso_store::now_rfc3339(),
            created_by: created_by.to_string(),
        })
        .map_err(|e| e.to_string())?;
    Ok(Registered {
        client: registered,
        secret,
    })
}

fn clean_list(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for item in items.iter().flat_map(|i| i.split(['\n', '\r'])) {
        let item = item.trim();
        if !item.is_empty() && !out.iter().any(|o| o == item) {
            out.push(item.to_string());
        }
    }
    out
}

/// `slug-of-the-name-1a2b3c4d`: readable in logs, unique by its random part.
fn new_client_id(name: &str) -> Result<String, String> {
    let mut slug = String::new();
    for c in xaso_domain::name::stripped_key(name).chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    let mut slug: String = slug.trim_matches('-').chars().take(40).collect();
    if slug.ends_with('-') {
        slug.pop();
    }
    if slug.is_empty() {
        slug.push_str("client");
    }
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|e| e.to_string())?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{slug}-{suffix}"))
}

/// The enabled client with this id (a row that no longer parses counts as absent, and is
/// logged).
pub fn load_client(
    store: &dyn Store,
    client_id: &str,
) -> Result<Option<RegisteredClient>, StoreError> {
    let Some(record) = store.get_oidc_client(client_id)? else {
        return Ok(None);
    };
    if record.disabled {
        return Ok(None);
    }
    Ok(parse_record(&record))
}

fn parse_record(record: &OidcClientRecord) -> Option<RegisteredClient> {
    match serde_json::from_str::<RegisteredClient>(&record.data) {
        Ok(c) if c.client.client_id == record.client_id => Some(c),
        Ok(_) => {
            tracing::error!(
                "OpenID client {:?}: the stored id differs",
                record.client_id
            );
            None
        }
        Err(e) => {
            tracing::error!("OpenID client {:?} is not readable: {e}", record.client_id);
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The administrators' page

fn admin_event(officer: &Officer, action: &str, route: &str, client_id: &str) -> AuditRecord {
    let mut r = AuditRecord::now(&officer.login, "officer", action, route);
    r.role = Some(officer.role.as_str().to_string());
    r.subject = Some(format!("oidc-client:{client_id}"));
    r
}

fn require_admin(officer: &Officer) -> Result<(), PageError> {
    officer.require(
        officer.role == Role::Admin,
        t(
            officer.lang,
            "Chỉ quản trị viên quản lý các dịch vụ kết nối.",
            "Only administrators manage the connected services.",
        ),
    )
}

pub async fn clients_page(
    State(state): State<AppState>,
    officer: Officer,
) -> Result<Response, PageError> {
    view(&state, &officer, None, StatusCode::OK).await
}

/// What a page shows above the list: a notice, and the secret of a client just made.
struct Message {
    kind: &'static str,
    text: String,
    secret: Option<(String, String)>,
}

async fn view(
    state: &AppState,
    officer: &Officer,
    message: Option<Message>,
    status: StatusCode,
) -> Result<Response, PageError> {
    require_admin(officer)?;
    let lang = officer.lang;
    let records = read(state, |s| s.list_oidc_clients()).await.or_page(lang)?;
    let keys = blocking(state, |s| Ok(super::keys::load(s)))
        .await
        .or_page(lang)?
        .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    let title = t(
        lang,
        "Dịch vụ kết nối (OpenID Connect)",
        "Connected services (OpenID Connect)",
    );
    let scope_label = |s: Scope| match s {
        Scope::Openid => t(lang, "openid (bắt buộc)", "openid (required)"),
        Scope::Profile => t(
            lang,
            "profile: họ tên, ngày sinh, giới tính",
            "profile: name, date of birth, sex",
        ),
        Scope::PersonalId => t(
            lang,
            "personal_id: số định danh cá nhân",
            "personal_id: personal ID number",
        ),
        Scope::Address => t(
            lang,
            "address: địa chỉ thường trú",
            "address: permanent address",
        ),
        Scope::Phone => t(lang, "phone: số điện thoại", "phone: phone number"),
    };
    let body = html! {
        h1 { (title) }
        @if let Some(m) = &message {
            (notice(m.kind, &m.text))
            @if let Some((id, secret)) = &m.secret {
                div #new-client-secret {
                    p { (t(lang, "Mã dịch vụ (client_id):", "Client id:")) " " code #client-id { (id) } }
                    p {
                        (t(lang, "Khóa bí mật (client_secret), chỉ hiện một lần — hãy chuyển ngay cho đơn vị quản lý dịch vụ:",
                               "Client secret, shown only once — hand it to the service's operator now:"))
                        " " code.secret #client-secret { (secret) }
                    }
                }
            }
        }
        table.results #oidc-clients {
            thead { tr {
                th scope="col" { "client_id" }
                th scope="col" { (t(lang, "Tên", "Name")) }
                th scope="col" { (t(lang, "Địa chỉ quay về", "Redirect URIs")) }
                th scope="col" { (t(lang, "Xác thực", "Authentication")) }
                th scope="col" { (t(lang, "Phạm vi", "Scopes")) }
                th scope="col" { (t(lang, "Mức tối thiểu", "Minimum level")) }
                th scope="col" { (t(lang, "Tạo lúc", "Created")) }
                th scope="col" { "" }
            } }
            tbody {
                @for r in &records {
                    @let parsed = parse_record(r);
                    tr data-client=(r.client_id) {
                        td.mono { (r.client_id) }
                        td { (r.name) @if r.disabled { " " span.tag { (t(lang, "đã tắt", "disabled")) } } }
                        @if let Some(c) = &parsed {
                            td.mono { @for u in &c.client.redirect_uris { (u) br; } }
                            td { (c.client.auth.method_name()) }
                            td { (c.client.allowed_scopes.to_string()) }
                            td { (c.client.minimum_level.as_uri()) }
                        } @else {
                            td colspan="4" { (t(lang, "Không đọc được bản đăng ký", "The registration cannot be read")) }
                        }
                        td { (local_time(&r.created_at)) " · " (r.created_by) }
                        td.actions {
                            form.inline method="post" action={ (ADMIN_PATH) "/" (r.client_id) "/" (if r.disabled { "enable" } else { "disable" }) } {
                                (officer.csrf_field())
                                button type="submit" {
                                    @if r.disabled { (t(lang, "Bật lại", "Enable")) } @else { (t(lang, "Tắt", "Disable")) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section #oidc-keys {
            h2 { (t(lang, "Khóa ký", "Signing keys")) }
            p {
                (t(lang, "Khóa đang ký (kid): ", "Signing now (kid): "))
                code #active-kid { (keys.keys.active().kid()) }
            }
            @if !keys.keys.retired().is_empty() {
                p { (t(lang, "Khóa cũ vẫn được công bố để kiểm tra chữ ký:", "Retired keys still published for verification:")) }
                ul {
                    @for r in keys.keys.retired() {
                        li { code { (r.jwk.kid.as_deref().unwrap_or("—")) } " — " (t(lang, "đến ", "until ")) (local_time(&xaso_store::format_utc(r.verify_until))) }
                    }
                }
            }
            form.inline method="post" action=(KEYS_ROTATE_PATH) {
                (officer.csrf_field())
                button type="submit" { (t(lang, "Đổi khóa ký", "Rotate the signing key")) }
            }
            p.note { (t(lang,
                "Khóa mới ký từ ngay bây giờ; khóa cũ vẫn được công bố để các mã đã cấp còn kiểm tra được cho đến khi hết hạn.",
                "The new key signs from now on; the old one stays published so that tokens already issued still verify until they expire.")) }
        }
        section {
            h2 { (t(lang, "Đăng ký dịch vụ mới", "Register a service")) }
            form.stack method="post" action=(ADMIN_PATH) {
                (officer.csrf_field())
                p {
                    label for="oc-name" { (t(lang, "Tên dịch vụ (hiện cho công dân khi đồng ý)", "Service name (shown to citizens when they consent)")) }
                    input #oc-name name="name" required;
                }
                p {
                    label for="oc-redirect" { (t(lang, "Địa chỉ quay về (mỗi dòng một địa chỉ, đúng từng ký tự)", "Redirect URIs (one a line, exact strings)")) }
                    textarea #oc-redirect name="redirect_uris" rows="3" required {}
                }
                p {
                    label for="oc-logout" { (t(lang, "Địa chỉ sau khi đăng xuất (không bắt buộc)", "Post-logout redirect URIs (optional)")) }
                    textarea #oc-logout name="post_logout_redirect_uris" rows="2" {}
                }
                p {
                    label for="oc-auth" { (t(lang, "Cách dịch vụ xác thực", "How the service authenticates")) }
                    select #oc-auth name="auth" {
                        option value="client_secret_basic" selected { "client_secret_basic" }
                        option value="private_key_jwt" { "private_key_jwt" }
                    }
                }
                p {
                    label for="oc-jwks" { (t(lang, "Khóa công khai (JWKS, chỉ cho private_key_jwt)", "Public keys (JWKS, private_key_jwt only)")) }
                    textarea #oc-jwks name="jwks" rows="3" {}
                }
                fieldset {
                    legend { (t(lang, "Phạm vi được phép", "Allowed scopes")) }
                    @for s in Scope::ALL {
                        p {
                            input type="checkbox" id={ "oc-scope-" (s.as_str()) } name="scope" value=(s.as_str())
                                checked[matches!(s, Scope::Openid | Scope::Profile)] disabled[s == Scope::Openid];
                            " "
                            label for={ "oc-scope-" (s.as_str()) } { (scope_label(s)) }
                        }
                    }
                }
                p {
                    label for="oc-level" { (t(lang, "Mức bảo đảm tối thiểu", "Minimum level of assurance")) }
                    select #oc-level name="minimum_level" {
                        option value="1" selected { (t(lang, "Mức 1", "Level 1")) }
                        option value="2" { (t(lang, "Mức 2 (đã xác minh bằng thẻ CCCD gắn chip)", "Level 2 (verified with the chip ID card)")) }
                    }
                }
                p {
                    input #oc-refresh type="checkbox" name="refresh_tokens" value="on" checked;
                    " "
                    label for="oc-refresh" { (t(lang, "Cấp refresh token", "Issue refresh tokens")) }
                }
                p { button.primary type="submit" { (t(lang, "Đăng ký", "Register")) } }
            }
        }
    };
    let mut response = officer.page(title, body);
    *response.status_mut() = status;
    Ok(response)
}

/// `POST /admin/oidc-keys/rotate`.
pub async fn rotate_keys(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let kid = blocking(&state, |s| {
        Ok(super::keys::rotate(s, time::OffsetDateTime::now_utc()))
    })
    .await
    .or_page(lang)?
    .map_err(|e| PageError::new(lang, StatusCode::INTERNAL_SERVER_ERROR, e))?;
    audited(
        &state,
        vec![admin_event(
            &officer,
            "oidc_key.rotate",
            "POST /admin/oidc-keys/rotate",
            &kid,
        )],
    )
    .await
    .or_page(lang)?;
    view(
        &state,
        &officer,
        Some(Message {
            kind: "ok",
            text: format!(
                "{} {kid}",
                t(
                    lang,
                    "Đã đổi khóa ký; khóa mới:",
                    "Rotated the signing key; the new key:"
                )
            ),
            secret: None,
        }),
        StatusCode::OK,
    )
    .await
}

/// The registration form. `scope` repeats (checkboxes), so the body is read as pairs.
pub async fn create(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let field = |name: &str| super::param(&form, name).unwrap_or("").to_string();
    officer.check_csrf(&state, &field("csrf"))?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let invalid = |text: String| Message {
        kind: "error",
        text,
        secret: None,
    };
    let auth = match field("auth").as_str() {
        "private_key_jwt" => match Jwks::parse(field("jwks").trim()) {
            Ok(jwks) if !jwks.keys.is_empty() && jwks.keys.len() <= MAX_CLIENT_KEYS => {
                AuthChoice::PrivateKeyJwt(jwks)
            }
            _ => {
                let text = t(
                    lang,
                    "Khóa công khai phải là một tài liệu JWKS (1 đến 8 khóa).",
                    "The public keys must be a JWKS document (1 to 8 keys).",
                );
                return view(
                    &state,
                    &officer,
                    Some(invalid(text.into())),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
        _ => AuthChoice::SecretBasic,
    };
    let scopes: ScopeSet = form
        .iter()
        .filter(|(k, _)| k == "scope")
        .filter_map(|(_, v)| Scope::parse(v))
        .collect();
    let new = NewClient {
        name: field("name"),
        redirect_uris: vec![field("redirect_uris")],
        post_logout_redirect_uris: vec![field("post_logout_redirect_uris")],
        auth,
        scopes,
        minimum_level: if field("minimum_level") == "2" {
            Loa::Level2
        } else {
            Loa::Level1
        },
        refresh_tokens: field("refresh_tokens") == "on",
        sector_identifier: None,
    };
    let by = format!("officer:{}", officer.login);
    let registered = blocking(&state, move |s| Ok(register_client(s, new, &by)))
        .await
        .or_page(lang)?;
    let registered = match registered {
        Ok(r) => r,
        Err(e) => {
            return view(
                &state,
                &officer,
                Some(invalid(e)),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let id = registered.client.client.client_id.clone();
    audited(
        &state,
        vec![admin_event(
            &officer,
            "oidc_client.create",
            "POST /admin/oidc-clients",
            &id,
        )],
    )
    .await
    .or_page(lang)?;
    let message = Message {
        kind: "ok",
        text: format!(
            "{} {id}",
            t(lang, "Đã đăng ký dịch vụ", "Registered the service")
        ),
        secret: registered.secret.map(|s| (id.clone(), s)),
    };
    view(&state, &officer, Some(message), StatusCode::CREATED).await
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
}

/// Disables or re-enables a client. A disabled client gets no code, token or userinfo answer.
pub async fn act(
    State(state): State<AppState>,
    officer: Officer,
    Path((client_id, op)): Path<(String, String)>,
    Form(form): Form<ActForm>,
) -> Result<Response, PageError> {
    officer.check_csrf(&state, &form.csrf)?;
    require_admin(&officer)?;
    let lang = officer.lang;
    let disabled = match op.as_str() {
        "disable" => true,
        "enable" => false,
        _ => {
            return Err(PageError::new(
                lang,
                StatusCode::NOT_FOUND,
                lang.msg().error_not_found,
            ))
        }
    };
    let lookup = client_id.clone();
    let mut record = read(&state, move |s| s.get_oidc_client(&lookup))
        .await
        .or_page(lang)?
        .ok_or_else(|| PageError::new(lang, StatusCode::NOT_FOUND, lang.msg().error_not_found))?;
    record.disabled = disabled;
    blocking(&state, move |s| s.update_oidc_client(&record))
        .await
        .or_page(lang)?;
    audited(
        &state,
        vec![admin_event(
            &officer,
            &format!("oidc_client.{op}"),
            "POST /admin/oidc-clients/{client_id}/{op}",
            &client_id,
        )],
    )
    .await
    .or_page(lang)?;
    let text = if disabled {
        t(lang, "Đã tắt dịch vụ", "Disabled the service")
    } else {
        t(lang, "Đã bật lại dịch vụ", "Enabled the service")
    };
    view(
        &state,
        &officer,
        Some(Message {
            kind: "ok",
            text: format!("{text} {client_id}"),
            secret: None,
        }),
        StatusCode::OK,
    )
    .await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_readable_and_random() {
        let a = new_client_id("Cổng dịch vụ công Thanh Hóa").unwrap();
        let b = new_client_id("Cổng dịch vụ công Thanh Hóa").unwrap();
        assert!(a.starts_with("cong-dich-vu-cong-thanh-hoa-"), "{a}");
        assert_ne!(a, b);
        assert!(new_client_id("!!!").unwrap().starts_with("client-"));
        let long = new_client_id(&"x ".repeat(60)).unwrap();
        assert!(long.len() <= 49 && !long.contains("--"), "{long}");
    }

    #[test]
    fn the_stored_form_is_the_core_client_plus_logout_uris() {
        let client = Client {
            client_id: "rp-1".into(),
            name: "RP".into(),
            redirect_uris: vec!["https://rp.example.vn/cb".into()],
            auth: ClientAuth::ClientSecretBasic {
                secret_hash: "a".repeat(64),
            },
            allowed_scopes: ScopeSet::new([Scope::Openid]),
            refresh_tokens: true,
            minimum_level: Loa::Level1,
            sector_identifier: "rp.example.vn".into(),
        };
        let registered = RegisteredClient {
            client: client.clone(),
            post_logout_redirect_uris: vec!["https://rp.example.vn/bye".into()],
        };
        let json = serde_json::to_string(&registered).unwrap();
        // The core reads it as its own client.
        assert_eq!(serde_json::from_str::<Client>(&json).unwrap(), client);
        assert_eq!(
            serde_json::from_str::<RegisteredClient>(&json).unwrap(),
            registered
        );
        // A record written with the core's type alone reads too.
        let plain = serde_json::to_string(&client).unwrap();
        let read: RegisteredClient = serde_json::from_str(&plain).unwrap();
        assert!(read.post_logout_redirect_uris.is_empty());
    }

    #[test]
    fn lists_from_textareas() {
        assert_eq!(
            clean_list(&["https://a/cb\r\n\n https://b/cb \nhttps://a/cb".into()]),
            vec!["https://a/cb".to_string(), "https://b/cb".to_string()]
        );
    }
}
