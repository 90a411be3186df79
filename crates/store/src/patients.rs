use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A patient as stored: every PHI column is a sealed blob, searchable ones also carry a
/// blind-index token. The store never sees plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    pub practice_id: String,
    pub id: String,
    pub key_version: i64,
    pub family_name: Vec<u8>,
    pub given_name: Vec<u8>,
    pub birth_date: Vec<u8>,
    pub family_name_bidx: Vec<u8>,
    pub birth_date_bidx: Vec<u8>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub row_version: i64,
}

const INSERT_COLUMNS: &str = "practice_id, id, key_version, family_name, given_name, birth_date, \
     family_name_bidx, birth_date_bidx, created_ms, updated_ms, row_version";
const INSERT_WIDTH: usize = 11;

macro_rules! patient_from_row {
    ($row:expr) => {
        PatientRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            key_version: $row.try_get("key_version")?,
            family_name: $row.try_get("family_name")?,
            given_name: $row.try_get("given_name")?,
            birth_date: $row.try_get("birth_date")?,
            family_name_bidx: $row.try_get("family_name_bidx")?,
            birth_date_bidx: $row.try_get("birth_date_bidx")?,
            created_ms: $row.try_get("created_ms")?,
            updated_ms: $row.try_get("updated_ms")?,
            row_version: $row.try_get("row_version")?,
        }
    };
}

macro_rules! bind_patient {
    ($query:expr, $p:expr) => {
        $query
            .bind(&$p.practice_id)
            .bind(&$p.id)
            .bind($p.key_version)
            .bind(&$p.family_name)
            .bind(&$p.given_name)
            .bind(&$p.birth_date)
            .bind(&$p.family_name_bidx)
            .bind(&$p.birth_date_bidx)
            .bind($p.created_ms)
            .bind($p.updated_ms)
            .bind($p.row_version)
    };
}

/// Rows per multi-row INSERT: well under both engines' bind-parameter limits.
const BULK_CHUNK: usize = 500;

impl Tx {
    pub async fn insert_patient(&mut self, p: &PatientRow) -> Result<(), StoreError> {
        self.insert_patients(std::slice::from_ref(p)).await
    }

    /// Inserts many patients with multi-row statements (imports, demo data, benchmarks).
    pub async fn insert_patients(&mut self, rows: &[PatientRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(BULK_CHUNK) {
            let sql = multi_row_insert("patients", INSERT_COLUMNS, INSERT_WIDTH, chunk.len());
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for p in chunk {
                    q = bind_patient!(q, p);
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }

    /// Replaces the sealed columns of one patient if nobody changed it since `expected_version`.
    pub async fn update_patient(
        &mut self,
        p: &PatientRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE patients SET key_version = $3, family_name = $4, given_name = $5, birth_date = $6, \
             family_name_bidx = $7, birth_date_bidx = $8, updated_ms = $9, row_version = $10 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $11",
        )
        .bind(&p.practice_id)
        .bind(&p.id)
        .bind(p.key_version)
        .bind(&p.family_name)
        .bind(&p.given_name)
        .bind(&p.birth_date)
        .bind(&p.family_name_bidx)
        .bind(&p.birth_date_bidx)
        .bind(p.updated_ms)
        .bind(p.row_version)
        .bind(expected_version)
        .execute(c)
        .await?
        .rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }
}

impl Db {
    /// Whether a patient id exists in this practice (no sealed values are read).
    pub async fn patient_exists(&self, practice_id: &str, id: &str) -> Result<bool, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT 1 AS one FROM patients WHERE practice_id = $1 AND id = $2")
                .bind(practice_id).bind(id).fetch_optional(pool).await?;
            Ok(row.is_some())
        })
    }

    /// One patient of one practice; another practice's id is simply not found.
    pub async fn patient(&self, practice_id: &str, id: &str) -> Result<PatientRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT * FROM patients WHERE practice_id = $1 AND id = $2",
            )
            .bind(practice_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound)?;
            Ok(patient_from_row!(row))
        })
    }

    /// Patients of one practice whose family-name token matches, by id, at most `limit`.
    pub async fn patients_by_family_name(
        &self,
        practice_id: &str,
        token: &[u8],
        limit: i64,
    ) -> Result<Vec<PatientRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM patients WHERE practice_id = $1 AND family_name_bidx = $2 \
                 ORDER BY id LIMIT $3",
            )
            .bind(practice_id)
            .bind(token)
            .bind(limit)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(patient_from_row!(row));
            }
            Ok(out)
        })
    }

    pub async fn count_patients(&self, practice_id: &str) -> Result<i64, StoreError> {
        on_db!(self, pool => Ok(sqlx::query("SELECT COUNT(*) FROM patients WHERE practice_id = $1")
            .bind(practice_id)
            .fetch_one(pool)
            .await?
            .try_get(0)?))
    }
}

/// `INSERT INTO t (cols) VALUES ($1,…,$w), ($w+1,…)` for `rows` rows of `width` columns.
pub(crate) fn multi_row_insert(table: &str, columns: &str, width: usize, rows: usize) -> String {
    let mut sql = format!("INSERT INTO {table} ({columns}) VALUES ");
    for r in 0..rows {
        if r > 0 {
            sql.push_str(", ");
        }
        sql.push('(');
        for c in 0..width {
            if c > 0 {
                sql.push_str(", ");
            }
            sql.push('$');
            sql.push_str(&(r * width + c + 1).to_string());
        }
        sql.push(')');
    }
    sql
}
