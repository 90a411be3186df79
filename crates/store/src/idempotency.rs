//! Idempotency keys: a create claims its key in its own transaction; a retry finds the claim.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// One claimed key: who sent it, a MAC of what they sent, and the record it made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRow {
    pub practice_id: String,
    /// The caller's audit id: a user id, or `token:<id>` for an integration token.
    pub caller: String,
    pub key_hash: Vec<u8>,
    pub request_mac: Vec<u8>,
    /// What the request did, such as `patients.create`.
    pub operation: String,
    pub resource_id: String,
    pub created_ms: i64,
}

impl Db {
    /// The claim of `key_hash` by `caller`, if one was made at or after `since_ms`.
    pub async fn idempotency_key(
        &self,
        practice_id: &str,
        caller: &str,
        key_hash: &[u8],
        since_ms: i64,
    ) -> Result<Option<IdempotencyRow>, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT practice_id, caller, key_hash, request_mac, operation, resource_id, \
                 created_ms FROM idempotency_keys \
                 WHERE practice_id = $1 AND caller = $2 AND key_hash = $3 AND created_ms >= $4",
            )
            .bind(practice_id)
            .bind(caller)
            .bind(key_hash)
            .bind(since_ms)
            .fetch_optional(pool)
            .await?;
            match row {
                Some(row) => Ok(Some(IdempotencyRow {
                    practice_id: row.try_get("practice_id")?,
                    caller: row.try_get("caller")?,
                    key_hash: row.try_get("key_hash")?,
                    request_mac: row.try_get("request_mac")?,
                    operation: row.try_get("operation")?,
                    resource_id: row.try_get("resource_id")?,
                    created_ms: row.try_get("created_ms")?,
                })),
                None => Ok(None),
            }
        })
    }
}

impl Tx {
    /// Claims a key for the change in this transaction, after removing the practice's claims
    /// made before `expired_before_ms` (so an expired key can be used again). `false` when
    /// the key is claimed already: by a request that committed first, which on PostgreSQL
    /// this statement waits for.
    pub async fn claim_idempotency_key(
        &mut self,
        claim: &IdempotencyRow,
        expired_before_ms: i64,
    ) -> Result<bool, StoreError> {
        on_tx!(self, c => {
            sqlx::query("DELETE FROM idempotency_keys WHERE practice_id = $1 AND created_ms < $2")
                .bind(&claim.practice_id)
                .bind(expired_before_ms)
                .execute(&mut *c)
                .await?;
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (practice_id, caller, key_hash, request_mac, \
                 operation, resource_id, created_ms) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (practice_id, caller, key_hash) DO NOTHING",
            )
            .bind(&claim.practice_id)
            .bind(&claim.caller)
            .bind(&claim.key_hash)
            .bind(&claim.request_mac)
            .bind(&claim.operation)
            .bind(&claim.resource_id)
            .bind(claim.created_ms)
            .execute(&mut *c)
            .await?;
            Ok(inserted.rows_affected() == 1)
        })
    }
}
