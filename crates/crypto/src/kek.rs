//! One key-encryption key and the wrap format every in-process provider shares.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use zeroize::Zeroizing;

use crate::{CryptoError, SecretKey32, WrappedKey};

const WRAP_AAD_PREFIX: &[u8] = b"enamel-wrap-v1|";
const TAG_LEN: usize = 16;
const WRAPPED_LEN: usize = NONCE_LEN + 32 + TAG_LEN;

pub(crate) struct Kek {
    pub(crate) id: String,
    pub(crate) created_ms: i64,
    /// Kept so the key file can be rewritten; the AEAD key alone cannot be exported.
    pub(crate) secret: SecretKey32,
    aead: RandomizedNonceKey,
}

impl fmt::Debug for Kek {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kek")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Kek {
    pub(crate) fn new(
        id: String,
        created_ms: i64,
        secret: SecretKey32,
    ) -> Result<Self, CryptoError> {
        let aead = RandomizedNonceKey::new(&AES_256_GCM, secret.expose_secret_danger())
            .map_err(|_| CryptoError::Malformed("key-encryption key rejected by AES-256-GCM"))?;
        Ok(Self {
            id,
            created_ms,
            secret,
            aead,
        })
    }

    pub(crate) fn wrap(
        &self,
        key: &SecretKey32,
        context: &[u8],
    ) -> Result<WrappedKey, CryptoError> {
        let mut out = Vec::with_capacity(WRAPPED_LEN);
        out.extend_from_slice(&[0u8; NONCE_LEN]);
        out.extend_from_slice(key.expose_secret_danger());
        let (nonce, tag) = self
            .aead
            .seal_in_place_separate_tag(Aad::from(aad(&self.id, context)), &mut out[NONCE_LEN..])
            .map_err(|_| CryptoError::Rng)?;
        out[..NONCE_LEN].copy_from_slice(nonce.as_ref());
        out.extend_from_slice(tag.as_ref());
        Ok(WrappedKey {
            kek_id: self.id.clone(),
            ciphertext: out,
        })
    }

    /// The caller has already matched `wrapped.kek_id` to this KEK; it is bound again through
    /// the associated data, so a wrap relabelled with another id fails here.
    pub(crate) fn unwrap(
        &self,
        wrapped: &WrappedKey,
        context: &[u8],
    ) -> Result<SecretKey32, CryptoError> {
        if wrapped.ciphertext.len() != WRAPPED_LEN {
            return Err(CryptoError::Unwrap);
        }
        let (nonce, sealed) = wrapped.ciphertext.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Unwrap)?;
        let mut buf = Zeroizing::new(sealed.to_vec());
        let plain = self
            .aead
            .open_in_place(nonce, Aad::from(aad(&wrapped.kek_id, context)), &mut buf)
            .map_err(|_| CryptoError::Unwrap)?;
        let bytes: &[u8; 32] = (&*plain).try_into().map_err(|_| CryptoError::Unwrap)?;
        Ok(SecretKey32::from_bytes(*bytes))
    }
}

fn aad(kek_id: &str, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(WRAP_AAD_PREFIX.len() + kek_id.len() + 1 + context.len());
    aad.extend_from_slice(WRAP_AAD_PREFIX);
    aad.extend_from_slice(kek_id.as_bytes());
    aad.push(b'|');
    aad.extend_from_slice(context);
    aad
}

/// Ids go into the wrap's associated data delimited by `|`, so a small alphabet keeps that
/// encoding unambiguous (and ids safe to print).
pub(crate) fn valid_kek_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    fn kek(id: &str, byte: u8) -> Kek {
        Kek::new(id.into(), 0, SecretKey32::from_bytes([byte; 32])).unwrap()
    }

    #[test]
    fn wrap_round_trip_and_layout() {
        let k = kek("kek-a", 1);
        let data = SecretKey32::from_bytes([9; 32]);
        let w = k.wrap(&data, b"ctx").unwrap();
        assert_eq!(w.kek_id, "kek-a");
        assert_eq!(w.ciphertext.len(), 12 + 32 + 16);
        assert!(!w.ciphertext.windows(32).any(|win| win == [9u8; 32]));
        let back = k.unwrap(&w, b"ctx").unwrap();
        assert_eq!(back.expose_secret_danger(), data.expose_secret_danger());
    }

    #[test]
    fn wrong_context_relabelled_id_or_tampering_fail() {
        let k = kek("kek-a", 1);
        let w = k.wrap(&SecretKey32::from_bytes([9; 32]), b"ctx").unwrap();
        assert!(matches!(k.unwrap(&w, b"ctx2"), Err(CryptoError::Unwrap)));
        let relabelled = WrappedKey {
            kek_id: "kek-b".into(),
            ..w.clone()
        };
        assert!(matches!(
            k.unwrap(&relabelled, b"ctx"),
            Err(CryptoError::Unwrap)
        ));
        for i in 0..w.ciphertext.len() {
            let mut t = w.clone();
            t.ciphertext[i] ^= 0x01;
            assert!(
                matches!(k.unwrap(&t, b"ctx"), Err(CryptoError::Unwrap)),
                "byte {i}"
            );
        }
        let mut short = w.clone();
        short.ciphertext.pop();
        assert!(matches!(k.unwrap(&short, b"ctx"), Err(CryptoError::Unwrap)));
        assert!(matches!(
            kek("kek-a", 2).unwrap(&w, b"ctx"),
            Err(CryptoError::Unwrap)
        ));
    }

    #[test]
    fn aad_is_prefix_id_bar_context() {
        assert_eq!(
            aad("kek-1", b"p|field|3"),
            b"enamel-wrap-v1|kek-1|p|field|3".to_vec()
        );
    }

    #[test]
    fn kek_id_alphabet() {
        assert!(valid_kek_id("kek-0123456789abcdef"));
        assert!(valid_kek_id("env-00ff"));
        assert!(!valid_kek_id(""));
        assert!(!valid_kek_id("a|b"));
        assert!(!valid_kek_id("a b"));
        assert!(!valid_kek_id(&"a".repeat(65)));
    }
}
