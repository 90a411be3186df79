-- Clinical notes, SQLite dialect. Mirrors ../postgres/0013_clinical_notes.sql.
--
-- A note's text is sealed (`body`); its kind, status, links and signature are plain. A draft
-- is its author's working text, changed in place (each save audited); signing makes it the
-- record: the signature (Ed25519 over the canonical note, by the practice's record-signing
-- key) and from then on the database refuses every change but key rotation. Corrections are
-- addenda, each signed by its author when written, never changed.

-- The practice's record-signing key is a data key like the others (wrapped by the KEK).
CREATE TABLE practice_keys_with_signing (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('field', 'index', 'signing')),
    version BIGINT NOT NULL,
    kek_id TEXT NOT NULL,
    wrapped BLOB NOT NULL,
    created_ms BIGINT NOT NULL,
    PRIMARY KEY (practice_id, purpose, version)
);
INSERT INTO practice_keys_with_signing (practice_id, purpose, version, kek_id, wrapped, created_ms)
    SELECT practice_id, purpose, version, kek_id, wrapped, created_ms FROM practice_keys;
DROP TABLE practice_keys;
ALTER TABLE practice_keys_with_signing RENAME TO practice_keys;

CREATE TABLE clinical_notes (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('progress', 'diagnosis', 'administrative', 'plan')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'signed')),
    body BLOB NOT NULL,
    procedure_id TEXT,
    plan_id TEXT,
    author_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    signed_by TEXT,
    signed_ms BIGINT,
    signature BLOB,
    signing_key_version BIGINT,
    row_version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patients (practice_id, id),
    CHECK ((status = 'signed') = (signed_by IS NOT NULL AND signed_ms IS NOT NULL
        AND signature IS NOT NULL AND signing_key_version IS NOT NULL))
);
CREATE INDEX clinical_notes_patient ON clinical_notes (practice_id, patient_id, id);
CREATE INDEX clinical_notes_key_version ON clinical_notes (practice_id, key_version);

CREATE TRIGGER clinical_notes_refuse_delete BEFORE DELETE ON clinical_notes
BEGIN SELECT RAISE(ABORT, 'clinical notes cannot be deleted (DELETE on clinical_notes)'); END;

-- A signed note changes only by key rotation: a higher key version, every plain column
-- (signature included) as it was.
CREATE TRIGGER clinical_notes_refuse_signed_update BEFORE UPDATE ON clinical_notes
WHEN OLD.status = 'signed'
 AND NOT (NEW.key_version > OLD.key_version
      AND NEW.practice_id = OLD.practice_id AND NEW.id = OLD.id AND NEW.patient_id = OLD.patient_id
      AND NEW.kind = OLD.kind AND NEW.status = OLD.status
      AND NEW.procedure_id IS OLD.procedure_id AND NEW.plan_id IS OLD.plan_id
      AND NEW.author_id = OLD.author_id AND NEW.created_ms = OLD.created_ms
      AND NEW.updated_ms = OLD.updated_ms AND NEW.updated_by = OLD.updated_by
      AND NEW.signed_by = OLD.signed_by AND NEW.signed_ms = OLD.signed_ms
      AND NEW.signature = OLD.signature AND NEW.signing_key_version = OLD.signing_key_version
      AND NEW.row_version = OLD.row_version
      AND hex(substr(NEW.body, 2, 4)) = printf('%08X', NEW.key_version))
BEGIN SELECT RAISE(ABORT, 'signed notes cannot be changed (UPDATE on clinical_notes)'); END;

CREATE TABLE note_addenda (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    note_id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    key_version BIGINT NOT NULL,
    body BLOB NOT NULL,
    author_id TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    signature BLOB NOT NULL,
    signing_key_version BIGINT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE INDEX note_addenda_note ON note_addenda (practice_id, note_id, id);
CREATE INDEX note_addenda_patient ON note_addenda (practice_id, patient_id);
CREATE INDEX note_addenda_key_version ON note_addenda (practice_id, key_version);
CREATE TRIGGER note_addenda_refuse_delete BEFORE DELETE ON note_addenda
BEGIN SELECT RAISE(ABORT, 'history rows cannot be changed or deleted (DELETE on note_addenda)'); END;
CREATE TRIGGER note_addenda_refuse_update
BEFORE UPDATE OF practice_id, id, note_id, patient_id, author_id, created_ms, signature, signing_key_version
ON note_addenda
BEGIN SELECT RAISE(ABORT, 'history rows cannot be changed or deleted (UPDATE on note_addenda)'); END;

-- The practice's note templates: its own boilerplate, not a patient's record.
CREATE TABLE note_templates (
    practice_id TEXT NOT NULL REFERENCES practices (id),
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('progress', 'diagnosis', 'administrative', 'plan')),
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id)
);
CREATE UNIQUE INDEX note_templates_name ON note_templates (practice_id, name);
