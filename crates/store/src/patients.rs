use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A patient as stored: every PHI column is a sealed blob, searchable ones also carry
/// blind-index tokens (here, or in `patient_search_tokens`). The store never sees plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientRow {
    pub practice_id: String,
    pub id: String,
    pub key_version: i64,
    pub family_name: Vec<u8>,
    pub given_name: Vec<u8>,
    pub birth_date: Vec<u8>,
    /// Sealed JSON: middle and preferred name, sex, gender identity, language.
    pub details: Option<Vec<u8>>,
    pub chart_number: Option<Vec<u8>>,
    /// Sealed JSON: e-mail, phones, address, emergency contact.
    pub contact: Option<Vec<u8>>,
    /// Sealed JSON: insurance coverages.
    pub insurance: Option<Vec<u8>>,
    pub family_name_bidx: Vec<u8>,
    pub birth_date_bidx: Vec<u8>,
    pub chart_bidx: Option<Vec<u8>>,
    pub status: String,
    pub household_id: Option<String>,
    pub guarantor_id: Option<String>,
    pub responsible_party_id: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub row_version: i64,
}

/// One preserved earlier state of a patient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientVersionRow {
    pub practice_id: String,
    /// `<patient id>:<row version>`.
    pub id: String,
    pub patient_id: String,
    pub row_version: i64,
    pub key_version: i64,
    pub change: String,
    /// Names of the fields that changed, comma-separated (never values).
    pub changed_fields: String,
    pub changed_by: String,
    pub changed_ms: i64,
    pub snapshot: Vec<u8>,
}

const INSERT_COLUMNS: &str = "practice_id, id, key_version, family_name, given_name, birth_date, \
     details, chart_number, contact, insurance, family_name_bidx, birth_date_bidx, chart_bidx, \
     status, household_id, guarantor_id, responsible_party_id, created_ms, updated_ms, \
     created_by, updated_by, row_version";
const INSERT_WIDTH: usize = 22;

macro_rules! patient_from_row {
    ($row:expr) => {
        PatientRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            key_version: $row.try_get("key_version")?,
            family_name: $row.try_get("family_name")?,
            given_name: $row.try_get("given_name")?,
            birth_date: $row.try_get("birth_date")?,
            details: $row.try_get("details")?,
            chart_number: $row.try_get("chart_number")?,
            contact: $row.try_get("contact")?,
            insurance: $row.try_get("insurance")?,
            family_name_bidx: $row.try_get("family_name_bidx")?,
            birth_date_bidx: $row.try_get("birth_date_bidx")?,
            chart_bidx: $row.try_get("chart_bidx")?,
            status: $row.try_get("status")?,
            household_id: $row.try_get("household_id")?,
            guarantor_id: $row.try_get("guarantor_id")?,
            responsible_party_id: $row.try_get("responsible_party_id")?,
            created_ms: $row.try_get("created_ms")?,
            updated_ms: $row.try_get("updated_ms")?,
            created_by: $row.try_get("created_by")?,
            updated_by: $row.try_get("updated_by")?,
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
            .bind(&$p.details)
            .bind(&$p.chart_number)
            .bind(&$p.contact)
            .bind(&$p.insurance)
            .bind(&$p.family_name_bidx)
            .bind(&$p.birth_date_bidx)
            .bind(&$p.chart_bidx)
            .bind(&$p.status)
            .bind(&$p.household_id)
            .bind(&$p.guarantor_id)
            .bind(&$p.responsible_party_id)
            .bind($p.created_ms)
            .bind($p.updated_ms)
            .bind(&$p.created_by)
            .bind(&$p.updated_by)
            .bind($p.row_version)
    };
}

/// Rows per multi-row INSERT: a patient's twenty-odd tokens in one statement. With numbered
/// placeholders SQLite's binding grew with the square of the parameters (300,000 tokens took
/// 57 s in 10,000-row statements and 6 s in 100-row ones), hence the anonymous ones on SQLite
/// (`Placeholders`); the transaction, not the statement, amortises the commit.
const TOKEN_CHUNK: usize = 200;
const PATIENT_CHUNK: usize = 40;
/// Ids per `IN (…)` list, for the same reason.
const ID_CHUNK: usize = 100;

