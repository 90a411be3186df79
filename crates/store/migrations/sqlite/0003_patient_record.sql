-- The whole patient record, SQLite dialect. Mirrors ../postgres/0003_patient_record.sql.
-- Sealed blobs by category, so a role that may see contact details but not insurance (or the
-- reverse) never has the other decrypted: `details` and `chart_number` are demographics,
-- `contact` is contact, `insurance` is insurance. Status and the household links are ids and
-- words, not PHI on their own, and stay plain so that lists can filter on them.

ALTER TABLE patients ADD COLUMN details BLOB;
ALTER TABLE patients ADD COLUMN chart_number BLOB;
ALTER TABLE patients ADD COLUMN contact BLOB;
ALTER TABLE patients ADD COLUMN insurance BLOB;
ALTER TABLE patients ADD COLUMN chart_bidx BLOB;
ALTER TABLE patients ADD COLUMN status TEXT NOT NULL DEFAULT 'active'
    CHECK (status IN ('active', 'inactive', 'deceased', 'archived'));
ALTER TABLE patients ADD COLUMN household_id TEXT;
ALTER TABLE patients ADD COLUMN guarantor_id TEXT;
ALTER TABLE patients ADD COLUMN responsible_party_id TEXT;
ALTER TABLE patients ADD COLUMN created_by TEXT;
ALTER TABLE patients ADD COLUMN updated_by TEXT;
-- One chart number per practice (NULLs do not collide).
CREATE UNIQUE INDEX patients_chart_bidx ON patients (practice_id, chart_bidx);
CREATE INDEX patients_household ON patients (practice_id, household_id);

-- Blind-index tokens for search: keyed HMACs of name prefixes, the date of birth, phone
-- numbers and the chart number, each in its own domain. Only tokens, never values.
CREATE TABLE patient_search_tokens (
    practice_id TEXT NOT NULL,
    token BLOB NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, token, patient_id)
);
CREATE INDEX patient_search_tokens_patient ON patient_search_tokens (practice_id, patient_id);

-- Every earlier state of a record: who changed it, when, which fields (names only), and the
-- previous values sealed again under this table's own associated data (so a version cannot be
-- copied back over the live record).
CREATE TABLE patient_versions (
    practice_id TEXT NOT NULL,
    -- patient id, a colon, and the version number it preserves
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    row_version BIGINT NOT NULL,
    key_version BIGINT NOT NULL,
    change TEXT NOT NULL CHECK (change IN ('update', 'deactivate', 'delete')),
    changed_fields TEXT NOT NULL,
    changed_by TEXT NOT NULL,
    changed_ms BIGINT NOT NULL,
    snapshot BLOB NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX patient_versions_patient ON patient_versions (practice_id, patient_id, row_version);
CREATE INDEX patient_versions_key_version ON patient_versions (practice_id, key_version);
