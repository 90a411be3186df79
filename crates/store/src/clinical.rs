//! The clinical chart as stored: the practice's procedure codes (its price list, plain), and
//! each patient's procedures with their sealed details, earlier versions and addenda. Every
//! query filters by practice; writes happen only inside a transaction.

use sqlx::Row;

use crate::patients::multi_row_insert;
use crate::{Db, StoreError, Tx, on_db, on_tx};

/// One code of the practice's list. Not PHI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureCodeRow {
    pub code: String,
    pub description: String,
    pub area_type: String,
    pub default_fee: i64,
    pub updated_ms: i64,
}

/// A charted procedure or condition. `details` is sealed (code, site, dates, provider, fee,
/// diagnoses, note); the status and lock instants are plain so triggers can guard them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub key_version: i64,
    pub status: String,
    pub details: Vec<u8>,
    pub completed_ms: Option<i64>,
    pub locks_at_ms: Option<i64>,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
    pub row_version: i64,
}

/// One preserved earlier state of a procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureVersionRow {
    pub practice_id: String,
    /// `<procedure id>:<row version>`.
    pub id: String,
    pub procedure_id: String,
    pub patient_id: String,
    pub row_version: i64,
    pub key_version: i64,
    /// `update`, `complete` or `invalidate`: the change that replaced this state.
    pub change: String,
    pub changed_by: String,
    pub changed_ms: i64,
    pub snapshot: Vec<u8>,
}

/// An addendum to a procedure, or the reason it was marked entered in error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureAddendumRow {
    pub practice_id: String,
    pub id: String,
    pub procedure_id: String,
    pub patient_id: String,
    pub key_version: i64,
    /// `addendum` or `invalidation`.
    pub kind: String,
    pub body: Vec<u8>,
    pub created_ms: i64,
    pub created_by: String,
}

/// How a practice shows the chart: its tooth numbering and the hours completed work stays
/// correctable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartSettingsRow {
    pub tooth_numbering: String,
    pub chart_lock_hours: i64,
}

macro_rules! procedure_from_row {
    ($row:expr) => {
        ProcedureRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            status: $row.try_get("status")?,
            details: $row.try_get("details")?,
            completed_ms: $row.try_get("completed_ms")?,
            locks_at_ms: $row.try_get("locks_at_ms")?,
            created_ms: $row.try_get("created_ms")?,
            created_by: $row.try_get("created_by")?,
            updated_ms: $row.try_get("updated_ms")?,
            updated_by: $row.try_get("updated_by")?,
            row_version: $row.try_get("row_version")?,
        }
    };
}

macro_rules! addendum_from_row {
    ($row:expr) => {
        ProcedureAddendumRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            procedure_id: $row.try_get("procedure_id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            kind: $row.try_get("kind")?,
            body: $row.try_get("body")?,
            created_ms: $row.try_get("created_ms")?,
            created_by: $row.try_get("created_by")?,
        }
    };
}

const CODE_COLUMNS: &str = "practice_id, code, description, area_type, default_fee, updated_ms";
const CODE_WIDTH: usize = 6;
/// Codes per multi-row statement (a practice's list runs to a few hundred).
const CODE_CHUNK: usize = 100;

