use std::fmt;

use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// 32 bytes of key material: a data key, an index key or a KEK.
///
/// The bytes are wiped when the value is dropped, `Debug` never shows them, and the only way
/// to read them is the deliberately alarming [`SecretKey32::expose_secret_danger`], so every
/// place that handles raw key bytes is easy to find in review.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretKey32([u8; 32]);

impl SecretKey32 {
    /// Fresh key bytes from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, CryptoError> {
        let mut key = Self([0u8; 32]);
        fill_random(&mut key.0)?;
        Ok(key)
    }

    /// Takes ownership of `bytes`. The caller's own copies (if any) are not wiped.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The raw key bytes. Only for handing them to a primitive or to a wrapping step.
    pub fn expose_secret_danger(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Debug for SecretKey32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey32(..redacted..)")
    }
}

pub(crate) fn fill_random(dest: &mut [u8]) -> Result<(), CryptoError> {
    SystemRandom::new().fill(dest).map_err(|_| CryptoError::Rng)
}

/// Lowercase hex, used for identifiers (KEK ids), never for key bytes.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
pub(crate) mod test_support {
    use base64::Engine;

    /// Renderings of a key an accidental leak would most likely use.
    pub(crate) fn renderings(key: &[u8; 32]) -> Vec<String> {
        vec![
            base64::engine::general_purpose::STANDARD.encode(key),
            base64::engine::general_purpose::STANDARD_NO_PAD.encode(key),
            super::to_hex(key),
            super::to_hex(key).to_uppercase(),
            format!("{key:?}"),
            format!("{:?}", &key[..8]),
        ]
    }

    pub(crate) fn assert_no_key_in(text: &str, key: &[u8; 32]) {
        for r in renderings(key) {
            assert!(
                !text.contains(&r),
                "key rendering {r:?} leaked into {text:?}"
            );
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_differ_and_are_not_zero() {
        let a = SecretKey32::generate().unwrap();
        let b = SecretKey32::generate().unwrap();
        assert_ne!(a.expose_secret_danger(), b.expose_secret_danger());
        assert_ne!(a.expose_secret_danger(), &[0u8; 32]);
    }

    #[test]
    fn debug_is_redacted() {
        let key = SecretKey32::from_bytes([0xab; 32]);
        let shown = format!("{key:?} {key:#?}");
        assert!(shown.contains("SecretKey32(..redacted..)"));
        test_support::assert_no_key_in(&shown, key.expose_secret_danger());
        assert!(!shown.contains("171"), "decimal bytes leaked: {shown}");
    }

    #[test]
    fn zeroize_wipes_the_bytes() {
        let mut key = SecretKey32::from_bytes([7; 32]);
        key.zeroize();
        assert_eq!(key.expose_secret_danger(), &[0u8; 32]);
    }

    #[test]
    fn hex_matches_known_value() {
        assert_eq!(to_hex(&[0x00, 0x1f, 0xa0, 0xff]), "001fa0ff");
    }
}
