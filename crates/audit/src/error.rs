//! Errors of this crate: [`AuditError`] for malformed inputs (keys, notes, frontiers, proof
//! requests) and [`Problem`] for what verification found wrong with a log.

/// A malformed input or a failed operation. Messages are plain, for operators.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error("the stored Merkle frontier is malformed")]
    BadFrontier,
    #[error("the key is not a valid Ed25519 key")]
    BadKey,
    #[error("the checkpoint note is malformed: {0}")]
    BadNote(String),
    #[error("the entry number or tree size is out of range")]
    IndexOutOfRange,
    #[error("the system random number generator failed")]
    Rng,
}

/// What verification found wrong with a log. Each message names the entry number an
/// investigator should look at first, where one is known.
///
/// A chain break shows at the first entry whose stored chain value no longer matches: the
/// changed entry itself, or the entry after it when the attacker also recomputed that one
/// entry's chain value. Rewrites with the whole chain recomputed are only visible against a
/// signed checkpoint ([`Problem::CheckpointMismatch`]), which cannot say which entry changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// Entry `expected` is absent: the next row carries the later number `found`.
    #[error(
        "entry #{expected} is missing: the next entry found is #{found}, so entries were deleted"
    )]
    Missing { expected: u64, found: u64 },
    /// A row numbered `seq` came where entry `expected` belonged: a duplicate or a reordering.
    #[error(
        "entry #{expected} is out of place: an entry numbered #{seq} appears there, so entries were duplicated or reordered"
    )]
    OutOfOrder { seq: u64, expected: u64 },
    /// The recomputed chain value of entry `seq` differs from the stored one.
    #[error(
        "entry #{seq} does not match the hash chain: it or the entry before it was changed, inserted or reordered"
    )]
    ChainMismatch { seq: u64 },
    /// A checkpoint claiming the trusted key carries a signature that does not verify.
    #[error(
        "the checkpoint at {size} entries claims key {key_id} but its signature is not valid: it was forged or altered"
    )]
    BadSignature { size: u64, key_id: String },
    /// The first `size` entries no longer hash to the root a trusted checkpoint signed.
    #[error(
        "the entries before #{size} do not match the checkpoint signed by key {key_id}: some of them were rewritten and the hash chain recomputed"
    )]
    CheckpointMismatch { size: u64, key_id: String },
    /// A trusted checkpoint covers more entries than the log holds.
    #[error(
        "the log ends after {entries} entries but a signed checkpoint covers {checkpoint_size}: entry #{entries} and later were deleted"
    )]
    Truncated { checkpoint_size: u64, entries: u64 },
    /// The log holds entries beyond the size recorded in its head.
    #[error(
        "entry #{seq} lies beyond the recorded head of the log: it was added outside the audit path"
    )]
    NotInHead { seq: u64 },
    /// The head records more entries than the log holds.
    #[error(
        "the recorded head of the log counts {head_size} entries but only {entries} exist: entry #{entries} and later were deleted"
    )]
    HeadAhead { head_size: u64, entries: u64 },
    /// The log is empty but its head's chain value is not the genesis value.
    #[error(
        "the log is empty but its recorded head does not match an empty log: entries were deleted or the head was altered"
    )]
    HeadMismatch,
    /// Entry `seq` of one practice's log names another practice (or none): it was moved in.
    #[error(
        "entry #{seq} belongs to another log: its practice is not this log's practice, so it was moved or inserted"
    )]
    WrongLog { seq: u64 },
}

impl Problem {
    /// The number of the first entry known to be wrong or missing, if verification can name one.
    /// `None` for a bad signature (nothing wrong with the entries themselves), a checkpoint
    /// mismatch (some entry before the checkpoint changed, the tree cannot say which) and a head
    /// mismatch on an empty log.
    pub fn first_bad_seq(&self) -> Option<u64> {
        match self {
            Problem::Missing { expected, .. } | Problem::OutOfOrder { expected, .. } => {
                Some(*expected)
            }
            Problem::ChainMismatch { seq }
            | Problem::NotInHead { seq }
            | Problem::WrongLog { seq } => Some(*seq),
            Problem::Truncated { entries, .. } | Problem::HeadAhead { entries, .. } => {
                Some(*entries)
            }
            Problem::BadSignature { .. }
            | Problem::CheckpointMismatch { .. }
            | Problem::HeadMismatch => None,
        }
    }
}
