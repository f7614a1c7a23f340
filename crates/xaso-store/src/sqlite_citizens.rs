//! Citizens' accounts, their one-time codes and sessions, and the OpenID provider's state on
//! SQLite. Writes go through the store's one writer connection, which serialises them: a code
//! or refresh token is consumed by exactly one caller. Personal IDs and phones are personal
//! data: no error message here repeats them, and nothing here logs them.

use rusqlite::{
    params, params_from_iter, Connection, OptionalExtension, ParamsFromIter, Row, ToSql,
};

use crate::sqlite::{
    execute_count, insert_error, query_all, query_opt, require_changed, SqliteStore,
};
use crate::{
    check_grant_kind, check_level, list_limit, now_rfc3339, CitizenRecord, CitizenSessionRecord,
    CitizenStore, OidcClientRecord, OidcGrantRecord, OidcStore, OtpRecord, Result, StoreError,
};

const CITIZEN_COLUMNS: &str = "personal_id, level, phone, password_hash, must_change_password,
     totp_secret, totp_last_step, disabled, login_attempts, level2_evidence, created_at,
     updated_at";

fn citizen_row(r: &Row<'_>) -> rusqlite::Result<CitizenRecord> {
    Ok(CitizenRecord {
        personal_id: r.get(0)?,
        level: r.get(1)?,
        phone: r.get(2)?,
        password_hash: r.get(3)?,
        must_change_password: r.get(4)?,
        totp_secret: r.get(5)?,
        totp_last_step: r.get(6)?,
        disabled: r.get(7)?,
        login_attempts: r.get(8)?,
        level2_evidence: r.get(9)?,
        created_at: r.get(10)?,
        updated_at: r.get(11)?,
    })
}

/// The parameters ?1 to ?10 of the citizen insert and update (the same columns in both), then
/// `tail`.
fn citizen_params<'a, const N: usize>(
    c: &'a CitizenRecord,
    tail: [&'a dyn ToSql; N],
) -> ParamsFromIter<Vec<&'a dyn ToSql>> {
    let head: [&'a dyn ToSql; 10] = citizen_head!(c);
    params_from_iter(head.into_iter().chain(tail).collect())
}

const OTP_COLUMNS: &str = "id, purpose, personal_id, phone, code_hash, created_at, expires_at,
     attempts, used";

fn otp_row(r: &Row<'_>) -> rusqlite::Result<OtpRecord> {
    Ok(OtpRecord {
        id: r.get(0)?,
        purpose: r.get(1)?,
        personal_id: r.get(2)?,
        phone: r.get(3)?,
        code_hash: r.get(4)?,
        created_at: r.get(5)?,
        expires_at: r.get(6)?,
        attempts: r.get(7)?,
        used: r.get(8)?,
    })
}

const SESSION_COLUMNS: &str = "id_hash, personal_id, level, methods, created_at, last_seen,
     user_agent";

fn session_row(r: &Row<'_>) -> rusqlite::Result<CitizenSessionRecord> {
    Ok(CitizenSessionRecord {
        id_hash: r.get(0)?,
        personal_id: r.get(1)?,
        level: r.get(2)?,
        methods: r.get(3)?,
        created_at: r.get(4)?,
        last_seen: r.get(5)?,
        user_agent: r.get(6)?,
    })
}

const CLIENT_COLUMNS: &str = "client_id, name, data, disabled, created_at, created_by";

fn client_row(r: &Row<'_>) -> rusqlite::Result<OidcClientRecord> {
    Ok(OidcClientRecord {
        client_id: r.get(0)?,
        name: r.get(1)?,
        data: r.get(2)?,
        disabled: r.get(3)?,
        created_at: r.get(4)?,
        created_by: r.get(5)?,
    })
}

const GRANT_COLUMNS: &str = "hash, kind, client_id, family, data, expires_at, consumed_at,
     revoked, session";

fn grant_row(r: &Row<'_>) -> rusqlite::Result<OidcGrantRecord> {
    Ok(OidcGrantRecord {
        hash: r.get(0)?,
        kind: r.get(1)?,
        client_id: r.get(2)?,
        family: r.get(3)?,
        data: r.get(4)?,
        expires_at: r.get(5)?,
        consumed_at: r.get(6)?,
        revoked: r.get(7)?,
        session: r.get(8)?,
    })
}

