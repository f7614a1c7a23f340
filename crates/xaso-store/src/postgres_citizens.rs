//! Citizens' accounts, their one-time codes and sessions, and the OpenID provider's state on
//! PostgreSQL. What must happen once (a code used, a grant consumed, a client assertion seen) is
//! a conditional update or an insert that does nothing on conflict, so that of concurrent
//! callers exactly one succeeds. Personal IDs and phones are personal data: no error message
//! here repeats them (the database's DETAIL would: it is dropped), and nothing here logs them.

use postgres::error::SqlState;
use postgres::types::ToSql;
use postgres::Row;

use crate::postgres::{prepared, PgConn, PgStore};
use crate::{
    check_grant_kind, check_level, list_limit, now_rfc3339, CitizenRecord, CitizenSessionRecord,
    CitizenStore, OidcClientRecord, OidcGrantRecord, OidcStore, OtpRecord, Result, StoreError,
};

macro_rules! citizen_columns {
    () => {
        "personal_id, level, phone, password_hash, must_change_password, totp_secret,
     totp_last_step, disabled, login_attempts, level2_evidence, created_at, updated_at"
    };
}
const INSERT_CITIZEN: &str = concat!(
    "INSERT INTO citizens (",
    citizen_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
 ON CONFLICT (personal_id) DO NOTHING"
);
const GET_CITIZEN: &str = concat!(
    "SELECT ",
    citizen_columns!(),
    " FROM citizens WHERE personal_id = $1"
);
const UPDATE_CITIZEN: &str = "UPDATE citizens SET level = $2, phone = $3, password_hash = $4,
     must_change_password = $5, totp_secret = $6, totp_last_step = $7, disabled = $8,
     login_attempts = $9, level2_evidence = $10, updated_at = $11
 WHERE personal_id = $1";
const LIST_CITIZENS: &str = concat!(
    "SELECT ",
    citizen_columns!(),
    " FROM citizens ORDER BY personal_id LIMIT $1"
);

macro_rules! otp_columns {
    () => {
        "id, purpose, personal_id, phone, code_hash, created_at, expires_at, attempts, used"
    };
}
const INSERT_OTP: &str = concat!(
    "INSERT INTO citizen_otps (",
    otp_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING"
);
const GET_OTP: &str = concat!(
    "SELECT ",
    otp_columns!(),
    " FROM citizen_otps WHERE id = $1"
);
const COUNT_OTP_ATTEMPT: &str =
    "UPDATE citizen_otps SET attempts = attempts + 1 WHERE id = $1 RETURNING attempts";
const USE_OTP: &str = "UPDATE citizen_otps SET used = TRUE WHERE id = $1 AND NOT used";
const OTP_EXISTS: &str = "SELECT 1 FROM citizen_otps WHERE id = $1";
const COUNT_OTPS_SINCE: &str =
    "SELECT count(*) FROM citizen_otps WHERE phone = $1 AND created_at >= $2";

macro_rules! session_columns {
    () => {
        "id_hash, personal_id, level, methods, created_at, last_seen, user_agent"
    };
}
const INSERT_SESSION: &str = concat!(
    "INSERT INTO citizen_sessions (",
    session_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id_hash) DO NOTHING"
);
const GET_SESSION: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM citizen_sessions WHERE id_hash = $1"
);
const TOUCH_SESSION: &str = "UPDATE citizen_sessions SET last_seen = $2 WHERE id_hash = $1";
const LIST_SESSIONS: &str = concat!(
    "SELECT ",
    session_columns!(),
    " FROM citizen_sessions WHERE personal_id = $1 ORDER BY created_at DESC, id_hash DESC"
);
const DELETE_SESSION: &str = "DELETE FROM citizen_sessions WHERE id_hash = $1";
const DELETE_SESSIONS: &str = "DELETE FROM citizen_sessions
 WHERE personal_id = $1 AND ($2::text IS NULL OR id_hash <> $2)";

