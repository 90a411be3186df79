-- The schedule, SQLite dialect. Mirrors ../postgres/0016_scheduling.sql.
--
-- Providers, operatories (chairs) and appointment types are the practice's own people, rooms
-- and kinds of visit: not PHI, kept plain, changed in place, never deleted (a provider or a
-- chair is hidden or ends its active dates; appointments keep naming them).
--
-- An appointment links a patient to a time: its times, chair, provider and status are plain
-- (the schedule is queried by them), the patient is named by id only (the name is sealed in
-- `patients`), and its note is sealed.
--
-- No double-booking is the database's rule, not a read-then-write check: an appointment that
-- holds time owns one row per 5-minute slot of its chair in `operatory_slots`, and one per
-- slot of its provider's time (the `X` units of its pattern) in `provider_slots`, each under
-- a primary key. Two bookings that overlap try to insert the same key; the second cannot, on
-- any number of servers. Slots are unix time in 5-minute units (every zone in use is a whole
-- number of them from UTC).

CREATE TABLE providers (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    family_name TEXT NOT NULL,
    given_name TEXT NOT NULL,
    abbreviation TEXT NOT NULL,
    colour TEXT NOT NULL,
    npi TEXT,
    specialty TEXT NOT NULL,
    is_hygienist BIGINT NOT NULL CHECK (is_hygienist IN (0, 1)),
    active_from TEXT,
    active_to TEXT,
    user_id TEXT,
    row_version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    UNIQUE (practice_id, abbreviation),
    FOREIGN KEY (practice_id) REFERENCES practices (id)
);

CREATE TABLE operatories (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    abbreviation TEXT NOT NULL,
    sort_order BIGINT NOT NULL CHECK (sort_order BETWEEN 0 AND 999),
    default_dentist_id TEXT,
    default_hygienist_id TEXT,
    is_hygiene BIGINT NOT NULL CHECK (is_hygiene IN (0, 1)),
    hidden BIGINT NOT NULL CHECK (hidden IN (0, 1)),
    row_version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    UNIQUE (practice_id, abbreviation),
    FOREIGN KEY (practice_id, default_dentist_id) REFERENCES providers (practice_id, id),
    FOREIGN KEY (practice_id, default_hygienist_id) REFERENCES providers (practice_id, id)
);

CREATE TABLE appointment_types (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    colour TEXT NOT NULL,
    pattern TEXT NOT NULL CHECK (length(pattern) BETWEEN 1 AND 144),
    -- The codes a visit of this type adds, space-separated (codes hold no spaces).
    procedure_codes TEXT NOT NULL,
    hidden BIGINT NOT NULL CHECK (hidden IN (0, 1)),
    row_version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    UNIQUE (practice_id, name)
);

CREATE TABLE appointments (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    patient_id TEXT NOT NULL,
    operatory_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    hygienist_id TEXT,
    appointment_type_id TEXT,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    pattern TEXT NOT NULL CHECK (length(pattern) BETWEEN 1 AND 144),
    status TEXT NOT NULL CHECK (status IN ('scheduled', 'confirmed', 'arrived', 'in_chair',
        'complete', 'broken', 'cancelled', 'asap')),
    source TEXT NOT NULL CHECK (source IN ('staff', 'portal', 'api')),
    confirmed_ms BIGINT,
    confirmed_via TEXT,
    arrived_ms BIGINT,
    seated_ms BIGINT,
    dismissed_ms BIGINT,
    key_version BIGINT NOT NULL,
    note BLOB,
    row_version BIGINT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CHECK (end_ms > start_ms),
    FOREIGN KEY (practice_id, patient_id) REFERENCES patients (practice_id, id),
    FOREIGN KEY (practice_id, operatory_id) REFERENCES operatories (practice_id, id),
    FOREIGN KEY (practice_id, provider_id) REFERENCES providers (practice_id, id),
    FOREIGN KEY (practice_id, hygienist_id) REFERENCES providers (practice_id, id),
    FOREIGN KEY (practice_id, appointment_type_id) REFERENCES appointment_types (practice_id, id)
);
CREATE INDEX appointments_start ON appointments (practice_id, start_ms);
CREATE INDEX appointments_patient ON appointments (practice_id, patient_id, start_ms);
CREATE INDEX appointments_status ON appointments (practice_id, status, start_ms);
CREATE INDEX appointments_key_version ON appointments (practice_id, key_version);

CREATE TABLE operatory_slots (
    practice_id TEXT NOT NULL,
    operatory_id TEXT NOT NULL,
    slot BIGINT NOT NULL,
    appointment_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, operatory_id, slot),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id)
);
CREATE INDEX operatory_slots_appointment ON operatory_slots (practice_id, appointment_id);

CREATE TABLE provider_slots (
    practice_id TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    slot BIGINT NOT NULL,
    appointment_id TEXT NOT NULL,
    PRIMARY KEY (practice_id, provider_id, slot),
    FOREIGN KEY (practice_id, appointment_id) REFERENCES appointments (practice_id, id)
);
CREATE INDEX provider_slots_appointment ON provider_slots (practice_id, appointment_id);
