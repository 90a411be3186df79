use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A practice (tenant). Its display name is the office's trading name, not PHI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PracticeRow {
    pub id: String,
    pub display_name: String,
    pub created_ms: i64,
    pub active_key_version: i64,
    pub min_key_version: i64,
    /// The IANA time zone name (validated by the app before it is written); `UTC` for
    /// practices created before time zones were stored.
    pub time_zone: String,
    /// Made by `enamel demo` and filled with synthetic data: its sign-in page says so, and
    /// `enamel demo code` prints its accounts' second-factor codes. Never set for a practice
    /// made by `enamel init`.
    pub demo: bool,
}

macro_rules! practice_from_row {
    ($row:expr) => {
        PracticeRow {
            id: $row.try_get("id")?,
            display_name: $row.try_get("display_name")?,
            created_ms: $row.try_get("created_ms")?,
            active_key_version: $row.try_get("active_key_version")?,
            min_key_version: $row.try_get("min_key_version")?,
            time_zone: $row.try_get("time_zone")?,
            demo: $row.try_get::<i64, _>("demo")? == 1,
        }
    };
}

impl Tx {
    pub async fn insert_practice(&mut self, p: &PracticeRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO practices (id, display_name, created_ms, active_key_version, min_key_version, time_zone, demo) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(&p.id)
            .bind(&p.display_name)
            .bind(p.created_ms)
            .bind(p.active_key_version)
            .bind(p.min_key_version)
            .bind(&p.time_zone)
            .bind(i64::from(p.demo))
            .execute(c)
            .await?;
        });
        Ok(())
    }

    /// Sets the key version new writes use. Only moves forward.
    pub async fn set_active_key_version(
        &mut self,
        practice_id: &str,
        version: i64,
    ) -> Result<(), StoreError> {
        let changed = on_tx!(self, c => sqlx::query(
            "UPDATE practices SET active_key_version = $2 WHERE id = $1 AND active_key_version < $2",
        )
        .bind(practice_id)
        .bind(version)
        .execute(c)
        .await?
        .rows_affected());
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Sets the practice's time zone (an IANA name the app has validated). Returns the name it
    /// replaced, read in the same transaction so the audit entry can say what changed.
    pub async fn set_practice_time_zone(
        &mut self,
        practice_id: &str,
        time_zone: &str,
    ) -> Result<String, StoreError> {
        let before = on_tx!(self, c => {
            let row = sqlx::query("SELECT time_zone FROM practices WHERE id = $1")
                .bind(practice_id)
                .fetch_optional(&mut *c)
                .await?;
            let row = row.ok_or(StoreError::NotFound)?;
            let before: String = row.try_get("time_zone")?;
            sqlx::query("UPDATE practices SET time_zone = $2 WHERE id = $1")
                .bind(practice_id)
                .bind(time_zone)
                .execute(&mut *c)
                .await?;
            before
        });
        Ok(before)
    }

    /// Marks a practice as the demo's (for a demo folder made before the marker existed).
    pub async fn mark_practice_demo(&mut self, practice_id: &str) -> Result<(), StoreError> {
        let changed = on_tx!(self, c => sqlx::query("UPDATE practices SET demo = 1 WHERE id = $1")
            .bind(practice_id)
            .execute(c)
            .await?
            .rows_affected());
        if changed == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Raises the oldest key version that may still be opened. Only moves forward.
    pub async fn set_min_key_version(
        &mut self,
        practice_id: &str,
        version: i64,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "UPDATE practices SET min_key_version = $2 WHERE id = $1 AND min_key_version < $2",
            )
            .bind(practice_id)
            .bind(version)
            .execute(c)
            .await?;
        });
        Ok(())
    }
}

impl Db {
    pub async fn practice(&self, id: &str) -> Result<PracticeRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query(
                "SELECT id, display_name, created_ms, active_key_version, min_key_version, time_zone, demo \
                 FROM practices WHERE id = $1",
            )
            .bind(id).fetch_optional(pool).await?;
            let row = row.ok_or(StoreError::NotFound)?;
            Ok(practice_from_row!(row))
        })
    }

    /// The practice's stored time zone name, for the app's per-practice cache.
    pub async fn practice_time_zone(&self, id: &str) -> Result<String, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT time_zone FROM practices WHERE id = $1")
                .bind(id)
                .fetch_optional(pool)
                .await?;
            let row = row.ok_or(StoreError::NotFound)?;
            Ok(row.try_get("time_zone")?)
        })
    }

    pub async fn practices(&self) -> Result<Vec<PracticeRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query("SELECT id, display_name, created_ms, active_key_version, min_key_version, time_zone, demo \
                 FROM practices ORDER BY created_ms, id")
                .fetch_all(pool)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(practice_from_row!(row));
            }
            Ok(out)
        })
    }
}
