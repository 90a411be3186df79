//! Periodontal exams as stored: one row per exam with its measurements sealed. Every query
//! filters by practice; writes happen only inside a transaction.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A perio exam. `details` is sealed (date, provider, note, every measurement); the status is
/// plain so the database can refuse changes to a closed exam.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerioExamRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub key_version: i64,
    /// `draft` or `closed`.
    pub status: String,
    pub details: Vec<u8>,
    pub closed_ms: Option<i64>,
    pub closed_by: Option<String>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
    pub row_version: i64,
}

macro_rules! exam_from_row {
    ($row:expr) => {
        PerioExamRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            status: $row.try_get("status")?,
            details: $row.try_get("details")?,
            closed_ms: $row.try_get("closed_ms")?,
            closed_by: $row.try_get("closed_by")?,
            created_ms: $row.try_get("created_ms")?,
            created_by: $row.try_get("created_by")?,
            updated_ms: $row.try_get("updated_ms")?,
            updated_by: $row.try_get("updated_by")?,
            row_version: $row.try_get("row_version")?,
        }
    };
}

impl Tx {
    pub async fn insert_perio_exam(&mut self, e: &PerioExamRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO perio_exams (practice_id, id, patient_id, key_version, status, details, \
                 closed_ms, closed_by, created_ms, created_by, updated_ms, updated_by, row_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&e.practice_id).bind(&e.id).bind(&e.patient_id).bind(e.key_version)
            .bind(&e.status).bind(&e.details).bind(e.closed_ms).bind(&e.closed_by)
            .bind(e.created_ms).bind(&e.created_by).bind(e.updated_ms).bind(&e.updated_by)
            .bind(e.row_version)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Replaces an exam's changeable columns if nobody changed it since `expected_version`.
    /// A closed exam is refused by the database (`Refused`).
    pub async fn update_perio_exam(
        &mut self,
        e: &PerioExamRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE perio_exams SET key_version = $3, status = $4, details = $5, closed_ms = $6, \
             closed_by = $7, updated_ms = $8, updated_by = $9, row_version = $10 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $11",
        )
        .bind(&e.practice_id).bind(&e.id).bind(e.key_version).bind(&e.status).bind(&e.details)
        .bind(e.closed_ms).bind(&e.closed_by).bind(e.updated_ms).bind(&e.updated_by)
        .bind(e.row_version).bind(expected_version)
        .execute(c).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }
}

impl Db {
    /// One exam of one practice; another practice's id is simply not found.
    pub async fn perio_exam(
        &self,
        practice_id: &str,
        id: &str,
    ) -> Result<PerioExamRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT * FROM perio_exams WHERE practice_id = $1 AND id = $2")
                .bind(practice_id)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(exam_from_row!(row))
        })
    }

    /// A patient's exams in the order they were started.
    pub async fn perio_exams_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<PerioExamRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM perio_exams WHERE practice_id = $1 AND patient_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(exam_from_row!(row));
            }
            Ok(out)
        })
    }
}
