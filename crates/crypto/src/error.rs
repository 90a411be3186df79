use std::path::PathBuf;

/// Everything that can go wrong in this crate.
///
/// Messages are written for the person running the server: plain, calm, and never carrying key
/// material, plaintext or the contents of a key file, because they end up in logs and on screens.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    #[error(
        "a stored value in {table}.{column} failed its integrity check (it was altered or moved)"
    )]
    Integrity { table: String, column: String },

    #[error("a stored encrypted value is malformed: {0}")]
    Malformed(&'static str),

    #[error("a stored value uses field key version {version}, which is not loaded")]
    UnknownKeyVersion { version: u32 },

    #[error(
        "a stored value uses field key version {version}, which has been retired; re-encrypt it with the current key"
    )]
    KeyRetired { version: u32 },

    #[error("the key-encryption key \"{kek_id}\" is not available to this server")]
    UnknownKek { kek_id: String },

    #[error("the key file {} does not exist; create it first", .path.display())]
    KeyFileMissing { path: PathBuf },

    #[error("the key file {} already exists; refusing to overwrite it", .path.display())]
    KeyFileExists { path: PathBuf },

    #[error(
        "the key file {} can be read or changed by other users; run `chmod 600 {}` and try again",
        .path.display(),
        .path.display()
    )]
    KeyFilePermissions { path: PathBuf },

    #[error("the key file {} is not valid: {problem}", .path.display())]
    KeyFileInvalid { path: PathBuf, problem: String },

    #[error("the key file {} could not be read or written: {problem}", .path.display())]
    KeyFileIo { path: PathBuf, problem: String },

    #[error(
        "the key in {source_name} is not valid: it must be 32 random bytes in standard base64 (44 characters)"
    )]
    BadKeyEncoding { source_name: String },

    #[error("the active key-encryption key cannot be removed; add a new one first")]
    ActiveKekRemoval,

    #[error(
        "a wrapped data key could not be unwrapped (wrong key-encryption key, or the wrapped key was altered or moved)"
    )]
    Unwrap,

    #[error("the system random number generator failed")]
    Rng,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_message_tells_the_user_the_fix() {
        let e = CryptoError::KeyFilePermissions {
            path: PathBuf::from("/etc/enamel/keys.json"),
        };
        assert!(e.to_string().contains("chmod 600 /etc/enamel/keys.json"));
    }

    #[test]
    fn integrity_message_names_the_column_only() {
        let e = CryptoError::Integrity {
            table: "patients".into(),
            column: "family_name".into(),
        };
        assert_eq!(
            e.to_string(),
            "a stored value in patients.family_name failed its integrity check (it was altered or moved)"
        );
    }
}
