//! The schedule's resources as stored: providers, operatories and appointment types. Not PHI:
//! plain columns, changed in place under `row_version`, never deleted. Every query filters by
//! practice; writes happen only inside a transaction.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// Who changed a row and when, and its version: the columns every resource has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stamp {
    pub row_version: i64,
    pub created_ms: i64,
    pub created_by: String,
    pub updated_ms: i64,
    pub updated_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderRow {
    pub practice_id: String,
    pub id: String,
    pub family_name: String,
    pub given_name: String,
    pub abbreviation: String,
    pub colour: String,
    pub npi: Option<String>,
    pub specialty: String,
    pub is_hygienist: bool,
    pub active_from: Option<String>,
    pub active_to: Option<String>,
    pub user_id: Option<String>,
    /// `monday 08:00-12:00,…`; empty when no hours are kept.
    pub working_hours: String,
    pub stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatoryRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    pub abbreviation: String,
    pub sort_order: i64,
    pub default_dentist_id: Option<String>,
    pub default_hygienist_id: Option<String>,
    pub is_hygiene: bool,
    pub hidden: bool,
    pub stamp: Stamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentTypeRow {
    pub practice_id: String,
    pub id: String,
    pub name: String,
    pub colour: String,
    pub pattern: String,
    /// Space-separated codes from the practice's list.
    pub procedure_codes: String,
    pub hidden: bool,
    pub stamp: Stamp,
}

macro_rules! stamp_from_row {
    ($row:expr) => {
        Stamp {
            row_version: $row.try_get("row_version")?,
            created_ms: $row.try_get("created_ms")?,
            created_by: $row.try_get("created_by")?,
            updated_ms: $row.try_get("updated_ms")?,
            updated_by: $row.try_get("updated_by")?,
        }
    };
}

macro_rules! provider_from_row {
    ($row:expr) => {
        ProviderRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            family_name: $row.try_get("family_name")?,
            given_name: $row.try_get("given_name")?,
            abbreviation: $row.try_get("abbreviation")?,
            colour: $row.try_get("colour")?,
            npi: $row.try_get("npi")?,
            specialty: $row.try_get("specialty")?,
            is_hygienist: $row.try_get::<i64, _>("is_hygienist")? == 1,
            active_from: $row.try_get("active_from")?,
            active_to: $row.try_get("active_to")?,
            user_id: $row.try_get("user_id")?,
            working_hours: $row.try_get("working_hours")?,
            stamp: stamp_from_row!($row),
        }
    };
}

macro_rules! operatory_from_row {
    ($row:expr) => {
        OperatoryRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            name: $row.try_get("name")?,
            abbreviation: $row.try_get("abbreviation")?,
            sort_order: $row.try_get("sort_order")?,
            default_dentist_id: $row.try_get("default_dentist_id")?,
            default_hygienist_id: $row.try_get("default_hygienist_id")?,
            is_hygiene: $row.try_get::<i64, _>("is_hygiene")? == 1,
            hidden: $row.try_get::<i64, _>("hidden")? == 1,
            stamp: stamp_from_row!($row),
        }
    };
}

macro_rules! type_from_row {
    ($row:expr) => {
        AppointmentTypeRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            name: $row.try_get("name")?,
            colour: $row.try_get("colour")?,
            pattern: $row.try_get("pattern")?,
            procedure_codes: $row.try_get("procedure_codes")?,
            hidden: $row.try_get::<i64, _>("hidden")? == 1,
            stamp: stamp_from_row!($row),
        }
    };
}

/// Binds the version an update expects; an insert names no such parameter (PostgreSQL refuses
/// a parameter the statement does not use).
trait BindExpected: Sized {
    fn bind_expected(self, expected_version: Option<i64>) -> Self;
}

impl<'q, DB: sqlx::Database> BindExpected
    for sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    fn bind_expected(self, expected_version: Option<i64>) -> Self {
        match expected_version {
            Some(v) => self.bind(v),
            None => self,
        }
    }
}

/// One row changed, or someone else changed it first.
fn one_row(n: u64) -> Result<(), StoreError> {
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict)
    }
}

