-- The clinical chart, PostgreSQL dialect. Mirrors ../sqlite/0011_clinical_chart.sql.
--
-- The practice's own procedure codes (its licensed list: never shipped by Enamel) are its
-- price list, not PHI. A patient's procedures and conditions keep everything clinical in one
-- sealed `details` value (code, site, dates, provider, fee, diagnoses, note); status and the
-- lock instants stay plain so that the database itself can refuse changes to locked work.

ALTER TABLE practices ADD COLUMN tooth_numbering TEXT NOT NULL DEFAULT 'universal'
    CHECK (tooth_numbering IN ('universal', 'fdi'));
-- Hours after completion during which completed work may still be corrected.
ALTER TABLE practices ADD COLUMN chart_lock_hours BIGINT NOT NULL DEFAULT 24
    CHECK (chart_lock_hours BETWEEN 0 AND 720);

CREATE TABLE procedure_codes (
    practice_id TEXT NOT NULL,
    code TEXT NOT NULL,
    description TEXT NOT NULL,
    area_type TEXT NOT NULL
        CHECK (area_type IN ('mouth', 'arch', 'quadrant', 'sextant', 'tooth', 'surface', 'tooth_range')),
    default_fee BIGINT NOT NULL CHECK (default_fee >= 0),
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, code)
);

CREATE TABLE procedures (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'completed', 'existing_current',
        'existing_other', 'referred', 'condition', 'entered_in_error')),
    details BYTEA NOT NULL,
    -- When the work was marked completed, and when it locks (completion + the lock window).
    completed_ms BIGINT,
    locks_at_ms BIGINT,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patients (practice_id, id),
    CHECK ((completed_ms IS NULL) = (locks_at_ms IS NULL))
);
CREATE INDEX procedures_patient ON procedures (practice_id, patient_id, id);

-- Completion and its lock instant are set once, together, and never moved.
CREATE FUNCTION enamel_refuse_procedure_lock_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.completed_ms IS NOT NULL AND NEW.completed_ms IS DISTINCT FROM OLD.completed_ms)
       OR (OLD.locks_at_ms IS NOT NULL AND NEW.locks_at_ms IS DISTINCT FROM OLD.locks_at_ms)
    THEN
        RAISE EXCEPTION 'locked procedures cannot be changed (UPDATE on procedures)';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER procedures_refuse_lock_change BEFORE UPDATE OF completed_ms, locks_at_ms ON procedures
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_procedure_lock_change();
CREATE INDEX procedures_key_version ON procedures (practice_id, key_version);

-- Records are corrected, never erased: a mistaken entry is marked entered in error.
CREATE TRIGGER procedures_refuse_delete BEFORE DELETE ON procedures
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER procedures_refuse_truncate BEFORE TRUNCATE ON procedures
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_history_change();

-- Locked work (its lock instant has come, by the database's clock) and work entered in error
-- change in only two ways: key rotation re-seals `details` under a newer key (the sealed value
-- must name that key version in its header, so an older ciphertext of the row cannot be put
-- back as a "rotation") and changes nothing else, and locked work not yet in error may be
-- marked entered in error (status, version and who/when only; its reason, an addendum, must
-- already be written).
CREATE FUNCTION enamel_refuse_locked_procedure_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (OLD.status = 'entered_in_error'
        OR (OLD.locks_at_ms IS NOT NULL
            AND OLD.locks_at_ms <= (extract(epoch FROM clock_timestamp()) * 1000)::bigint))
       AND NOT (
           NEW.practice_id = OLD.practice_id AND NEW.id = OLD.id AND NEW.patient_id = OLD.patient_id
           AND NEW.completed_ms IS NOT DISTINCT FROM OLD.completed_ms
           AND NEW.locks_at_ms IS NOT DISTINCT FROM OLD.locks_at_ms
           AND NEW.created_ms = OLD.created_ms AND NEW.created_by = OLD.created_by
           AND ((NEW.key_version > OLD.key_version AND NEW.status = OLD.status
                 AND NEW.row_version = OLD.row_version AND NEW.updated_ms = OLD.updated_ms
                 AND NEW.updated_by = OLD.updated_by
                 AND substring(NEW.details from 2 for 4) = int4send(NEW.key_version::int))
             OR (OLD.status <> 'entered_in_error' AND NEW.status = 'entered_in_error'
                 AND NEW.details = OLD.details AND NEW.key_version = OLD.key_version
                 AND NEW.row_version = OLD.row_version + 1
                 AND EXISTS (SELECT 1 FROM procedure_addenda a WHERE a.practice_id = NEW.practice_id
                             AND a.procedure_id = NEW.id AND a.kind = 'invalidation'))))
    THEN
        RAISE EXCEPTION 'locked procedures cannot be changed (UPDATE on procedures)';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER procedures_refuse_locked_update BEFORE UPDATE ON procedures
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_locked_procedure_change();

-- Every earlier state of a procedure, sealed again under this table's associated data.
CREATE TABLE procedure_versions (
    practice_id TEXT NOT NULL,
    -- procedure id, a colon, and the version number it preserves
    id TEXT NOT NULL,
    procedure_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    key_version BIGINT NOT NULL,
    change TEXT NOT NULL CHECK (change IN ('update', 'complete', 'invalidate')),
    changed_by TEXT NOT NULL,
    changed_ms BIGINT NOT NULL,
    snapshot BYTEA NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX procedure_versions_procedure ON procedure_versions (practice_id, procedure_id, row_version);
CREATE INDEX procedure_versions_patient ON procedure_versions (practice_id, patient_id);
CREATE INDEX procedure_versions_key_version ON procedure_versions (practice_id, key_version);
CREATE TRIGGER procedure_versions_refuse_delete BEFORE DELETE ON procedure_versions
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER procedure_versions_refuse_update
BEFORE UPDATE OF practice_id, id, procedure_id, patient_id, row_version, change, changed_by, changed_ms
ON procedure_versions
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER procedure_versions_refuse_truncate BEFORE TRUNCATE ON procedure_versions
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_history_change();

-- What is added to a procedure after the fact: addenda, and the reason it was marked entered
-- in error. Append-only.
CREATE TABLE procedure_addenda (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    procedure_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('addendum', 'invalidation')),
    body BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX procedure_addenda_procedure ON procedure_addenda (practice_id, procedure_id, id);
CREATE INDEX procedure_addenda_patient ON procedure_addenda (practice_id, patient_id);
CREATE INDEX procedure_addenda_key_version ON procedure_addenda (practice_id, key_version);
CREATE TRIGGER procedure_addenda_refuse_delete BEFORE DELETE ON procedure_addenda
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER procedure_addenda_refuse_update
BEFORE UPDATE OF practice_id, id, procedure_id, patient_id, kind, created_ms, created_by
ON procedure_addenda
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER procedure_addenda_refuse_truncate BEFORE TRUNCATE ON procedure_addenda
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_history_change();
