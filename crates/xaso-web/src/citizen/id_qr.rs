//! The citizen's level-2 identity as a short-lived signed QR code, shown in the portal
//! (`/cong-dan/ma-dinh-danh`) and scanned at the desk instead of a paper document.
//!
//! The code is a compact JWS signed with the OpenID provider's active key (ES256), so the
//! desk verifies it with the keys it already trusts, offline of the citizen's session:
//! `{"aud":"urn:xaso:desk","pid":…,"lvl":2,"iat":…,"exp":…,"jti":…}`. It lives
//! [`LIFETIME_SECONDS`]; the portal page renews it before it runs out. The audience keeps an
//! ID token (whose `aud` is a client id) from passing as one.
//!
//! The portal shows the code only to a level-2 session; the desk checks the signature, the
//! audience, the times and the level, then shows the register's record. Both are audited.

use axum::extract::State;
use axum::response::Response;
use maud::html;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{audit, citizen_event, my_page, random_hex, Fail, Me};
use crate::error::ApiError;
use crate::oidc::keys::ProviderKeys;
use crate::pages::dossiers::{qr_svg, tr};
use crate::pages::local_time;
use crate::AppState;

pub const PATH: &str = "/cong-dan/ma-dinh-danh";
/// The audience of an identity code: the desks of this installation.
pub const AUDIENCE: &str = "urn:xaso:desk";
/// How long a code is valid.
pub const LIFETIME_SECONDS: i64 = 120;

/// What an identity code says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityCode {
    pub aud: String,
    /// The personal ID.
    pub pid: String,
    /// The account's level when the code was made.
    pub lvl: i32,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

/// Why a scanned identity code was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not signed by this installation's provider (or altered).
    Signature(String),
    /// Not an identity code (another token, or fields missing).
    NotAnIdentityCode,
    Expired,
    /// Made in the future: the issuing clock is wrong.
    NotYetValid,
    /// Below level 2.
    Level(i32),
}

impl CodeRefusal {
    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        match self {
            CodeRefusal::Signature(e) => {
                tr(
                    lang,
                    "Chữ ký của mã không hợp lệ (không do hệ thống này cấp hoặc đã bị sửa)",
                    "The code's signature is not valid (not issued here, or altered)",
                )
                .to_owned()
                    + &format!(": {e}")
            }
            CodeRefusal::NotAnIdentityCode => tr(
                lang,
                "Đây không phải mã định danh điện tử của công dân",
                "This is not a citizen's identity code",
            )
            .to_owned(),
            CodeRefusal::Expired => tr(
                lang,
                "Mã đã hết hạn: đề nghị công dân làm mới mã trên cổng công dân",
                "The code has expired: ask the citizen to refresh it in the portal",
            )
            .to_owned(),
            CodeRefusal::NotYetValid => tr(
                lang,
                "Mã có thời điểm cấp trong tương lai",
                "The code was issued in the future",
            )
            .to_owned(),
            CodeRefusal::Level(l) => match lang {
                crate::i18n::Lang::Vi => format!("Tài khoản ở mức {l}, chưa đạt mức 2"),
                crate::i18n::Lang::En => format!("The account is at level {l}, not level 2"),
            },
        }
    }
}

/// A code for the citizen, valid from `now`.
pub fn mint(
    keys: &ProviderKeys,
    personal_id: &str,
    level: i32,
    now: OffsetDateTime,
) -> Result<(String, IdentityCode), ApiError> {
    let claims = IdentityCode {
        aud: AUDIENCE.into(),
        pid: personal_id.into(),
        lvl: level,
        iat: now.unix_timestamp(),
        exp: now.unix_timestamp() + LIFETIME_SECONDS,
        jti: random_hex::<8>()?,
    };
    let token = keys
        .keys
        .active()
        .sign_json(&claims)
        .map_err(|e| ApiError::Internal(format!("cannot sign the identity code: {e}")))?;
    Ok((token, claims))
}

