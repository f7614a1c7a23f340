//! Accounts made by someone else than the citizen: by an administrator from the command line
//! (`xaso admin citizen create`), and the raise to level 2 at the desk after the card's chip
//! was verified (the seam the desk's chip page calls).

use sha2::{Digest, Sha256};
use xaso_domain::role::Role;
use xaso_domain::PersonalId;
use xaso_store::{AuditRecord, CitizenRecord, Store, StoreError};

use crate::api::blocking;
use crate::error::ApiError;
use crate::AppState;

/// An account just created, and the one-time password to hand to the citizen (shown once,
/// only its hash is stored; it must be changed at the first sign-in).
pub struct NewAccount {
    pub account: CitizenRecord,
    pub one_time_password: String,
}

/// Why an account could not be created: the input it concerns (`personal_id`, `phone`,
/// `level`, or `store`) and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for AccountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

impl std::error::Error for AccountError {}

fn err(field: &'static str, message: impl Into<String>) -> AccountError {
    AccountError {
        field,
        message: message.into(),
    }
}

/// Creates the account of a living resident of the register at `level` (1 or 2) with a
/// one-time password. `phone` (national form) is optional: without it the account cannot be
/// recovered online. `level2_evidence` (JSON) is required at level 2. Synchronous: for the
/// command line, or the blocking pool.
pub fn create_account(
    store: &dyn Store,
    personal_id: &str,
    level: i32,
    phone: Option<&str>,
    level2_evidence: Option<String>,
) -> Result<NewAccount, AccountError> {
    let id = PersonalId::parse(personal_id).map_err(|e| err("personal_id", e.to_string()))?;
    if !matches!(level, 1 | 2) {
        return Err(err(
            "level",
            format!("an account's level is 1 or 2 (got {level})"),
        ));
    }
    if level == 2 && level2_evidence.is_none() {
        return Err(err(
            "level",
            "level 2 needs the evidence of who raised it, and when",
        ));
    }
    let phone = match phone.map(str::trim).filter(|p| !p.is_empty()) {
        None => String::new(),
        Some(p) => match xaso_services::validate::normalize_phone(p) {
            Some(n) if n.len() == 10 => n,
            _ => {
                return Err(err(
                    "phone",
                    format!(
                        "{p:?} is not a mobile number: 10 digits starting 03, 05, 07, 08 or 09"
                    ),
                ))
            }
        },
    };
    let store_err = |e: StoreError| err("store", e.to_string());
    let person = store.get_person(&id).map_err(store_err)?;
    match person {
        None => {
            return Err(err(
                "personal_id",
                format!("no person with personal ID {id} in the register"),
            ))
        }
        Some(p) if p.person.is_deceased() => {
            return Err(err(
                "personal_id",
                format!("the person with personal ID {id} is recorded as deceased"),
            ))
        }
        Some(_) => {}
    }
    let one_time = xaso_identity::password::generate_one_time_password()
        .map_err(|e| err("store", e.to_string()))?;
    let hash = xaso_identity::password::hash_password(&one_time)
        .map_err(|e| err("store", e.to_string()))?;
    let now = xaso_store::now_rfc3339();
    let account = CitizenRecord {
        personal_id: id.to_string(),
        level,
        phone,
        password_hash: hash,
        must_change_password: true,
        totp_secret: None,
        totp_last_step: None,
        disabled: false,
        login_attempts: "{}".into(),
        level2_evidence: if level == 2 { level2_evidence } else { None },
        created_at: now.clone(),
        updated_at: now,
    };
    store.insert_citizen(&account).map_err(|e| match e {
        StoreError::Conflict(_) => err(
            "personal_id",
            format!("personal ID {id} already has an account"),
        ),
        StoreError::NotFound(m) => err("personal_id", m),
        other => err("store", other.to_string()),
    })?;
    Ok(NewAccount {
        account,
        one_time_password: one_time,
    })
}

/// What raising an account to level 2 did.
#[derive(Debug)]
pub struct Raised {
    /// The account as it is now, at level 2.
    pub account: CitizenRecord,
    /// Set when the account was created at the desk (there was none): the one-time password to
    /// hand to the citizen, who must change it at the first sign-in.
    pub one_time_password: Option<String>,
    /// SHA-256 (hex) of `evidence_json` as given, kept in the stored evidence.
    pub evidence_hash: String,
}

/// Who may raise an account to level 2: the one-stop desk, the commune police, administrators.
pub fn may_raise(role: Role) -> bool {
    matches!(role, Role::Desk | Role::Police | Role::Admin)
}

