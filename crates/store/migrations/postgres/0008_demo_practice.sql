-- Which practice `enamel demo` made, PostgreSQL dialect. Mirrors ../sqlite/0008_demo_practice.sql.
-- 1 only for the practice `enamel demo` created (or, for a demo folder from before this column,
-- adopted on its next start); every other practice, including those that exist now, is 0.
-- The sign-in page then says the data is made up, and `enamel demo code` prints second-factor
-- codes only for a demo practice: a marker in the database, not a file beside it, because a
-- file can be copied next to a real practice.

ALTER TABLE practices ADD COLUMN demo BIGINT NOT NULL DEFAULT 0 CHECK (demo IN (0, 1));
