//! The practices' data keys, unwrapped on demand and cached for this process.
//!
//! Keys are stored wrapped by the KEK (see `enamel_crypto::KeyProvider`); the wrapping binds
//! each to its practice, purpose and version. The cache is refreshed when a ciphertext names a
//! version it does not hold (another process rotated) and every `REFRESH_MS`, so a new active
//! version reaches every server quickly.

use std::collections::HashMap;
use std::sync::Arc;

use enamel_crypto::{
    BlindIndexKey, CryptoError, FieldKey, KeyProvider, PracticeKeys, SecretKey32, SigningKey,
    WrappedKey,
};
use enamel_domain::PracticeId;
use enamel_store::{Db, Tx, WrappedKeyRow};
use tokio::sync::RwLock;

use crate::AppError;

/// How long a loaded key set is trusted before the active version is re-read.
pub(crate) const REFRESH_MS: i64 = 30_000;

pub(crate) const PURPOSE_FIELD: &str = "field";
pub(crate) const PURPOSE_INDEX: &str = "index";
/// The practice's record-signing key (Ed25519 seed), made when it first signs.
pub(crate) const PURPOSE_SIGNING: &str = "signing";

pub struct KeyRing {
    db: Db,
    provider: Arc<dyn KeyProvider>,
    cache: RwLock<HashMap<PracticeId, (i64, Arc<PracticeKeys>)>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("provider", &self.provider)
            .finish_non_exhaustive()
    }
}

/// The associated data that binds a wrapped key to its place.
pub(crate) fn wrap_context(practice_id: &str, purpose: &str, version: i64) -> Vec<u8> {
    format!("enamel-dek-v1|{practice_id}|{purpose}|{version}").into_bytes()
}

impl KeyRing {
    pub(crate) fn new(db: Db, provider: Arc<dyn KeyProvider>) -> Self {
        KeyRing {
            db,
            provider,
            cache: RwLock::new(HashMap::new()),
        }
    }

    /// The practice's keys, from the cache when fresh.
    pub(crate) async fn practice(
        &self,
        practice_id: PracticeId,
        now_ms: i64,
    ) -> Result<Arc<PracticeKeys>, AppError> {
        if let Some((loaded, keys)) = self.cache.read().await.get(&practice_id)
            && now_ms - loaded < REFRESH_MS
        {
            return Ok(keys.clone());
        }
        self.reload(practice_id, now_ms).await
    }

    /// Re-reads the practice's keys from the database.
    pub(crate) async fn reload(
        &self,
        practice_id: PracticeId,
        now_ms: i64,
    ) -> Result<Arc<PracticeKeys>, AppError> {
        let keys = Arc::new(self.load(practice_id).await?);
        self.cache
            .write()
            .await
            .insert(practice_id, (now_ms, keys.clone()));
        Ok(keys)
    }

    async fn load(&self, practice_id: PracticeId) -> Result<PracticeKeys, AppError> {
        let id = practice_id.to_string();
        let practice = self.db.practice(&id).await?;
        let rows = self.db.wrapped_keys(&id).await?;
        let index_row = rows
            .iter()
            .filter(|r| r.purpose == PURPOSE_INDEX)
            .max_by_key(|r| r.version)
            .ok_or_else(|| AppError::Internal("the practice has no index key".into()))?;
        let index_secret = self.unwrap_row(index_row)?;
        let mut keys = PracticeKeys::new(id.clone(), BlindIndexKey::new(&index_secret));
        for row in rows.iter().filter(|r| r.purpose == PURPOSE_FIELD) {
            // Retired versions are not even unwrapped: they can no longer open anything.
            if row.version < practice.min_key_version {
                continue;
            }
            let secret = self.unwrap_row(row)?;
            keys.insert_field_key(FieldKey::new(version_u32(row.version)?, &secret)?);
        }
        for row in rows.iter().filter(|r| r.purpose == PURPOSE_SIGNING) {
            let seed = self.unwrap_row(row)?;
            keys.insert_signing_key(SigningKey::from_seed(version_u32(row.version)?, &seed)?);
        }
        keys.set_active(version_u32(practice.active_key_version)?)?;
        keys.set_min_version(version_u32(practice.min_key_version)?);
        Ok(keys)
    }

    fn unwrap_row(&self, row: &WrappedKeyRow) -> Result<SecretKey32, AppError> {
        let wrapped = WrappedKey {
            kek_id: row.kek_id.clone(),
            ciphertext: row.wrapped.clone(),
        };
        self.provider
            .unwrap(
                &wrapped,
                &wrap_context(&row.practice_id, &row.purpose, row.version),
            )
            .map_err(|e| match e {
                CryptoError::UnknownKek { .. } | CryptoError::Unwrap => AppError::Unavailable(
                    "the practice's data keys cannot be opened with this key-encryption key; \
                     check the key file or ENAMEL_KEK"
                        .into(),
                ),
                other => AppError::from(other),
            })
    }

    /// Creates, wraps and stores a new data key inside `tx`.
    pub(crate) async fn insert_new_key(
        &self,
        tx: &mut Tx,
        practice_id: &str,
        purpose: &str,
        version: i64,
        now_ms: i64,
    ) -> Result<(), AppError> {
        let secret = SecretKey32::generate()?;
        let wrapped = self
            .provider
            .wrap(&secret, &wrap_context(practice_id, purpose, version))?;
        tx.insert_wrapped_key(&WrappedKeyRow {
            practice_id: practice_id.to_string(),
            purpose: purpose.to_string(),
            version,
            kek_id: wrapped.kek_id,
            wrapped: wrapped.ciphertext,
            created_ms: now_ms,
        })
        .await?;
        Ok(())
    }

    /// Re-wraps one practice's data keys under the provider's active KEK, inside `tx` (the
    /// caller commits it with the audit entry). The data keys themselves, and so every sealed
    /// row, stay as they are. Returns how many keys were re-wrapped.
    pub(crate) async fn rewrap_practice(
        &self,
        tx: &mut Tx,
        practice_id: &str,
    ) -> Result<usize, AppError> {
        let active = self.provider.active_kek_id();
        let rows = self.db.wrapped_keys(practice_id).await?;
        let mut count = 0;
        for row in rows.iter().filter(|r| r.kek_id != active) {
            let secret = self.unwrap_row(row)?;
            let context = wrap_context(&row.practice_id, &row.purpose, row.version);
            let wrapped = self.provider.wrap(&secret, &context)?;
            tx.rewrap_key(
                &row.practice_id,
                &row.purpose,
                row.version,
                &wrapped.kek_id,
                &wrapped.ciphertext,
            )
            .await?;
            count += 1;
        }
        Ok(count)
    }

    /// The KEK ids that wrap at least one stored key.
    pub(crate) async fn keks_in_use(&self) -> Result<Vec<String>, AppError> {
        let mut ids = Vec::new();
        for practice in self.db.practices().await? {
            for row in self.db.wrapped_keys(&practice.id).await? {
                if !ids.contains(&row.kek_id) {
                    ids.push(row.kek_id);
                }
            }
        }
        Ok(ids)
    }
}

pub(crate) fn version_u32(v: i64) -> Result<u32, AppError> {
    u32::try_from(v).map_err(|_| AppError::Internal("a stored key version is out of range".into()))
}
