-- Officers' accounts and their browser sessions (PostgreSQL). Secrets only as hashes, except
-- the TOTP secret, which the server needs to compute codes. Officers are disabled, never
-- deleted. Logins and times use the "C" collation: byte order, as in SQLite.
CREATE TABLE officers (
    login                TEXT COLLATE "C" PRIMARY KEY,
    display_name         TEXT NOT NULL,
    role                 TEXT NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret          TEXT,
    totp_last_step       BIGINT,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    -- xaso_identity::lockout::LoginAttempts as JSON; the store does not read it.
    login_attempts       TEXT NOT NULL DEFAULT '{}',
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL
);

-- A session is known by the SHA-256 of its cookie's secret, never by the secret.
CREATE TABLE sessions (
    id_hash               TEXT COLLATE "C" PRIMARY KEY,
    login                 TEXT COLLATE "C" NOT NULL REFERENCES officers (login),
    created_at            TEXT COLLATE "C" NOT NULL,
    last_seen             TEXT COLLATE "C" NOT NULL,
    second_factor_pending BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX sessions_login ON sessions (login);
CREATE INDEX sessions_last_seen ON sessions (last_seen);
