-- Mirrors ../sqlite/0010_compact_search_tokens.sql, which stores SQLite's search tokens
-- without a rowid. PostgreSQL tables have no rowid tree: nothing changes here.
SELECT 1;
