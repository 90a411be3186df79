//! Rows of the audit logs. Hashing, sequencing and signing live in the app and audit crates;
//! this module only moves rows, and the database itself refuses UPDATE and DELETE on them.
//!
//! There is one log per practice (`practice:<uuid>`), one for the server (`server`), both in
//! the `audit_log_*` tables, and the closed single log of older releases (`legacy`, in
//! `audit_events`, `audit_head` and `audit_checkpoints`), which is only read and given a last
//! checkpoint.

use enamel_audit::{Entry, GENESIS_CHAIN, Hash};
use sqlx::{AssertSqlSafe, Row};

use crate::patients::multi_row_insert;
use crate::{Db, StoreError, Tx, on_db, on_tx};

/// Where the log ends, as last committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub size: i64,
    pub chain: Vec<u8>,
    pub frontier: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointRow {
    pub size: i64,
    pub key_id: String,
    pub origin: String,
    pub root: Vec<u8>,
    pub time_ms: i64,
    pub signature: Vec<u8>,
}

/// Filters for reading the log; every field narrows, `None` does not.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub practice_id: Option<String>,
    pub actor_id: Option<String>,
    pub patient_id: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Only entries after this cursor (paging; see [`legacy_cursor`]).
    pub after_seq: Option<i64>,
    pub limit: i64,
}

/// The name of the closed log of releases before per-practice logs.
pub const LEGACY_LOG: &str = "legacy";

/// Where the legacy entry `seq` sorts in the viewer's cursor: legacy entries come before every
/// entry of the new logs, so they are mapped to negative numbers (`seq - 2^62`); a new log's
/// entry keeps its own `seq` as its cursor.
pub const LEGACY_CURSOR_OFFSET: i64 = 1 << 62;

/// The viewer's cursor of legacy entry `seq`.
pub fn legacy_cursor(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX) - LEGACY_CURSOR_OFFSET
}

/// One entry as the viewer reads it: its log, its paging cursor and the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailEntry {
    pub log: String,
    pub cursor: i64,
    pub entry: Entry,
}

const NEW_COLUMNS: &str = "log, seq, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, \
     record_id, action, outcome, client_ip, user_agent, app_version, access_method, reason, chain";
const WIDTH: usize = 17;
/// Rows per multi-row INSERT: a search's page of entries fits in one statement. (With numbered
/// placeholders SQLite's binding grew with the square of the parameters, hence the anonymous
/// ones; see `Placeholders`.)
const APPEND_CHUNK: usize = 64;

macro_rules! entry_from_row {
    ($row:expr) => {{
        let seq: i64 = $row.try_get("seq")?;
        let chain: Vec<u8> = $row.try_get("chain")?;
        let chain: Hash = chain
            .try_into()
            .map_err(|_| StoreError::Corrupt("audit chain hash length"))?;
        (
            Entry {
                seq: u64::try_from(seq).map_err(|_| StoreError::Corrupt("negative audit seq"))?,
                time_ms: $row.try_get("time_ms")?,
                practice_id: $row.try_get("practice_id")?,
                actor_id: $row.try_get("actor_id")?,
                actor_role: $row.try_get("actor_role")?,
                patient_id: $row.try_get("patient_id")?,
                record_type: $row.try_get("record_type")?,
                record_id: $row.try_get("record_id")?,
                action: $row.try_get("action")?,
                outcome: $row.try_get("outcome")?,
                client_ip: $row.try_get("client_ip")?,
                user_agent: $row.try_get("user_agent")?,
                app_version: $row.try_get("app_version")?,
                access_method: $row.try_get("access_method")?,
                reason: $row.try_get("reason")?,
            },
            chain,
        )
    }};
}

impl Tx {
    /// Locks log `log`'s head for this transaction and returns it, creating it (empty) on the
    /// log's first append. One statement does both on both engines: the INSERT either creates
    /// the row or, on conflict, runs a no-op UPDATE, and either way PostgreSQL holds that row's
    /// lock until commit (a concurrent first append of the same log waits on the speculative
    /// insert, then takes the UPDATE path). Other logs' rows are not touched, so their
    /// appenders never wait here. On SQLite the transaction already holds the database write
    /// lock (`BEGIN IMMEDIATE`), which serialises every append anyway.
    pub async fn lock_audit_head(&mut self, log: &str) -> Result<AuditHead, StoreError> {
        if log == LEGACY_LOG {
            return Err(StoreError::Corrupt("the legacy audit log is closed"));
        }
        on_tx!(self, c => {
            let row = sqlx::query(
                "INSERT INTO audit_log_heads (log, size, chain, frontier) VALUES ($1, 0, $2, $3) \
                 ON CONFLICT (log) DO UPDATE SET size = audit_log_heads.size \
                 RETURNING size, chain, frontier",
            )
            .bind(log)
            .bind(&GENESIS_CHAIN[..])
            .bind(&[0u8; 8][..])
            .fetch_one(c)
            .await?;
            Ok(AuditHead {
                size: row.try_get("size")?,
                chain: row.try_get("chain")?,
                frontier: row.try_get("frontier")?,
            })
        })
    }

