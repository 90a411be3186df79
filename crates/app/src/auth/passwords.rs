//! Argon2id is deliberately expensive, so hashing runs on blocking threads behind a semaphore:
//! at most `permits` hashes at once, and a caller that cannot get a turn within the queue wait
//! is told to come back instead of piling up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Semaphore;
use zeroize::Zeroizing;

use crate::AppError;

/// The stored hash to verify against, or `None` for the dummy: a value that is no Argon2 hash
/// (the `!unset` of an account still waiting for its setup link) would fail at once and so
/// reveal the account by its speed.
fn hash_to_check(stored: Option<String>) -> Option<String> {
    stored.filter(|h| h.starts_with("$argon2"))
}

#[derive(Debug, Clone)]
pub(crate) struct PasswordPool {
    permits: Arc<Semaphore>,
    queue_wait: Duration,
    /// Hashes and verifications run so far (each one Argon2id computation).
    runs: Arc<AtomicU64>,
}

impl PasswordPool {
    pub(crate) fn new(permits: usize, queue_wait: Duration) -> Self {
        PasswordPool {
            permits: Arc::new(Semaphore::new(permits.max(1))),
            queue_wait,
            runs: Arc::new(AtomicU64::new(0)),
        }
    }

    pub(crate) fn runs(&self) -> u64 {
        self.runs.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, AppError> {
        let permit = tokio::time::timeout(self.queue_wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| AppError::Busy {
                retry_after_secs: 5,
            })?
            .map_err(|_| AppError::Internal("password pool closed".into()))?;
        self.runs.fetch_add(1, Ordering::Relaxed);
        let result = tokio::task::spawn_blocking(move || {
            let out = work();
            drop(permit);
            out
        })
        .await
        .map_err(|e| AppError::Internal(format!("password hashing task failed: {e}")))?;
        Ok(result)
    }

    /// Verifies against `hash`, or, for an unknown user (`None`) or an account whose password
    /// was never set (`!unset`), does the same work against a dummy hash so all cost the
    /// same time.
    pub(crate) async fn verify(
        &self,
        hash: Option<String>,
        password: &str,
    ) -> Result<bool, AppError> {
        let password = Zeroizing::new(password.to_string());
        let hash = hash_to_check(hash);
        self.run(move || match hash {
            Some(hash) => enamel_crypto::verify_password(&hash, &password),
            None => {
                enamel_crypto::burn_password_check(&password);
                false
            }
        })
        .await
    }

    pub(crate) async fn hash(&self, password: &str) -> Result<String, AppError> {
        let password = Zeroizing::new(password.to_string());
        self.run(move || enamel_crypto::hash_password(&password))
            .await?
            .map_err(AppError::from)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn l3_an_unset_password_is_checked_against_the_dummy_hash() {
        assert_eq!(hash_to_check(Some("!unset".into())), None);
        assert_eq!(hash_to_check(Some(String::new())), None);
        assert_eq!(hash_to_check(None), None);
        let real = enamel_crypto::hash_password("a synthetic passphrase").unwrap();
        assert_eq!(hash_to_check(Some(real.clone())), Some(real));
    }

    #[tokio::test]
    async fn l3_an_unset_password_costs_one_argon2_run_and_never_matches() {
        let pool = PasswordPool::new(1, Duration::from_secs(10));
        assert!(!pool.verify(Some("!unset".into()), "!unset").await.unwrap());
        assert!(!pool.verify(None, "anything").await.unwrap());
        assert_eq!(pool.runs(), 2);
    }
}