impl Tx {
    pub async fn insert_patient(&mut self, p: &PatientRow) -> Result<(), StoreError> {
        self.insert_patients(std::slice::from_ref(p)).await
    }

    /// Inserts many patients with multi-row statements (imports, demo data, benchmarks). A
    /// chart number already taken in the practice fails the whole call with `Duplicate`.
    pub async fn insert_patients(&mut self, rows: &[PatientRow]) -> Result<(), StoreError> {
        for chunk in rows.chunks(PATIENT_CHUNK) {
            let sql = multi_row_insert(
                "patients",
                INSERT_COLUMNS,
                INSERT_WIDTH,
                chunk.len(),
                self.placeholders(),
            );
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

    /// Replaces every field of one patient if nobody changed it since `expected_version`
    /// (the row's `row_version` must already be the next one).
    pub async fn update_patient(
        &mut self,
        p: &PatientRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE patients SET key_version = $3, family_name = $4, given_name = $5, birth_date = $6, \
             details = $7, chart_number = $8, contact = $9, insurance = $10, family_name_bidx = $11, \
             birth_date_bidx = $12, chart_bidx = $13, status = $14, household_id = $15, \
             guarantor_id = $16, responsible_party_id = $17, updated_ms = $18, updated_by = $19, \
             row_version = $20 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $21",
        )
        .bind(&p.practice_id)
        .bind(&p.id)
        .bind(p.key_version)
        .bind(&p.family_name)
        .bind(&p.given_name)
        .bind(&p.birth_date)
        .bind(&p.details)
        .bind(&p.chart_number)
        .bind(&p.contact)
        .bind(&p.insurance)
        .bind(&p.family_name_bidx)
        .bind(&p.birth_date_bidx)
        .bind(&p.chart_bidx)
        .bind(&p.status)
        .bind(&p.household_id)
        .bind(&p.guarantor_id)
        .bind(&p.responsible_party_id)
        .bind(p.updated_ms)
        .bind(&p.updated_by)
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

    /// Removes a patient (a record created in error) and its search tokens; its versions stay.
    pub async fn delete_patient(
        &mut self,
        practice_id: &str,
        id: &str,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let n = on_tx!(self, c => {
            sqlx::query("DELETE FROM patient_search_tokens WHERE practice_id = $1 AND patient_id = $2")
                .bind(practice_id).bind(id).execute(&mut *c).await?;
            sqlx::query("DELETE FROM patients WHERE practice_id = $1 AND id = $2 AND row_version = $3")
                .bind(practice_id).bind(id).bind(expected_version)
                .execute(&mut *c).await?.rows_affected()
        });
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Whether another patient of the practice names `id` as guarantor or responsible party
    /// (in any household). A patient so referenced cannot be deleted; a trigger refuses it too.
    pub async fn patient_is_referenced(
        &mut self,
        practice_id: &str,
        id: &str,
    ) -> Result<bool, StoreError> {
        let found = on_tx!(self, c => {
            sqlx::query(
                "SELECT 1 AS one FROM patients WHERE practice_id = $1 AND id <> $2 \
                 AND (guarantor_id = $2 OR responsible_party_id = $2) LIMIT 1",
            )
            .bind(practice_id).bind(id).fetch_optional(&mut *c).await?.is_some()
        });
        Ok(found)
    }

    /// Replaces the search tokens of the given patients: `(patient id, token)` pairs.
    pub async fn replace_search_tokens(
        &mut self,
        practice_id: &str,
        patient_ids: &[&str],
        tokens: &[(String, [u8; 32])],
    ) -> Result<(), StoreError> {
        for id in patient_ids {
            on_tx!(self, c => {
                sqlx::query("DELETE FROM patient_search_tokens WHERE practice_id = $1 AND patient_id = $2")
                    .bind(practice_id).bind(*id).execute(c).await?;
            });
        }
        for chunk in tokens.chunks(TOKEN_CHUNK) {
            let sql = multi_row_insert(
                "patient_search_tokens",
                "practice_id, patient_id, token",
                3,
                chunk.len(),
                self.placeholders(),
            );
            on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for (patient, token) in chunk {
                    q = q.bind(practice_id).bind(patient).bind(&token[..]);
                }
                q.execute(c).await?;
            });
        }
        Ok(())
    }

    pub async fn insert_patient_version(
        &mut self,
        v: &PatientVersionRow,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO patient_versions (practice_id, id, patient_id, row_version, key_version, \
                 change, changed_fields, changed_by, changed_ms, snapshot) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&v.practice_id).bind(&v.id).bind(&v.patient_id).bind(v.row_version)
            .bind(v.key_version).bind(&v.change).bind(&v.changed_fields).bind(&v.changed_by)
            .bind(v.changed_ms).bind(&v.snapshot)
            .execute(c).await?;
        });
        Ok(())
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

    /// The household of a patient of this practice, if the patient exists.
    pub async fn patient_household(
        &self,
        practice_id: &str,
        id: &str,
    ) -> Result<Option<Option<String>>, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT household_id FROM patients WHERE practice_id = $1 AND id = $2")
                .bind(practice_id).bind(id).fetch_optional(pool).await?;
            match row {
                Some(row) => Ok(Some(row.try_get("household_id")?)),
                None => Ok(None),
            }
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

    /// Patients of one practice by id (missing ids are skipped), in id order within each
    /// chunk of ids.
    pub async fn patients_by_ids(
        &self,
        practice_id: &str,
        ids: &[String],
    ) -> Result<Vec<PatientRow>, StoreError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ID_CHUNK) {
            let placeholders: Vec<String> =
                (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT * FROM patients WHERE practice_id = $1 AND id IN ({}) ORDER BY id",
                placeholders.join(", ")
            );
            on_db!(self, pool => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(practice_id);
                for id in chunk {
                    q = q.bind(id);
                }
                for row in q.fetch_all(pool).await? {
                    out.push(patient_from_row!(row));
                }
            });
        }
        Ok(out)
    }

    /// The ids of the other patients of a household.
    pub async fn household_members(
        &self,
        practice_id: &str,
        household_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT id FROM patients WHERE practice_id = $1 AND household_id = $2 ORDER BY id LIMIT 50",
            )
            .bind(practice_id).bind(household_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(row.try_get("id")?);
            }
            Ok(out)
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

    /// A patient's preserved versions after `after_version`, oldest first, at most `limit`.
    pub async fn patient_versions(
        &self,
        practice_id: &str,
        patient_id: &str,
        after_version: i64,
        limit: i64,
    ) -> Result<Vec<PatientVersionRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM patient_versions WHERE practice_id = $1 AND patient_id = $2 \
                 AND row_version > $3 ORDER BY row_version LIMIT $4",
            )
            .bind(practice_id).bind(patient_id).bind(after_version).bind(limit)
            .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(PatientVersionRow {
                    practice_id: row.try_get("practice_id")?,
                    id: row.try_get("id")?,
                    patient_id: row.try_get("patient_id")?,
                    row_version: row.try_get("row_version")?,
                    key_version: row.try_get("key_version")?,
                    change: row.try_get("change")?,
                    changed_fields: row.try_get("changed_fields")?,
                    changed_by: row.try_get("changed_by")?,
                    changed_ms: row.try_get("changed_ms")?,
                    snapshot: row.try_get("snapshot")?,
                });
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

