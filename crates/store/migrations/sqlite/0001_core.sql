-- Enamel core schema, SQLite dialect. Mirrors ../postgres/0001_core.sql table for table, column for column.
-- Conventions shared by both engines: ids are UUID text, times are unix milliseconds (BIGINT),
-- sealed PHI is BLOB (BYTEA on PostgreSQL), small integers are BIGINT.

CREATE TABLE practices (
    id TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    active_key_version BIGINT NOT NULL,
    min_key_version BIGINT NOT NULL
);

CREATE TABLE practice_keys (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('field', 'index')),
    version BIGINT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, purpose, version)
);

CREATE TABLE patients (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    family_name BLOB NOT NULL,
    given_name BLOB NOT NULL,
    birth_date BLOB NOT NULL,
    family_name_bidx BLOB NOT NULL,
    birth_date_bidx BLOB NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    row_version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX patients_key_version ON patients (practice_id, key_version);
CREATE INDEX patients_family_name_bidx ON patients (practice_id, family_name_bidx);
CREATE INDEX patients_birth_date_bidx ON patients (practice_id, birth_date_bidx);

CREATE TABLE audit_events (
    seq BIGINT PRIMARY KEY,
    time_ms BIGINT NOT NULL,
    practice_id TEXT,
    actor_id TEXT,
    actor_role TEXT,
    patient_id TEXT,
    record_type TEXT,
    record_id TEXT,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    client_ip TEXT,
    user_agent TEXT,
    app_version TEXT NOT NULL,
    access_method TEXT NOT NULL,
    reason TEXT,
    chain BLOB NOT NULL
);
CREATE INDEX audit_events_practice_time ON audit_events (practice_id, time_ms);
CREATE INDEX audit_events_patient ON audit_events (practice_id, patient_id);

-- One row: where the log ends. Appenders lock it first, so concurrent writers (threads or
-- processes) take turns and the chain stays linear.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    chain BLOB NOT NULL,
    frontier BLOB NOT NULL
);
INSERT INTO audit_head (id, size, chain, frontier)
VALUES (1, 0, zeroblob(32), zeroblob(8));

CREATE TABLE audit_checkpoints (
    size BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    root BLOB NOT NULL,
    time_ms BIGINT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (size, key_id)
);

CREATE TRIGGER audit_events_refuse_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (UPDATE on audit_events)'); END;
CREATE TRIGGER audit_events_refuse_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (DELETE on audit_events)'); END;
CREATE TRIGGER audit_checkpoints_refuse_update BEFORE UPDATE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (UPDATE on audit_checkpoints)'); END;
CREATE TRIGGER audit_checkpoints_refuse_delete BEFORE DELETE ON audit_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (DELETE on audit_checkpoints)'); END;
