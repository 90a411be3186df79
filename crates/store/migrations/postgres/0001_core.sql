-- Enamel core schema, PostgreSQL dialect. Mirrors ../sqlite/0001_core.sql table for table, column for column.
-- Conventions shared by both engines: ids are UUID text, times are unix milliseconds (BIGINT),
-- sealed PHI is BYTEA (BLOB on SQLite), small integers are BIGINT.

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
    wrapped BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, purpose, version)
);

CREATE TABLE patients (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    family_name BYTEA NOT NULL,
    given_name BYTEA NOT NULL,
    birth_date BYTEA NOT NULL,
    family_name_bidx BYTEA NOT NULL,
    birth_date_bidx BYTEA NOT NULL,
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
    chain BYTEA NOT NULL
);
CREATE INDEX audit_events_practice_time ON audit_events (practice_id, time_ms);
CREATE INDEX audit_events_patient ON audit_events (practice_id, patient_id);

-- One row: where the log ends. Appenders lock it first, so concurrent writers (threads or
-- processes) take turns and the chain stays linear.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    size BIGINT NOT NULL,
    chain BYTEA NOT NULL,
    frontier BYTEA NOT NULL
);
INSERT INTO audit_head (id, size, chain, frontier)
VALUES (1, 0, decode(repeat('00', 32), 'hex'), decode(repeat('00', 8), 'hex'));

CREATE TABLE audit_checkpoints (
    size BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    root BYTEA NOT NULL,
    time_ms BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (size, key_id)
);

CREATE FUNCTION enamel_refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit records cannot be changed or deleted (% on %)', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER audit_events_refuse_change BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_audit_change();
CREATE TRIGGER audit_events_refuse_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_audit_change();
CREATE TRIGGER audit_checkpoints_refuse_change BEFORE UPDATE OR DELETE ON audit_checkpoints
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_audit_change();
CREATE TRIGGER audit_checkpoints_refuse_truncate BEFORE TRUNCATE ON audit_checkpoints
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_audit_change();
