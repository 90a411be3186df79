-- The record kernel: tables declared `History::AppendOnly` in crates/store/src/specs.rs refuse
-- DELETE (and TRUNCATE), and refuse an UPDATE of anything but the key version and the sealed
-- columns (which key rotation re-encrypts in place). Mirrors ../sqlite/0006_record_kernel.sql.

CREATE FUNCTION enamel_refuse_history_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'history rows cannot be changed or deleted (% on %)', TG_OP, TG_TABLE_NAME;
END
$$;
CREATE TRIGGER patient_versions_refuse_delete BEFORE DELETE ON patient_versions
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER patient_versions_refuse_update
BEFORE UPDATE OF practice_id, id, patient_id, row_version, change, changed_fields, changed_by, changed_ms
ON patient_versions
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_history_change();
CREATE TRIGGER patient_versions_refuse_truncate BEFORE TRUNCATE ON patient_versions
FOR EACH STATEMENT EXECUTE FUNCTION enamel_refuse_history_change();
