//! Staff passwords: Argon2id at OWASP's recommended parameters, and the rules a new password
//! must meet (NIST SP 800-63B: a minimum length, a check against common passwords, no
//! composition rules).

use std::collections::HashSet;
use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::CryptoError;
use crate::secret::fill_random;

/// Shortest password accepted for a new or changed password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted: long enough for any passphrase, short enough that nobody can
/// make the server hash megabytes.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// OWASP (2024): Argon2id, m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const LANES: u32 = 1;

static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("common_passwords.txt")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

fn hasher() -> Result<Argon2<'static>, CryptoError> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None)
        .map_err(|_| CryptoError::Malformed("Argon2id parameters"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes a password into a self-describing PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).
/// The salt is 16 bytes from the system CSPRNG.
pub fn hash_password(password: &str) -> Result<String, CryptoError> {
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let hash = hasher()?
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map_err(|_| CryptoError::Malformed("password hash"))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC string. A malformed stored hash never matches.
/// The parameters come from the stored string, so hashes made with older parameters still
/// verify.
pub fn verify_password(stored_hash: &str, password: &str) -> bool {
    match hasher() {
        Ok(h) => h.verify_password(password.as_bytes(), stored_hash).is_ok(),
        Err(_) => false,
    }
}

/// A hash of a random password, made once per process, so that checking a sign-in for an
/// account that does not exist costs the same as checking a real one.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let mut random = [0u8; 24];
    fill_random(&mut random).ok()?;
    hash_password(&crate::secret::to_hex(&random)).ok()
});

/// Does the work of one verification and throws the answer away (see [`DUMMY_HASH`]).
pub fn burn_password_check(password: &str) {
    if let Some(hash) = DUMMY_HASH.as_deref() {
        let _ = verify_password(hash, password);
    }
}

/// Why a new password was refused. The messages are shown to the person choosing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooLong,
    Common,
    ContainsUsername,
}

impl PasswordProblem {
    pub fn message(self) -> &'static str {
        match self {
            PasswordProblem::TooShort => {
                "use at least 12 characters; a short sentence you will remember works well"
            }
            PasswordProblem::TooLong => "use at most 256 characters",
            PasswordProblem::Common => {
                "this password is one of the most common ones and easy to guess; choose another"
            }
            PasswordProblem::ContainsUsername => "do not use your username in your password",
        }
    }
}

/// Checks a password someone is choosing. No composition rules: length, common passwords
/// (also with digits or symbols added around them, or repeated), and the username.
pub fn check_new_password(password: &str, username: &str) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let lower = password.to_lowercase();
    let username = username.trim().to_lowercase();
    if username.chars().count() >= 3 && lower.contains(&username) {
        return Err(PasswordProblem::ContainsUsername);
    }
    if is_common(&lower) {
        return Err(PasswordProblem::Common);
    }
    Ok(())
}

fn is_common(lower: &str) -> bool {
    let list = &*COMMON_PASSWORDS;
    if list.contains(lower) {
        return true;
    }
    // "password1234", "2024dragon!!": a listed word padded with digits and symbols.
    let padding = |c: char| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ';
    let core = lower.trim_matches(padding);
    if core.chars().count() >= 4 && list.contains(core) {
        return true;
    }
    // "passwordpassword", "abcabcabcabc": one short or listed unit repeated.
    let chars: Vec<char> = lower.chars().collect();
    (1..=chars.len() / 2).any(|unit| {
        chars.len().is_multiple_of(unit)
            && chars.chunks(unit).all(|c| c == &chars[..unit])
            && (unit <= 4 || list.contains(chars[..unit].iter().collect::<String>().as_str()))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hash = hash_password("a synthetic passphrase").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(&hash, "a synthetic passphrase"));
        assert!(!verify_password(&hash, "a synthetic passphrasE"));
        assert!(!verify_password("not a hash", "a synthetic passphrase"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        let a = hash_password("a synthetic passphrase").unwrap();
        let b = hash_password("a synthetic passphrase").unwrap();
        assert_ne!(a, b, "salts must differ");
    }

    #[test]
    fn hashes_with_other_parameters_still_verify() {
        let params = Params::new(8 * 1024, 1, 1, None).unwrap();
        let old = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_with_salt(b"an older passphrase", b"0123456789abcdef")
            .unwrap()
            .to_string();
        assert!(verify_password(&old, "an older passphrase"));
    }

    #[test]
    fn length_bounds() {
        assert_eq!(
            check_new_password("eleven char", "x"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(check_new_password("twelve chars", "x"), Ok(()));
        // Characters, not bytes: twelve accented letters pass, eleven do not.
        assert_eq!(
            check_new_password(&"é".repeat(11), "x"),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(check_new_password("éàèùâêîôûçëï", "x"), Ok(()));
        assert_eq!(
            check_new_password(&"long synthetic words ".repeat(13), "x"),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn common_passwords_and_their_obvious_variants_are_refused() {
        for p in [
            "123qweasdzxc",
            "1qaz2wsx3edc",
            "password1234",
            "Password1234!",
            "2024dragon!!",
            "passwordpassword",
            "aaaaaaaaaaaa",
            "abcabcabcabc",
            "monkeymonkey",
        ] {
            assert_eq!(
                check_new_password(p, "x"),
                Err(PasswordProblem::Common),
                "{p}"
            );
        }
        for p in [
            "a new synthetic passphrase",
            "tooth fairy ledger 42",
            "crownbridgeveneer",
        ] {
            assert_eq!(check_new_password(p, "x"), Ok(()), "{p}");
        }
    }

    #[test]
    fn the_username_is_refused_inside_the_password() {
        assert_eq!(
            check_new_password("front-desk is my name", "Front-Desk"),
            Err(PasswordProblem::ContainsUsername)
        );
    }

    #[test]
    fn the_list_is_loaded() {
        assert!(COMMON_PASSWORDS.len() > 20_000);
        assert!(COMMON_PASSWORDS.contains("password"));
    }
}
