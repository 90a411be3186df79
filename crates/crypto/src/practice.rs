use std::collections::BTreeMap;
use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use crate::field::Place;
use crate::{BlindIndexKey, CryptoError, FieldKey, SigningKey, sealed_key_version};

/// All of one practice's keys: the field-key versions loaded for it, which one seals new
/// values, the oldest one still allowed to open, and its blind-index key.
///
/// Every sealed value is bound to this practice's id, so a value copied into another practice's
/// rows does not open even if the keys were the same.
pub struct PracticeKeys {
    practice_id: String,
    index: BlindIndexKey,
    field_keys: BTreeMap<u32, FieldKey>,
    /// 0 until `set_active`: no version is chosen implicitly, so sealing before the caller has
    /// said which version is current fails instead of silently using an old one.
    active: u32,
    min_version: u32,
    /// Record-signing keys by version (none until the practice first signs).
    signing: BTreeMap<u32, SigningKey>,
}

impl fmt::Debug for PracticeKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PracticeKeys")
            .field("practice_id", &self.practice_id)
            .field("versions", &self.versions())
            .field("active", &self.active)
            .field("min_version", &self.min_version)
            .finish_non_exhaustive()
    }
}

impl PracticeKeys {
    pub fn new(practice_id: String, index: BlindIndexKey) -> Self {
        Self {
            practice_id,
            index,
            field_keys: BTreeMap::new(),
            active: 0,
            min_version: 0,
            signing: BTreeMap::new(),
        }
    }

    /// Loads a record-signing key version.
    pub fn insert_signing_key(&mut self, key: SigningKey) {
        self.signing.insert(key.version(), key);
    }

    /// The newest record-signing key, which signs new records.
    pub fn signing_key(&self) -> Option<&SigningKey> {
        self.signing.values().next_back()
    }

    /// The record-signing key of `version`, for checking a signature it made.
    pub fn signing_key_version(&self, version: u32) -> Option<&SigningKey> {
        self.signing.get(&version)
    }

    /// Loads a field-key version; a key with the same version replaces the old one.
    pub fn insert_field_key(&mut self, key: FieldKey) {
        self.field_keys.insert(key.version(), key);
    }

    pub fn set_active(&mut self, version: u32) -> Result<(), CryptoError> {
        if !self.field_keys.contains_key(&version) {
            return Err(CryptoError::UnknownKeyVersion { version });
        }
        self.active = version;
        Ok(())
    }

    /// Values under versions below this are refused even if their key is still loaded, so a
    /// retired key stops being usable as soon as rotation says so.
    pub fn set_min_version(&mut self, v: u32) {
        self.min_version = v;
    }

    pub fn active_version(&self) -> u32 {
        self.active
    }

    pub fn min_version(&self) -> u32 {
        self.min_version
    }

    /// Loaded versions, ascending.
    pub fn versions(&self) -> Vec<u32> {
        self.field_keys.keys().copied().collect()
    }

    pub fn practice_id(&self) -> &str {
        &self.practice_id
    }

    pub fn index(&self) -> &BlindIndexKey {
        &self.index
    }

