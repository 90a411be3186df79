use enamel_crypto::CryptoError;
use enamel_domain::FieldProblem;
use enamel_store::StoreError;

/// The one application error. Messages are safe to show a person: they name fields and
/// problems, never values. The web layer maps each variant to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("sign-in is required")]
    Unauthenticated,
    #[error("you do not have permission to do this")]
    Forbidden,
    /// Wrong password, unknown user or disabled account: one answer for all three.
    #[error("the username or password is not right")]
    SignInFailed,
    #[error("the code is not right")]
    SecondFactorFailed,
    /// The change needs a fresh second factor first.
    #[error("confirm it is you with a code from your authenticator app")]
    StepUpRequired,
    #[error("too many attempts; try again later")]
    TooManyAttempts { retry_after_secs: u64 },
    /// The server is saturated with expensive work (password hashing); come back shortly.
    #[error("the server is busy; try again shortly")]
    Busy { retry_after_secs: u64 },
    /// A reset or setup link that is unknown, used or expired.
    #[error("this link is no longer valid")]
    LinkInvalid,
    #[error("the record was not found")]
    NotFound,
    #[error("the record was changed by someone else; reload it and try again")]
    Conflict,
    #[error("some fields need attention")]
    Invalid(Vec<FieldProblem>),
    /// A stored value failed its integrity check: tampering or a value moved between records.
    #[error("a stored value failed its integrity check")]
    Integrity(#[source] CryptoError),
    #[error("{0}")]
    Unavailable(String),
    /// A request that is understood but cannot be done in the current state; the message says
    /// what to do first.
    #[error("{0}")]
    Refused(String),
    /// The time asked for is taken: the chair, or the provider's time in another chair.
    #[error("{}", .0.message)]
    ScheduleConflict(Box<crate::ScheduleConflict>),
    /// The booking falls outside its provider's working hours, in a blockout or on a holiday:
    /// the desk may book it anyway by acknowledging these sentences.
    #[error("the booking needs a second look")]
    ScheduleWarning(Vec<String>),
    /// An `Idempotency-Key` sent again with a different request than the one it first came
    /// with.
    #[error("this idempotency key was used for a different request")]
    IdempotencyKeyReused,
    /// Something we did not expect; details go to the log with the request id, not the user.
    #[error("something went wrong on our side")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict | StoreError::Duplicate => AppError::Conflict,
            StoreError::Unreachable { .. } => AppError::Unavailable(e.to_string()),
            StoreError::SchemaTooNew { .. } => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<CryptoError> for AppError {
    fn from(e: CryptoError) -> Self {
        match e {
            CryptoError::Integrity { .. } => AppError::Integrity(e),
            other => AppError::Internal(other.to_string()),
        }
    }
}