/// True when a scanned text has the shape of a compact JWS (so the desk tries it as an
/// identity code rather than as a card's QR payload).
pub fn looks_like_code(text: &str) -> bool {
    let t = text.trim();
    t.starts_with("eyJ")
        && t.split('.').count() == 3
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

/// Checks a scanned code: signature under the provider's keys, audience, times, level 2.
pub fn check(
    keys: &ProviderKeys,
    text: &str,
    now: OffsetDateTime,
) -> Result<IdentityCode, CodeRefusal> {
    let payload = keys
        .keys
        .verify(text.trim(), now)
        .map_err(|e| CodeRefusal::Signature(e.to_string()))?;
    let code: IdentityCode =
        serde_json::from_slice(&payload).map_err(|_| CodeRefusal::NotAnIdentityCode)?;
    if code.aud != AUDIENCE {
        return Err(CodeRefusal::NotAnIdentityCode);
    }
    let t = now.unix_timestamp();
    if code.exp <= t {
        return Err(CodeRefusal::Expired);
    }
    if code.iat > t + 60 {
        return Err(CodeRefusal::NotYetValid);
    }
    if code.lvl < 2 {
        return Err(CodeRefusal::Level(code.lvl));
    }
    Ok(code)
}

/// `GET /cong-dan/ma-dinh-danh`: the code of a level-2 session, renewed by the page itself.
pub(crate) async fn page(
    State(state): State<AppState>,
    Me(me, account): Me,
) -> Result<Response, Fail> {
    let lang = me.lang;
    let title = tr(lang, "Mã định danh điện tử", "My identity code");
    if me.level < 2 || account.level < 2 {
        let body = html! {
            h1 { (title) }
            p.notice.info role="status" { (tr(lang,
                "Mã định danh chỉ dành cho tài khoản mức 2. Hãy mang thẻ căn cước có gắn chip đến bộ phận một cửa để được nâng lên mức 2, rồi đăng nhập lại.",
                "The identity code is for level-2 accounts. Bring your chip ID card to the one-stop desk to be raised to level 2, then sign in again.")) }
            p { a href="/cong-dan" { (tr(lang, "Về trang của tôi", "Back to my page")) } }
        };
        return Ok(my_page(&state, &me, PATH, title, body));
    }
    let keys = crate::api::blocking(&state, |s| Ok(crate::oidc::keys::load(s)))
        .await
        .map_err(|e| Fail::api(lang, e))?
        .map_err(|e| Fail::api(lang, ApiError::Internal(e)))?;
    let now = OffsetDateTime::now_utc();
    let (token, claims) =
        mint(&keys, &me.personal_id, me.level, now).map_err(|e| Fail::api(lang, e))?;
    audit(
        &state,
        lang,
        vec![citizen_event(
            &me.personal_id,
            "citizen.id_qr",
            "GET /cong-dan/ma-dinh-danh",
        )],
    )
    .await?;
    let until = OffsetDateTime::from_unix_timestamp(claims.exp).unwrap_or(now);
    let body = html! {
        // Renewed shortly before it runs out.
        meta http-equiv="refresh" content=(LIFETIME_SECONDS - 20);
        h1 { (title) }
        p { (tr(lang,
            "Đưa mã này cho cán bộ một cửa quét thay cho giấy tờ tùy thân. Mã do hệ thống ký, chỉ có hiệu lực trong 2 phút và tự làm mới.",
            "Show this code to the desk officer instead of a paper document. It is signed by the system, valid for 2 minutes, and renews itself.")) }
        div.qr #identity-qr { (qr_svg(&token)) }
        p { (tr(lang, "Có hiệu lực đến: ", "Valid until: ")) strong #identity-qr-until { (local_time(&xaso_store::format_utc(until))) } }
        textarea.mono.no-print #identity-qr-text readonly rows="4" { (token) }
        p { a href="/cong-dan" { (tr(lang, "Về trang của tôi", "Back to my page")) } }
    };
    Ok(my_page(&state, &me, PATH, title, body))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use xaso_identity::oidc::jws::{KeySet, SigningKey};
    use xaso_identity::oidc::tokens::PairwiseKey;
    use xaso_identity::oidc::OsRandom;

    fn keys() -> ProviderKeys {
        ProviderKeys {
            keys: KeySet::new(SigningKey::generate(&mut OsRandom).unwrap()),
            pairwise: PairwiseKey([7; 32]),
        }
    }

    #[test]
    fn a_code_verifies_until_it_expires_and_only_under_its_keys() {
        let k = keys();
        let now = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
        let (token, claims) = mint(&k, "038075000001", 2, now).unwrap();
        assert!(looks_like_code(&token));
        assert_eq!(
            check(&k, &token, now + time::Duration::seconds(60)),
            Ok(claims)
        );
        assert_eq!(
            check(&k, &token, now + time::Duration::seconds(LIFETIME_SECONDS)),
            Err(CodeRefusal::Expired)
        );
        assert!(matches!(
            check(&keys(), &token, now),
            Err(CodeRefusal::Signature(_))
        ));
        let (low, _) = mint(&k, "038075000001", 1, now).unwrap();
        assert_eq!(check(&k, &low, now), Err(CodeRefusal::Level(1)));
        // Another token signed by the same key (an ID token's audience is a client id).
        let other = k
            .keys
            .active()
            .sign_json(&serde_json::json!({"aud": "client-1", "pid": "038075000001", "lvl": 2, "iat": 0, "exp": 1_900_000_000_i64, "jti": "x"}))
            .unwrap();
        assert_eq!(check(&k, &other, now), Err(CodeRefusal::NotAnIdentityCode));
        assert!(!looks_like_code(
            "038075000001|123456789|Nguyễn Văn An|01011975|Nam|Thôn 1|01012021"
        ));
    }
}
