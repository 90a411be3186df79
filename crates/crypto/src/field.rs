//! The sealed-field format and the per-version field key.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use zeroize::Zeroizing;

use crate::{CryptoError, SecretKey32};

pub(crate) const FORMAT_V1: u8 = 0x01;
const HEADER_LEN: usize = 1 + 4;
const TAG_LEN: usize = 16;
const MIN_SEALED_LEN: usize = HEADER_LEN + NONCE_LEN + TAG_LEN;
const AAD_DOMAIN: &[u8] = b"enamel-field-v1";

/// Where a sealed value lives. All of it is bound as associated data, so a ciphertext only
/// opens in the exact cell it was written to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    pub(crate) practice: &'a str,
    pub(crate) table: &'a str,
    pub(crate) column: &'a str,
    pub(crate) row: &'a str,
}

impl Place<'_> {
    /// Each component is length-prefixed so that no two different places share an encoding
    /// (`"ab" + "c"` vs `"a" + "bc"`), and the key version is included so that editing the
    /// version in the header cannot redirect a value to another key undetected.
    pub(crate) fn aad(&self, version: u32) -> Vec<u8> {
        let parts = [self.practice, self.table, self.column, self.row];
        let len = AAD_DOMAIN.len() + parts.iter().map(|p| 4 + p.len()).sum::<usize>() + 4;
        let mut aad = Vec::with_capacity(len);
        aad.extend_from_slice(AAD_DOMAIN);
        for part in parts {
            aad.extend_from_slice(&len_prefix(part.len()));
            aad.extend_from_slice(part.as_bytes());
        }
        aad.extend_from_slice(&version.to_be_bytes());
        aad
    }

    pub(crate) fn integrity_error(&self) -> CryptoError {
        CryptoError::Integrity {
            table: self.table.to_string(),
            column: self.column.to_string(),
        }
    }
}

/// Lengths beyond u32 cannot come from real identifiers; saturating keeps this total without a
/// panic path, and such inputs would still differ in their bytes.
fn len_prefix(len: usize) -> [u8; 4] {
    u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes()
}

/// One version of a practice's field-encryption key (AES-256-GCM, random 96-bit nonces).
pub struct FieldKey {
    version: u32,
    aead: RandomizedNonceKey,
}

impl fmt::Debug for FieldKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldKey")
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl FieldKey {
    pub fn new(version: u32, secret: &SecretKey32) -> Result<FieldKey, CryptoError> {
        let aead = RandomizedNonceKey::new(&AES_256_GCM, secret.expose_secret_danger())
            .map_err(|_| CryptoError::Malformed("field key rejected by AES-256-GCM"))?;
        Ok(Self { version, aead })
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    /// `0x01 | version u32 BE | nonce 12 | ciphertext | tag 16`.
    pub(crate) fn seal(&self, place: &Place<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut out = Vec::with_capacity(MIN_SEALED_LEN + plaintext.len());
        out.push(FORMAT_V1);
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&[0u8; NONCE_LEN]);
        out.extend_from_slice(plaintext);
        let body = HEADER_LEN + NONCE_LEN;
        let (nonce, tag) = self
            .aead
            .seal_in_place_separate_tag(Aad::from(place.aad(self.version)), &mut out[body..])
            .map_err(|_| CryptoError::Rng)?;
        out[HEADER_LEN..body].copy_from_slice(nonce.as_ref());
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// The caller has checked the header names this key's version.
    pub(crate) fn open(
        &self,
        place: &Place<'_>,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        if sealed.len() < MIN_SEALED_LEN {
            return Err(CryptoError::Malformed("sealed value is too short"));
        }
        let body = HEADER_LEN + NONCE_LEN;
        let nonce = Nonce::try_assume_unique_for_key(&sealed[HEADER_LEN..body])
            .map_err(|_| CryptoError::Malformed("sealed value has a bad nonce"))?;
        let mut buf = Zeroizing::new(sealed[body..].to_vec());
        let plain_len = self
            .aead
            .open_in_place(nonce, Aad::from(place.aad(self.version)), &mut buf)
            .map_err(|_| place.integrity_error())?
            .len();
        // The tag bytes left in the spare capacity are wiped with the buffer.
        buf.truncate(plain_len);
        Ok(buf)
    }
}

