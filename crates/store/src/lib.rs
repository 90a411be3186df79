//! Storage adapters for Enamel: one schema on two engines, SQLite (the embedded default) and
//! PostgreSQL (the scale-out backend).
//!
//! Every query is written once in the SQL subset both engines share (`$n` placeholders,
//! `RETURNING`, BIGINT/TEXT/BLOB columns, times as unix milliseconds) and dispatched to the
//! concrete pool by the `on_db!`/`on_tx!` macros; the two migration folders mirror each other
//! file for file. PHI never reaches this crate as plaintext: sealed columns arrive as bytes
//! that the app layer encrypted. Every practice-owned query filters by practice id.
//!
//! This crate must never depend on HTTP, on the crypto core, or on the app layer.

mod appointments;
mod audit;
mod clinical;
mod connect;
mod error;
mod grants;
mod idempotency;
mod keys;
mod migrate;
mod notes;
mod patients;
mod perio;
mod plans;
mod practices;
mod schedule_resources;
mod sealed;
mod search;
mod sessions;
pub mod specs;
mod tooth_states;
mod users;

pub use appointments::{AppointmentRow, SlotClaim, SlotClash};
pub use audit::{
    AuditHead, AuditQuery, CheckpointRow, LEGACY_CURSOR_OFFSET, LEGACY_LOG, TrailEntry,
    legacy_cursor,
};
pub use clinical::{
    ChartSettingsRow, ProcedureAddendumRow, ProcedureCodeRow, ProcedureRow, ProcedureVersionRow,
};
pub use connect::{Db, Engine, PoolSettings, SqliteReaders, Tx};
pub use error::StoreError;
pub use grants::{ApiTokenRow, EmergencyGrantRow, PolicyOverrideRow, SessionSettingsRow};
pub use idempotency::IdempotencyRow;
pub use keys::WrappedKeyRow;
pub use migrate::MIGRATIONS_SQLITE_NAMES;
pub use notes::{NoteAddendumRow, NoteRow, NoteTemplateRow};
pub use patients::{PatientRow, PatientVersionRow};
pub use perio::PerioExamRow;
pub use plans::PlanRow;
pub use practices::PracticeRow;
pub use schedule_resources::{AppointmentTypeRow, BlockRow, OperatoryRow, ProviderRow, Stamp};
pub use sealed::{KeyVersionCount, SealedRow};
pub use search::{POSTINGS_COUNTED_UP_TO, TokenSearch, Walk};
pub use sessions::{ResolvedSession, SessionRow, ThrottleRow};
pub use specs::{History, RecordSpec, SealedColumn};
pub use tooth_states::ToothStateRow;
pub use users::{UserRoleRow, UserRow};

/// Runs `$body`, which only reads, with `$conn` bound to the concrete pool (SQLite's readers).
/// The body is compiled once per engine, so each query is type-checked against both drivers.
macro_rules! on_db {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::connect::Db::Sqlite(_, $crate::connect::SqliteReaders { pool: $conn, .. }) => {
                $body
            }
            $crate::connect::Db::Postgres($conn) => $body,
        }
    };
}

/// Like `on_db!`, for a statement that writes outside a transaction (SQLite's one writer).
macro_rules! on_db_write {
    ($db:expr, $conn:ident => $body:expr) => {
        match $db {
            $crate::connect::Db::Sqlite($conn, _) => $body,
            $crate::connect::Db::Postgres($conn) => $body,
        }
    };
}

/// Like `on_db!`, for an open transaction; `$conn` is the connection inside it.
macro_rules! on_tx {
    ($tx:expr, $conn:ident => $body:expr) => {
        match $tx {
            $crate::connect::Tx::Sqlite(tx) => {
                let $conn = &mut **tx;
                $body
            }
            $crate::connect::Tx::Postgres(tx) => {
                let $conn = &mut **tx;
                $body
            }
        }
    };
}

pub(crate) use on_db;
pub(crate) use on_db_write;
pub(crate) use on_tx;

#[cfg(test)]
mod tests;
