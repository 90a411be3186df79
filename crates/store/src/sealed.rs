//! The registry of sealed (encrypted) columns, which key rotation walks. A table with PHI is
//! added here in the same change that creates it, or rotation would leave it behind — the
//! app's rotation test counts rows per version across every table listed here.

use sqlx::{AssertSqlSafe, Row};

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A table whose rows carry a `key_version` and sealed columns.
#[derive(Debug, Clone, Copy)]
pub struct SealedTable {
    pub table: &'static str,
    pub columns: &'static [&'static str],
}

pub const SEALED_TABLES: &[SealedTable] = &[SealedTable {
    table: "patients",
    columns: &["family_name", "given_name", "birth_date"],
}];

/// The sealed columns of one row, in the order of [`SealedTable::columns`].
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
        for t in SEALED_TABLES {
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
        table: &SealedTable,
        practice_id: &str,
        below: i64,
        after_id: &str,
        limit: i64,
    ) -> Result<Vec<SealedRow>, StoreError> {
        let sql = format!(
            "SELECT id, key_version, {} FROM {} WHERE practice_id = $1 AND key_version < $2 \
             AND id > $3 ORDER BY id LIMIT $4",
            table.columns.join(", "),
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
                let mut values = Vec::with_capacity(table.columns.len());
                for c in table.columns {
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

impl Tx {
    /// Writes re-sealed values if the row is still at the version it was read at; returns false
    /// when a concurrent write got there first (its own write already used a current key).
    pub async fn reseal_row(
        &mut self,
        table: &SealedTable,
        practice_id: &str,
        row: &SealedRow,
        read_at_version: i64,
    ) -> Result<bool, StoreError> {
        if row.values.len() != table.columns.len() {
            return Err(StoreError::Corrupt("sealed row width"));
        }
        let assignments: Vec<String> = table
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = ${}", i + 5))
            .collect();
        let sql = format!(
            "UPDATE {} SET key_version = $3, {} WHERE practice_id = $1 AND id = $2 AND key_version = $4",
            table.table,
            assignments.join(", ")
        );
        let n = on_tx!(self, c => {
            let mut q = sqlx::query(AssertSqlSafe(sql))
                .bind(practice_id)
                .bind(&row.id)
                .bind(row.key_version)
                .bind(read_at_version);
            for v in &row.values {
                q = q.bind(v);
            }
            q.execute(c).await?.rows_affected()
        });
        Ok(n == 1)
    }
}
