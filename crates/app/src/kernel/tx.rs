//! A write transaction that cannot commit without its audit entries.

use std::ops::{Deref, DerefMut};

use enamel_store::Tx;

use crate::{App, AppError, AuditDraft};

/// The audit entries of one change: at least one, by construction.
#[derive(Debug, Clone)]
pub(crate) struct Entries(Vec<AuditDraft>);

impl Entries {
    /// `None` for an empty list: a change with nothing to record is not a change to commit.
    pub(crate) fn from_vec(entries: Vec<AuditDraft>) -> Option<Entries> {
        (!entries.is_empty()).then_some(Entries(entries))
    }
}

impl From<AuditDraft> for Entries {
    fn from(entry: AuditDraft) -> Self {
        Entries(vec![entry])
    }
}

/// Why a write commits without an audit entry. Each is a row that is not a record (no PHI)
/// and whose meaningful event is audited on its own: adding a variant needs the same review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unaudited {
    /// The pending half of a sign-in after a correct password: the sign-in itself (or its
    /// failure) is audited when the second factor is checked.
    PendingSignIn,
    /// A TOTP secret stored while enrolment is not yet confirmed; `mfa_enrolled` is audited
    /// when the first code confirms it.
    TotpEnrolmentStep,
}

impl Unaudited {
    fn as_str(self) -> &'static str {
        match self {
            Unaudited::PendingSignIn => "pending_sign_in",
            Unaudited::TotpEnrolmentStep => "totp_enrolment_step",
        }
    }
}

/// The error for a change that reached its commit with no entry: a programming error.
pub(crate) fn no_entries() -> AppError {
    AppError::Internal("a change reached its commit without an audit entry".into())
}

/// An open write transaction of the store. Statements are the store's own (through `Deref`); the
/// only ways out are [`WriteTx::commit`], which appends the entries and commits them with the
/// change, and [`WriteTx::rollback`] (dropping it rolls back too).
#[derive(Debug)]
pub(crate) struct WriteTx<'a> {
    app: &'a App,
    tx: Tx,
}

impl App {
    /// Begins a change. On SQLite this takes the database write lock at once (`BEGIN
    /// IMMEDIATE`), on PostgreSQL row locks come with the statements.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>, AppError> {
        Ok(WriteTx {
            app: self,
            tx: self.db().begin().await?,
        })
    }
}

impl WriteTx<'_> {
    /// Appends the entries and commits them with the change. The append comes last, just
    /// before the commit, so the log head's lock (one per practice) is held as briefly as
    /// possible. Returns the entries' positions in their log.
    pub(crate) async fn commit(mut self, entries: Entries) -> Result<Vec<u64>, AppError> {
        let seqs = self.app.audit().record_in(&mut self.tx, entries.0).await?;
        #[allow(clippy::disallowed_methods)] // the one commit of a change: its entries are in
        self.tx.commit().await?;
        Ok(seqs)
    }

    /// Commits a write that touches no record and so has no entry of its own: security
    /// bookkeeping whose meaningful event is audited elsewhere. The reasons are a closed list
    /// (see [`Unaudited`]), so every such commit is greppable and reviewed.
    pub(crate) async fn commit_unaudited(self, why: Unaudited) -> Result<(), AppError> {
        tracing::trace!(why = why.as_str(), "unaudited bookkeeping commit");
        #[allow(clippy::disallowed_methods)] // a closed list of non-record writes, see Unaudited
        self.tx.commit().await?;
        Ok(())
    }

    /// Commits the change with `entries`, or rolls it back when there are none (the caller
    /// found nothing to change).
    pub(crate) async fn commit_if_any(self, entries: Vec<AuditDraft>) -> Result<(), AppError> {
        match Entries::from_vec(entries) {
            Some(entries) => self.commit(entries).await.map(|_| ()),
            None => self.rollback().await,
        }
    }

    /// Abandons the change (nothing of it, and no entry, is kept).
    pub(crate) async fn rollback(self) -> Result<(), AppError> {
        Ok(self.tx.rollback().await?)
    }
}

/// The change's statements are the store's own (`tx.insert_…`); only the commit differs, and
/// the store's `commit(self)` cannot be called through a deref, which only lends the value.
impl Deref for WriteTx<'_> {
    type Target = Tx;
    fn deref(&self) -> &Tx {
        &self.tx
    }
}

impl DerefMut for WriteTx<'_> {
    fn deref_mut(&mut self) -> &mut Tx {
        &mut self.tx
    }
}
