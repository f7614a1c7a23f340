//! Raising a citizen's electronic identity to level 2 at the desk (`POST /desk/chip/muc-2`).
//!
//! The chip page ([`super::chip`]) shows the form under a chip that passed every check; the
//! form carries what the chip proved ([`VerifiedChip`] as JSON) sealed with an HMAC of the
//! server's key, so the desk cannot hand in evidence the server did not produce, and the
//! officer confirms having compared the chip's portrait (DG2) with the person in front of them.
//! [`crate::citizen::raise_to_level2`] then stores the evidence (the chip's, the face
//! comparison, who and when) with its hash and audits it; an account that did not exist is
//! created at level 2 with a one-time password, printed here for the citizen.
//!
//! Rules: only the officer who verified the chip may use its evidence, within
//! [`EVIDENCE_TTL`]; the desk, the police and admins may raise accounts.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use maud::{html, Markup};
use serde::Deserialize;
use time::{Duration, OffsetDateTime};

use super::chip::VerifiedChip;
use super::dossiers::tr;
use super::{notice, Officer, OrPage, PageError};
use crate::citizen::accounts::may_raise;
use crate::error::ApiError;
use crate::i18n::Lang;
use crate::AppState;

pub const PATH: &str = "/desk/chip/muc-2";
/// How long after the chip check its evidence may raise an account.
pub const EVIDENCE_TTL: Duration = Duration::minutes(15);
/// The value of the face-comparison box when the officer ticks it.
const FACE_MATCHES: &str = "match";

fn seal_subject(evidence: &str) -> String {
    format!("chip-evidence:{evidence}")
}