/// Inserts a grant as given on `conn` (inside the caller's transaction, if any); `Conflict` when
/// its hash exists.
fn insert_grant(conn: &Connection, g: &OidcGrantRecord) -> Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO oidc_grants ({GRANT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
    ))?
    .execute(params![
        g.hash,
        g.kind,
        g.client_id,
        g.family,
        g.data,
        g.expires_at,
        g.consumed_at,
        g.revoked,
        g.session
    ])
    .map_err(|e| insert_error(e, None, "a grant with this hash exists"))?;
    Ok(())
}

impl CitizenStore for SqliteStore {
    /// Refuses (`Conflict`) a level other than 1 or 2.
    fn insert_citizen(&self, c: &CitizenRecord) -> Result<()> {
        check_level(c.level)?;
        let conn = self.writer();
        conn.prepare_cached(&format!(
            "INSERT INTO citizens ({CITIZEN_COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
        ))?
        .execute(citizen_params(c, [&c.created_at, &c.updated_at]))
        .map_err(|e| {
            insert_error(
                e,
                Some("no person in the register with this personal ID"),
                "a citizen account with this personal ID exists",
            )
        })?;
        Ok(())
    }

    fn get_citizen(&self, personal_id: &str) -> Result<Option<CitizenRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {CITIZEN_COLUMNS} FROM citizens WHERE personal_id = ?1"),
            [personal_id],
            citizen_row,
        )
    }

    /// Refuses (`Conflict`) a level other than 1 or 2.
    fn update_citizen(&self, c: &CitizenRecord) -> Result<()> {
        check_level(c.level)?;
        let conn = self.writer();
        let changed = conn
            .prepare_cached(
                "UPDATE citizens SET level = ?2, phone = ?3, password_hash = ?4,
                     must_change_password = ?5, totp_secret = ?6, totp_last_step = ?7,
                     disabled = ?8, login_attempts = ?9, level2_evidence = ?10, updated_at = ?11
                 WHERE personal_id = ?1",
            )?
            .execute(citizen_params(c, [&c.updated_at]))?;
        require_changed(changed, || {
            "no citizen account with this personal ID".into()
        })
    }

    /// By personal ID; `limit` 0 lists at most 200.
    fn list_citizens(&self, limit: usize) -> Result<Vec<CitizenRecord>> {
        query_all(
            &self.reader(),
            &format!("SELECT {CITIZEN_COLUMNS} FROM citizens ORDER BY personal_id LIMIT ?1"),
            [list_limit(limit)],
            citizen_row,
        )
    }

    /// `Conflict` when the id exists.
    fn insert_otp(&self, o: &OtpRecord) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(&format!(
            "INSERT INTO citizen_otps ({OTP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ))?
        .execute(params![
            o.id,
            o.purpose,
            o.personal_id,
            o.phone,
            o.code_hash,
            o.created_at,
            o.expires_at,
            o.attempts,
            o.used
        ])
        .map_err(|e| insert_error(e, None, "a one-time code with this id exists"))?;
        Ok(())
    }

    fn get_otp(&self, id: &str) -> Result<Option<OtpRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {OTP_COLUMNS} FROM citizen_otps WHERE id = ?1"),
            [id],
            otp_row,
        )
    }

    fn count_otp_attempt(&self, id: &str) -> Result<i32> {
        let conn = self.writer();
        let attempts: Option<i32> = conn
            .prepare_cached(
                "UPDATE citizen_otps SET attempts = attempts + 1 WHERE id = ?1
                 RETURNING attempts",
            )?
            .query_row([id], |r| r.get(0))
            .optional()?;
        attempts.ok_or_else(|| StoreError::NotFound("no such one-time code".into()))
    }

    /// `NotFound` when there is no such code.
    fn use_otp(&self, id: &str) -> Result<()> {
        let conn = self.writer();
        let updated = conn
            .prepare_cached("UPDATE citizen_otps SET used = 1 WHERE id = ?1 AND NOT used")?
            .execute([id])?;
        if updated == 1 {
            return Ok(());
        }
        let exists: Option<i64> = conn
            .prepare_cached("SELECT 1 FROM citizen_otps WHERE id = ?1")?
            .query_row([id], |r| r.get(0))
            .optional()?;
        Err(match exists {
            Some(_) => StoreError::Conflict("the one-time code was used already".into()),
            None => StoreError::NotFound("no such one-time code".into()),
        })
    }

    /// Codes created at or after `since`.
    fn count_otps_since(&self, phone: &str, since: &str) -> Result<u64> {
        let conn = self.reader();
        let n: i64 = conn
            .prepare_cached(
                "SELECT count(*) FROM citizen_otps WHERE phone = ?1 AND created_at >= ?2",
            )?
            .query_row([phone, since], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `Conflict` when the id hash exists.
    fn insert_citizen_session(&self, s: &CitizenSessionRecord) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(&format!(
            "INSERT INTO citizen_sessions ({SESSION_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"
        ))?
        .execute(params![
            s.id_hash,
            s.personal_id,
            s.level,
            s.methods,
            s.created_at,
            s.last_seen,
            s.user_agent
        ])
        .map_err(|e| {
            insert_error(
                e,
                Some("no citizen account with this personal ID"),
                "a session with this id exists",
            )
        })?;
        Ok(())
    }

    fn get_citizen_session(&self, id_hash: &str) -> Result<Option<CitizenSessionRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {SESSION_COLUMNS} FROM citizen_sessions WHERE id_hash = ?1"),
            [id_hash],
            session_row,
        )
    }

    /// Sets `last_seen` only; `NotFound` when the session is gone.
    fn touch_citizen_session(&self, id_hash: &str, last_seen: &str) -> Result<()> {
        let conn = self.writer();
        let changed = conn
            .prepare_cached("UPDATE citizen_sessions SET last_seen = ?2 WHERE id_hash = ?1")?
            .execute([id_hash, last_seen])?;
        require_changed(changed, || "no such session".into())
    }

    /// Newest created first (then by id hash).
    fn list_citizen_sessions(&self, personal_id: &str) -> Result<Vec<CitizenSessionRecord>> {
        query_all(
            &self.reader(),
            &format!(
                "SELECT {SESSION_COLUMNS} FROM citizen_sessions WHERE personal_id = ?1
             ORDER BY created_at DESC, id_hash DESC"
            ),
            [personal_id],
            session_row,
        )
    }

    /// A session already gone is not an error.
    fn delete_citizen_session(&self, id_hash: &str) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached("DELETE FROM citizen_sessions WHERE id_hash = ?1")?
            .execute([id_hash])?;
        Ok(())
    }

    /// Returns how many sessions ended.
    fn delete_citizen_sessions(&self, personal_id: &str, keep: Option<&str>) -> Result<u64> {
        let conn = self.writer();
        let n = conn
            .prepare_cached(
                "DELETE FROM citizen_sessions
                 WHERE personal_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)",
            )?
            .execute(params![personal_id, keep])?;
        Ok(n as u64)
    }
}

