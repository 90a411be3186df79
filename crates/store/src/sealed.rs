//! Reading and re-writing the sealed columns of the declared tables (`specs::ALL`), for key
//! rotation: counts per key version, keyset pages of rows below a version, re-sealed writes.

use sqlx::{AssertSqlSafe, Row};

use crate::specs::{ALL, RecordSpec};
use crate::{Db, StoreError, Tx, on_db, on_tx};

/// The sealed columns of one row, in the order of [`RecordSpec::sealed`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedRow {
    pub id: String,
    pub key_version: i64,
    pub values: Vec<Option<Vec<u8>>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyVersionCount {
    pub table: &'static str,
    pub key_version: i64,
    pub rows: i64,
}

impl Db {
    /// How many rows of one practice use each key version, per sealed table.
    pub async fn key_version_counts(
        &self,
        practice_id: &str,
    ) -> Result<Vec<KeyVersionCount>, StoreError> {
        let mut out = Vec::new();
        for t in ALL {
            let sql = format!(
                "SELECT key_version, COUNT(*) AS n FROM {} WHERE practice_id = $1 \
                 GROUP BY key_version ORDER BY key_version",
                t.table
            );
            on_db!(self, pool => {
                let rows = sqlx::query(AssertSqlSafe(sql)).bind(practice_id).fetch_all(pool).await?;
                for row in rows {
                    out.push(KeyVersionCount {
                        table: t.table,
                        key_version: row.try_get("key_version")?,
                        rows: row.try_get("n")?,
                    });
                }
            });
        }
        Ok(out)
    }

    /// Up to `limit` rows sealed under a version older than `below`, after `after_id` in id
    /// order (keyset paging, so a row that cannot be re-sealed is not fetched forever).
    pub async fn sealed_rows_below(
        &self,
        table: &RecordSpec,
        practice_id: &str,
        below: i64,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let sql = format!(
            "SELECT id, key_version, {} FROM {} WHERE practice_id = $1 AND key_version < $2 \
             AND id > $3 ORDER BY id LIMIT $4",
            table.sealed.join(", "),
            table.table
        );
        on_db!(self, pool => {
            let rows = sqlx::query(AssertSqlSafe(sql))
                .bind(practice_id)
                .bind(below)
                .bind(after_id)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let mut values = Vec::with_capacity(table.sealed.len());
                for c in table.sealed {
                    values.push(row.try_get::<Option<Vec<u8>>, _>(*c)?);
                }
                out.push(SealedRow {
                    id: row.try_get("id")?,
                    key_version: row.try_get("key_version")?,
                    values,
                });
            }
            Ok(out)
        })
    }
}

/// Rows per re-seal statement: with `3 + 2 × width` parameters per row (7 sealed columns at
/// most today) a chunk stays far below both engines' limits.
const RESEAL_CHUNK: usize = 500;

impl Tx {
    /// How many rows of one practice, over every sealed table, use a key version below
    /// `below`, counted inside this transaction (for retiring versions: on SQLite the write
    /// lock is held, so no writer can add one between the count and the commit).
    pub async fn rows_below_key_version(
        &mut self,
        practice_id: &str,
        below: i64,
    ) -> Result<i64, StoreError> {
        let mut total = 0;
        for t in ALL {
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {} WHERE practice_id = $1 AND key_version < $2",
                t.table
            );
            total += on_tx!(self, c => {
                let row = sqlx::query(AssertSqlSafe(sql))
                    .bind(practice_id)
                    .bind(below)
                    .fetch_one(c)
                    .await?;
                row.try_get::<i64, _>("n")?
            });
        }
        Ok(total)
    }

    /// Writes re-sealed rows, each only if it is still exactly as it was read: the same key
    /// version and the same bytes in every sealed column (`read`, paired with its re-sealed
    /// `new`). Returns how many were written. A row skipped was changed by a concurrent write
    /// (an edit, a second-factor reset, another server sealing with a stale key cache); its
    /// new value must survive, so the sweep reads it again on its next pass instead of writing
    /// back the old plaintext. Comparing the sealed bytes works for every declared table,
    /// with or without a `row_version`. One statement per chunk: a round trip per row would
    /// make rotation of a large practice crawl on a busy server.
    pub async fn reseal_rows(
        &mut self,
        table: &RecordSpec,
        practice_id: &str,
        rows: &[(SealedRow, SealedRow)],
    ) -> Result<u64, StoreError> {
        let width = table.sealed.len();
        if rows.iter().any(|(new, read)| {
            new.values.len() != width || read.values.len() != width || new.id != read.id
        }) {
            return Err(StoreError::Corrupt("sealed row width"));
        }
        let mut written = 0;
        for chunk in rows.chunks(RESEAL_CHUNK) {
            let per_row = 3 + 2 * width;
            let mut values = Vec::with_capacity(chunk.len());
            for r in 0..chunk.len() {
                let first = 2 + r * per_row;
                let params: Vec<String> = (0..per_row).map(|i| format!("${}", first + i)).collect();
                values.push(format!("({})", params.join(", ")));
            }
            let value_columns: Vec<String> = (0..width)
                .map(|i| format!("c{i}"))
                .chain((0..width).map(|i| format!("o{i}")))
                .collect();
            let assignments: Vec<String> = table
                .sealed
                .iter()
                .enumerate()
                .map(|(i, c)| format!("{c} = v.c{i}"))
                .collect();
            // Unchanged since the read: NULL stays NULL, bytes stay the same bytes.
            let unchanged: Vec<String> = table
                .sealed
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    format!(
                        "({t}.{c} = v.o{i} OR ({t}.{c} IS NULL AND v.o{i} IS NULL))",
                        t = table.table
                    )
                })
                .collect();
            // A CTE with named columns and UPDATE … FROM: the same text runs on both engines.
            let sql = format!(
                "WITH v (id, old_version, new_version, {}) AS (VALUES {}) \
                 UPDATE {t} SET key_version = v.new_version, {} FROM v \
                 WHERE {t}.practice_id = $1 AND {t}.id = v.id AND {t}.key_version = v.old_version \
                 AND {}",
                value_columns.join(", "),
                values.join(", "),
                assignments.join(", "),
                unchanged.join(" AND "),
                t = table.table,
            );
            written += on_tx!(self, c => {
                let mut q = sqlx::query(AssertSqlSafe(sql)).bind(practice_id);
                for (new, read) in chunk {
                    q = q.bind(&new.id).bind(read.key_version).bind(new.key_version);
                    for v in &new.values {
                        q = q.bind(v);
                    }
                    for v in &read.values {
                        q = q.bind(v);
                    }
                }
                q.execute(c).await?.rows_affected()
            });
        }
        Ok(written)
    }
}
