-- Periodontal exams, PostgreSQL dialect. Mirrors ../sqlite/0012_perio_exams.sql.
--
-- One row per exam: every measurement in one sealed JSON document (`details`: date, provider,
-- note, and per tooth the six sites' depths, margins, flags and furcations, mobility). A draft
-- is working state that its hygienist saves as they go, in place (each save audited); closing
-- it makes the record, and from then on the database refuses every change but key rotation,
-- and every deletion.

CREATE TABLE perio_exams (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'closed')),
    details BYTEA NOT NULL,
    closed_ms BIGINT,
    closed_by TEXT,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patients (practice_id, id),
    CHECK ((status = 'closed') = (closed_ms IS NOT NULL AND closed_by IS NOT NULL))
);
CREATE INDEX perio_exams_patient ON perio_exams (practice_id, patient_id, id);
CREATE INDEX perio_exams_key_version ON perio_exams (practice_id, key_version);

CREATE TRIGGER perio_exams_refuse_delete BEFORE DELETE ON perio_exams
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER perio_exams_refuse_truncate BEFORE TRUNCATE ON perio_exams
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_history_change();

-- A closed exam changes only by key rotation: a higher key version named by the re-sealed
-- value's header too, every plain column as it was.
CREATE FUNCTION enamel_refuse_closed_perio_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'closed'
       AND NOT (NEW.key_version > OLD.key_version
           AND NEW.practice_id = OLD.practice_id AND NEW.id = OLD.id
           AND NEW.patient_id = OLD.patient_id AND NEW.status = OLD.status
           AND NEW.closed_ms IS NOT DISTINCT FROM OLD.closed_ms
           AND NEW.closed_by IS NOT DISTINCT FROM OLD.closed_by
           AND NEW.created_ms = OLD.created_ms AND NEW.created_by = OLD.created_by
           AND NEW.updated_ms = OLD.updated_ms AND NEW.updated_by = OLD.updated_by
           AND NEW.row_version = OLD.row_version
           AND substring(NEW.details from 2 for 4) = int4send(NEW.key_version::int))
    THEN
        RAISE EXCEPTION 'closed perio exams cannot be changed (UPDATE on perio_exams)';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER perio_exams_refuse_closed_update BEFORE UPDATE ON perio_exams
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_closed_perio_change();
