//! The one audited read path, and the practice's keys for opening what it read.

use std::sync::Arc;

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::{Outcome, PracticeId};
use enamel_store::StoreError;

use crate::{App, AppError, AuditDraft};

impl App {
    /// The practice's keys as this process has them loaded.
    pub(crate) async fn keys_of(
        &self,
        practice: PracticeId,
    ) -> Result<Arc<PracticeKeys>, AppError> {
        self.keys().practice(practice, self.clock().now_ms()).await
    }

    /// Loads the practice's keys: fails (at start, not on the first read) when the key
    /// provider cannot open them.
    pub async fn check_practice_keys(&self, practice: PracticeId) -> Result<(), AppError> {
        self.keys_of(practice).await.map(|_| ())
    }

    /// Runs `open` with the practice's keys, reloading them once if a value names a version
    /// this process has not loaded yet (another server rotated).
    pub(crate) async fn with_keys<T>(
        &self,
        practice: PracticeId,
        open: impl Fn(&PracticeKeys) -> Result<T, CryptoError>,
    ) -> Result<T, AppError> {
        let keys = self.keys_of(practice).await?;
        match open(&keys) {
            Err(CryptoError::UnknownKeyVersion { .. }) => {
                let keys = self.keys().reload(practice, self.clock().now_ms()).await?;
                Ok(open(&keys)?)
            }
            other => Ok(other?),
        }
    }

    /// Reads one record the way every record is read. The caller has authorized `entry`'s
    /// access already, and `fetch` filters by the practice. Then:
    /// - a miss appends `entry` as `failed` (it may be a probe for another practice's ids) and
    ///   is `NotFound`;
    /// - a hit appends `entry` and waits until it is durable, and only then opens the row with
    ///   `open`, which decides which columns the reader may see.
    pub(crate) async fn read_audited<R, V>(
        &self,
        practice: PracticeId,
        entry: AuditDraft,
        fetch: impl Future<Output = Result<R, StoreError>>,
        open: impl Fn(&PracticeKeys, &R) -> Result<V, CryptoError>,
    ) -> Result<V, AppError> {
        let row = match fetch.await {
            Ok(row) => row,
            Err(StoreError::NotFound) => {
                self.audit()
                    .record(AuditDraft {
                        outcome: Outcome::Failed,
                        ..entry
                    })
                    .await?;
                return Err(AppError::NotFound);
            }
            Err(e) => return Err(e.into()),
        };
        self.audit().record(entry).await?;
        self.with_keys(practice, |keys| open(keys, &row)).await
    }
}
