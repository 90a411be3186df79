//! Streaming verification of a whole log with the public key alone.
//!
//! Rows are pushed in `seq` order. Each push re-encodes the entry into one reused buffer,
//! recomputes the leaf and chain values, and extends a [`Frontier`]; a checkpoint is checked
//! the moment the count reaches its size, against the frontier's root (O(log n) hashes), so a
//! log of millions of entries is verified in one pass. Memory is O(log n) apart from the leaf
//! hashes kept for proofs (32 bytes per entry).
//!
//! What each check catches:
//! - numbering (`Missing`, `OutOfOrder`): deleted or duplicated rows;
//! - the chain (`ChainMismatch`): a row changed, inserted or reordered by someone who did not
//!   also recompute the chain column;
//! - trusted checkpoints (`CheckpointMismatch`, `Truncated`): rewrites with the chain
//!   recomputed, and deleted tails, because a new checkpoint needs the private key;
//! - [`check_head`]: rows appended or deleted behind the application's back since the last
//!   checkpoint, by comparing with the head the application maintains.

use crate::chain_hash;
use crate::{Entry, Frontier, GENESIS_CHAIN, Hash, Problem, SignedCheckpoint, VerifyingKey};

/// A row as read from the database: the entry and the chain value stored with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    pub entry: Entry,
    pub chain: Hash,
}

/// What a successful verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries checked (the log size).
    pub entries: u64,
    /// The Merkle root of all entries.
    pub root: Hash,
    /// The chain value after the last entry ([`GENESIS_CHAIN`] for an empty log).
    pub chain: Hash,
    /// Checkpoints by the trusted key whose signature and root both matched.
    pub checkpoints_verified: usize,
    /// Checkpoints by other keys (for example a retired key): counted, never trusted.
    pub checkpoints_other_keys: usize,
    /// The size of the largest verified checkpoint.
    pub last_checkpoint_size: Option<u64>,
    /// Entries after the last verified checkpoint: protected only by the chain and the head
    /// until the next checkpoint is signed.
    pub unanchored_entries: u64,
}

/// Checks a log row by row; see the module documentation.
#[derive(Debug)]
pub struct LogVerifier {
    key: VerifyingKey,
    /// Checkpoints by the trusted key, sorted by size; `next` indexes the first unchecked one.
    trusted: Vec<SignedCheckpoint>,
    next: usize,
    other_keys: usize,
    verified: usize,
    last_verified: Option<u64>,
    frontier: Frontier,
    chain: Hash,
    /// Kept only when asked ([`LogVerifier::keeping_leaves`]): proofs need them, a check does
    /// not, and a log of millions of entries is then verified in constant memory.
    leaves: Option<Vec<Hash>>,
    /// Sizes at which to note the tree's root (witnessed checkpoints), in order, and the roots.
    roots_wanted: Vec<u64>,
    roots_at: std::collections::BTreeMap<u64, Hash>,
    /// Scratch space for the canonical encoding, reused by every push.
    buf: Vec<u8>,
    /// The first problem found. A verifier that failed stays failed, so a caller that ignores
    /// one error cannot get a clean report afterwards.
    failed: Option<Problem>,
}

impl LogVerifier {
    /// A verifier trusting `key`. Checkpoints by other keys are only counted.
    pub fn new(key: VerifyingKey, checkpoints: Vec<SignedCheckpoint>) -> LogVerifier {
        let key_id = key.key_id();
        let total = checkpoints.len();
        let mut trusted: Vec<SignedCheckpoint> = checkpoints
            .into_iter()
            .filter(|c| c.key_id == key_id)
            .collect();
        trusted.sort_by_key(|c| c.checkpoint.size);
        LogVerifier {
            key,
            other_keys: total - trusted.len(),
            trusted,
            next: 0,
            verified: 0,
            last_verified: None,
            frontier: Frontier::new(),
            chain: GENESIS_CHAIN,
            leaves: None,
            roots_wanted: Vec::new(),
            roots_at: std::collections::BTreeMap::new(),
            buf: Vec::with_capacity(512),
            failed: None,
        }
    }

    /// Checks the next row. Rows must come in `seq` order, starting at 0.
    pub fn push(&mut self, stored: &StoredEntry) -> Result<(), Problem> {
        if let Some(problem) = &self.failed {
            return Err(problem.clone());
        }
        let result = self.push_inner(stored);
        if let Err(problem) = &result {
            self.failed = Some(problem.clone());
        }
        result
    }

