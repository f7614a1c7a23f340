-- Citizens' accounts (electronic identity), their one-time codes and browser sessions, and the
-- OpenID provider's state: clients, grants (codes, access and refresh tokens), consents and the
-- client-assertion ids seen (PostgreSQL). Secrets only as hashes (the TOTP secret excepted: the
-- server needs it). JSON columns are opaque text to the store: the identity layer writes and
-- reads them. Keys, codes and times use the "C" collation: byte order, as in SQLite. Personal
-- IDs and phones are personal data: nothing logs them.
CREATE TABLE citizens (
    personal_id          TEXT COLLATE "C" PRIMARY KEY REFERENCES persons (personal_id),
    -- 1: registered online, phone confirmed; 2: raised at the desk after a chip check.
    level                INTEGER NOT NULL CHECK (level IN (1, 2)),
    -- National form, 10 digits.
    phone                TEXT COLLATE "C" NOT NULL,
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
    totp_secret          TEXT,
    totp_last_step       BIGINT,
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    -- The lockout state (JSON); the store does not read it.
    login_attempts       TEXT NOT NULL DEFAULT '{}',
    -- The level-2 evidence (JSON); NULL at level 1.
    level2_evidence      TEXT,
    created_at           TEXT COLLATE "C" NOT NULL,
    updated_at           TEXT COLLATE "C" NOT NULL
);

-- One-time codes sent to a phone (registration, recovery): only the SHA-256 of the code.
CREATE TABLE citizen_otps (
    id          TEXT COLLATE "C" PRIMARY KEY,
    -- registration, recovery
    purpose     TEXT COLLATE "C" NOT NULL,
    personal_id TEXT COLLATE "C" NOT NULL,
    phone       TEXT COLLATE "C" NOT NULL,
    code_hash   TEXT COLLATE "C" NOT NULL,
    -- RFC 3339 UTC; text order is time order.
    created_at  TEXT COLLATE "C" NOT NULL,
    expires_at  TEXT COLLATE "C" NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    used        BOOLEAN NOT NULL DEFAULT FALSE
);
-- The codes sent to a phone since an instant (rate limits).
CREATE INDEX citizen_otps_phone ON citizen_otps (phone, created_at);

-- A citizen's session is known by the SHA-256 of its cookie's secret, never by the secret.
CREATE TABLE citizen_sessions (
    id_hash     TEXT COLLATE "C" PRIMARY KEY,
    personal_id TEXT COLLATE "C" NOT NULL REFERENCES citizens (personal_id),
    level       INTEGER NOT NULL,
    -- How it was authenticated (JSON array of text).
    methods     TEXT NOT NULL,
    created_at  TEXT COLLATE "C" NOT NULL,
    last_seen   TEXT COLLATE "C" NOT NULL,
    user_agent  TEXT NOT NULL
);
CREATE INDEX citizen_sessions_person ON citizen_sessions (personal_id, created_at);

-- The OpenID provider's clients (relying parties).
CREATE TABLE oidc_clients (
    client_id  TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    -- xaso_identity::oidc::client::Client (JSON).
    data       TEXT NOT NULL,
    disabled   BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TEXT COLLATE "C" NOT NULL,
    created_by TEXT NOT NULL
);

-- Authorization codes, access and refresh tokens, by the SHA-256 of the code or token. A
-- family is every grant of one authorization, revoked together. `consumed_at` is set once,
-- when a code is redeemed or a refresh token rotated.
CREATE TABLE oidc_grants (
    hash        TEXT COLLATE "C" PRIMARY KEY,
    kind        TEXT COLLATE "C" NOT NULL CHECK (kind IN ('code', 'access', 'refresh')),
    client_id   TEXT COLLATE "C" NOT NULL,
    family      TEXT COLLATE "C" NOT NULL,
    -- The code, access or refresh record (JSON).
    data        TEXT NOT NULL,
    -- RFC 3339 UTC; text order is time order.
    expires_at  TEXT COLLATE "C" NOT NULL,
    consumed_at TEXT COLLATE "C",
    revoked     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX oidc_grants_family ON oidc_grants (family);
CREATE INDEX oidc_grants_expires ON oidc_grants (expires_at);

-- The scopes a citizen consented to give a client (JSON), replaced whole.
CREATE TABLE oidc_consents (
    personal_id TEXT COLLATE "C" NOT NULL,
    client_id   TEXT COLLATE "C" NOT NULL,
    scopes      TEXT NOT NULL,
    PRIMARY KEY (personal_id, client_id)
);

-- Client-assertion ids (`jti`) seen, kept until they expire, so that an assertion is used once.
CREATE TABLE oidc_jti (
    client_id  TEXT COLLATE "C" NOT NULL,
    jti        TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (client_id, jti)
);
