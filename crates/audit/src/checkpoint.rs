//! Signed tree heads ("checkpoints") and the Ed25519 keys that sign them.
//!
//! A checkpoint is written as a text note in the style of C2SP tlog-checkpoint and signed-note,
//! so it can be printed, mailed to an auditor or pasted into a ticket:
//!
//! ```text
//! <origin>
//! <size, decimal>
//! <root, standard base64>
//! time <time_ms, decimal>
//!                                                  (blank line)
//! — enamel-audit <key_id> <signature, standard base64>
//! ```
//!
//! The signature is Ed25519 over the body (the four lines, each ending in `\n`). Unlike C2SP
//! notes, the key is named by `key_id` (16 hex digits of `SHA-256("enamel-audit-key" || public
//! key)`) in its own field, and a note carries exactly one signature. Parsing is strict (one
//! canonical spelling of every number and base64 value) so a note has exactly one meaning.

use std::fmt;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use zeroize::Zeroizing;

use crate::{AuditError, Hash, sha256};

/// Separates key ids from other SHA-256 uses of the same bytes.
const KEY_ID_CONTEXT: &[u8] = b"enamel-audit-key";
/// The signer name on the signature line, and the prefix of the public key file.
const NOTE_SIGNER: &str = "enamel-audit";
const KEY_FILE_PREFIX: &str = "enamel-audit-ed25519 ";
/// The em dash (U+2014) that starts a signature line, as in C2SP signed notes.
const SIG_LINE_START: &str = "\u{2014} ";

/// A tree head: the log named `origin` had `size` entries with Merkle root `root` at `time_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// One line naming the log (e.g. the practice server's host name); never contains `\n`.
    pub origin: String,
    pub size: u64,
    pub root: Hash,
    pub time_ms: i64,
}

impl Checkpoint {
    /// The signed text: `"{origin}\n{size}\n{base64 root}\ntime {time_ms}\n"`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\ntime {}\n",
            self.origin,
            self.size,
            BASE64.encode(self.root),
            self.time_ms
        )
    }

    /// Parses [`Checkpoint::body`] strictly (the text must end right after the time line).
    fn parse_body(body: &str) -> Result<Checkpoint, AuditError> {
        let lines = body
            .strip_suffix('\n')
            .ok_or_else(|| bad("the body does not end with a newline"))?;
        let mut lines = lines.split('\n');
        let (Some(origin), Some(size), Some(root), Some(time), None) = (
            lines.next(),
            lines.next(),
            lines.next(),
            lines.next(),
            lines.next(),
        ) else {
            return Err(bad("the body must have exactly four lines"));
        };
        if origin.is_empty() {
            return Err(bad("the origin line is empty"));
        }
        let size = parse_canonical::<u64>(size).ok_or_else(|| bad("the size is not a number"))?;
        let root = decode_fixed::<32>(root).ok_or_else(|| bad("the root is not a base64 hash"))?;
        let time_ms = time
            .strip_prefix("time ")
            .and_then(parse_canonical::<i64>)
            .ok_or_else(|| bad("the time line is malformed"))?;
        Ok(Checkpoint {
            origin: origin.to_string(),
            size,
            root,
            time_ms,
        })
    }
}

/// A checkpoint with the Ed25519 signature over its body and the id of the signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCheckpoint {
    pub checkpoint: Checkpoint,
    pub key_id: String,
    pub signature: Vec<u8>,
}

impl SignedCheckpoint {
    /// True when `key_id` names `key` and the signature verifies over the body. An origin with
    /// a newline never verifies: its body would not parse back to the same checkpoint.
    pub fn verify(&self, key: &VerifyingKey) -> bool {
        self.key_id == key.key_id()
            && !self.checkpoint.origin.contains('\n')
            && key.verify(self.checkpoint.body().as_bytes(), &self.signature)
    }

    /// The note: body, a blank line, and `— enamel-audit {key_id} {base64 signature}\n`.
    pub fn to_note(&self) -> String {
        format!(
            "{}\n{SIG_LINE_START}{NOTE_SIGNER} {} {}\n",
            self.checkpoint.body(),
            self.key_id,
            BASE64.encode(&self.signature)
        )
    }

    /// Parses [`SignedCheckpoint::to_note`] strictly. It does not verify the signature.
    pub fn from_note(text: &str) -> Result<SignedCheckpoint, AuditError> {
        let (body, sig_part) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the signature"))?;
        // The body's own final newline is the first of the two split off above.
        let body = text
            .get(..body.len() + 1)
            .ok_or_else(|| bad("the body is malformed"))?;
        let checkpoint = Checkpoint::parse_body(body)?;
        let line = sig_part
            .strip_suffix('\n')
            .filter(|line| !line.contains('\n'))
            .ok_or_else(|| bad("expected exactly one signature line ending in a newline"))?;
        let rest = line
            .strip_prefix(SIG_LINE_START)
            .and_then(|rest| rest.strip_prefix(NOTE_SIGNER))
            .and_then(|rest| rest.strip_prefix(' '))
            .ok_or_else(|| bad("the signature line is not an enamel-audit signature"))?;
        let (key_id, signature) = rest
            .split_once(' ')
            .ok_or_else(|| bad("the signature line is malformed"))?;
        let key_id_ok = key_id.len() == 16
            && key_id
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if !key_id_ok {
            return Err(bad("the key id is not 16 lowercase hex digits"));
        }
        let signature =
            decode_fixed::<64>(signature).ok_or_else(|| bad("the signature is not base64"))?;
        Ok(SignedCheckpoint {
            checkpoint,
            key_id: key_id.to_string(),
            signature: signature.to_vec(),
        })
    }
}