impl Tx {
    /// Adds the codes, replacing the description, area type and fee of codes the practice
    /// already has (an import of next year's list). Charted procedures keep their own copy.
    pub async fn upsert_procedure_codes(
        &mut self,
        practice_id: &str,
        rows: &[ProcedureCodeRow],
    ) -> Result<(), StoreError> {
        for chunk in rows.chunks(CODE_CHUNK) {
            let mut sql = multi_row_insert(
                "procedure_codes",
                CODE_COLUMNS,
                CODE_WIDTH,
                chunk.len(),
                self.placeholders(),
            );
            sql.push_str(
                " ON CONFLICT (practice_id, code) DO UPDATE SET description = excluded.description, \
                 area_type = excluded.area_type, default_fee = excluded.default_fee, \
                 updated_ms = excluded.updated_ms",
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for r in chunk {
                    q = q
                        .bind(practice_id)
                        .bind(&r.code)
                        .bind(&r.description)
                        .bind(&r.area_type)
                        .bind(r.default_fee)
                        .bind(r.updated_ms);
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }

    pub async fn insert_procedure(&mut self, p: &ProcedureRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO procedures (practice_id, id, patient_id, key_version, status, details, \
                 completed_ms, locks_at_ms, created_ms, created_by, updated_ms, updated_by, row_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .bind(&p.practice_id).bind(&p.id).bind(&p.patient_id).bind(p.key_version)
            .bind(&p.status).bind(&p.details).bind(p.completed_ms).bind(p.locks_at_ms)
            .bind(p.created_ms).bind(&p.created_by).bind(p.updated_ms).bind(&p.updated_by)
            .bind(p.row_version)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Replaces a procedure's changeable columns if nobody changed it since
    /// `expected_version`. A locked procedure is refused by the database (`Refused`).
    pub async fn update_procedure(
        &mut self,
        p: &ProcedureRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE procedures SET key_version = $3, status = $4, details = $5, completed_ms = $6, \
             locks_at_ms = $7, updated_ms = $8, updated_by = $9, row_version = $10 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $11",
        )
        .bind(&p.practice_id).bind(&p.id).bind(p.key_version).bind(&p.status).bind(&p.details)
        .bind(p.completed_ms).bind(p.locks_at_ms).bind(p.updated_ms).bind(&p.updated_by)
        .bind(p.row_version).bind(expected_version)
        .execute(c).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    pub async fn insert_procedure_version(
        &mut self,
        v: &ProcedureVersionRow,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO procedure_versions (practice_id, id, procedure_id, patient_id, row_version, \
                 key_version, change, changed_by, changed_ms, snapshot) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&v.practice_id).bind(&v.id).bind(&v.procedure_id).bind(&v.patient_id)
            .bind(v.row_version).bind(v.key_version).bind(&v.change).bind(&v.changed_by)
            .bind(v.changed_ms).bind(&v.snapshot)
            .execute(c).await?;
        });
        Ok(())
    }

    pub async fn insert_procedure_addendum(
        &mut self,
        a: &ProcedureAddendumRow,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO procedure_addenda (practice_id, id, procedure_id, patient_id, key_version, \
                 kind, body, created_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&a.practice_id).bind(&a.id).bind(&a.procedure_id).bind(&a.patient_id)
            .bind(a.key_version).bind(&a.kind).bind(&a.body).bind(a.created_ms)
            .bind(&a.created_by)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Sets the practice's chart settings; returns the ones they replace.
    pub async fn set_chart_settings(
        &mut self,
        practice_id: &str,
        settings: &ChartSettingsRow,
    ) -> Result<ChartSettingsRow, StoreError> {
        let before = on_tx!(self, c => {
            let row = sqlx::query(
                "SELECT tooth_numbering, chart_lock_hours FROM practices WHERE id = $1",
            )
            .bind(practice_id)
            .fetch_optional(&mut *c)
            .await?
            .ok_or(StoreError::NotFound)?;
            let before = ChartSettingsRow {
                tooth_numbering: row.try_get("tooth_numbering")?,
                chart_lock_hours: row.try_get("chart_lock_hours")?,
            };
            sqlx::query(
                "UPDATE practices SET tooth_numbering = $2, chart_lock_hours = $3 WHERE id = $1",
            )
            .bind(practice_id)
            .bind(&settings.tooth_numbering)
            .bind(settings.chart_lock_hours)
            .execute(&mut *c)
            .await?;
            before
        });
        Ok(before)
    }
}

impl Db {
    /// The practice's codes, in code order.
    pub async fn procedure_codes(
        &self,
        practice_id: &str,
    ) -> Result<Vec<ProcedureCodeRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT code, description, area_type, default_fee, updated_ms FROM procedure_codes \
                 WHERE practice_id = $1 ORDER BY code",
            )
            .bind(practice_id)
            .fetch_all(pool)
            .await?;
            rows.iter().map(code_from_row).collect()
        })
    }

    pub async fn procedure_code(
        &self,
        practice_id: &str,
        code: &str,
    ) -> Result<Option<ProcedureCodeRow>, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT code, description, area_type, default_fee, updated_ms FROM procedure_codes \
                 WHERE practice_id = $1 AND code = $2",
            )
            .bind(practice_id)
            .bind(code)
            .fetch_optional(pool)
            .await?;
            row.as_ref().map(code_from_row).transpose()
        })
    }

    /// One procedure of one practice; another practice's id is simply not found.
    pub async fn procedure(&self, practice_id: &str, id: &str) -> Result<ProcedureRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT * FROM procedures WHERE practice_id = $1 AND id = $2")
                .bind(practice_id)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(procedure_from_row!(row))
        })
    }

    /// Every procedure charted on a patient, in the order they were charted.
    pub async fn procedures_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<ProcedureRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM procedures WHERE practice_id = $1 AND patient_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(procedure_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The earlier states of a patient's procedures, by procedure and version.
    pub async fn procedure_versions_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<ProcedureVersionRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM procedure_versions WHERE practice_id = $1 AND patient_id = $2 \
                 ORDER BY procedure_id, row_version",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(ProcedureVersionRow {
                    practice_id: row.try_get("practice_id")?,
                    id: row.try_get("id")?,
                    procedure_id: row.try_get("procedure_id")?,
                    patient_id: row.try_get("patient_id")?,
                    row_version: row.try_get("row_version")?,
                    key_version: row.try_get("key_version")?,
                    change: row.try_get("change")?,
                    changed_by: row.try_get("changed_by")?,
                    changed_ms: row.try_get("changed_ms")?,
                    snapshot: row.try_get("snapshot")?,
                });
            }
            Ok(out)
        })
    }

    /// The addenda of one procedure, oldest first.
    pub async fn procedure_addenda(
        &self,
        practice_id: &str,
        procedure_id: &str,
    ) -> Result<Vec<ProcedureAddendumRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM procedure_addenda WHERE practice_id = $1 AND procedure_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(procedure_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(addendum_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The addenda of all of a patient's procedures, oldest first.
    pub async fn procedure_addenda_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<ProcedureAddendumRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM procedure_addenda WHERE practice_id = $1 AND patient_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(addendum_from_row!(row));
            }
            Ok(out)
        })
    }

    /// Whether anything is charted on the patient (such a record was not created in error).
    pub async fn patient_has_chart(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<bool, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT 1 AS one FROM procedures WHERE practice_id = $1 AND patient_id = $2 \
                 UNION ALL SELECT 1 AS one FROM perio_exams WHERE practice_id = $1 AND patient_id = $2 \
                 UNION ALL SELECT 1 AS one FROM clinical_notes WHERE practice_id = $1 AND patient_id = $2 \
                 UNION ALL SELECT 1 AS one FROM treatment_plans WHERE practice_id = $1 AND patient_id = $2 \
                 UNION ALL SELECT 1 AS one FROM tooth_states WHERE practice_id = $1 AND patient_id = $2 \
                 UNION ALL SELECT 1 AS one FROM appointments WHERE practice_id = $1 AND patient_id = $2 \
                 LIMIT 1",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_optional(pool)
            .await?;
            Ok(row.is_some())
        })
    }

    pub async fn chart_settings(&self, practice_id: &str) -> Result<ChartSettingsRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT tooth_numbering, chart_lock_hours FROM practices WHERE id = $1",
            )
            .bind(practice_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            Ok(ChartSettingsRow {
                tooth_numbering: row.try_get("tooth_numbering")?,
                chart_lock_hours: row.try_get("chart_lock_hours")?,
            })
        })
    }
}

fn code_from_row<R: Row>(row: &R) -> Result<ProcedureCodeRow, StoreError>
where
    for<'c> &'c str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(ProcedureCodeRow {
        code: row.try_get("code")?,
        description: row.try_get("description")?,
        area_type: row.try_get("area_type")?,
        default_fee: row.try_get("default_fee")?,
        updated_ms: row.try_get("updated_ms")?,
    })
}