impl Tx {
    /// Adds a provider (`expected_version` `None`) or replaces one whose version is still
    /// `expected_version`. An abbreviation already used in the practice is `Duplicate`.
    pub async fn save_provider(
        &mut self,
        r: &ProviderRow,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let s = &r.stamp;
        let sql = match expected_version {
            None => {
                "INSERT INTO providers (practice_id, id, family_name, given_name, abbreviation, \
                 colour, npi, specialty, is_hygienist, active_from, active_to, user_id, \
                 row_version, created_ms, created_by, updated_ms, updated_by, working_hours) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)"
            }
            Some(_) => {
                "UPDATE providers SET family_name = $3, given_name = $4, abbreviation = $5, \
                 colour = $6, npi = $7, specialty = $8, is_hygienist = $9, active_from = $10, \
                 active_to = $11, user_id = $12, row_version = $13, updated_ms = $16, \
                 updated_by = $17, working_hours = $18 WHERE practice_id = $1 AND id = $2 \
                 AND row_version = $19 AND created_ms = $14 AND created_by = $15"
            }
        };
        let n = on_tx!(self, c => sqlx::query(sql)
            .bind(&r.practice_id).bind(&r.id).bind(&r.family_name).bind(&r.given_name)
            .bind(&r.abbreviation).bind(&r.colour).bind(&r.npi).bind(&r.specialty)
            .bind(i64::from(r.is_hygienist)).bind(&r.active_from).bind(&r.active_to)
            .bind(&r.user_id).bind(s.row_version).bind(s.created_ms).bind(&s.created_by)
            .bind(s.updated_ms).bind(&s.updated_by).bind(&r.working_hours)
            .bind_expected(expected_version)
            .execute(c).await?.rows_affected());
        one_row(n)
    }

    /// Adds or replaces an operatory, as [`Tx::save_provider`].
    pub async fn save_operatory(
        &mut self,
        r: &OperatoryRow,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let s = &r.stamp;
        let sql = match expected_version {
            None => {
                "INSERT INTO operatories (practice_id, id, name, abbreviation, sort_order, \
                 default_dentist_id, default_hygienist_id, is_hygiene, hidden, row_version, \
                 created_ms, created_by, updated_ms, updated_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            }
            Some(_) => {
                "UPDATE operatories SET name = $3, abbreviation = $4, sort_order = $5, \
                 default_dentist_id = $6, default_hygienist_id = $7, is_hygiene = $8, \
                 hidden = $9, row_version = $10, updated_ms = $13, updated_by = $14 \
                 WHERE practice_id = $1 AND id = $2 AND row_version = $15 \
                 AND created_ms = $11 AND created_by = $12"
            }
        };
        let n = on_tx!(self, c => sqlx::query(sql)
            .bind(&r.practice_id).bind(&r.id).bind(&r.name).bind(&r.abbreviation)
            .bind(r.sort_order).bind(&r.default_dentist_id).bind(&r.default_hygienist_id)
            .bind(i64::from(r.is_hygiene)).bind(i64::from(r.hidden)).bind(s.row_version)
            .bind(s.created_ms).bind(&s.created_by).bind(s.updated_ms).bind(&s.updated_by)
            .bind_expected(expected_version)
            .execute(c).await?.rows_affected());
        one_row(n)
    }

    /// Adds or replaces an appointment type, as [`Tx::save_provider`] (a name already used
    /// is `Duplicate`).
    pub async fn save_appointment_type(
        &mut self,
        r: &AppointmentTypeRow,
        expected_version: Option<i64>,
    ) -> Result<(), StoreError> {
        let s = &r.stamp;
        let sql = match expected_version {
            None => {
                "INSERT INTO appointment_types (practice_id, id, name, colour, pattern, \
                 procedure_codes, hidden, row_version, created_ms, created_by, updated_ms, \
                 updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            }
            Some(_) => {
                "UPDATE appointment_types SET name = $3, colour = $4, pattern = $5, \
                 procedure_codes = $6, hidden = $7, row_version = $8, updated_ms = $11, \
                 updated_by = $12 WHERE practice_id = $1 AND id = $2 AND row_version = $13 \
                 AND created_ms = $9 AND created_by = $10"
            }
        };
        let n = on_tx!(self, c => sqlx::query(sql)
            .bind(&r.practice_id).bind(&r.id).bind(&r.name).bind(&r.colour).bind(&r.pattern)
            .bind(&r.procedure_codes).bind(i64::from(r.hidden)).bind(s.row_version)
            .bind(s.created_ms).bind(&s.created_by).bind(s.updated_ms).bind(&s.updated_by)
            .bind_expected(expected_version)
            .execute(c).await?.rows_affected());
        one_row(n)
    }
}

impl Db {
    /// The practice's providers, by abbreviation.
    pub async fn providers(&self, practice_id: &str) -> Result<Vec<ProviderRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM providers WHERE practice_id = $1 ORDER BY abbreviation, id",
            )
            .bind(practice_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(provider_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The practice's operatories, in schedule order.
    pub async fn operatories(&self, practice_id: &str) -> Result<Vec<OperatoryRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM operatories WHERE practice_id = $1 \
                 ORDER BY sort_order, abbreviation, id",
            )
            .bind(practice_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(operatory_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The practice's appointment types, by name.
    pub async fn appointment_types(
        &self,
        practice_id: &str,
    ) -> Result<Vec<AppointmentTypeRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM appointment_types WHERE practice_id = $1 ORDER BY name, id",
            )
            .bind(practice_id).fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(type_from_row!(row));
            }
            Ok(out)
        })
    }
}