    /// Seals a value for one cell with the active key version.
    pub fn seal(
        &self,
        table: &str,
        column: &str,
        row_id: &str,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, CryptoError> {
        let key = self
            .field_keys
            .get(&self.active)
            .ok_or(CryptoError::UnknownKeyVersion {
                version: self.active,
            })?;
        key.seal(&self.place(table, column, row_id), plaintext)
    }

    pub fn seal_str(
        &self,
        table: &str,
        column: &str,
        row_id: &str,
        text: &str,
    ) -> Result<Vec<u8>, CryptoError> {
        self.seal(table, column, row_id, text.as_bytes())
    }

    /// Opens a value sealed for exactly this practice, table, column and row.
    pub fn open(
        &self,
        table: &str,
        column: &str,
        row_id: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        let version = sealed_key_version(sealed)?;
        if version < self.min_version {
            return Err(CryptoError::KeyRetired { version });
        }
        let key = self
            .field_keys
            .get(&version)
            .ok_or(CryptoError::UnknownKeyVersion { version })?;
        key.open(&self.place(table, column, row_id), sealed)
    }

    /// Like [`PracticeKeys::open`] for text. Bytes that are not UTF-8 cannot have come from
    /// `seal_str`, so they are reported as an integrity failure.
    pub fn open_string(
        &self,
        table: &str,
        column: &str,
        row_id: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<String>, CryptoError> {
        let mut bytes = self.open(table, column, row_id, sealed)?;
        match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(e) => {
                e.into_bytes().zeroize();
                Err(self.place(table, column, row_id).integrity_error())
            }
        }
    }

    fn place<'a>(&'a self, table: &'a str, column: &'a str, row: &'a str) -> Place<'a> {
        Place {
            practice: &self.practice_id,
            table,
            column,
            row,
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::SecretKey32;
    use crate::secret::test_support::assert_no_key_in;
    use proptest::prelude::*;

    const T: &str = "patients";
    const C: &str = "family_name";
    const R: &str = "0190a0c4-row-1";

    fn secret(byte: u8) -> SecretKey32 {
        SecretKey32::from_bytes([byte; 32])
    }

    /// Versions 1 and 2 loaded, 2 active.
    fn keys_for(practice: &str) -> PracticeKeys {
        let mut k = PracticeKeys::new(practice.into(), BlindIndexKey::new(&secret(9)));
        k.insert_field_key(FieldKey::new(1, &secret(1)).unwrap());
        k.insert_field_key(FieldKey::new(2, &secret(2)).unwrap());
        k.set_active(2).unwrap();
        k
    }

    fn keys() -> PracticeKeys {
        keys_for("practice-a")
    }

    #[test]
    fn round_trip_bytes_and_text() {
        let k = keys();
        let sealed = k.seal(T, C, R, b"\x00\xffbytes").unwrap();
        assert_eq!(sealed_key_version(&sealed).unwrap(), 2);
        assert_eq!(
            k.open(T, C, R, &sealed).unwrap().as_slice(),
            b"\x00\xffbytes"
        );
        let sealed = k.seal_str(T, C, R, "Zoë 山田").unwrap();
        assert_eq!(
            k.open_string(T, C, R, &sealed).unwrap().as_str(),
            "Zoë 山田"
        );
        let empty = k.seal_str(T, C, R, "").unwrap();
        assert_eq!(k.open_string(T, C, R, &empty).unwrap().as_str(), "");
    }

    #[test]
    fn moved_values_fail_integrity() {
        let k = keys();
        let sealed = k.seal_str(T, C, R, "Smith").unwrap();
        let elsewhere = [
            (T, C, "0190a0c4-row-2"),
            (T, "given_name", R),
            ("staff", C, R),
        ];
        for (t, c, r) in elsewhere {
            match k.open(t, c, r, &sealed) {
                Err(CryptoError::Integrity { table, column }) => {
                    assert_eq!((table.as_str(), column.as_str()), (t, c));
                }
                other => panic!("{t}.{c}/{r}: expected Integrity, got {other:?}"),
            }
        }
        // Same key bytes, other practice: only the bound practice id differs.
        let other = keys_for("practice-b");
        assert!(matches!(
            other.open(T, C, R, &sealed),
            Err(CryptoError::Integrity { .. })
        ));
        assert_eq!(
            keys_for("practice-a")
                .open_string(T, C, R, &sealed)
                .unwrap()
                .as_str(),
            "Smith"
        );
    }

    #[test]
    fn every_flipped_bit_position_fails() {
        let k = keys();
        let sealed = k.seal_str(T, C, R, "O'Brien").unwrap();
        for i in 0..sealed.len() {
            for bit in [0x01u8, 0x80] {
                let mut t = sealed.clone();
                t[i] ^= bit;
                assert!(
                    k.open(T, C, R, &t).is_err(),
                    "byte {i} bit {bit:#x} accepted"
                );
            }
        }
        assert!(matches!(
            k.open(T, C, R, &sealed[..sealed.len() - 1]),
            Err(CryptoError::Integrity { .. })
        ));
        assert!(matches!(
            k.open(T, C, R, &sealed[..20]),
            Err(CryptoError::Malformed(_))
        ));
        let mut longer = sealed.clone();
        longer.push(0);
        assert!(k.open(T, C, R, &longer).is_err());
    }

    #[test]
    fn edited_version_fails() {
        let mut k = keys();
        k.set_active(1).unwrap();
        let mut sealed = k.seal_str(T, C, R, "Smith").unwrap();
        assert_eq!(sealed[1..5], [0, 0, 0, 1]);
        sealed[4] = 2;
        assert!(matches!(
            k.open(T, C, R, &sealed),
            Err(CryptoError::Integrity { .. })
        ));
        sealed[4] = 3;
        assert!(matches!(
            k.open(T, C, R, &sealed),
            Err(CryptoError::UnknownKeyVersion { version: 3 })
        ));
    }

    #[test]
    fn edited_version_fails_even_if_both_versions_share_key_bytes() {
        let mut k = PracticeKeys::new("p".into(), BlindIndexKey::new(&secret(9)));
        k.insert_field_key(FieldKey::new(1, &secret(1)).unwrap());
        k.insert_field_key(FieldKey::new(2, &secret(1)).unwrap());
        k.set_active(1).unwrap();
        let mut sealed = k.seal_str(T, C, R, "Smith").unwrap();
        sealed[4] = 2;
        assert!(matches!(
            k.open(T, C, R, &sealed),
            Err(CryptoError::Integrity { .. })
        ));
    }

    #[test]
    fn retired_and_unknown_versions() {
        let mut k = keys();
        k.set_active(1).unwrap();
        let old = k.seal_str(T, C, R, "Smith").unwrap();
        k.set_active(2).unwrap();
        k.set_min_version(2);
        assert_eq!(k.min_version(), 2);
        assert!(matches!(
            k.open(T, C, R, &old),
            Err(CryptoError::KeyRetired { version: 1 })
        ));
        let current = k.seal_str(T, C, R, "Smith").unwrap();
        assert_eq!(k.open_string(T, C, R, &current).unwrap().as_str(), "Smith");

        let mut newer = PracticeKeys::new("practice-a".into(), BlindIndexKey::new(&secret(9)));
        newer.insert_field_key(FieldKey::new(5, &secret(5)).unwrap());
        newer.set_active(5).unwrap();
        let v5 = newer.seal_str(T, C, R, "Smith").unwrap();
        assert!(matches!(
            k.open(T, C, R, &v5),
            Err(CryptoError::UnknownKeyVersion { version: 5 })
        ));
    }

    #[test]
    fn active_version_must_be_loaded() {
        let mut k = PracticeKeys::new("p".into(), BlindIndexKey::new(&secret(9)));
        assert!(matches!(
            k.seal(T, C, R, b"x"),
            Err(CryptoError::UnknownKeyVersion { version: 0 })
        ));
        assert!(matches!(
            k.set_active(4),
            Err(CryptoError::UnknownKeyVersion { version: 4 })
        ));
        k.insert_field_key(FieldKey::new(4, &secret(4)).unwrap());
        k.insert_field_key(FieldKey::new(3, &secret(3)).unwrap());
        k.set_active(4).unwrap();
        assert_eq!(k.active_version(), 4);
        assert_eq!(k.versions(), vec![3, 4]);
        assert_eq!(k.practice_id(), "p");
    }

    #[test]
    fn seals_are_randomized() {
        let k = keys();
        let a = k.seal_str(T, C, R, "Smith").unwrap();
        let b = k.seal_str(T, C, R, "Smith").unwrap();
        assert_ne!(a, b);
        assert_ne!(a[5..17], b[5..17], "nonces repeated");
    }

    #[test]
    fn invalid_utf8_is_an_integrity_failure() {
        let k = keys();
        let sealed = k.seal(T, C, R, &[0x66, 0xff, 0xfe]).unwrap();
        assert!(matches!(
            k.open_string(T, C, R, &sealed),
            Err(CryptoError::Integrity { .. })
        ));
    }

    #[test]
    fn errors_carry_no_row_data() {
        let k = keys();
        let sealed = k.seal_str(T, C, R, "Smith").unwrap();
        let err = k.open(T, C, "other-row", &sealed).unwrap_err();
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains("Smith") && !shown.contains("other-row"),
            "{shown}"
        );
    }

    #[test]
    fn debug_is_redacted_and_type_is_shareable() {
        fn assert_send_sync<X: Send + Sync>() {}
        assert_send_sync::<PracticeKeys>();
        let shown = format!("{:?} {:#?}", keys(), keys());
        assert!(shown.contains("practice-a"));
        for byte in [1, 2, 9] {
            assert_no_key_in(&shown, &[byte; 32]);
        }
    }

    proptest! {
        #[test]
        fn round_trips_arbitrary_bytes(
            data in proptest::collection::vec(any::<u8>(), 0..2048),
            row in "[a-z0-9-]{0,40}",
        ) {
            let k = keys();
            let sealed = k.seal(T, C, &row, &data).unwrap();
            prop_assert_eq!(sealed.len(), 1 + 4 + 12 + data.len() + 16);
            let opened = k.open(T, C, &row, &sealed).unwrap();
            prop_assert_eq!(opened.as_slice(), data.as_slice());
        }
    }
}
