-- Treatment plans, SQLite dialect. Mirrors ../postgres/0014_treatment_plans.sql.
--
-- A plan's title, note, phases and lines are one sealed document (`details`). A draft changes
-- in place. Presenting it freezes a copy of every line into the document and records the
-- lines' hash (`lines_hash`, SHA-256 of the canonical plan); from then on the document never
-- changes. An acceptance is sealed (`acceptance`: who, how, the drawn or typed signature) and
-- bound to that hash by the practice's record-signature (`acceptance_signature`). The status
-- moves draft → presented → accepted / declined / superseded and never back; the database
-- refuses anything else, and every deletion.

CREATE TABLE treatment_plans (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('draft', 'presented', 'accepted', 'declined', 'superseded')),
    details BLOB NOT NULL,
    lines_hash BLOB,
    presented_ms BIGINT,
    presented_by TEXT,
    acceptance BLOB,
    acceptance_signature BLOB,
    signing_key_version BIGINT,
    decided_ms BIGINT,
    decided_by TEXT,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patients (practice_id, id),
    CHECK ((status = 'draft') = (lines_hash IS NULL)),
    CHECK ((status = 'draft') = (presented_ms IS NULL AND presented_by IS NULL)),
    CHECK ((status = 'accepted') = (acceptance IS NOT NULL AND acceptance_signature IS NOT NULL))
);
CREATE INDEX treatment_plans_patient ON treatment_plans (practice_id, patient_id, id);
CREATE INDEX treatment_plans_key_version ON treatment_plans (practice_id, key_version);

CREATE TRIGGER treatment_plans_refuse_delete BEFORE DELETE ON treatment_plans
BEGIN SELECT RAISE(ABORT, 'treatment plans cannot be deleted (DELETE on treatment_plans)'); END;

-- Once presented: key rotation (a higher key version, every plain column as it was), or a
-- presented plan decided (accepted, declined or superseded) with its frozen document and hash
-- unchanged. Nothing else.
CREATE TRIGGER treatment_plans_refuse_frozen_update BEFORE UPDATE ON treatment_plans
WHEN OLD.status <> 'draft'
 AND NOT (
      NEW.practice_id = OLD.practice_id AND NEW.id = OLD.id AND NEW.patient_id = OLD.patient_id
      AND NEW.lines_hash IS OLD.lines_hash AND NEW.presented_ms IS OLD.presented_ms
      AND NEW.presented_by IS OLD.presented_by
      AND NEW.created_ms = OLD.created_ms AND NEW.created_by = OLD.created_by
      AND ((NEW.key_version > OLD.key_version AND NEW.status = OLD.status
            AND NEW.acceptance_signature IS OLD.acceptance_signature
            AND NEW.signing_key_version IS OLD.signing_key_version
            AND NEW.decided_ms IS OLD.decided_ms AND NEW.decided_by IS OLD.decided_by
            AND NEW.updated_ms = OLD.updated_ms AND NEW.updated_by = OLD.updated_by
            AND NEW.row_version = OLD.row_version
            AND hex(substr(NEW.details, 2, 4)) = printf('%08X', NEW.key_version)
            AND (NEW.acceptance IS NULL
                 OR hex(substr(NEW.acceptance, 2, 4)) = printf('%08X', NEW.key_version)))
        OR (OLD.status = 'presented'
            AND NEW.status IN ('accepted', 'declined', 'superseded')
            AND NEW.details = OLD.details AND NEW.key_version = OLD.key_version
            AND NEW.row_version = OLD.row_version + 1)))
BEGIN SELECT RAISE(ABORT, 'presented treatment plans cannot be changed (UPDATE on treatment_plans)'); END;
