-- A patient who is another patient's guarantor or responsible party cannot be deleted while
-- that reference stands (any patient of the practice, in any household). The app checks first
-- and answers plainly; this trigger holds even for a change that raced the check.
CREATE INDEX patients_guarantor ON patients (practice_id, guarantor_id);
CREATE INDEX patients_responsible_party ON patients (practice_id, responsible_party_id);
CREATE FUNCTION enamel_refuse_delete_referenced_patient() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM patients p
        WHERE p.practice_id = OLD.practice_id AND p.id <> OLD.id
          AND (p.guarantor_id = OLD.id OR p.responsible_party_id = OLD.id)
    ) THEN
        RAISE EXCEPTION 'a patient another patient refers to cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$;
CREATE TRIGGER patients_refuse_delete_referenced BEFORE DELETE ON patients
FOR EACH ROW EXECUTE FUNCTION enamel_refuse_delete_referenced_patient();
