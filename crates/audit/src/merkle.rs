//! The RFC 9162 §2.1 Merkle tree (the RFC 6962 tree of Certificate Transparency) over leaf
//! hashes: the root, a compact incremental [`Frontier`], and inclusion and consistency proofs
//! with the RFC's verification algorithms.
//!
//! Proof *generation* works from the full list of leaf hashes (the verifier keeps them), by
//! the RFC's recursive definitions. Proof *verification* follows RFC 9162 §2.1.3.2 and
//! §2.1.4.2 step by step, because an outside auditor's verifier implements exactly those
//! steps; recomputing from leaves would test nothing an auditor could rely on.

use crate::{AuditError, Hash, sha256};

/// RFC 6962 interior node prefix; see [`crate::entry`] for the leaf and chain prefixes.
const NODE_PREFIX: u8 = 0x01;

/// A size's peaks never exceed 64 (one per bit of a `u64`).
const MAX_PEAKS: usize = 64;

/// An interior node, `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = NODE_PREFIX;
    buf[1..33].copy_from_slice(left);
    buf[33..].copy_from_slice(right);
    sha256(&buf)
}

/// The root of the empty tree, `SHA-256("")`, per RFC 9162.
pub fn empty_root() -> Hash {
    sha256(&[])
}

/// The Merkle Tree Hash (MTH) of `leaves`, which are already leaf hashes.
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        empty_root()
    } else {
        subtree_root(leaves)
    }
}

/// MTH of a non-empty slice: split at the largest power of two below the length, as the RFC
/// defines it. Recursion depth is log2 of the length.
fn subtree_root(leaves: &[Hash]) -> Hash {
    match leaves {
        [] => empty_root(),
        [one] => *one,
        _ => {
            let (left, right) = leaves.split_at(split_point(leaves.len()));
            node_hash(&subtree_root(left), &subtree_root(right))
        }
    }
}

/// The largest power of two strictly less than `n` (for `n >= 2`).
fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The right edge of the tree: one root per perfect subtree ("peak"), largest first. This is
/// all that appending needs, so the database keeps a few hundred bytes per log instead of
/// every leaf, and each checkpoint root costs O(log n) hashes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Frontier {
    size: u64,
    /// Peak `i` covers 2^k leaves where k is the i-th set bit of `size`, from the top.
    peaks: Vec<Hash>,
}

impl Frontier {
    /// The frontier of the empty tree.
    pub fn new() -> Frontier {
        Frontier {
            size: 0,
            peaks: Vec::with_capacity(MAX_PEAKS),
        }
    }

    /// The number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends one leaf hash. Amortised one node hash per push: merging equal-sized peaks is
    /// carrying a bit in binary addition.
    pub fn push(&mut self, leaf: Hash) {
        let mut carry = leaf;
        let mut size = self.size;
        while size & 1 == 1 {
            if let Some(left) = self.peaks.pop() {
                carry = node_hash(&left, &carry);
            }
            size >>= 1;
        }
        self.peaks.push(carry);
        self.size = self.size.wrapping_add(1);
    }

    /// The tree root; equals [`root`] over every leaf pushed. Folding the peaks from the
    /// smallest up reproduces the RFC's left-heavy split exactly.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        let Some(smallest) = peaks.next() else {
            return empty_root();
        };
        peaks.fold(*smallest, |acc, peak| node_hash(peak, &acc))
    }

    /// `size` as u64 big-endian, then each peak (32 bytes), largest subtree first. The empty
    /// frontier is eight zero bytes, which is how the database initialises a new log head.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * self.peaks.len());
        out.extend_from_slice(&self.size.to_be_bytes());
        for peak in &self.peaks {
            out.extend_from_slice(peak);
        }
        out
    }

    /// Parses [`Frontier::to_bytes`]. The peak count must equal the number of set bits of the
    /// size: anything else is a damaged head, and appending to it would fork the tree.
    pub fn from_bytes(bytes: &[u8]) -> Result<Frontier, AuditError> {
        let (size_bytes, rest) = bytes
            .split_first_chunk::<8>()
            .ok_or(AuditError::BadFrontier)?;
        let size = u64::from_be_bytes(*size_bytes);
        let (peaks, tail) = rest.as_chunks::<32>();
        if !tail.is_empty() || peaks.len() != size.count_ones() as usize {
            return Err(AuditError::BadFrontier);
        }
        let mut frontier = Frontier {
            size,
            peaks: Vec::with_capacity(MAX_PEAKS),
        };
        frontier.peaks.extend_from_slice(peaks);
        Ok(frontier)
    }
}

