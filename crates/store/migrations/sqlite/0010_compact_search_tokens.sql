-- Search tokens without a rowid. The table was a rowid table plus its primary-key index plus
-- the per-patient index: every token was stored three times and every insert touched three
-- trees (about twenty tokens per patient). WITHOUT ROWID keeps the rows in the primary key's
-- own tree, which is also the one search walks; the per-patient index stays for rewrites.
CREATE TABLE patient_search_tokens_compact (
    practice_id TEXT NOT NULL,
    token BLOB NOT NULL,
    patient_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, token, patient_id)
) WITHOUT ROWID;
INSERT INTO patient_search_tokens_compact (practice_id, token, patient_id)
    SELECT practice_id, token, patient_id FROM patient_search_tokens;
DROP TABLE patient_search_tokens;
ALTER TABLE patient_search_tokens_compact RENAME TO patient_search_tokens;
CREATE INDEX patient_search_tokens_patient ON patient_search_tokens (practice_id, patient_id);
