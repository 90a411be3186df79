use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A practice data key as stored: wrapped by a KEK, never in the clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKeyRow {
    pub practice_id: String,
    /// `field` (AES-256-GCM for sealed columns) or `index` (HMAC for blind indexes).
    pub purpose: String,
    pub version: i64,
    pub kek_id: String,
    pub wrapped: Vec<u8>,
    pub created_ms: i64,
}

impl Tx {
    pub async fn insert_wrapped_key(&mut self, k: &WrappedKeyRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO practice_keys (practice_id, purpose, version, kek_id, wrapped, created_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&k.practice_id)
            .bind(&k.purpose)
            .bind(k.version)
            .bind(&k.kek_id)
            .bind(&k.wrapped)
            .bind(k.created_ms)
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Replaces a key's wrapping (KEK rotation); the data key itself is unchanged.
    pub async fn rewrap_key(
        &mut self,
        practice_id: &str,
        purpose: &str,
        version: i64,
        kek_id: &str,
        wrapped: &[u8],
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE practice_keys SET kek_id = $4, wrapped = $5 \
             WHERE practice_id = $1 AND purpose = $2 AND version = $3",
        )
        .bind(practice_id)
        .bind(purpose)
        .bind(version)
        .bind(kek_id)
        .bind(wrapped)
        .execute(c)
        .await?
        .rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}

impl Db {
    /// Every wrapped key of one practice, oldest first.
    pub async fn wrapped_keys(&self, practice_id: &str) -> Result<Vec<WrappedKeyRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT practice_id, purpose, version, kek_id, wrapped, created_ms FROM practice_keys \
                 WHERE practice_id = $1 ORDER BY purpose, version",
            )
            .bind(practice_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(WrappedKeyRow {
                    practice_id: row.try_get("practice_id")?,
                    purpose: row.try_get("purpose")?,
                    version: row.try_get("version")?,
                    kek_id: row.try_get("kek_id")?,
                    wrapped: row.try_get("wrapped")?,
                    created_ms: row.try_get("created_ms")?,
                });
            }
            Ok(out)
        })
    }
}
