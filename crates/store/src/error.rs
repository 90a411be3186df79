use std::fmt;

/// What went wrong in storage, phrased for the operator. Driver messages can quote values
/// (a unique-constraint message includes the key), so they are kept for `source()` only and
/// never shown by `Display`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the database at {target} cannot be reached: {reason}")]
    Unreachable { target: String, reason: String },
    #[error("the database setting is not valid: {0}")]
    BadUrl(String),
    #[error("the record was not found")]
    NotFound,
    #[error("the record was changed by someone else in the meantime")]
    Conflict,
    #[error("a record with this identity already exists")]
    Duplicate,
    #[error(
        "the database schema is newer than this version of Enamel (it has migration {found}, this build knows up to {known})"
    )]
    SchemaTooNew { found: i64, known: i64 },
    #[error("the stored data is not in the expected shape ({0})")]
    Corrupt(&'static str),
    #[error("the database refused the operation")]
    Refused(#[source] SqlxError),
    #[error("the database reported an error")]
    Database(#[source] SqlxError),
}

/// Wraps a driver error so its text (which may quote a value) is only visible to code that
/// walks `source()` deliberately, never by formatting the `StoreError`.
pub struct SqlxError(pub sqlx::Error);

impl fmt::Debug for SqlxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only the kind: a driver's message can contain row values.
        write!(f, "SqlxError({})", error_kind(&self.0))
    }
}

impl fmt::Display for SqlxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(error_kind(&self.0))
    }
}

impl std::error::Error for SqlxError {}

fn error_kind(error: &sqlx::Error) -> &'static str {
    match error {
        sqlx::Error::Configuration(_) => "configuration",
        sqlx::Error::Database(db) => match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => "unique violation",
            sqlx::error::ErrorKind::ForeignKeyViolation => "foreign key violation",
            sqlx::error::ErrorKind::NotNullViolation => "not-null violation",
            sqlx::error::ErrorKind::CheckViolation => "check violation",
            _ => "database error",
        },
        sqlx::Error::Io(_) => "i/o",
        sqlx::Error::Tls(_) => "tls",
        sqlx::Error::Protocol(_) => "protocol",
        sqlx::Error::RowNotFound => "row not found",
        sqlx::Error::ColumnNotFound(_) => "column not found",
        sqlx::Error::ColumnDecode { .. } => "column decode",
        sqlx::Error::Decode(_) => "decode",
        sqlx::Error::PoolTimedOut => "pool timed out",
        sqlx::Error::PoolClosed => "pool closed",
        _ => "other",
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) => match db.kind() {
                sqlx::error::ErrorKind::UniqueViolation => StoreError::Duplicate,
                // A row that names a missing one, or a delete of a row still named (a patient
                // with a chart): the database's last word on a race the app checks for first.
                sqlx::error::ErrorKind::ForeignKeyViolation => {
                    StoreError::Refused(SqlxError(error))
                }
                // Triggers that guard the audit log raise plain errors; surface them as refusals.
                _ if is_refusal(db.message()) => StoreError::Refused(SqlxError(error)),
                _ => StoreError::Database(SqlxError(error)),
            },
            _ => StoreError::Database(SqlxError(error)),
        }
    }
}

fn is_refusal(message: &str) -> bool {
    message.contains("cannot be changed")
        || message.contains("cannot be deleted")
        || message.contains("permission denied")
}

impl StoreError {
    /// The driver's own text, for tests and operator diagnostics that know it may quote values.
    pub fn driver_message_danger(&self) -> Option<String> {
        match self {
            StoreError::Refused(e) | StoreError::Database(e) => Some(e.0.to_string()),
            _ => None,
        }
    }
}
