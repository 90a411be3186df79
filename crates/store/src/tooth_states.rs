//! Tooth states as stored: one append-only line per change, the tooth and its new state
//! sealed together. Every query filters by practice; writes happen only inside a transaction.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// One recorded change of a tooth's state. `details` is sealed (the tooth and the state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToothStateRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub key_version: i64,
    pub details: Vec<u8>,
    pub created_ms: i64,
    pub created_by: String,
}

impl Tx {
    pub async fn insert_tooth_state(&mut self, s: &ToothStateRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO tooth_states (practice_id, id, patient_id, key_version, details, \
                 created_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&s.practice_id).bind(&s.id).bind(&s.patient_id).bind(s.key_version)
            .bind(&s.details).bind(s.created_ms).bind(&s.created_by)
            .execute(c).await?;
        });
        Ok(())
    }
}

impl Db {
    /// A patient's tooth-state changes in the order they were recorded (ids are time-ordered;
    /// the instant first, so a clock step back between two changes cannot reorder them).
    pub async fn tooth_states_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<ToothStateRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM tooth_states WHERE practice_id = $1 AND patient_id = $2 \
                 ORDER BY created_ms, id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(ToothStateRow {
                    practice_id: row.try_get("practice_id")?,
                    id: row.try_get("id")?,
                    patient_id: row.try_get("patient_id")?,
                    key_version: row.try_get("key_version")?,
                    details: row.try_get("details")?,
                    created_ms: row.try_get("created_ms")?,
                    created_by: row.try_get("created_by")?,
                });
            }
            Ok(out)
        })
    }
}
