//! Treatment plans as stored: the sealed document (title, note, phases, lines; frozen once
//! presented), the plain hash of the frozen lines, and the sealed acceptance with its plain
//! record-signature. Every query filters by practice; writes happen only inside a transaction.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub key_version: i64,
    /// `draft`, `presented`, `accepted`, `declined` or `superseded`.
    pub status: String,
    pub details: Vec<u8>,
    pub lines_hash: Option<Vec<u8>>,
    pub presented_ms: Option<i64>,
    pub presented_by: Option<String>,
    pub acceptance: Option<Vec<u8>>,
    pub acceptance_signature: Option<Vec<u8>>,
    pub signing_key_version: Option<i64>,
    pub decided_ms: Option<i64>,
    pub decided_by: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
    pub row_version: i64,
}

macro_rules! plan_from_row {
    ($row:expr) => {
        PlanRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            status: $row.try_get("status")?,
            details: $row.try_get("details")?,
            lines_hash: $row.try_get("lines_hash")?,
            presented_ms: $row.try_get("presented_ms")?,
            presented_by: $row.try_get("presented_by")?,
            acceptance: $row.try_get("acceptance")?,
            acceptance_signature: $row.try_get("acceptance_signature")?,
            signing_key_version: $row.try_get("signing_key_version")?,
            decided_ms: $row.try_get("decided_ms")?,
            decided_by: $row.try_get("decided_by")?,
            created_ms: $row.try_get("created_ms")?,
            created_by: $row.try_get("created_by")?,
            updated_ms: $row.try_get("updated_ms")?,
            updated_by: $row.try_get("updated_by")?,
            row_version: $row.try_get("row_version")?,
        }
    };
}

impl Tx {
    pub async fn insert_plan(&mut self, p: &PlanRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO treatment_plans (practice_id, id, patient_id, key_version, status, details, \
                 lines_hash, presented_ms, presented_by, acceptance, acceptance_signature, \
                 signing_key_version, decided_ms, decided_by, created_ms, created_by, updated_ms, \
                 updated_by, row_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)",
            )
            .bind(&p.practice_id).bind(&p.id).bind(&p.patient_id).bind(p.key_version)
            .bind(&p.status).bind(&p.details).bind(&p.lines_hash).bind(p.presented_ms)
            .bind(&p.presented_by).bind(&p.acceptance).bind(&p.acceptance_signature)
            .bind(p.signing_key_version).bind(p.decided_ms).bind(&p.decided_by)
            .bind(p.created_ms).bind(&p.created_by).bind(p.updated_ms).bind(&p.updated_by)
            .bind(p.row_version)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Replaces a plan's changeable columns if nobody changed it since `expected_version`. A
    /// presented plan accepts only its decision; the database refuses the rest (`Refused`).
    pub async fn update_plan(
        &mut self,
        p: &PlanRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE treatment_plans SET key_version = $3, status = $4, details = $5, lines_hash = $6, \
             presented_ms = $7, presented_by = $8, acceptance = $9, acceptance_signature = $10, \
             signing_key_version = $11, decided_ms = $12, decided_by = $13, updated_ms = $14, \
             updated_by = $15, row_version = $16 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $17",
        )
        .bind(&p.practice_id).bind(&p.id).bind(p.key_version).bind(&p.status).bind(&p.details)
        .bind(&p.lines_hash).bind(p.presented_ms).bind(&p.presented_by).bind(&p.acceptance)
        .bind(&p.acceptance_signature).bind(p.signing_key_version).bind(p.decided_ms)
        .bind(&p.decided_by).bind(p.updated_ms).bind(&p.updated_by).bind(p.row_version)
        .bind(expected_version)
        .execute(c).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }
}

impl Db {
    pub async fn plan(&self, practice_id: &str, id: &str) -> Result<PlanRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT * FROM treatment_plans WHERE practice_id = $1 AND id = $2")
                .bind(practice_id)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(plan_from_row!(row))
        })
    }

    /// A patient's plans in the order they were started.
    pub async fn plans_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<PlanRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM treatment_plans WHERE practice_id = $1 AND patient_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(plan_from_row!(row));
            }
            Ok(out)
        })
    }
}