    /// Moves log `log`'s head (the caller holds its lock).
    pub async fn set_audit_head(&mut self, log: &str, head: &AuditHead) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "UPDATE audit_log_heads SET size = $2, chain = $3, frontier = $4 WHERE log = $1",
            )
            .bind(log)
            .bind(head.size)
            .bind(&head.chain)
            .bind(&head.frontier)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Inserts sequenced, chained entries of log `log` (the caller holds its head lock).
    pub async fn insert_audit_entries(
        &mut self,
        log: &str,
        rows: &[(Entry, Hash)],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(APPEND_CHUNK) {
            self.insert_audit_chunk(log, chunk, None).await?;
        }
        Ok(())
    }

    /// Inserts sequenced, chained entries of log `log` and moves its head to `head` (the caller
    /// holds the head's lock). The lock is held until the commit, and every other append to
    /// the log waits for it: on PostgreSQL the last rows and the head's move share one
    /// statement, a round trip fewer inside the lock.
    pub async fn append_audit_entries(
        &mut self,
        log: &str,
        rows: &[(Entry, Hash)],
        head: &AuditHead,
    ) -> Result<(), StoreError> {
        let chunks: Vec<&[(Entry, Hash)]> = rows.chunks(APPEND_CHUNK).collect();
        let Some((last, first)) = chunks.split_last() else {
            return self.set_audit_head(log, head).await;
        };
        for chunk in first {
            self.insert_audit_chunk(log, chunk, None).await?;
        }
        if matches!(self, Tx::Postgres(_)) {
            self.insert_audit_chunk(log, last, Some(head)).await
        } else {
            // SQLite has no INSERT inside a WITH; the write lock makes the split harmless.
            self.insert_audit_chunk(log, last, None).await?;
            self.set_audit_head(log, head).await
        }
    }

    /// One multi-row INSERT of `chunk`; with `head`, PostgreSQL moves the head in the same
    /// statement (`WITH inserted AS (INSERT …) UPDATE audit_log_heads …`).
    async fn insert_audit_chunk(
        &mut self,
        log: &str,
        chunk: &[(Entry, Hash)],
        head: Option<&AuditHead>,
    ) -> Result<(), StoreError> {
        let insert = multi_row_insert(
            "audit_log_entries",
            NEW_COLUMNS,
            WIDTH,
            chunk.len(),
            self.placeholders(),
        );
        let sql = match head {
            None => insert,
            Some(_) => {
                let n = chunk.len() * WIDTH;
                format!(
                    "WITH inserted AS ({insert}) UPDATE audit_log_heads SET size = ${}, \
                     chain = ${}, frontier = ${} WHERE log = ${}",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4
                )
            }
        };
        on_tx!(self, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (e, chain) in chunk {
                let seq = i64::try_from(e.seq).map_err(|_| StoreError::Corrupt("audit seq overflow"))?;
                q = q
                    .bind(log)
                    .bind(seq)
                    .bind(e.time_ms)
                    .bind(&e.practice_id)
                    .bind(&e.actor_id)
                    .bind(&e.actor_role)
                    .bind(&e.patient_id)
                    .bind(&e.record_type)
                    .bind(&e.record_id)
                    .bind(&e.action)
                    .bind(&e.outcome)
                    .bind(&e.client_ip)
                    .bind(&e.user_agent)
                    .bind(&e.app_version)
                    .bind(&e.access_method)
                    .bind(&e.reason)
                    .bind(&chain[..]);
            }
            if let Some(head) = head {
                q = q.bind(head.size).bind(&head.chain).bind(&head.frontier).bind(log);
            }
            q.execute(c).await?;
        });
        Ok(())
    }

    /// Stores a checkpoint of log `log` (the legacy log's go to its own table).
    pub async fn insert_checkpoint(
        &mut self,
        log: &str,
        cp: &CheckpointRow,
    ) -> Result<(), StoreError> {
        let legacy = log == LEGACY_LOG;
        let sql = if legacy {
            "INSERT INTO audit_checkpoints (size, key_id, origin, root, time_ms, signature) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (size, key_id) DO NOTHING"
        } else {
            "INSERT INTO audit_log_checkpoints (size, key_id, origin, root, time_ms, signature, log) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (log, size, key_id) DO NOTHING"
        };
        on_tx!(self, c => {
            let mut q = sqlx::query(sql)
                .bind(cp.size)
                .bind(&cp.key_id)
                .bind(&cp.origin)
                .bind(&cp.root)
                .bind(cp.time_ms)
                .bind(&cp.signature);
            if !legacy {
                q = q.bind(log);
            }
            q.execute(c).await?;
        });
        Ok(())
    }
}

