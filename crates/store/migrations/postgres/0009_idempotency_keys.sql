-- Safe retries of creating requests, PostgreSQL dialect. Mirrors ../sqlite/0009_idempotency_keys.sql.
-- A create sent with an `Idempotency-Key` claims the key in the create's own transaction, so
-- the key and the record it made exist together or not at all. A retry within 24 hours finds
-- the row and gets the first answer; the same key with a different request is refused.
-- Keys are per practice and per caller (a user, or an integration token). No PHI: the key is
-- kept as a SHA-256 hash, the request as an HMAC under the practice's index key (a plain hash
-- of a body could be guessed from a name and a birth date), and the record by its id.

CREATE TABLE idempotency_keys (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    caller TEXT NOT NULL,
    key_hash BYTEA NOT NULL,
    request_mac BYTEA NOT NULL,
    operation TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, caller, key_hash)
);

-- Expired keys are removed by age, per practice.
CREATE INDEX idempotency_keys_age ON idempotency_keys (practice_id, created_ms);
