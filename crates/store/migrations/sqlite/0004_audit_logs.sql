-- One audit log per practice ('practice:<uuid>') and one for the server ('server'), SQLite
-- dialect. Mirrors ../postgres/0004_audit_logs.sql. Each log has its own head row (on SQLite the
-- database write lock still serialises all appends). The single log of 0001 (audit_events,
-- audit_head, audit_checkpoints) stays readable as the log 'legacy' and is closed here: it takes
-- no new entries, only a final checkpoint.

CREATE TABLE audit_log_entries (
    log TEXT NOT NULL,
    seq BIGINT NOT NULL,
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
    chain BLOB NOT NULL,
    PRIMARY KEY (log, seq)
);
-- The viewer reads one practice's log by time and by patient.
CREATE INDEX audit_log_entries_time ON audit_log_entries (log, time_ms);
CREATE INDEX audit_log_entries_patient ON audit_log_entries (log, patient_id);

-- One row per log, created by its first append: where the log ends.
CREATE TABLE audit_log_heads (
    log TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    chain BLOB NOT NULL,
    frontier BLOB NOT NULL
);

CREATE TABLE audit_log_checkpoints (
    log TEXT NOT NULL,
    size BIGINT NOT NULL,
    key_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    root BLOB NOT NULL,
    time_ms BIGINT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (log, size, key_id)
);

CREATE TRIGGER audit_log_entries_refuse_update BEFORE UPDATE ON audit_log_entries
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (UPDATE on audit_log_entries)'); END;
CREATE TRIGGER audit_log_entries_refuse_delete BEFORE DELETE ON audit_log_entries
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (DELETE on audit_log_entries)'); END;
CREATE TRIGGER audit_log_checkpoints_refuse_update BEFORE UPDATE ON audit_log_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (UPDATE on audit_log_checkpoints)'); END;
CREATE TRIGGER audit_log_checkpoints_refuse_delete BEFORE DELETE ON audit_log_checkpoints
BEGIN SELECT RAISE(ABORT, 'audit records cannot be changed or deleted (DELETE on audit_log_checkpoints)'); END;

-- The viewer pages through one practice's legacy entries in seq order.
CREATE INDEX audit_events_practice_seq ON audit_events (practice_id, seq);

-- The legacy log is closed: no new entry, and its head no longer moves.
CREATE TRIGGER audit_events_refuse_insert BEFORE INSERT ON audit_events
BEGIN SELECT RAISE(ABORT, 'the legacy audit log is closed (INSERT on audit_events)'); END;
CREATE TRIGGER audit_head_refuse_update BEFORE UPDATE ON audit_head
BEGIN SELECT RAISE(ABORT, 'the legacy audit log is closed (UPDATE on audit_head)'); END;
CREATE TRIGGER audit_head_refuse_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'the legacy audit log is closed (DELETE on audit_head)'); END;
