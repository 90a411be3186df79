//! Appointments as stored, and the slots they hold. The note is sealed; everything the
//! schedule is queried by is plain. Every query filters by practice; writes happen only inside
//! a transaction.
//!
//! No double-booking is decided here, by the database: a booking inserts one row per slot it
//! holds, each under a primary key (`operatory_slots`: chair and slot; `provider_slots`:
//! provider and slot), with `ON CONFLICT DO NOTHING`. Fewer rows inserted than slots asked
//! for means another appointment holds one of them; the caller rolls back. On PostgreSQL a
//! concurrent insert of the same key waits for the other transaction and then does nothing if
//! it committed, so two servers cannot both succeed.

use sqlx::Row;

use crate::patients::multi_row_insert;
use crate::schedule_resources::Stamp;
use crate::{Db, StoreError, Tx, on_db, on_tx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub operatory_id: String,
    pub provider_id: String,
    pub hygienist_id: Option<String>,
    pub appointment_type_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub pattern: String,
    pub status: String,
    pub source: String,
    pub confirmed_ms: Option<i64>,
    pub confirmed_via: Option<String>,
    pub arrived_ms: Option<i64>,
    pub seated_ms: Option<i64>,
    pub dismissed_ms: Option<i64>,
    pub key_version: i64,
    /// Sealed.
    pub note: Option<Vec<u8>>,
    pub stamp: Stamp,
}

/// What a booking collided with: the appointment holding a slot it asked for, and whether it
/// was the chair or the provider's time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotClash {
    pub appointment_id: String,
    pub chair: bool,
}

/// The slots a booking asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotClaim<'a> {
    pub practice_id: &'a str,
    pub appointment_id: &'a str,
    pub operatory_id: &'a str,
    pub chair_slots: &'a [i64],
    pub provider_id: &'a str,
    pub provider_slots: &'a [i64],
}

macro_rules! appointment_from_row {
    ($row:expr) => {
        AppointmentRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            patient_id: $row.try_get("patient_id")?,
            operatory_id: $row.try_get("operatory_id")?,
            provider_id: $row.try_get("provider_id")?,
            hygienist_id: $row.try_get("hygienist_id")?,
            appointment_type_id: $row.try_get("appointment_type_id")?,
            start_ms: $row.try_get("start_ms")?,
            end_ms: $row.try_get("end_ms")?,
            pattern: $row.try_get("pattern")?,
            status: $row.try_get("status")?,
            source: $row.try_get("source")?,
            confirmed_ms: $row.try_get("confirmed_ms")?,
            confirmed_via: $row.try_get("confirmed_via")?,
            arrived_ms: $row.try_get("arrived_ms")?,
            seated_ms: $row.try_get("seated_ms")?,
            dismissed_ms: $row.try_get("dismissed_ms")?,
            key_version: $row.try_get("key_version")?,
            note: $row.try_get("note")?,
            stamp: Stamp {
                row_version: $row.try_get("row_version")?,
                created_ms: $row.try_get("created_ms")?,
                created_by: $row.try_get("created_by")?,
                updated_ms: $row.try_get("updated_ms")?,
                updated_by: $row.try_get("updated_by")?,
            },
        }
    };
}

/// The longest appointment, so that a day's query can use the start index: anything that
/// overlaps a range started at most this long before it.
const LONGEST_MS: i64 = 12 * 3_600_000;

