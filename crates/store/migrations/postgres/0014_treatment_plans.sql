-- Treatment plans, PostgreSQL dialect. Mirrors ../sqlite/0014_treatment_plans.sql.
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
    details BYTEA NOT NULL,
    lines_hash BYTEA,
    presented_ms BIGINT,
    presented_by TEXT,
    acceptance BYTEA,
    acceptance_signature BYTEA,
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
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER treatment_plans_refuse_truncate BEFORE TRUNCATE ON treatment_plans
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_history_change();

-- Once presented: key rotation (a higher key version, every plain column as it was), or a
-- presented plan decided (accepted, declined or superseded) with its frozen document and hash
-- unchanged. Nothing else.
CREATE FUNCTION enamel_refuse_frozen_plan_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft'
       AND NOT (
           NEW.practice_id = OLD.practice_id AND NEW.id = OLD.id
           AND NEW.patient_id = OLD.patient_id
           AND NEW.lines_hash IS NOT DISTINCT FROM OLD.lines_hash
           AND NEW.presented_ms IS NOT DISTINCT FROM OLD.presented_ms
           AND NEW.presented_by IS NOT DISTINCT FROM OLD.presented_by
           AND NEW.created_ms = OLD.created_ms AND NEW.created_by = OLD.created_by
           AND ((NEW.key_version > OLD.key_version AND NEW.status = OLD.status
                 AND NEW.acceptance_signature IS NOT DISTINCT FROM OLD.acceptance_signature
                 AND NEW.signing_key_version IS NOT DISTINCT FROM OLD.signing_key_version
                 AND NEW.decided_ms IS NOT DISTINCT FROM OLD.decided_ms
                 AND NEW.decided_by IS NOT DISTINCT FROM OLD.decided_by
                 AND NEW.updated_ms = OLD.updated_ms AND NEW.updated_by = OLD.updated_by
                 AND NEW.row_version = OLD.row_version
                 AND substring(NEW.details from 2 for 4) = int4send(NEW.key_version::int)
                 AND (NEW.acceptance IS NULL
                      OR substring(NEW.acceptance from 2 for 4) = int4send(NEW.key_version::int)))
             OR (OLD.status = 'presented'
                 AND NEW.status IN ('accepted', 'declined', 'superseded')
                 AND NEW.details = OLD.details AND NEW.key_version = OLD.key_version
                 AND NEW.row_version = OLD.row_version + 1)))
    THEN
        RAISE EXCEPTION 'presented treatment plans cannot be changed (UPDATE on treatment_plans)';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER treatment_plans_refuse_frozen_update BEFORE UPDATE ON treatment_plans
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_frozen_plan_change();
