//! Bearer secrets the server hands out (session tokens, API tokens, reset links) and the
//! one-time recovery codes of the second factor.
//!
//! They are 256-bit random values, so a plain SHA-256 is the right thing to store: nobody can
//! guess a preimage, and a stolen table of hashes lets nobody sign in.

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::CryptoError;
use crate::secret::fill_random;

/// A random bearer token: shown to its holder once, stored only as its hash.
#[derive(Debug)]
pub struct OpaqueToken;

impl OpaqueToken {
    /// A fresh token (`prefix` followed by 43 URL-safe characters) and its hash. The prefix
    /// tells a person or a secret scanner what kind of token it is.
    pub fn generate(prefix: &str) -> Result<(String, [u8; 32]), CryptoError> {
        let mut bytes = [0u8; 32];
        fill_random(&mut bytes)?;
        let token = format!("{prefix}{}", URL_SAFE_NO_PAD.encode(bytes));
        let hash = Self::hash(&token);
        Ok((token, hash))
    }

    /// The value stored in place of the token.
    pub fn hash(token: &str) -> [u8; 32] {
        sha256(token.as_bytes())
    }
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// Equality that takes the same time wherever the first difference is.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}

/// Crockford's base32 alphabet: no I, L, O or U, so codes read aloud or copied from paper
/// survive.
const RECOVERY_ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
/// 16 characters of 5 bits: 80 bits per code.
const RECOVERY_CHARS: usize = 16;

/// `count` fresh recovery codes, formatted `xxxx-xxxx-xxxx-xxxx`.
pub fn generate_recovery_codes(count: usize) -> Result<Vec<String>, CryptoError> {
    (0..count)
        .map(|_| {
            let mut random = [0u8; RECOVERY_CHARS];
            fill_random(&mut random)?;
            let mut code = String::with_capacity(RECOVERY_CHARS + 3);
            for (i, b) in random.iter().enumerate() {
                if i > 0 && i % 4 == 0 {
                    code.push('-');
                }
                code.push(char::from(RECOVERY_ALPHABET[usize::from(b & 31)]));
            }
            Ok(code)
        })
        .collect()
}

/// The stored form of a recovery code. Case, dashes and spaces do not matter, and the letters
/// people confuse with digits (O, I, L) count as those digits.
pub fn hash_recovery_code(code: &str) -> [u8; 32] {
    let normalized: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            other => other,
        })
        .collect();
    sha256(format!("recovery-code:{normalized}").as_bytes())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let (a, ha) = OpaqueToken::generate("ens_").unwrap();
        let (b, hb) = OpaqueToken::generate("ens_").unwrap();
        assert!(a.starts_with("ens_") && a.len() == 4 + 43, "{a}");
        assert_ne!(a, b);
        assert_ne!(ha, hb);
        assert_eq!(OpaqueToken::hash(&a), ha);
        assert!(
            a[4..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn sha256_matches_the_standard_vector() {
        // FIPS 180-2, "abc".
        let expected = [
            0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
            0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
            0xf2, 0x00, 0x15, 0xad,
        ];
        assert_eq!(OpaqueToken::hash("abc"), expected);
    }

    #[test]
    fn constant_time_eq_compares_content_and_length() {
        assert!(constant_time_eq(b"same", b"same"));
        assert!(!constant_time_eq(b"same", b"sane"));
        assert!(!constant_time_eq(b"same", b"same+"));
    }

    #[test]
    fn recovery_codes_are_distinct_and_forgiving_to_type() {
        let codes = generate_recovery_codes(10).unwrap();
        assert_eq!(codes.len(), 10);
        let unique: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(unique.len(), 10);
        for code in &codes {
            assert_eq!(code.len(), 19);
            assert_eq!(code.matches('-').count(), 3);
            let typed = code.to_uppercase().replace('-', " ").replace('0', "O");
            assert_eq!(hash_recovery_code(&typed), hash_recovery_code(code));
        }
        assert_ne!(hash_recovery_code(&codes[0]), hash_recovery_code(&codes[1]));
    }

    #[test]
    fn recovery_code_hashes_are_not_token_hashes() {
        assert_ne!(hash_recovery_code("abcd"), OpaqueToken::hash("abcd"));
    }
}
