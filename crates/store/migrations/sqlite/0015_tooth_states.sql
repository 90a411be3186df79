-- Tooth states, SQLite dialect. Mirrors ../postgres/0015_tooth_states.sql.
--
-- What a tooth is when it is not simply there (missing, unerupted, impacted, an implant), kept
-- as one append-only line per change: the tooth and its new state in one sealed value
-- (`details`; which of a patient's teeth are missing is clinical), who recorded it and when
-- plain. A patient's chart folds the lines in order; the chart as it stood on a past day folds
-- those recorded by then. A wrong state is corrected by recording the right one (`present`
-- included), so nothing is ever changed but by key rotation, nor deleted.

CREATE TABLE tooth_states (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    details BLOB NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patients (practice_id, id)
);
CREATE INDEX tooth_states_patient ON tooth_states (practice_id, patient_id, id);
CREATE INDEX tooth_states_key_version ON tooth_states (practice_id, key_version);

CREATE TRIGGER tooth_states_refuse_delete BEFORE DELETE ON tooth_states
BEGIN SELECT RAISE(ABORT, 'history rows cannot be changed or deleted (DELETE on tooth_states)'); END;
-- Key rotation re-seals `details` under a higher key version named by the value's header too;
-- nothing else changes.
CREATE TRIGGER tooth_states_refuse_update BEFORE UPDATE ON tooth_states
WHEN NOT (NEW.key_version > OLD.key_version
      AND NEW.practice_id = OLD.practice_id AND NEW.id = OLD.id AND NEW.patient_id = OLD.patient_id
      AND NEW.created_ms = OLD.created_ms AND NEW.created_by = OLD.created_by
      AND hex(substr(NEW.details, 2, 4)) = printf('%08X', NEW.key_version))
BEGIN SELECT RAISE(ABORT, 'history rows cannot be changed or deleted (UPDATE on tooth_states)'); END;
