use std::fmt;

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

use crate::kek::Kek;
use crate::secret::to_hex;
use crate::{CryptoError, KeyProvider, SecretKey32, WrappedKey};

/// One KEK supplied from outside, typically an environment variable set by the service manager
/// or a container secret, for deployments that keep no key file on disk.
pub struct EnvKeyProvider {
    kek: Kek,
}

impl fmt::Debug for EnvKeyProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvKeyProvider")
            .field("kek_id", &self.kek.id)
            .finish()
    }
}

impl EnvKeyProvider {
    /// `value` is standard base64 of 32 bytes; surrounding whitespace (a trailing newline from a
    /// secrets file) is ignored. `var_name` is only used to name the source in errors; the value
    /// itself never appears in one.
    ///
    /// The KEK id is derived from the key, so the same key gives the same id on every start and
    /// every server, and wraps made earlier still find their KEK.
    pub fn from_base64(var_name: &str, value: &str) -> Result<Self, CryptoError> {
        let bad = || CryptoError::BadKeyEncoding {
            source_name: var_name.to_string(),
        };
        let decoded = Zeroizing::new(STANDARD.decode(value.trim()).map_err(|_| bad())?);
        let bytes: [u8; 32] = decoded.as_slice().try_into().map_err(|_| bad())?;
        let secret = SecretKey32::from_bytes(bytes);
        let id = derive_id(&secret);
        Ok(Self {
            kek: Kek::new(id, 0, secret)?,
        })
    }
}

fn derive_id(secret: &SecretKey32) -> String {
    let mut input = Zeroizing::new(Vec::with_capacity(13 + 32));
    input.extend_from_slice(b"enamel-kek-id");
    input.extend_from_slice(secret.expose_secret_danger());
    let hash = digest(&SHA256, &input);
    format!("env-{}", to_hex(&hash.as_ref()[..8]))
}

impl KeyProvider for EnvKeyProvider {
    fn active_kek_id(&self) -> String {
        self.kek.id.clone()
    }

    fn wrap(&self, key: &SecretKey32, context: &[u8]) -> Result<WrappedKey, CryptoError> {
        self.kek.wrap(key, context)
    }

    fn unwrap(&self, wrapped: &WrappedKey, context: &[u8]) -> Result<SecretKey32, CryptoError> {
        if wrapped.kek_id != self.kek.id {
            return Err(CryptoError::UnknownKek {
                kek_id: wrapped.kek_id.clone(),
            });
        }
        self.kek.unwrap(wrapped, context)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::secret::test_support::assert_no_key_in;

    const KEY: [u8; 32] = [0x5a; 32];

    fn provider() -> EnvKeyProvider {
        EnvKeyProvider::from_base64("ENAMEL_KEK", &STANDARD.encode(KEY)).unwrap()
    }

    #[test]
    fn id_is_stable_and_derived_from_the_key() {
        let a = provider();
        let b =
            EnvKeyProvider::from_base64("OTHER", &format!("{}\n", STANDARD.encode(KEY))).unwrap();
        assert_eq!(a.active_kek_id(), b.active_kek_id());
        let mut input = b"enamel-kek-id".to_vec();
        input.extend_from_slice(&KEY);
        let expected = format!("env-{}", to_hex(&digest(&SHA256, &input).as_ref()[..8]));
        assert_eq!(a.active_kek_id(), expected);
        assert_eq!(expected.len(), 20);
        let other = EnvKeyProvider::from_base64("X", &STANDARD.encode([1u8; 32])).unwrap();
        assert_ne!(other.active_kek_id(), a.active_kek_id());
    }

    #[test]
    fn wrap_unwrap_across_instances() {
        let data = SecretKey32::generate().unwrap();
        let w = provider().wrap(&data, b"ctx").unwrap();
        let back = provider().unwrap(&w, b"ctx").unwrap();
        assert_eq!(back.expose_secret_danger(), data.expose_secret_danger());
        assert!(matches!(
            provider().unwrap(&w, b"other"),
            Err(CryptoError::Unwrap)
        ));
        let foreign = WrappedKey {
            kek_id: "kek-0000000000000000".into(),
            ..w
        };
        match provider().unwrap(&foreign, b"ctx") {
            Err(CryptoError::UnknownKek { kek_id }) => assert_eq!(kek_id, "kek-0000000000000000"),
            other => panic!("expected UnknownKek, got {other:?}"),
        }
    }

    #[test]
    fn bad_values_name_the_variable_not_the_value() {
        let short = STANDARD.encode([7u8; 31]);
        let long = STANDARD.encode([7u8; 33]);
        for value in [
            "not base64 at all!!",
            short.as_str(),
            long.as_str(),
            "",
            "c2VjcmV0",
        ] {
            let err = EnvKeyProvider::from_base64("ENAMEL_KEK", value).unwrap_err();
            match &err {
                CryptoError::BadKeyEncoding { source_name } => {
                    assert_eq!(source_name, "ENAMEL_KEK")
                }
                other => panic!("expected BadKeyEncoding, got {other:?}"),
            }
            let shown = format!("{err} {err:?}");
            assert!(shown.contains("ENAMEL_KEK"));
            if !value.is_empty() {
                assert!(!shown.contains(value), "{shown} contains {value}");
            }
        }
    }

    #[test]
    fn debug_is_redacted() {
        let p = provider();
        let shown = format!("{p:?} {p:#?}");
        assert!(shown.contains(&p.active_kek_id()));
        assert_no_key_in(&shown, &KEY);
    }
}
