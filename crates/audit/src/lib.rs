//! The tamper-evident audit log of Enamel, as pure functions and types: the audit entry model
//! and its canonical byte encoding, the hash chain that links each entry to the one before it,
//! the RFC 6962 / RFC 9162 Merkle tree over the same entries (root, compact incremental
//! frontier, inclusion and consistency proofs), Ed25519-signed checkpoints (signed tree heads
//! written as text notes), and a streaming verifier that checks a whole log with the public key
//! alone. Everything here is deterministic computation over bytes: this crate must never depend
//! on storage, HTTP, a clock or any other I/O, so that an auditor can run the same verifier
//! offline against an exported log, and so that the file formats below cannot drift with the
//! database code.
//!
//! Two hashes are kept per log, for different attackers. The chain
//! ([`chain_hash`]) names the first entry that was changed, inserted or reordered by someone who
//! edited rows but not the chain column. The Merkle tree, anchored by signed [`Checkpoint`]s,
//! catches someone who rewrote rows *and* recomputed the chain, because they cannot sign a new
//! checkpoint without the private key; it also yields compact proofs for outside auditors.
//!
//! Hash domain separation: leaves are `SHA-256(0x00 || canonical entry)`, Merkle nodes
//! `SHA-256(0x01 || left || right)` (both per RFC 6962), chain links
//! `SHA-256(0x02 || previous || leaf)`, so a value of one kind can never stand in for another.

mod checkpoint;
mod entry;
mod error;
mod logs;
mod merkle;
mod verify;

pub use checkpoint::{Checkpoint, SignedCheckpoint, SigningKey, VerifyingKey};
#[doc(hidden)]
pub use entry::sample_entry;
pub use entry::{Entry, chain_hash};
pub use error::{AuditError, Problem};
pub use logs::{LEGACY_LOG, SERVER_LOG, log_origin, origin_names_log, practice_log};
pub use merkle::{
    Frontier, consistency_proof, empty_root, inclusion_proof, node_hash, root, verify_consistency,
    verify_inclusion,
};
pub use verify::{LogVerifier, StoredEntry, VerifyReport, check_head};

/// A SHA-256 output: leaf hashes, Merkle nodes and chain values.
pub type Hash = [u8; 32];

/// The chain value "before" entry #0, so the first link is `chain_hash(&GENESIS_CHAIN, &leaf0)`.
pub const GENESIS_CHAIN: Hash = [0u8; 32];

/// SHA-256 of `data` as a fixed array, so hashes can live on the stack and in `Vec<Hash>`
/// without a heap allocation each.
pub(crate) fn sha256(data: &[u8]) -> Hash {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}
