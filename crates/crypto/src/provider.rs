use crate::{CryptoError, SecretKey32};

/// A data key sealed under a key-encryption key (KEK), as it is stored next to the data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// Which KEK sealed it; unwrapping needs that same KEK.
    pub kek_id: String,
    /// `nonce(12) || ciphertext || tag(16)` (AES-256-GCM).
    pub ciphertext: Vec<u8>,
}

/// Holds the key-encryption keys and wraps and unwraps data keys with them.
///
/// This trait is the seam for other key custodians: a cloud KMS or HashiCorp Vault provider can
/// be added later by implementing it, without touching any caller. The providers here keep the
/// KEKs in process memory ([`crate::FileKeyProvider`], [`crate::EnvKeyProvider`]).
pub trait KeyProvider: Send + Sync + std::fmt::Debug {
    /// Id of the KEK new wraps use.
    fn active_kek_id(&self) -> String;
    /// AEAD-wraps a data key under the active KEK, binding `context` as associated data.
    fn wrap(&self, key: &SecretKey32, context: &[u8]) -> Result<WrappedKey, CryptoError>;
    /// Unwraps with the KEK named in `wrapped.kek_id`; UnknownKek if the provider lacks it, Unwrap if auth fails.
    fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<SecretKey32, CryptoError>;
}