/// The Ed25519 private key that signs checkpoints. Its PKCS#8 bytes are zeroized on drop and
/// its `Debug` shows only the key id.
pub struct SigningKey {
    pair: Ed25519KeyPair,
    pkcs8: Zeroizing<Vec<u8>>,
}

impl SigningKey {
    /// A new random key from the system CSPRNG.
    pub fn generate() -> Result<SigningKey, AuditError> {
        let doc =
            Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).map_err(|_| AuditError::Rng)?;
        SigningKey::from_pkcs8(doc.as_ref())
    }

    /// Loads a PKCS#8 (v1 or v2) Ed25519 private key.
    pub fn from_pkcs8(der: &[u8]) -> Result<SigningKey, AuditError> {
        let pair = Ed25519KeyPair::from_pkcs8(der).map_err(|_| AuditError::BadKey)?;
        Ok(SigningKey {
            pair,
            pkcs8: Zeroizing::new(der.to_vec()),
        })
    }

    /// The private key bytes, for writing the key file once. The name is loud on purpose:
    /// every call site should be easy to find in review.
    pub fn pkcs8_der_danger(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8.clone()
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(self.pair.public_key().as_ref());
        VerifyingKey { bytes }
    }

    /// Signs the checkpoint's body. Ed25519 signing is deterministic and cannot fail.
    pub fn sign(&self, checkpoint: Checkpoint) -> SignedCheckpoint {
        let signature = self
            .pair
            .sign(checkpoint.body().as_bytes())
            .as_ref()
            .to_vec();
        SignedCheckpoint {
            checkpoint,
            key_id: self.verifying_key().key_id(),
            signature,
        }
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.verifying_key().key_id())
            .finish_non_exhaustive()
    }
}

/// The Ed25519 public key: all an auditor needs to verify the log.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyingKey {
    bytes: [u8; 32],
}

impl VerifyingKey {
    /// From the 32 raw bytes of an Ed25519 public key.
    pub fn from_bytes(bytes: &[u8]) -> Result<VerifyingKey, AuditError> {
        let bytes = <[u8; 32]>::try_from(bytes).map_err(|_| AuditError::BadKey)?;
        Ok(VerifyingKey { bytes })
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.bytes
    }

    /// Hex of the first 8 bytes of `SHA-256("enamel-audit-key" || key)`: short enough to read
    /// aloud, long enough that two keys of one practice never collide by accident.
    pub fn key_id(&self) -> String {
        let mut buf = [0u8; KEY_ID_CONTEXT.len() + 32];
        buf[..KEY_ID_CONTEXT.len()].copy_from_slice(KEY_ID_CONTEXT);
        buf[KEY_ID_CONTEXT.len()..].copy_from_slice(&self.bytes);
        hex::encode(&sha256(&buf)[..8])
    }

    /// The public key file: `"enamel-audit-ed25519 <base64 key>\n"`.
    pub fn to_text(&self) -> String {
        format!("{KEY_FILE_PREFIX}{}\n", BASE64.encode(self.bytes))
    }

    /// Parses [`VerifyingKey::to_text`]; trailing whitespace (an editor's newline) is allowed.
    pub fn from_text(text: &str) -> Result<VerifyingKey, AuditError> {
        let bytes = text
            .trim_end()
            .strip_prefix(KEY_FILE_PREFIX)
            .and_then(decode_fixed::<32>)
            .ok_or(AuditError::BadKey)?;
        Ok(VerifyingKey { bytes })
    }

    fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, &self.bytes)
            .verify(message, signature)
            .is_ok()
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("key_id", &self.key_id())
            .finish()
    }
}

fn bad(why: &str) -> AuditError {
    AuditError::BadNote(why.to_string())
}

/// Parses a decimal number only in its canonical spelling (no `+`, no leading zeros, no
/// `-0`), so one checkpoint has one note.
fn parse_canonical<T: std::str::FromStr + ToString>(s: &str) -> Option<T> {
    let value = s.parse::<T>().ok()?;
    (value.to_string() == s).then_some(value)
}

/// Decodes standard padded base64 of exactly `N` bytes, accepting only the canonical spelling.
fn decode_fixed<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = BASE64.decode(s).ok()?;
    let fixed = <[u8; N]>::try_from(bytes.as_slice()).ok()?;
    (BASE64.encode(fixed) == s).then_some(fixed)
}