/// The form under a verified chip: the sealed evidence and the face-comparison box.
pub fn raise_form(state: &AppState, officer: &Officer, evidence: &VerifiedChip) -> Markup {
    let lang = officer.lang;
    let Ok(json) = serde_json::to_string(evidence) else {
        return html! {};
    };
    let seal = state.web.csrf_for(&seal_subject(&json));
    html! {
        h2 { (tr(lang, "Định danh điện tử mức 2", "Electronic identity at level 2")) }
        form.sheet.no-print #raise-level2 method="post" action=(PATH) {
            (officer.csrf_field())
            input type="hidden" name="evidence" value=(json);
            input type="hidden" name="seal" value=(seal);
            p.note { (tr(lang,
                "Chip đã được xác thực. Nâng tài khoản định danh của công dân lên mức 2 (tạo tài khoản mức 2 nếu chưa có) sau khi so sánh ảnh chân dung trong chip với người đang có mặt.",
                "The chip is verified. Raise the citizen's electronic identity to level 2 (creating a level-2 account if there is none) after comparing the chip's portrait with the person present.")) }
            label.check {
                input type="checkbox" name="face" value=(FACE_MATCHES) required;
                " " (tr(lang,
                    "Tôi đã so sánh ảnh chân dung trong chip (DG2) với người đang có mặt: đúng là một người.",
                    "I compared the chip's portrait (DG2) with the person present: it is the same person."))
            }
            div.actions { button.primary type="submit" { (tr(lang, "Nâng lên mức 2", "Raise to level 2")) } }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RaiseForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    evidence: String,
    #[serde(default)]
    seal: String,
    #[serde(default)]
    face: String,
}

/// The evidence as the chip page sealed it, checked: the seal, the officer, the age.
fn unseal(
    state: &AppState,
    officer: &Officer,
    form: &RaiseForm,
    now: OffsetDateTime,
) -> Result<serde_json::Value, ApiError> {
    if form.evidence.is_empty()
        || !state
            .web
            .verify_csrf(&seal_subject(&form.evidence), &form.seal)
    {
        return Err(ApiError::invalid(
            "evidence",
            "not the evidence of a chip check made by this server",
        ));
    }
    let evidence: serde_json::Value = serde_json::from_str(&form.evidence)
        .map_err(|e| ApiError::invalid("evidence", format!("not JSON: {e}")))?;
    if evidence.get("officer").and_then(|v| v.as_str()) != Some(officer.login.as_str()) {
        return Err(ApiError::invalid(
            "evidence",
            "the chip was verified by another officer: verify it again",
        ));
    }
    let at = evidence
        .get("at")
        .and_then(|v| v.as_str())
        .and_then(|t| OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok())
        .ok_or_else(|| ApiError::invalid("evidence", "has no time of the check"))?;
    if now - at > EVIDENCE_TTL || at - now > Duration::minutes(1) {
        return Err(ApiError::invalid(
            "evidence",
            format!(
                "the chip check is older than {} minutes: verify the chip again",
                EVIDENCE_TTL.whole_minutes()
            ),
        ));
    }
    Ok(evidence)
}

fn refused(lang: Lang, e: ApiError) -> String {
    match e {
        ApiError::Invalid { ref field, .. } if field == "evidence" => tr(
            lang,
            "Bằng chứng chip không dùng được (không do máy chủ này tạo, của cán bộ khác, hoặc quá 15 phút): hãy xác thực lại chip.",
            "The chip evidence cannot be used (not made by this server, another officer's, or older than 15 minutes): verify the chip again.",
        )
        .to_owned(),
        ApiError::Invalid { ref field, .. } if field == "face" => tr(
            lang,
            "Chưa xác nhận đã so sánh ảnh chân dung trong chip với người đang có mặt.",
            "The comparison of the chip's portrait with the person present is not confirmed.",
        )
        .to_owned(),
        other => PageError::from_api(lang, other).message,
    }
}

pub async fn raise(
    State(state): State<AppState>,
    officer: Officer,
    Form(form): Form<RaiseForm>,
) -> Result<Response, PageError> {
    let lang = officer.lang;
    officer.check_csrf(&state, &form.csrf)?;
    officer.require(
        may_raise(officer.role),
        tr(
            lang,
            "Chỉ cán bộ một cửa, công an xã và quản trị viên nâng mức định danh.",
            "Only desk officers, the commune police and admins raise identity levels.",
        ),
    )?;
    let title = tr(
        lang,
        "Định danh điện tử mức 2",
        "Electronic identity at level 2",
    );
    let checked = unseal(&state, &officer, &form, OffsetDateTime::now_utc()).and_then(|chip| {
        if form.face != FACE_MATCHES {
            return Err(ApiError::invalid(
                "face",
                "the officer must confirm the portrait matches the person present",
            ));
        }
        Ok(chip)
    });
    let chip = match checked {
        Ok(c) => c,
        Err(e) => {
            let body = html! {
                h1 { (title) }
                (notice("error", &refused(lang, e)))
                p { a.button href="/desk/chip" { (tr(lang, "Xác thực chip", "Verify a chip")) } }
            };
            let mut r = officer.page(title, body);
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            return Ok(r);
        }
    };
    let personal_id = chip
        .get("personal_id")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned();
    let evidence = serde_json::json!({
        "personal_id": personal_id,
        "chip": chip,
        "face_comparison": {
            "by": officer.login,
            "result": FACE_MATCHES,
            "method": "the officer compared the chip's DG2 portrait with the person present",
        },
    })
    .to_string();
    let raised = crate::citizen::raise_to_level2(&state, &officer.login, &personal_id, &evidence)
        .await
        .or_page(lang)?;
    let body = html! {
        h1 { (title) }
        (notice("ok", tr(lang,
            "Tài khoản định danh điện tử của công dân đã ở mức 2.",
            "The citizen's electronic identity account is now at level 2.")))
        dl.facts #level2-result {
            dt { (tr(lang, "Số định danh cá nhân", "Personal ID")) }
            dd.mono { (raised.account.personal_id) }
            dt { (tr(lang, "Mức định danh", "Level")) }
            dd #level { (raised.account.level) }
            dt { (tr(lang, "Mã băm bằng chứng (SHA-256)", "Evidence hash (SHA-256)")) }
            dd.mono #level2-evidence { (raised.evidence_hash) }
        }
        @if let Some(otp) = &raised.one_time_password {
            section.sheet #one-time-password {
                h2 { (tr(lang, "Mật khẩu dùng một lần", "One-time password")) }
                p { (tr(lang,
                    "Tài khoản mới được tạo ở mức 2. Trao mật khẩu này cho công dân; công dân phải đổi mật khẩu khi đăng nhập lần đầu.",
                    "A new account was created at level 2. Hand this password to the citizen, who must change it at the first sign-in.")) }
                p.mono.big #otp { (otp) }
                p.no-print { button type="button" onclick="window.print()" { (tr(lang, "In", "Print")) } }
            }
        }
        p.no-print { a.button href="/desk/chip" { (tr(lang, "Xác thực chip khác", "Verify another chip")) } }
    };
    Ok(officer.page(title, body))
}