macro_rules! client_columns {
    () => {
        "client_id, name, data, disabled, created_at, created_by"
    };
}
const INSERT_CLIENT: &str = concat!(
    "INSERT INTO oidc_clients (",
    client_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (client_id) DO NOTHING"
);
const UPDATE_CLIENT: &str =
    "UPDATE oidc_clients SET name = $2, data = $3, disabled = $4 WHERE client_id = $1";
const GET_CLIENT: &str = concat!(
    "SELECT ",
    client_columns!(),
    " FROM oidc_clients WHERE client_id = $1"
);
const LIST_CLIENTS: &str = concat!(
    "SELECT ",
    client_columns!(),
    " FROM oidc_clients ORDER BY client_id"
);

macro_rules! grant_columns {
    () => {
        "hash, kind, client_id, family, data, expires_at, consumed_at, revoked, session"
    };
}
const INSERT_GRANT: &str = concat!(
    "INSERT INTO oidc_grants (",
    grant_columns!(),
    ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (hash) DO NOTHING"
);
const GET_GRANT: &str = concat!(
    "SELECT ",
    grant_columns!(),
    " FROM oidc_grants WHERE hash = $1"
);
/// Concurrent consumers of one grant queue on its row; once the first commits, the others find
/// it consumed and update nothing.
const CONSUME_GRANT: &str = "UPDATE oidc_grants SET consumed_at = $2
 WHERE hash = $1 AND consumed_at IS NULL AND NOT revoked";
const GRANT_REVOKED: &str = "SELECT revoked FROM oidc_grants WHERE hash = $1";
const REVOKE_FAMILY: &str =
    "UPDATE oidc_grants SET revoked = TRUE WHERE family = $1 AND NOT revoked";
/// All grants carry their family's session, so revoking by session revokes whole families.
const REVOKE_SESSION: &str =
    "UPDATE oidc_grants SET revoked = TRUE WHERE session = $1 AND NOT revoked";
const DELETE_EXPIRED_GRANTS: &str = "DELETE FROM oidc_grants WHERE expires_at < $1";

const SET_CONSENT: &str = "INSERT INTO oidc_consents (personal_id, client_id, scopes)
 VALUES ($1, $2, $3)
 ON CONFLICT (personal_id, client_id) DO UPDATE SET scopes = excluded.scopes";
const GET_CONSENT: &str =
    "SELECT scopes FROM oidc_consents WHERE personal_id = $1 AND client_id = $2";

const FORGET_EXPIRED_JTI: &str = "DELETE FROM oidc_jti WHERE client_id = $1 AND expires_at < $2";
const REMEMBER_JTI: &str = "INSERT INTO oidc_jti (client_id, jti, expires_at) VALUES ($1, $2, $3)
 ON CONFLICT (client_id, jti) DO NOTHING";

/// The store's error for a statement on these tables. The database's DETAIL repeats the row's
/// values (personal IDs, phones), so only its message is kept.
fn quiet(e: postgres::Error) -> StoreError {
    match e.as_db_error() {
        Some(db) if db.code() == &SqlState::UNIQUE_VIOLATION => {
            StoreError::Conflict(db.message().to_string())
        }
        Some(db) => StoreError::Database(format!("{}: {}", db.severity(), db.message())),
        None => e.into(),
    }
}

/// Like [`quiet`], a missing referenced row (a foreign key) reported as `NotFound` with `what`.
fn quiet_or_missing(e: postgres::Error, what: &str) -> StoreError {
    if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) {
        StoreError::NotFound(what.to_string())
    } else {
        quiet(e)
    }
}

