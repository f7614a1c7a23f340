-- Officers' accounts and their browser sessions. Secrets only as hashes, except the TOTP
-- secret, which the server needs to compute codes. Officers are disabled, never deleted.
CREATE TABLE officers (
    login                TEXT PRIMARY KEY,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 0,
    totp_secret          TEXT,
    totp_last_step       INTEGER,
    disabled             INTEGER NOT NULL DEFAULT 0,
    -- xaso_identity::lockout::LoginAttempts as JSON; the store does not read it.
    login_attempts       TEXT NOT NULL DEFAULT '{}',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
) WITHOUT ROWID;

-- A session is known by the SHA-256 of its cookie's secret, never by the secret.
CREATE TABLE sessions (
    id_hash               TEXT PRIMARY KEY,
    login                 TEXT NOT NULL REFERENCES officers (login),
    created_at            TEXT NOT NULL,
    last_seen             TEXT NOT NULL,
    second_factor_pending INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX sessions_login ON sessions (login);
CREATE INDEX sessions_last_seen ON sessions (last_seen);
