-- Access control and staff sign-in, PostgreSQL dialect. Mirrors ../sqlite/0002_access.sql.
-- Secrets are never stored in a form that can be replayed: session, API-token, reset and
-- recovery secrets are SHA-256 hashes (they are 256-bit random, so a slow hash adds nothing),
-- passwords are Argon2id PHC strings, TOTP secrets are sealed like PHI (the server must read them).

-- Per-practice session timeouts; NULL means the server's configured default.
ALTER TABLE practices ADD COLUMN session_idle_secs BIGINT;
ALTER TABLE practices ADD COLUMN session_absolute_secs BIGINT;

CREATE TABLE users (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    id TEXT NOT NULL,
    -- Lower-case; unique across the server because sign-in does not name a practice.
    username TEXT NOT NULL,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('active', 'disabled')),
    key_version BIGINT NOT NULL,
    totp_secret BYTEA,
    totp_pending BYTEA,
    totp_last_step BIGINT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE UNIQUE INDEX users_username ON users (username);
CREATE INDEX users_key_version ON users (practice_id, key_version);

CREATE TABLE user_roles (
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    role TEXT NOT NULL,
    granted_by TEXT NOT NULL,
    granted_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, user_id, role),
    FOREIGN KEY (practice_id, user_id) REFERENCES users (practice_id, id)
);

CREATE TABLE recovery_codes (
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    code_hash BYTEA NOT NULL,
    used_ms BIGINT,
    PRIMARY KEY (practice_id, user_id, code_hash),
    FOREIGN KEY (practice_id, user_id) REFERENCES users (practice_id, id)
);

-- Browser sessions, API sessions, and the short-lived half-signed-in state between password
-- and second factor ('password', 'enroll'). The public id names a session in lists and
-- revocations; the token itself is only ever held by the client.
CREATE TABLE sessions (
    token_hash BYTEA PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    stage TEXT NOT NULL CHECK (stage IN ('password', 'enroll', 'active')),
    created_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL,
    idle_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    mfa_ms BIGINT,
    mfa_failures BIGINT NOT NULL DEFAULT 0,
    revoked_ms BIGINT,
    client_ip TEXT,
    user_agent TEXT,
    FOREIGN KEY (practice_id, user_id) REFERENCES users (practice_id, id)
);
CREATE INDEX sessions_user ON sessions (practice_id, user_id);

-- Failed sign-ins per key (a hash of the username as typed, or of the client address), so that
-- unknown usernames are slowed and locked exactly like real ones and reveal nothing.
CREATE TABLE sign_in_throttle (
    key_hash BYTEA PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start_ms BIGINT NOT NULL,
    locked_until_ms BIGINT NOT NULL
);

CREATE TABLE password_resets (
    token_hash BYTEA PRIMARY KEY,
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    used_ms BIGINT,
    FOREIGN KEY (practice_id, user_id) REFERENCES users (practice_id, id)
);

-- A person asked for a reset at the sign-in page; administrators see the request.
CREATE TABLE password_reset_requests (
    practice_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    requested_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, user_id),
    FOREIGN KEY (practice_id, user_id) REFERENCES users (practice_id, id)
);

CREATE TABLE api_tokens (
    token_hash BYTEA PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    practice_id TEXT NOT NULL REFERENCES practices (id),
    name TEXT NOT NULL,
    -- Space-separated "category:action" grants.
    scopes TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    revoked_ms BIGINT,
    last_used_ms BIGINT
);
CREATE INDEX api_tokens_practice ON api_tokens (practice_id);

-- Break-glass: one clinician, one patient, one window. The justification may name clinical
-- facts, so it is sealed; audit entries refer to the grant by id.
CREATE TABLE emergency_grants (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    justification BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    review_status TEXT NOT NULL CHECK (review_status IN ('pending', 'accepted', 'escalated')),
    reviewed_by TEXT,
    reviewed_ms BIGINT,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, user_id) REFERENCES users (practice_id, id)
);
CREATE INDEX emergency_grants_user ON emergency_grants (practice_id, user_id, patient_id);
CREATE INDEX emergency_grants_key_version ON emergency_grants (practice_id, key_version);

-- A practice's differences from the default role matrix.
CREATE TABLE policy_overrides (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    role TEXT NOT NULL,
    category TEXT NOT NULL,
    action TEXT NOT NULL,
    allowed BIGINT NOT NULL CHECK (allowed IN (0, 1)),
    changed_by TEXT NOT NULL,
    changed_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, role, category, action)
);