/// A blockout or a practice holiday.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRow {
    pub practice_id: String,
    pub id: String,
    pub kind: String,
    pub operatory_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub label: String,
    pub created_ms: i64,
    pub created_by: String,
}

macro_rules! block_from_row {
    ($row:expr) => {
        BlockRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            kind: $row.try_get("kind")?,
            operatory_id: $row.try_get("operatory_id")?,
            start_ms: $row.try_get("start_ms")?,
            end_ms: $row.try_get("end_ms")?,
            label: $row.try_get("label")?,
            created_ms: $row.try_get("created_ms")?,
            created_by: $row.try_get("created_by")?,
        }
    };
}

/// Blocks longer than this are not looked for before a range's start (a blockout is at most a
/// week).
const LONGEST_BLOCK_MS: i64 = 8 * 24 * 3_600_000;

impl Tx {
    pub async fn insert_block(&mut self, b: &BlockRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO schedule_blocks (practice_id, id, kind, operatory_id, start_ms, \
                 end_ms, label, created_ms, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&b.practice_id).bind(&b.id).bind(&b.kind).bind(&b.operatory_id)
            .bind(b.start_ms).bind(b.end_ms).bind(&b.label).bind(b.created_ms).bind(&b.created_by)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Removes a block; `NotFound` when the practice has no such block.
    pub async fn delete_block(&mut self, practice_id: &str, id: &str) -> Result<(), StoreError> {
        let n = on_tx!(self, c => sqlx::query(
            "DELETE FROM schedule_blocks WHERE practice_id = $1 AND id = $2",
        )
        .bind(practice_id).bind(id)
        .execute(c).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}

impl Db {
    /// The blocks that overlap `[from_ms, to_ms)`, by start.
    pub async fn blocks_between(
        &self,
        practice_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<BlockRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM schedule_blocks WHERE practice_id = $1 AND start_ms >= $2 \
                 AND start_ms < $3 AND end_ms > $4 ORDER BY start_ms, id",
            )
            .bind(practice_id).bind(from_ms - LONGEST_BLOCK_MS).bind(to_ms).bind(from_ms)
            .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(block_from_row!(row));
            }
            Ok(out)
        })
    }

    pub async fn block(&self, practice_id: &str, id: &str) -> Result<BlockRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT * FROM schedule_blocks WHERE practice_id = $1 AND id = $2")
                .bind(practice_id).bind(id)
                .fetch_optional(pool).await?
                .ok_or(StoreError::NotFound)?;
            Ok(block_from_row!(row))
        })
    }
}
