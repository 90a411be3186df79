//! Rows of the audit log. Hashing, sequencing and signing live in the app and audit crates;
//! this module only moves rows, and the database itself refuses UPDATE and DELETE on them.

use enamel_audit::{Entry, Hash};
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
    /// Only entries with `seq` greater than this (paging).
    pub after_seq: Option<i64>,
    pub limit: i64,
}

const COLUMNS: &str = "seq, time_ms, practice_id, actor_id, actor_role, patient_id, record_type, \
     record_id, action, outcome, client_ip, user_agent, app_version, access_method, reason, chain";
const WIDTH: usize = 16;
/// Rows per multi-row INSERT: small, because sqlx-sqlite's cost per statement grows faster
/// than linearly with its bind parameters (see `patients.rs`); the group commit's one
/// transaction is what amortises the fsync.
const APPEND_CHUNK: usize = 16;

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
    /// Locks the log's head for this transaction and returns it. Written as an UPDATE so that
    /// both engines take the write lock at once (a row lock on PostgreSQL, the database write
    /// lock on SQLite); every appender, in any process, queues here.
    pub async fn lock_audit_head(&mut self) -> Result<AuditHead, StoreError> {
        on_tx!(self, c => {
            let row = sqlx::query(
                "UPDATE audit_head SET size = size WHERE id = 1 RETURNING size, chain, frontier",
            )
            .fetch_one(c)
            .await?;
            Ok(AuditHead {
                size: row.try_get("size")?,
                chain: row.try_get("chain")?,
                frontier: row.try_get("frontier")?,
            })
        })
    }

    pub async fn set_audit_head(&mut self, head: &AuditHead) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query("UPDATE audit_head SET size = $1, chain = $2, frontier = $3 WHERE id = 1")
                .bind(head.size)
                .bind(&head.chain)
                .bind(&head.frontier)
                .execute(c)
                .await?;
        });
        Ok(())
    }

    /// Inserts sequenced, chained entries (the caller holds the head lock).
    pub async fn insert_audit_entries(&mut self, rows: &[(Entry, Hash)]) -> Result<(), StoreError> {
        for chunk in rows.chunks(APPEND_CHUNK) {
            let sql = multi_row_insert("audit_events", COLUMNS, WIDTH, chunk.len());
            on_tx!(self, c => {
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for (e, chain) in chunk {
                    let seq = i64::try_from(e.seq).map_err(|_| StoreError::Corrupt("audit seq overflow"))?;
                    q = q
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
                q.execute(c).await?;
            });
        }
        Ok(())
    }

    pub async fn insert_checkpoint(&mut self, cp: &CheckpointRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO audit_checkpoints (size, key_id, origin, root, time_ms, signature) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (size, key_id) DO NOTHING",
            )
            .bind(cp.size)
            .bind(&cp.key_id)
            .bind(&cp.origin)
            .bind(&cp.root)
            .bind(cp.time_ms)
            .bind(&cp.signature)
            .execute(c)
            .await?;
        });
        Ok(())
    }
}

impl Db {
    pub async fn audit_head(&self) -> Result<AuditHead, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT size, chain, frontier FROM audit_head WHERE id = 1")
                .fetch_one(pool)
                .await?;
            Ok(AuditHead {
                size: row.try_get("size")?,
                chain: row.try_get("chain")?,
                frontier: row.try_get("frontier")?,
            })
        })
    }

    /// Up to `limit` rows in storage order of `seq`, starting at `from_seq`: the verifier's feed.
    pub async fn audit_rows_from(
        &self,
        from_seq: i64,
        limit: i64,
    ) -> Result<Vec<(Entry, Hash)>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM audit_events WHERE seq >= $1 ORDER BY seq LIMIT $2",
            )
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

    /// Entries matching `q`, oldest first.
    pub async fn audit_entries(&self, q: &AuditQuery) -> Result<Vec<Entry>, StoreError> {
        // Each filter is "($n IS NULL OR col = $n)": one statement text, cached by both
        // engines, whatever combination of filters is used.
        let sql = "SELECT * FROM audit_events WHERE \
                   ($1 IS NULL OR practice_id = $1) AND ($2 IS NULL OR actor_id = $2) AND \
                   ($3 IS NULL OR patient_id = $3) AND ($4 IS NULL OR action = $4) AND \
                   ($5 IS NULL OR outcome = $5) AND ($6 IS NULL OR time_ms >= $6) AND \
                   ($7 IS NULL OR time_ms < $7) AND ($8 IS NULL OR seq > $8) \
                   ORDER BY seq LIMIT $9";
        on_db!(self, pool => {
            let rows = sqlx::query(sql)
                .bind(&q.practice_id)
                .bind(&q.actor_id)
                .bind(&q.patient_id)
                .bind(&q.action)
                .bind(&q.outcome)
                .bind(q.from_ms)
                .bind(q.to_ms)
                .bind(q.after_seq)
                .bind(q.limit)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(entry_from_row!(row).0);
            }
            Ok(out)
        })
    }

    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT size, key_id, origin, root, time_ms, signature FROM audit_checkpoints ORDER BY size",
            )
            .fetch_all(pool)
            .await?;
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
