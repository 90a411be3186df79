-- The record kernel: tables declared `History::AppendOnly` in crates/store/src/specs.rs refuse
-- DELETE, and refuse an UPDATE of anything but the key version and the sealed columns (which
-- key rotation re-encrypts in place). Mirrors ../postgres/0006_record_kernel.sql.

CREATE TRIGGER patient_versions_refuse_delete BEFORE DELETE ON patient_versions
BEGIN SELECT RAISE(ABORT, 'history rows cannot be changed or deleted (DELETE on patient_versions)'); END;
CREATE TRIGGER patient_versions_refuse_update
BEFORE UPDATE OF practice_id, id, patient_id, row_version, change, changed_fields, changed_by, changed_ms
ON patient_versions
BEGIN SELECT RAISE(ABORT, 'history rows cannot be changed or deleted (UPDATE on patient_versions)'); END;