impl OidcStore for SqliteStore {
    fn insert_oidc_client(&self, c: &OidcClientRecord) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(&format!(
            "INSERT INTO oidc_clients ({CLIENT_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
        ))?
        .execute(params![
            c.client_id,
            c.name,
            c.data,
            c.disabled,
            c.created_at,
            c.created_by
        ])
        .map_err(|e| {
            insert_error(
                e,
                None,
                &format!("an OpenID client {:?} exists", c.client_id),
            )
        })?;
        Ok(())
    }

    fn update_oidc_client(&self, c: &OidcClientRecord) -> Result<()> {
        let conn = self.writer();
        let changed = conn
            .prepare_cached(
                "UPDATE oidc_clients SET name = ?2, data = ?3, disabled = ?4 WHERE client_id = ?1",
            )?
            .execute(params![c.client_id, c.name, c.data, c.disabled])?;
        require_changed(changed, || format!("no OpenID client {:?}", c.client_id))
    }

    fn get_oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE client_id = ?1"),
            [client_id],
            client_row,
        )
    }

    fn list_oidc_clients(&self) -> Result<Vec<OidcClientRecord>> {
        query_all(
            &self.reader(),
            &format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY client_id"),
            [],
            client_row,
        )
    }

    /// Stored as given (consumed or revoked ones too). Refuses (`Conflict`) a kind other than
    /// code, access or refresh.
    fn insert_oidc_grant(&self, g: &OidcGrantRecord) -> Result<()> {
        check_grant_kind(&g.kind)?;
        insert_grant(&self.writer(), g)
    }

    fn get_oidc_grant(&self, hash: &str) -> Result<Option<OidcGrantRecord>> {
        query_opt(
            &self.reader(),
            &format!("SELECT {GRANT_COLUMNS} FROM oidc_grants WHERE hash = ?1"),
            [hash],
            grant_row,
        )
    }

    /// Expiry is not checked here (the caller reads the grant first). An issued grant whose
    /// hash exists, or whose kind is not code, access or refresh, is a `Conflict` too, and then
    /// nothing is written either.
    fn consume_oidc_grant(&self, hash: &str, at: &str, issued: &[OidcGrantRecord]) -> Result<()> {
        for g in issued {
            check_grant_kind(&g.kind)?;
        }
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        let updated = tx
            .prepare_cached(
                "UPDATE oidc_grants SET consumed_at = ?2
                 WHERE hash = ?1 AND consumed_at IS NULL AND NOT revoked",
            )?
            .execute([hash, at])?;
        if updated == 0 {
            let state: Option<bool> = tx
                .prepare_cached("SELECT revoked FROM oidc_grants WHERE hash = ?1")?
                .query_row([hash], |r| r.get(0))
                .optional()?;
            return Err(match state {
                None => StoreError::NotFound("no such grant".into()),
                Some(true) => StoreError::Conflict("the grant is revoked".into()),
                Some(false) => StoreError::Conflict("the grant was used already".into()),
            });
        }
        for g in issued {
            insert_grant(&tx, g)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn revoke_oidc_family(&self, family: &str) -> Result<u64> {
        execute_count(
            &self.writer(),
            "UPDATE oidc_grants SET revoked = 1 WHERE family = ?1 AND NOT revoked",
            [family],
        )
    }

    /// All grants carry their family's session, so revoking by session revokes whole families.
    fn revoke_oidc_session(&self, session: &str) -> Result<u64> {
        execute_count(
            &self.writer(),
            "UPDATE oidc_grants SET revoked = 1 WHERE session = ?1 AND NOT revoked",
            [session],
        )
    }

    /// Grants whose `expires_at` is before `before` (exclusive).
    fn delete_expired_oidc_grants(&self, before: &str) -> Result<u64> {
        execute_count(
            &self.writer(),
            "DELETE FROM oidc_grants WHERE expires_at < ?1",
            [before],
        )
    }

    fn set_oidc_consent(&self, personal_id: &str, client_id: &str, scopes: &str) -> Result<()> {
        let conn = self.writer();
        conn.prepare_cached(
            "INSERT INTO oidc_consents (personal_id, client_id, scopes) VALUES (?1, ?2, ?3)
             ON CONFLICT (personal_id, client_id) DO UPDATE SET scopes = excluded.scopes",
        )?
        .execute([personal_id, client_id, scopes])?;
        Ok(())
    }

    fn get_oidc_consent(&self, personal_id: &str, client_id: &str) -> Result<Option<String>> {
        let conn = self.reader();
        let found = conn
            .prepare_cached(
                "SELECT scopes FROM oidc_consents WHERE personal_id = ?1 AND client_id = ?2",
            )?
            .query_row([personal_id, client_id], |r| r.get(0))
            .optional()?;
        Ok(found)
    }

    /// In one transaction: forgets the client's ids that expired before now (the store's
    /// clock, [`now_rfc3339`]), then records this one.
    fn remember_jti(&self, client_id: &str, jti: &str, expires_at: &str) -> Result<()> {
        let now = now_rfc3339();
        let mut conn = self.writer();
        let tx = conn.transaction()?;
        tx.prepare_cached("DELETE FROM oidc_jti WHERE client_id = ?1 AND expires_at < ?2")?
            .execute([client_id, &now])?;
        tx.prepare_cached("INSERT INTO oidc_jti (client_id, jti, expires_at) VALUES (?1, ?2, ?3)")?
            .execute([client_id, jti, expires_at])
            .map_err(|e| {
                insert_error(
                    e,
                    None,
                    &format!("the client assertion of {client_id:?} was seen already (jti reused)"),
                )
            })?;
        tx.commit()?;
        Ok(())
    }
}