impl Db {
    /// Where log `log` ends; an empty head if it has no entry yet.
    pub async fn audit_head(&self, log: &str) -> Result<AuditHead, StoreError> {
        let legacy = log == LEGACY_LOG;
        let sql = if legacy {
            "SELECT size, chain, frontier FROM audit_head WHERE id = 1 AND $1 = $1"
        } else {
            "SELECT size, chain, frontier FROM audit_log_heads WHERE log = $1"
        };
        on_db!(self, pool => {
            let row = sqlx::query(sql).bind(log).fetch_optional(pool).await?;
            Ok(match row {
                Some(row) => AuditHead {
                    size: row.try_get("size")?,
                    chain: row.try_get("chain")?,
                    frontier: row.try_get("frontier")?,
                },
                None => AuditHead {
                    size: 0,
                    chain: GENESIS_CHAIN.to_vec(),
                    frontier: vec![0u8; 8],
                },
            })
        })
    }

    /// Every log that has entries, a head or checkpoints, sorted: `legacy` (if it holds any),
    /// then the new logs.
    pub async fn audit_logs(&self) -> Result<Vec<String>, StoreError> {
        on_db!(self, pool => {
            let legacy: i64 = sqlx::query("SELECT size FROM audit_head WHERE id = 1")
                .fetch_optional(pool)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?
                .unwrap_or(0);
            // Every log that left a trace anywhere, not only in the heads: a head row deleted
            // or reset behind the application must not hide its log from verify or the
            // signer (its entries then lie beyond an empty head, which verify reports).
            let rows = sqlx::query(
                "SELECT log FROM audit_log_heads WHERE size > 0 \
                 UNION SELECT DISTINCT log FROM audit_log_entries \
                 UNION SELECT DISTINCT log FROM audit_log_checkpoints ORDER BY log",
            )
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len() + 1);
            if legacy > 0 {
                out.push(LEGACY_LOG.to_string());
            }
            for row in rows {
                out.push(row.try_get("log")?);
            }
            Ok(out)
        })
    }

    /// Up to `limit` rows of log `log` in `seq` order, starting at `from_seq`: the verifier's
    /// and the signer's feed. Reads no other log's rows.
    pub async fn audit_rows_from(
        &self,
        log: &str,
        from_seq: i64,
        limit: i64,
    ) -> Result<Vec<(Entry, Hash)>, StoreError> {
        let sql = if log == LEGACY_LOG {
            "SELECT * FROM audit_events WHERE seq >= $2 AND $1 = $1 ORDER BY seq LIMIT $3"
        } else {
            "SELECT * FROM audit_log_entries WHERE log = $1 AND seq >= $2 ORDER BY seq LIMIT $3"
        };
        on_db!(self, pool => {
            let rows = sqlx::query(sql)
                .bind(log)
                .bind(from_seq)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(entry_from_row!(row));
            }
            Ok(out)
        })
    }

    /// Entries matching `q`, oldest first: the practice's legacy entries, then its own log's.
    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<Entry>, StoreError> {
        Ok(self
            .audit_trail(q)
            .await?
            .into_iter()
            .map(|t| t.entry)
            .collect())
    }

    /// Entries matching `q` with their log and paging cursor, in cursor order: the legacy
    /// log's entries of the practice first, then the entries of the practice's log (every new
    /// log when `practice_id` is `None`).
    pub async fn audit_trail(&self, q: &AuditQuery) -> Result<Vec<TrailEntry>, StoreError> {
        // Two statements rather than one UNION: each is "ORDER BY seq LIMIT" on its own
        // index, where a sort over a union would read the practice's whole log per page.
        // Each filter is "($n IS NULL OR col = $n)": one statement text, cached by both
        // engines, whatever combination of filters is used.
        const FILTERS: &str = "($1 IS NULL OR practice_id = $1) AND ($2 IS NULL OR actor_id = $2) AND \
             ($3 IS NULL OR patient_id = $3) AND ($4 IS NULL OR action = $4) AND \
             ($5 IS NULL OR outcome = $5) AND ($6 IS NULL OR time_ms >= $6) AND \
             ($7 IS NULL OR time_ms < $7) AND ($8 IS NULL OR seq > $8)";
        // Likewise the legacy table pages along `audit_events_practice_seq` (added by 0004).
        let legacy_sql = if q.practice_id.is_some() {
            format!(
                "SELECT * FROM audit_events WHERE practice_id = $1 AND {FILTERS} \
                 ORDER BY seq LIMIT $9"
            )
        } else {
            format!("SELECT * FROM audit_events WHERE {FILTERS} ORDER BY seq LIMIT $9")
        };
        // With a practice, `log = $10` is a plain equality so both engines page along the
        // (log, seq) primary key; without one (tests, tools) every new log is read.
        let new_sql = if q.practice_id.is_some() {
            format!(
                "SELECT * FROM audit_log_entries WHERE log = $10 AND {FILTERS} \
                 ORDER BY seq LIMIT $9"
            )
        } else {
            format!(
                "SELECT * FROM audit_log_entries WHERE ($10 IS NULL OR log = $10) AND {FILTERS} \
                 ORDER BY seq, log LIMIT $9"
            )
        };
        let log = q.practice_id.as_ref().map(|p| format!("practice:{p}"));
        let mut out = Vec::new();
        // A negative cursor lies in the legacy range (see `legacy_cursor`).
        if q.after_seq.is_none_or(|a| a < 0) {
            let after = q.after_seq.map(|a| a.saturating_add(LEGACY_CURSOR_OFFSET));
            on_db!(self, pool => {
                let rows = sqlx::query(AssertSqlSafe(legacy_sql))
                    .bind(&q.practice_id)
                    .bind(&q.actor_id)
                    .bind(&q.patient_id)
                    .bind(&q.action)
                    .bind(&q.outcome)
                    .bind(q.from_ms)
                    .bind(q.to_ms)
                    .bind(after)
                    .bind(q.limit)
                    .fetch_all(pool)
                    .await?;
                for row in rows {
                    let entry = entry_from_row!(row).0;
                    out.push(TrailEntry {
                        log: LEGACY_LOG.to_string(),
                        cursor: legacy_cursor(entry.seq),
                        entry,
                    });
                }
            });
        }
        let remaining = q.limit - i64::try_from(out.len()).unwrap_or(i64::MAX);
        if remaining <= 0 {
            return Ok(out);
        }
        let after = q.after_seq.filter(|a| *a >= 0);
        on_db!(self, pool => {
            let rows = sqlx::query(AssertSqlSafe(new_sql))
                .bind(&q.practice_id)
                .bind(&q.actor_id)
                .bind(&q.patient_id)
                .bind(&q.action)
                .bind(&q.outcome)
                .bind(q.from_ms)
                .bind(q.to_ms)
                .bind(after)
                .bind(remaining)
                .bind(&log)
                .fetch_all(pool)
                .await?;
            for row in rows {
                let log: String = row.try_get("log")?;
                let entry = entry_from_row!(row).0;
                let cursor = i64::try_from(entry.seq).unwrap_or(i64::MAX);
                out.push(TrailEntry { log, cursor, entry });
            }
        });
        Ok(out)
    }

    /// The stored checkpoints of log `log`, smallest first.
    pub async fn checkpoints(&self, log: &str) -> Result<Vec<CheckpointRow>, StoreError> {
        let sql = if log == LEGACY_LOG {
            "SELECT size, key_id, origin, root, time_ms, signature FROM audit_checkpoints \
             WHERE $1 = $1 ORDER BY size, key_id"
        } else {
            "SELECT size, key_id, origin, root, time_ms, signature FROM audit_log_checkpoints \
             WHERE log = $1 ORDER BY size, key_id"
        };
        on_db!(self, pool => {
            let rows = sqlx::query(sql).bind(log).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(CheckpointRow {
                    size: row.try_get("size")?,
                    key_id: row.try_get("key_id")?,
                    origin: row.try_get("origin")?,
                    root: row.try_get("root")?,
                    time_ms: row.try_get("time_ms")?,
                    signature: row.try_get("signature")?,
                });
            }
            Ok(out)
        })
    }
}