fn query(conn: &mut PgConn, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>> {
    let stmt = conn.stmt(sql)?;
    conn.client.query(&stmt, params).map_err(quiet)
}

fn query_opt(
    conn: &mut PgConn,
    sql: &'static str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Option<Row>> {
    let stmt = conn.stmt(sql)?;
    conn.client.query_opt(&stmt, params).map_err(quiet)
}

fn execute(conn: &mut PgConn, sql: &'static str, params: &[&(dyn ToSql + Sync)]) -> Result<u64> {
    execute_or(conn, sql, params, quiet)
}

/// Like [`execute`], a failure reported by `fail`.
fn execute_or(
    conn: &mut PgConn,
    sql: &'static str,
    params: &[&(dyn ToSql + Sync)],
    fail: impl FnOnce(postgres::Error) -> StoreError,
) -> Result<u64> {
    let stmt = conn.stmt(sql)?;
    conn.client.execute(&stmt, params).map_err(fail)
}

/// The row `sql` selects (if any), mapped by `to`.
fn get_one<T>(
    conn: &mut PgConn,
    sql: &'static str,
    params: &[&(dyn ToSql + Sync)],
    to: fn(&Row) -> Result<T>,
) -> Result<Option<T>> {
    query_opt(conn, sql, params)?.as_ref().map(to).transpose()
}

/// All rows `sql` selects, mapped by `to`.
fn get_all<T>(
    conn: &mut PgConn,
    sql: &'static str,
    params: &[&(dyn ToSql + Sync)],
    to: fn(&Row) -> Result<T>,
) -> Result<Vec<T>> {
    query(conn, sql, params)?.iter().map(to).collect()
}

/// `Ok` when a write touched a row, else the error `none` makes.
fn require_row(n: u64, none: impl FnOnce() -> StoreError) -> Result<()> {
    if n == 0 {
        return Err(none());
    }
    Ok(())
}

fn citizen_row(r: &Row) -> Result<CitizenRecord> {
    Ok(CitizenRecord {
        personal_id: r.try_get(0)?,
        level: r.try_get(1)?,
        phone: r.try_get(2)?,
        password_hash: r.try_get(3)?,
        must_change_password: r.try_get(4)?,
        totp_secret: r.try_get(5)?,
        totp_last_step: r.try_get(6)?,
        disabled: r.try_get(7)?,
        login_attempts: r.try_get(8)?,
        level2_evidence: r.try_get(9)?,
        created_at: r.try_get(10)?,
        updated_at: r.try_get(11)?,
    })
}

/// The parameters $1 to $10 of [`INSERT_CITIZEN`] and [`UPDATE_CITIZEN`] (the same columns in
/// both), then `tail`.
fn citizen_params<'a, const N: usize>(
    c: &'a CitizenRecord,
    tail: [&'a (dyn ToSql + Sync); N],
) -> Vec<&'a (dyn ToSql + Sync)> {
    let head: [&'a (dyn ToSql + Sync); 10] = citizen_head!(c);
    head.into_iter().chain(tail).collect()
}

fn otp_row(r: &Row) -> Result<OtpRecord> {
    Ok(OtpRecord {
        id: r.try_get(0)?,
        purpose: r.try_get(1)?,
        personal_id: r.try_get(2)?,
        phone: r.try_get(3)?,
        code_hash: r.try_get(4)?,
        created_at: r.try_get(5)?,
        expires_at: r.try_get(6)?,
        attempts: r.try_get(7)?,
        used: r.try_get(8)?,
    })
}

fn session_row(r: &Row) -> Result<CitizenSessionRecord> {
    Ok(CitizenSessionRecord {
        id_hash: r.try_get(0)?,
        personal_id: r.try_get(1)?,
        level: r.try_get(2)?,
        methods: r.try_get(3)?,
        created_at: r.try_get(4)?,
        last_seen: r.try_get(5)?,
        user_agent: r.try_get(6)?,
    })
}

fn client_row(r: &Row) -> Result<OidcClientRecord> {
    Ok(OidcClientRecord {
        client_id: r.try_get(0)?,
        name: r.try_get(1)?,
        data: r.try_get(2)?,
        disabled: r.try_get(3)?,
        created_at: r.try_get(4)?,
        created_by: r.try_get(5)?,
    })
}

fn grant_row(r: &Row) -> Result<OidcGrantRecord> {
    Ok(OidcGrantRecord {
        hash: r.try_get(0)?,
        kind: r.try_get(1)?,
        client_id: r.try_get(2)?,
        family: r.try_get(3)?,
        data: r.try_get(4)?,
        expires_at: r.try_get(5)?,
        consumed_at: r.try_get(6)?,
        revoked: r.try_get(7)?,
        session: r.try_get(8)?,
    })
}

fn grant_params(g: &OidcGrantRecord) -> [&(dyn ToSql + Sync); 9] {
    [
        &g.hash,
        &g.kind,
        &g.client_id,
        &g.family,
        &g.data,
        &g.expires_at,
        &g.consumed_at,
        &g.revoked,
        &g.session,
    ]
}

fn grant_exists() -> StoreError {
    StoreError::Conflict("a grant with this hash exists".into())
}

impl CitizenStore for PgStore {
    /// Refuses (`Conflict`) a level other than 1 or 2.
    fn insert_citizen(&self, c: &CitizenRecord) -> Result<()> {
        check_level(c.level)?;
        let inserted = execute_or(
            &mut *self.conn()?,
            INSERT_CITIZEN,
            &citizen_params(c, [&c.created_at, &c.updated_at]),
            |e| quiet_or_missing(e, "no person in the register with this personal ID"),
        )?;
        require_row(inserted, || {
            StoreError::Conflict("a citizen account with this personal ID exists".into())
        })
    }

    fn get_citizen(&self, personal_id: &str) -> Result<Option<CitizenRecord>> {
        get_one(
            &mut *self.conn()?,
            GET_CITIZEN,
            &[&personal_id],
            citizen_row,
        )
    }

    /// Refuses (`Conflict`) a level other than 1 or 2.
    fn update_citizen(&self, c: &CitizenRecord) -> Result<()> {
        check_level(c.level)?;
        let changed = execute(
            &mut *self.conn()?,
            UPDATE_CITIZEN,
            &citizen_params(c, [&c.updated_at]),
        )?;
        require_row(changed, || {
            StoreError::NotFound("no citizen account with this personal ID".into())
        })
    }

    /// By personal ID; `limit` 0 lists at most 200.
    fn list_citizens(&self, limit: usize) -> Result<Vec<CitizenRecord>> {
        get_all(
            &mut *self.conn()?,
            LIST_CITIZENS,
            &[&list_limit(limit)],
            citizen_row,
        )
    }

    /// `Conflict` when the id exists.
    fn insert_otp(&self, o: &OtpRecord) -> Result<()> {
        let inserted = execute(
            &mut *self.conn()?,
            INSERT_OTP,
            &[
                &o.id,
                &o.purpose,
                &o.personal_id,
                &o.phone,
                &o.code_hash,
                &o.created_at,
                &o.expires_at,
                &o.attempts,
                &o.used,
            ],
        )?;
        require_row(inserted, || {
            StoreError::Conflict("a one-time code with this id exists".into())
        })
    }

    fn get_otp(&self, id: &str) -> Result<Option<OtpRecord>> {
        get_one(&mut *self.conn()?, GET_OTP, &[&id], otp_row)
    }

    fn count_otp_attempt(&self, id: &str) -> Result<i32> {
        match query_opt(&mut *self.conn()?, COUNT_OTP_ATTEMPT, &[&id])? {
            Some(row) => Ok(row.try_get(0)?),
            None => Err(StoreError::NotFound("no such one-time code".into())),
        }
    }

    /// `NotFound` when there is no such code.
    fn use_otp(&self, id: &str) -> Result<()> {
        let mut conn = self.conn()?;
        if execute(&mut conn, USE_OTP, &[&id])? == 1 {
            return Ok(());
        }
        Err(match query_opt(&mut conn, OTP_EXISTS, &[&id])? {
            Some(_) => StoreError::Conflict("the one-time code was used already".into()),
            None => StoreError::NotFound("no such one-time code".into()),
        })
    }

    /// Codes created at or after `since`.
    fn count_otps_since(&self, phone: &str, since: &str) -> Result<u64> {
        let n: i64 = match query_opt(&mut *self.conn()?, COUNT_OTPS_SINCE, &[&phone, &since])? {
            Some(row) => row.try_get(0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// `Conflict` when the id hash exists.
    fn insert_citizen_session(&self, s: &CitizenSessionRecord) -> Result<()> {
        let inserted = execute_or(
            &mut *self.conn()?,
            INSERT_SESSION,
            &[
                &s.id_hash,
                &s.personal_id,
                &s.level,
                &s.methods,
                &s.created_at,
                &s.last_seen,
                &s.user_agent,
            ],
            |e| quiet_or_missing(e, "no citizen account with this personal ID"),
        )?;
        require_row(inserted, || {
            StoreError::Conflict("a session with this id exists".into())
        })
    }

    fn get_citizen_session(&self, id_hash: &str) -> Result<Option<CitizenSessionRecord>> {
        get_one(&mut *self.conn()?, GET_SESSION, &[&id_hash], session_row)
    }

    /// Sets `last_seen` only; `NotFound` when the session is gone.
    fn touch_citizen_session(&self, id_hash: &str, last_seen: &str) -> Result<()> {
        let changed = execute(&mut *self.conn()?, TOUCH_SESSION, &[&id_hash, &last_seen])?;
        require_row(changed, || StoreError::NotFound("no such session".into()))
    }

    /// Newest created first (then by id hash).
    fn list_citizen_sessions(&self, personal_id: &str) -> Result<Vec<CitizenSessionRecord>> {
        get_all(
            &mut *self.conn()?,
            LIST_SESSIONS,
            &[&personal_id],
            session_row,
        )
    }

    /// A session already gone is not an error.
    fn delete_citizen_session(&self, id_hash: &str) -> Result<()> {
        execute(&mut *self.conn()?, DELETE_SESSION, &[&id_hash])?;
        Ok(())
    }

    /// Returns how many sessions ended.
    fn delete_citizen_sessions(&self, personal_id: &str, keep: Option<&str>) -> Result<u64> {
        execute(&mut *self.conn()?, DELETE_SESSIONS, &[&personal_id, &keep])
    }
}

impl OidcStore for PgStore {
    fn insert_oidc_client(&self, c: &OidcClientRecord) -> Result<()> {
        let inserted = execute(
            &mut *self.conn()?,
            INSERT_CLIENT,
            &[
                &c.client_id,
                &c.name,
                &c.data,
                &c.disabled,
                &c.created_at,
                &c.created_by,
            ],
        )?;
        require_row(inserted, || {
            StoreError::Conflict(format!("an OpenID client {:?} exists", c.client_id))
        })
    }

    fn update_oidc_client(&self, c: &OidcClientRecord) -> Result<()> {
        let changed = execute(
            &mut *self.conn()?,
            UPDATE_CLIENT,
            &[&c.client_id, &c.name, &c.data, &c.disabled],
        )?;
        require_row(changed, || {
            StoreError::NotFound(format!("no OpenID client {:?}", c.client_id))
        })
    }

    fn get_oidc_client(&self, client_id: &str) -> Result<Option<OidcClientRecord>> {
        get_one(&mut *self.conn()?, GET_CLIENT, &[&client_id], client_row)
    }

    fn list_oidc_clients(&self) -> Result<Vec<OidcClientRecord>> {
        get_all(&mut *self.conn()?, LIST_CLIENTS, &[], client_row)
    }

    /// Stored as given (consumed or revoked ones too). Refuses (`Conflict`) a kind other than
    /// code, access or refresh.
    fn insert_oidc_grant(&self, g: &OidcGrantRecord) -> Result<()> {
        check_grant_kind(&g.kind)?;
        if execute(&mut *self.conn()?, INSERT_GRANT, &grant_params(g))? == 0 {
            return Err(grant_exists());
        }
        Ok(())
    }

    fn get_oidc_grant(&self, hash: &str) -> Result<Option<OidcGrantRecord>> {
        get_one(&mut *self.conn()?, GET_GRANT, &[&hash], grant_row)
    }

    /// Expiry is not checked here (the caller reads the grant first). An issued grant whose
    /// hash exists, or whose kind is not code, access or refresh, is a `Conflict` too, and then
    /// nothing is written either.
    fn consume_oidc_grant(&self, hash: &str, at: &str, issued: &[OidcGrantRecord]) -> Result<()> {
        for g in issued {
            check_grant_kind(&g.kind)?;
        }
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let consume = prepared(stmts, &mut tx, CONSUME_GRANT)?;
        if tx.execute(&consume, &[&hash, &at]).map_err(quiet)? == 0 {
            let revoked = prepared(stmts, &mut tx, GRANT_REVOKED)?;
            return Err(match tx.query_opt(&revoked, &[&hash]).map_err(quiet)? {
                None => StoreError::NotFound("no such grant".into()),
                Some(row) => {
                    let revoked: bool = row.try_get(0)?;
                    if revoked {
                        StoreError::Conflict("the grant is revoked".into())
                    } else {
                        StoreError::Conflict("the grant was used already".into())
                    }
                }
            });
        }
        let insert = prepared(stmts, &mut tx, INSERT_GRANT)?;
        for g in issued {
            if tx.execute(&insert, &grant_params(g)).map_err(quiet)? == 0 {
                return Err(grant_exists());
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn revoke_oidc_family(&self, family: &str) -> Result<u64> {
        execute(&mut *self.conn()?, REVOKE_FAMILY, &[&family])
    }

    fn revoke_oidc_session(&self, session: &str) -> Result<u64> {
        execute(&mut *self.conn()?, REVOKE_SESSION, &[&session])
    }

    /// Grants whose `expires_at` is before `before` (exclusive).
    fn delete_expired_oidc_grants(&self, before: &str) -> Result<u64> {
        execute(&mut *self.conn()?, DELETE_EXPIRED_GRANTS, &[&before])
    }

    fn set_oidc_consent(&self, personal_id: &str, client_id: &str, scopes: &str) -> Result<()> {
        execute(
            &mut *self.conn()?,
            SET_CONSENT,
            &[&personal_id, &client_id, &scopes],
        )?;
        Ok(())
    }

    fn get_oidc_consent(&self, personal_id: &str, client_id: &str) -> Result<Option<String>> {
        query_opt(&mut *self.conn()?, GET_CONSENT, &[&personal_id, &client_id])?
            .map(|r| r.try_get(0))
            .transpose()
            .map_err(StoreError::from)
    }

    /// In one transaction: forgets the client's ids that expired before now (the store's
    /// clock, [`now_rfc3339`]), then records this one. Of concurrent callers with one id, the
    /// first to insert wins; the others wait for it and find the id taken.
    fn remember_jti(&self, client_id: &str, jti: &str, expires_at: &str) -> Result<()> {
        let now = now_rfc3339();
        let mut conn = self.conn()?;
        let PgConn { client, stmts } = &mut *conn;
        let mut tx = client.transaction()?;
        let forget = prepared(stmts, &mut tx, FORGET_EXPIRED_JTI)?;
        let remember = prepared(stmts, &mut tx, REMEMBER_JTI)?;
        tx.execute(&forget, &[&client_id, &now]).map_err(quiet)?;
        if tx
            .execute(&remember, &[&client_id, &jti, &expires_at])
            .map_err(quiet)?
            == 0
        {
            return Err(StoreError::Conflict(format!(
                "the client assertion of {client_id:?} was seen already (jti reused)"
            )));
        }
        tx.commit()?;
        Ok(())
    }
}