/// How a statement names its parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placeholders {
    /// `$1, $2, …` (PostgreSQL).
    Numbered,
    /// `?, ?, …` in binding order (SQLite). SQLite looks a numbered parameter's name up in a
    /// list on every bind, so binding n numbered parameters costs n²/2 steps: 40 % of a
    /// search's CPU went there with the audit entries of its page. Anonymous ones have no list.
    Anonymous,
}

impl Tx {
    /// The placeholders that bind cheapest on this transaction's engine.
    pub(crate) fn placeholders(&self) -> Placeholders {
        match self {
            Tx::Sqlite(..) => Placeholders::Anonymous,
            Tx::Postgres(_) => Placeholders::Numbered,
        }
    }
}

/// `INSERT INTO t (cols) VALUES ($1,…,$w), ($w+1,…)` for `rows` rows of `width` columns (or
/// `?` for each, in the same order).
pub(crate) fn multi_row_insert(
    table: &str,
    columns: &str,
    width: usize,
    rows: usize,
    placeholders: Placeholders,
) -> String {
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
            match placeholders {
                Placeholders::Numbered => {
                    sql.push('$');
                    sql.push_str(&(r * width + c + 1).to_string());
                }
                Placeholders::Anonymous => sql.push('?'),
            }
        }
        sql.push(')');
    }
    sql
}
