-- The practice's IANA time zone, PostgreSQL dialect. Mirrors ../sqlite/0005_practice_time.sql.
-- Instants stay UTC milliseconds everywhere; this zone only decides which civil date and clock
-- time they are for the practice ("today", ages, dates on pages and in exports). Practices that
-- existed before this column start at UTC, which is what every date meant until now; an
-- administrator sets the real zone in practice settings. The application validates the name
-- against its bundled time zone database before writing it.
-- (Version 4 belongs to a migration developed alongside this one.)

ALTER TABLE practices ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