/// The audit path of leaf `index` in the tree of all `leaves` (RFC 9162 §2.1.3.1), nodes from
/// the leaf's sibling upwards.
pub fn inclusion_proof(leaves: &[Hash], index: u64) -> Result<Vec<Hash>, AuditError> {
    let index = usize::try_from(index).map_err(|_| AuditError::IndexOutOfRange)?;
    if index >= leaves.len() {
        return Err(AuditError::IndexOutOfRange);
    }
    let mut proof = Vec::new();
    path(index, leaves, &mut proof);
    Ok(proof)
}

/// PATH(m, D[n]): the sub-path is appended before the sibling, giving bottom-up order.
fn path(m: usize, leaves: &[Hash], proof: &mut Vec<Hash>) {
    if leaves.len() <= 1 {
        return;
    }
    let k = split_point(leaves.len());
    let (left, right) = leaves.split_at(k);
    if m < k {
        path(m, left, proof);
        proof.push(subtree_root(right));
    } else {
        path(m - k, right, proof);
        proof.push(subtree_root(left));
    }
}

/// Verifies an inclusion proof by RFC 9162 §2.1.3.2. False for `index >= size`.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let mut fnode = index;
    let mut snode = size - 1;
    let mut r = *leaf;
    for p in proof {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            // Skip the levels where this node has no right sibling (the right edge).
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    snode == 0 && r == *root
}

/// A proof that the tree of the first `old_size` leaves is a prefix of the tree of all
/// `leaves` (RFC 9162 §2.1.4.1). Empty when `old_size` is 0 or equals the length.
pub fn consistency_proof(leaves: &[Hash], old_size: u64) -> Result<Vec<Hash>, AuditError> {
    let m = usize::try_from(old_size).map_err(|_| AuditError::IndexOutOfRange)?;
    if m > leaves.len() {
        return Err(AuditError::IndexOutOfRange);
    }
    let mut proof = Vec::new();
    if m > 0 {
        subproof(m, leaves, true, &mut proof);
    }
    Ok(proof)
}

/// SUBPROOF(m, D[n], b). `complete` is true while D[0:m] is still the whole old tree, whose
/// root the verifier already holds and so need not be sent.
fn subproof(m: usize, leaves: &[Hash], complete: bool, proof: &mut Vec<Hash>) {
    let n = leaves.len();
    if m == n {
        if !complete {
            proof.push(subtree_root(leaves));
        }
        return;
    }
    let k = split_point(n);
    let (left, right) = leaves.split_at(k);
    if m <= k {
        subproof(m, left, complete, proof);
        proof.push(subtree_root(right));
    } else {
        subproof(m - k, right, false, proof);
        proof.push(subtree_root(left));
    }
}

/// Verifies a consistency proof by RFC 9162 §2.1.4.2.
///
/// Edge cases the RFC leaves to the caller: equal sizes need an empty proof and equal roots;
/// from size 0 the proof must be empty and `old_root` must be the empty root (a size-0
/// checkpoint with any other root is bogus), and a new size 0 needs the empty root as well;
/// a shrinking tree never verifies.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == 0 {
        return proof.is_empty()
            && *old_root == empty_root()
            && (new_size > 0 || *new_root == empty_root());
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    // Step 1: a non-trivial proof is never empty.
    // Step 2: when old_size is a power of two the old root is itself a node of the new tree,
    // so it leads the path instead of being sent.
    let (first, rest) = if old_size.is_power_of_two() {
        (old_root, proof)
    } else {
        match proof.split_first() {
            Some(split) => split,
            None => return false,
        }
    };
    if proof.is_empty() {
        return false;
    }
    // Step 3.
    let mut fnode = old_size - 1;
    let mut snode = new_size - 1;
    // Step 4: climb past the levels where the old tree's last node is a right child.
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 5.
    let mut fr = *first;
    let mut sr = *first;
    // Step 6.
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    // Step 7.
    fr == *old_root && sr == *new_root && snode == 0
}
