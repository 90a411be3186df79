//! Enamel's cryptography core: secret key types, the key hierarchy (key-encryption keys that
//! wrap per-practice data keys), field encryption that binds every value to its practice,
//! table, column, row and key version, and blind indexes for searching encrypted columns.
//!
//! Every primitive comes from aws-lc-rs (or a named, well-kept crate below); nothing here is hand-rolled. The crate does no I/O
//! beyond reading and writing the key file, and must never depend on storage, HTTP or the
//! application layer: callers hand it bytes and identifiers and get bytes back.
//!
//! Key hierarchy: a [`KeyProvider`] holds KEKs and wraps each practice's [`SecretKey32`] data
//! keys; the unwrapped keys become a [`PracticeKeys`] (field keys by version plus a
//! [`BlindIndexKey`]). Cloud KMS or Vault custody can be added as another `KeyProvider`.
//!
//! Sign-in secrets live here too: Argon2id password hashes (the `argon2` crate; aws-lc has no
//! Argon2), TOTP (the `totp-rs` crate), hashed bearer tokens and recovery codes.

mod env_provider;
mod error;
mod field;
mod file_provider;
mod index;
mod kek;
mod key_file;
mod normalize;
mod password;
mod practice;
mod provider;
mod secret;
mod secure_file;
mod signing;
mod token;
mod totp;

pub use env_provider::EnvKeyProvider;
pub use error::CryptoError;
pub use field::{FieldKey, sealed_key_version};
pub use file_provider::FileKeyProvider;
pub use index::{BlindIndexKey, MAX_PREFIX_CHARS};
pub use normalize::normalize_for_search;
pub use password::{
    MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, PasswordProblem, burn_password_check,
    check_new_password, hash_password, verify_password,
};
pub use practice::PracticeKeys;
pub use provider::{KeyProvider, WrappedKey};
pub use secret::SecretKey32;
pub use signing::{SIGNATURE_LEN, SigningKey, sha256};
pub use token::{OpaqueToken, constant_time_eq, generate_recovery_codes, hash_recovery_code};
pub use totp::{TotpSecret, otpauth_uri, qr_svg, totp_code, verify_totp};