/// Raises the citizen's account to level 2 after the desk verified the ID card's chip
/// (passive authentication passed) and compared its face image with the person; creates the
/// account at level 2 with a one-time password if there is none ("level 2 directly at the
/// desk").
///
/// `evidence_json` is what the chip check proved (e.g. the chip page's `VerifiedChip` as
/// JSON); if it names a `personal_id`, it must be this one. Stored as the account's
/// `level2_evidence`: `{"by": officer, "role": …, "at": RFC 3339 UTC, "sha256": hash of
/// evidence_json, "evidence": evidence_json parsed}`. Audited as `citizen.level2` with the
/// officer as actor. Sessions already open keep the level they were signed in at.
///
/// Errors: `Forbidden` unless `officer_login` is an enabled officer of the desk, the police or
/// an admin; `Invalid` when the personal ID or the evidence is malformed or names another
/// person; `NotFound` when the person is not in the register; `Conflict` when the account is
/// disabled; `Unavailable` when the audit log cannot be written.
pub async fn raise_to_level2(
    state: &AppState,
    officer_login: &str,
    personal_id: &str,
    evidence_json: &str,
) -> Result<Raised, ApiError> {
    let login = officer_login.trim().to_lowercase();
    let lookup = login.clone();
    let officer = blocking(state, move |s| s.get_officer(&lookup)).await?;
    let role = officer
        .filter(|o| !o.disabled)
        .and_then(|o| Role::parse(&o.role))
        .filter(|r| may_raise(*r))
        .ok_or_else(|| {
            ApiError::Forbidden(format!(
                "{login:?} is not an enabled officer of the desk, the police or an admin"
            ))
        })?;
    let id = PersonalId::parse(personal_id)
        .map_err(|e| ApiError::invalid("personal_id", e.to_string()))?;
    let evidence: serde_json::Value = serde_json::from_str(evidence_json)
        .map_err(|e| ApiError::invalid("evidence", format!("not JSON: {e}")))?;
    if let Some(named) = evidence.get("personal_id").and_then(|v| v.as_str()) {
        if named != id.as_str() {
            return Err(ApiError::invalid(
                "evidence",
                "the evidence names another person's personal ID",
            ));
        }
    }
    let evidence_hash: String = Sha256::digest(evidence_json.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let now = xaso_store::now_rfc3339();
    let stored = serde_json::json!({
        "by": login,
        "role": role.as_str(),
        "at": now,
        "sha256": evidence_hash,
        "evidence": evidence,
    })
    .to_string();
    let pid = id.to_string();
    let (account, one_time) = blocking(state, move |s| match s.get_citizen(&pid)? {
        Some(mut account) => {
            if account.disabled {
                return Err(StoreError::Conflict(
                    "the citizen's account is disabled".into(),
                ));
            }
            account.level = 2;
            account.level2_evidence = Some(stored);
            account.updated_at = now;
            s.update_citizen(&account)?;
            Ok((account, None))
        }
        None => match create_account(s, &pid, 2, None, Some(stored)) {
            Ok(new) => Ok((new.account, Some(new.one_time_password))),
            Err(e) if e.field == "personal_id" && e.message.starts_with("no person") => {
                Err(StoreError::NotFound(e.message))
            }
            Err(e) => Err(StoreError::Conflict(e.to_string())),
        },
    })
    .await?;
    let mut record = AuditRecord::now(
        &login,
        xaso_identity::PrincipalKind::Officer.as_str(),
        "citizen.level2",
        "raise_to_level2",
    );
    record.role = Some(role.as_str().to_owned());
    record.subject = Some(id.to_string());
    record.reason = Some(format!(
        "evidence sha256 {evidence_hash}{}",
        if one_time.is_some() {
            "; account created at level 2"
        } else {
            ""
        }
    ));
    crate::api::audited(state, vec![record]).await?;
    Ok(Raised {
        account,
        one_time_password: one_time,
        evidence_hash,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use xaso_domain::register::Person;
    use xaso_store::{AuditFilter, ChangeMeta, OfficerStore, RegisterStore};

    use super::*;

    const ID: &str = "038075000001";
    const OTHER: &str = "038177000002";

    /// A store in a throw-away directory with two residents and officers of the desk and of
    /// land administration; the state over it.
    fn setup() -> (std::path::PathBuf, AppState) {
        let dir = std::env::temp_dir().join(format!(
            "xaso-citizen-accounts-{}",
            crate::citizen::random_hex::<6>().unwrap()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let store = xaso_store::SqliteStore::open_dir(&dir).unwrap();
        let meta = ChangeMeta {
            actor: "test".into(),
            reason: None,
        };
        for (id, name) in [(ID, "Nguyễn Văn Hùng"), (OTHER, "Lê Thị Hoà")] {
            let p = Person::new(PersonalId::parse(id).unwrap(), name);
            store.insert_person(&p, &meta).unwrap();
        }
        for (login, role) in [("mot.cua", Role::Desk), ("dia.chinh", Role::Land)] {
            let (o, _) = crate::pages::officers::new_officer(login, "Cán bộ", role).unwrap();
            store.insert_officer(&o).unwrap();
        }
        (dir, AppState::new(Arc::new(store)).unwrap())
    }

    #[test]
    fn the_desk_raises_an_account_to_level_2_with_the_evidence_and_its_hash() {
        let (dir, state) = setup();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let evidence = format!(r#"{{"personal_id":"{ID}","evidence_hash":"ab"}}"#);
            // Only the desk, the police and admins.
            let e = raise_to_level2(&state, "dia.chinh", ID, &evidence).await;
            assert!(matches!(e, Err(ApiError::Forbidden(_))), "{e:?}");
            let e = raise_to_level2(&state, "nobody", ID, &evidence).await;
            assert!(matches!(e, Err(ApiError::Forbidden(_))));
            // Evidence about someone else, or not JSON, is refused.
            let e = raise_to_level2(&state, "mot.cua", OTHER, &evidence).await;
            assert!(matches!(e, Err(ApiError::Invalid { .. })), "{e:?}");
            let e = raise_to_level2(&state, "mot.cua", ID, "not json").await;
            assert!(matches!(e, Err(ApiError::Invalid { .. })));
            // No account yet: created at level 2 with a one-time password.
            let raised = raise_to_level2(&state, "MOT.CUA", ID, &evidence)
                .await
                .unwrap();
            assert_eq!(raised.account.level, 2);
            assert!(raised.account.must_change_password);
            let otp = raised.one_time_password.unwrap();
            assert!(
                xaso_identity::password::verify_password(&otp, &raised.account.password_hash)
                    .unwrap()
            );
            let stored: serde_json::Value =
                serde_json::from_str(raised.account.level2_evidence.as_deref().unwrap()).unwrap();
            assert_eq!(stored["by"], "mot.cua");
            assert_eq!(stored["role"], "desk");
            assert_eq!(stored["sha256"], raised.evidence_hash);
            assert_eq!(stored["evidence"]["personal_id"], ID);
            // A level-1 account is raised in place.
            let level1 =
                create_account(state.store.as_ref(), OTHER, 1, Some("0912345678"), None).unwrap();
            assert_eq!(level1.account.level, 1);
            let raised = raise_to_level2(&state, "mot.cua", OTHER, "{}")
                .await
                .unwrap();
            assert!(raised.one_time_password.is_none());
            assert_eq!(raised.account.level, 2);
            assert_eq!(raised.account.phone, "0912345678");
            assert_eq!(
                state.store.get_citizen(OTHER).unwrap().unwrap().level,
                2,
                "stored"
            );
            state.audit.sync().await.unwrap();
            let log = state
                .store
                .list_audit(&AuditFilter {
                    action: Some("citizen.level2".into()),
                    limit: 10,
                    ..AuditFilter::default()
                })
                .unwrap();
            assert_eq!(log.len(), 2);
            assert!(log
                .iter()
                .all(|r| r.actor == "mot.cua" && r.role.as_deref() == Some("desk")));
        });
        state.audit.close();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn accounts_are_for_living_residents_of_the_register() {
        let (dir, state) = setup();
        let s = state.store.as_ref();
        let e = create_account(s, "001099999999", 1, None, None)
            .err()
            .unwrap();
        assert_eq!(e.field, "personal_id");
        let e = create_account(s, ID, 3, None, None).err().unwrap();
        assert_eq!(e.field, "level");
        let e = create_account(s, ID, 2, None, None).err().unwrap();
        assert_eq!(e.field, "level", "level 2 needs evidence");
        let e = create_account(s, ID, 1, Some("02438123456"), None)
            .err()
            .unwrap();
        assert_eq!(e.field, "phone");
        let new = create_account(s, ID, 1, Some("+84 912 345 678"), None).unwrap();
        assert_eq!(new.account.phone, "0912345678");
        assert!(new.account.must_change_password);
        let e = create_account(s, ID, 1, None, None).err().unwrap();
        assert!(e.message.contains("already has an account"), "{e}");
        state.audit.close();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