/// The key version a sealed value names in its header, without opening it. Used to find values
/// still under an old key during rotation.
pub fn sealed_key_version(sealed: &[u8]) -> Result<u32, CryptoError> {
    if sealed.len() < MIN_SEALED_LEN {
        return Err(CryptoError::Malformed("sealed value is too short"));
    }
    if sealed[0] != FORMAT_V1 {
        return Err(CryptoError::Malformed("sealed value has an unknown format"));
    }
    let mut version = [0u8; 4];
    version.copy_from_slice(&sealed[1..HEADER_LEN]);
    Ok(u32::from_be_bytes(version))
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::secret::test_support::assert_no_key_in;

    const PLACE: Place<'static> = Place {
        practice: "p1",
        table: "patients",
        column: "family_name",
        row: "r1",
    };

    fn key(version: u32) -> FieldKey {
        FieldKey::new(version, &SecretKey32::from_bytes([3; 32])).unwrap()
    }

    #[test]
    fn layout_and_round_trip() {
        let sealed = key(7).seal(&PLACE, b"Smith").unwrap();
        assert_eq!(sealed.len(), 1 + 4 + 12 + 5 + 16);
        assert_eq!(sealed[..5], [0x01, 0, 0, 0, 7]);
        assert_eq!(sealed_key_version(&sealed).unwrap(), 7);
        assert!(!sealed.windows(5).any(|w| w == b"Smith"));
        assert_eq!(key(7).open(&PLACE, &sealed).unwrap().as_slice(), b"Smith");
    }

    #[test]
    fn aad_is_length_prefixed_and_ends_with_version() {
        let aad = PLACE.aad(0x0102_0304);
        let mut expected = b"enamel-field-v1".to_vec();
        for part in ["p1", "patients", "family_name", "r1"] {
            expected.extend_from_slice(&(part.len() as u32).to_be_bytes());
            expected.extend_from_slice(part.as_bytes());
        }
        expected.extend_from_slice(&[1, 2, 3, 4]);
        assert_eq!(aad, expected);
        let shifted = Place {
            table: "patientsf",
            column: "amily_name",
            ..PLACE
        };
        assert_ne!(shifted.aad(1), PLACE.aad(1));
    }

    #[test]
    fn same_bytes_under_a_key_with_another_version_do_not_open() {
        let sealed = key(1).seal(&PLACE, b"x").unwrap();
        assert!(matches!(
            key(2).open(&PLACE, &sealed),
            Err(CryptoError::Integrity { .. })
        ));
    }

    #[test]
    fn sealed_key_version_rejects_short_and_unknown_format() {
        assert!(matches!(
            sealed_key_version(&[1, 0, 0, 0]),
            Err(CryptoError::Malformed(_))
        ));
        let mut sealed = key(1).seal(&PLACE, b"").unwrap();
        assert_eq!(sealed.len(), MIN_SEALED_LEN);
        assert!(sealed_key_version(&sealed).is_ok());
        assert!(matches!(
            sealed_key_version(&sealed[..MIN_SEALED_LEN - 1]),
            Err(CryptoError::Malformed(_))
        ));
        sealed[0] = 0x02;
        assert!(matches!(
            sealed_key_version(&sealed),
            Err(CryptoError::Malformed(_))
        ));
    }

    #[test]
    fn debug_is_redacted() {
        let shown = format!("{:?} {:#?}", key(4), key(4));
        assert!(shown.contains("FieldKey") && shown.contains('4'));
        assert_no_key_in(&shown, &[3; 32]);
    }
}