    fn push_inner(&mut self, stored: &StoredEntry) -> Result<(), Problem> {
        // Size-0 checkpoints are due before the first row.
        self.check_due()?;
        let expected = self.frontier.size();
        let seq = stored.entry.seq;
        if seq > expected {
            return Err(Problem::Missing {
                expected,
                found: seq,
            });
        }
        if seq < expected {
            return Err(Problem::OutOfOrder { seq, expected });
        }
        let leaf = stored.entry.leaf_hash_with(&mut self.buf);
        let chain = chain_hash(&self.chain, &leaf);
        if chain != stored.chain {
            return Err(Problem::ChainMismatch { seq });
        }
        self.chain = chain;
        self.frontier.push(leaf);
        if let Some(leaves) = &mut self.leaves {
            leaves.push(leaf);
        }
        let size = self.frontier.size();
        // Sorted and without duplicates (see `noting_roots_at`): only the first can be due.
        if self.roots_wanted.first() == Some(&size) {
            self.roots_wanted.remove(0);
            self.roots_at.insert(size, self.frontier.root());
        }
        self.check_due()
    }

    /// Checks every trusted checkpoint whose size equals the count so far.
    fn check_due(&mut self) -> Result<(), Problem> {
        let size = self.frontier.size();
        while let Some(signed) = self.trusted.get(self.next) {
            if signed.checkpoint.size != size {
                break;
            }
            self.next += 1;
            if !signed.verify(&self.key) {
                return Err(Problem::BadSignature {
                    size,
                    key_id: signed.key_id.clone(),
                });
            }
            // The frontier's root of size 0 is the empty root, as RFC 9162 defines it.
            if self.frontier.root() != signed.checkpoint.root {
                return Err(Problem::CheckpointMismatch {
                    size,
                    key_id: signed.key_id.clone(),
                });
            }
            self.verified += 1;
            self.last_verified = Some(size);
        }
        Ok(())
    }

    /// Keeps every leaf hash, for inclusion and consistency proofs (memory grows with the log:
    /// 32 bytes an entry).
    pub fn keeping_leaves(mut self) -> Self {
        self.leaves = Some(Vec::new());
        self
    }

    /// Notes the tree's root when the log reaches each of `sizes` (to compare with witnessed
    /// checkpoints) without keeping the leaves.
    pub fn noting_roots_at(mut self, sizes: impl IntoIterator<Item = u64>) -> Self {
        let mut sizes: Vec<u64> = sizes.into_iter().filter(|s| *s > 0).collect();
        sizes.sort_unstable();
        sizes.dedup();
        self.roots_wanted = sizes;
        self
    }

    /// The leaf hashes so far, when kept ([`LogVerifier::keeping_leaves`]); empty otherwise.
    pub fn leaves(&self) -> &[Hash] {
        self.leaves.as_deref().unwrap_or(&[])
    }

    /// The roots noted at the sizes asked for ([`LogVerifier::noting_roots_at`]) that the log
    /// reached.
    pub fn roots_at(&self) -> &std::collections::BTreeMap<u64, Hash> {
        &self.roots_at
    }

    /// The Merkle frontier of the entries so far.
    pub fn frontier(&self) -> &Frontier {
        &self.frontier
    }

    /// Ends the pass. A trusted checkpoint larger than the log means its tail was deleted,
    /// unless that checkpoint's signature is itself forged.
    pub fn finish(mut self) -> Result<VerifyReport, Problem> {
        if let Some(problem) = self.failed.take() {
            return Err(problem);
        }
        self.check_due()?;
        let entries = self.frontier.size();
        if let Some(beyond) = self.trusted.get(self.next) {
            if !beyond.verify(&self.key) {
                return Err(Problem::BadSignature {
                    size: beyond.checkpoint.size,
                    key_id: beyond.key_id.clone(),
                });
            }
            return Err(Problem::Truncated {
                checkpoint_size: beyond.checkpoint.size,
                entries,
            });
        }
        Ok(VerifyReport {
            entries,
            root: self.frontier.root(),
            chain: self.chain,
            checkpoints_verified: self.verified,
            checkpoints_other_keys: self.other_keys,
            last_checkpoint_size: self.last_verified,
            unanchored_entries: entries - self.last_verified.unwrap_or(0),
        })
    }
}

/// Compares a verified log with the head the application keeps (its size and chain value),
/// which catches changes at the end of the log since the last checkpoint.
///
/// - more entries than the head records: [`Problem::NotInHead`] naming the first extra entry;
/// - fewer entries: [`Problem::HeadAhead`] (a dedicated variant rather than `Truncated`, so the
///   message says the head, not a signed checkpoint, proves the deletion);
/// - a different chain value: [`Problem::ChainMismatch`] at the last entry, or
///   [`Problem::HeadMismatch`] for an empty log.
pub fn check_head(report: &VerifyReport, head_size: u64, head_chain: &Hash) -> Result<(), Problem> {
    let entries = report.entries;
    if entries > head_size {
        return Err(Problem::NotInHead { seq: head_size });
    }
    if entries < head_size {
        return Err(Problem::HeadAhead { head_size, entries });
    }
    if report.chain != *head_chain {
        return Err(match entries.checked_sub(1) {
            Some(seq) => Problem::ChainMismatch { seq },
            None => Problem::HeadMismatch,
        });
    }
    Ok(())
}
