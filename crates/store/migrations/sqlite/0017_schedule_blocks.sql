-- Working hours and dated blocks of the schedule, SQLite dialect. Mirrors
-- ../postgres/0017_schedule_blocks.sql.
--
-- A provider's week of working hours is kept on the provider (`monday 08:00-12:00,…`; empty:
-- no hours kept, no warnings). Blockouts (one operatory or all, for a while) and practice
-- holidays (the whole practice day) are dated blocks. None of it is PHI. A booking that falls
-- outside its provider's hours or into a block is warned about, not refused: the desk may book
-- it anyway, and that is audited.

ALTER TABLE providers ADD COLUMN working_hours TEXT NOT NULL DEFAULT '';

CREATE TABLE schedule_blocks (
    practice_id TEXT NOT NULL,
    id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('blockout', 'holiday')),
    operatory_id TEXT,
    start_ms BIGINT NOT NULL,
    end_ms BIGINT NOT NULL,
    label TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (practice_id, id),
    CHECK (end_ms > start_ms),
    CHECK (kind = 'blockout' OR operatory_id IS NULL),
    FOREIGN KEY (practice_id, operatory_id) REFERENCES operatories (practice_id, id)
);
CREATE INDEX schedule_blocks_start ON schedule_blocks (practice_id, start_ms);