impl Tx {
    pub async fn insert_appointment(&mut self, a: &AppointmentRow) -> Result<(), StoreError> {
        let s = &a.stamp;
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO appointments (practice_id, id, patient_id, operatory_id, provider_id, \
                 hygienist_id, appointment_type_id, start_ms, end_ms, pattern, status, source, \
                 confirmed_ms, confirmed_via, arrived_ms, seated_ms, dismissed_ms, key_version, \
                 note, row_version, created_ms, created_by, updated_ms, updated_by) VALUES \
                 ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
                 $18, $19, $20, $21, $22, $23, $24)",
            )
            .bind(&a.practice_id).bind(&a.id).bind(&a.patient_id).bind(&a.operatory_id)
            .bind(&a.provider_id).bind(&a.hygienist_id).bind(&a.appointment_type_id)
            .bind(a.start_ms).bind(a.end_ms).bind(&a.pattern).bind(&a.status).bind(&a.source)
            .bind(a.confirmed_ms).bind(&a.confirmed_via).bind(a.arrived_ms).bind(a.seated_ms)
            .bind(a.dismissed_ms).bind(a.key_version).bind(&a.note).bind(s.row_version)
            .bind(s.created_ms).bind(&s.created_by).bind(s.updated_ms).bind(&s.updated_by)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Replaces an appointment whose version is still `expected_version` (the patient and the
    /// source never change).
    pub async fn update_appointment(
        &mut self,
        a: &AppointmentRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let s = &a.stamp;
        let n = on_tx!(self, c => sqlx::query(
            "UPDATE appointments SET operatory_id = $3, provider_id = $4, hygienist_id = $5, \
             appointment_type_id = $6, start_ms = $7, end_ms = $8, pattern = $9, status = $10, \
             confirmed_ms = $11, confirmed_via = $12, arrived_ms = $13, seated_ms = $14, \
             dismissed_ms = $15, key_version = $16, note = $17, row_version = $18, \
             updated_ms = $19, updated_by = $20 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $21",
        )
        .bind(&a.practice_id).bind(&a.id).bind(&a.operatory_id).bind(&a.provider_id)
        .bind(&a.hygienist_id).bind(&a.appointment_type_id).bind(a.start_ms).bind(a.end_ms)
        .bind(&a.pattern).bind(&a.status).bind(a.confirmed_ms).bind(&a.confirmed_via)
        .bind(a.arrived_ms).bind(a.seated_ms).bind(a.dismissed_ms).bind(a.key_version)
        .bind(&a.note).bind(s.row_version).bind(s.updated_ms).bind(&s.updated_by)
        .bind(expected_version)
        .execute(c).await?.rows_affected());
        if n == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    /// Serializes, across PostgreSQL servers, the transactions that change the slots of the
    /// same chairs or providers (`owners`: `operatory:<id>`, `provider:<id>`), taking a
    /// transaction-scoped advisory lock per owner in one order. Without it a move (which
    /// deletes its old slots, then inserts its new ones) and a booking inserting over both
    /// could each wait for a slot the other holds: PostgreSQL would end one as a deadlock.
    /// SQLite's single writer serializes them already.
    pub async fn lock_slot_owners(
        &mut self,
        practice_id: &str,
        owners: &[String],
    ) -> Result<(), StoreError> {
        let Tx::Postgres(tx) = self else {
            return Ok(());
        };
        let mut keys: Vec<String> = owners
            .iter()
            .map(|o| format!("schedule:{practice_id}:{o}"))
            .collect();
        keys.sort();
        keys.dedup();
        for key in keys {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind(&key)
                .execute(&mut **tx)
                .await?;
        }
        Ok(())
    }

    /// Takes the slots of `claim`, or reports what holds one of them (`Some`). On a clash
    /// some slots may have been taken: the caller must roll back.
    pub async fn claim_slots(
        &mut self,
        claim: &SlotClaim<'_>,
    ) -> Result<Option<SlotClash>, StoreError> {
        let tables = [
            (
                "operatory_slots",
                "operatory_id",
                claim.operatory_id,
                claim.chair_slots,
                true,
            ),
            (
                "provider_slots",
                "provider_id",
                claim.provider_id,
                claim.provider_slots,
                false,
            ),
        ];
        for (table, owner, owner_id, slots, chair) in tables {
            if slots.is_empty() {
                continue;
            }
            let mut sql = multi_row_insert(
                table,
                &format!("practice_id, {owner}, slot, appointment_id"),
                4,
                slots.len(),
                self.placeholders(),
            );
            sql.push_str(" ON CONFLICT DO NOTHING");
            let inserted = on_tx!(self, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for slot in slots {
                    q = q.bind(claim.practice_id).bind(owner_id).bind(*slot)
                        .bind(claim.appointment_id);
                }
                q.execute(c).await?.rows_affected()
            });
            if inserted as usize != slots.len() {
                let holder = self
                    .slot_holder(table, owner, claim, owner_id, slots)
                    .await?;
                return Ok(Some(SlotClash {
                    appointment_id: holder.unwrap_or_default(),
                    chair,
                }));
            }
        }
        Ok(None)
    }

    /// The first other appointment holding one of `slots` of `owner_id` in `table`.
    async fn slot_holder(
        &mut self,
        table: &str,
        owner: &str,
        claim: &SlotClaim<'_>,
        owner_id: &str,
        slots: &[i64],
    ) -> Result<Option<String>, StoreError> {
        let (first, last) = (
            slots.iter().min().copied().unwrap_or_default(),
            slots.iter().max().copied().unwrap_or_default(),
        );
        let sql = format!(
            "SELECT appointment_id, slot FROM {table} WHERE practice_id = $1 AND {owner} = $2 \
             AND slot BETWEEN $3 AND $4 AND appointment_id <> $5 ORDER BY slot"
        );
        let rows = on_tx!(self, c => {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(claim.practice_id).bind(owner_id).bind(first).bind(last)
                .bind(claim.appointment_id)
                .fetch_all(c).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push((row.try_get::<String, _>("appointment_id")?, row.try_get::<i64, _>("slot")?));
            }
            out
        });
        Ok(rows
            .into_iter()
            .find(|(_, slot)| slots.contains(slot))
            .map(|(id, _)| id))
    }

    /// Frees every slot an appointment holds.
    pub async fn release_slots(
        &mut self,
        practice_id: &str,
        appointment_id: &str,
    ) -> Result<(), StoreError> {
        for table in ["operatory_slots", "provider_slots"] {
            let sql = format!("DELETE FROM {table} WHERE practice_id = $1 AND appointment_id = $2");
            on_tx!(self, c => {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(practice_id).bind(appointment_id)
                    .execute(c).await?;
            });
        }
        Ok(())
    }
}

impl Db {
    pub async fn appointment(
        &self,
        practice_id: &str,
        id: &str,
    ) -> Result<AppointmentRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT * FROM appointments WHERE practice_id = $1 AND id = $2")
                .bind(practice_id).bind(id)
                .fetch_optional(pool).await?
                .ok_or(StoreError::NotFound)?;
            Ok(appointment_from_row!(row))
        })
    }

    /// The appointments that overlap `[from_ms, to_ms)`, whatever their status, by start and
    /// operatory.
    pub async fn appointments_between(
        &self,
        practice_id: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<AppointmentRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM appointments WHERE practice_id = $1 AND start_ms >= $2 \
                 AND start_ms < $3 AND end_ms > $4 ORDER BY start_ms, operatory_id, id",
            )
            .bind(practice_id).bind(from_ms - LONGEST_MS).bind(to_ms).bind(from_ms)
            .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(appointment_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The appointments with `status`, soonest first, at most `limit` (the ASAP list).
    pub async fn appointments_with_status(
        &self,
        practice_id: &str,
        status: &str,
        limit: i64,
    ) -> Result<Vec<AppointmentRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM appointments WHERE practice_id = $1 AND status = $2 \
                 ORDER BY start_ms, id LIMIT $3",
            )
            .bind(practice_id).bind(status).bind(limit)
            .fetch_all(pool).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(appointment_from_row!(row));
            }
            Ok(out)
        })
    }
}
