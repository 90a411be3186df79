//! A practice's key for signing clinical records (Ed25519, aws-lc-rs).
//!
//! The 32-byte seed is a practice data key like the others: random, wrapped by the KEK, kept
//! in `practice_keys` under its own purpose and version, so KEK rotation re-wraps it and a
//! database dump alone cannot sign. The public key is derived from the seed when the keys are
//! loaded, never read from the database: someone who can write rows cannot swap in a key of
//! their own and re-sign a changed record.

use std::fmt;

use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};

use crate::{CryptoError, SecretKey32};

/// The length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// One version of a practice's record-signing key.
pub struct SigningKey {
    version: u32,
    pair: Ed25519KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// The key pair a seed stands for.
    pub fn from_seed(version: u32, seed: &SecretKey32) -> Result<Self, CryptoError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.expose_secret_danger())
            .map_err(|_| CryptoError::Malformed("a record-signing key"))?;
        Ok(SigningKey { version, pair })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// The public half, for showing and for checking elsewhere.
    pub fn public_key(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.pair.public_key().as_ref());
        out
    }

    pub fn sign(&self, message: &[u8]) -> [u8; SIGNATURE_LEN] {
        let mut out = [0u8; SIGNATURE_LEN];
        out.copy_from_slice(self.pair.sign(message).as_ref());
        out
    }

    /// Whether `signature` is this key's over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.pair.public_key().as_ref())
            .verify(message, signature)
            .is_ok()
    }
}

/// SHA-256 of `data` (aws-lc-rs): what a signature over a long record binds to.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_breaks_it() {
        let key = SigningKey::from_seed(1, &SecretKey32::from_bytes([3; 32])).unwrap();
        let sig = key.sign(b"enamel-note-v1 body");
        assert!(key.verify(b"enamel-note-v1 body", &sig));
        assert!(!key.verify(b"enamel-note-v1 bodY", &sig));
        let mut bad = sig;
        bad[10] ^= 1;
        assert!(!key.verify(b"enamel-note-v1 body", &bad));
        assert!(!key.verify(b"enamel-note-v1 body", &sig[..63]));
        let other = SigningKey::from_seed(1, &SecretKey32::from_bytes([4; 32])).unwrap();
        assert!(!other.verify(b"enamel-note-v1 body", &sig));
        // The same seed is the same key (loaded again after a restart).
        let again = SigningKey::from_seed(1, &SecretKey32::from_bytes([3; 32])).unwrap();
        assert_eq!(again.public_key(), key.public_key());
    }

    #[test]
    fn rfc_8032_test_vector_1() {
        // RFC 8032, section 7.1, TEST 1: the empty message.
        let seed: [u8; 32] =
            hex_bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
        let key = SigningKey::from_seed(1, &SecretKey32::from_bytes(seed)).unwrap();
        assert_eq!(
            key.public_key().to_vec(),
            hex_bytes::<32>("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
                .to_vec()
        );
        let sig = key.sign(b"");
        assert_eq!(
            sig.to_vec(),
            hex_bytes::<64>(
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            )
            .to_vec()
        );
    }

    fn hex_bytes<const N: usize>(text: &str) -> [u8; N] {
        let mut out = [0u8; N];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
