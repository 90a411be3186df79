//! The audit entry and its canonical encoding, the leaf hash and the chain link.
//!
//! # Canonical encoding (a file-format contract)
//!
//! Leaf hashes, chain values and signed checkpoints are computed over these bytes, and they
//! are stored for years, so the encoding must never change for version `0x01`. A new layout
//! gets a new version byte; a verifier keeps every old one.
//!
//! ```text
//! 0x01                      version
//! seq          u64 big-endian
//! time_ms      i64 big-endian (two's complement), milliseconds since the Unix epoch, UTC
//! practice_id  optional string
//! actor_id     optional string
//! actor_role   optional string
//! patient_id   optional string
//! record_type  optional string
//! record_id    optional string
//! action       required string
//! outcome      required string
//! client_ip    optional string
//! user_agent   optional string
//! app_version  required string
//! access_method required string
//! reason       optional string
//!
//! required string = u32 big-endian byte length, then that many bytes of UTF-8
//! optional string = 0x00                         (None)
//!                 | 0x01, then a required string  (Some, including Some(""))
//! ```
//!
//! Every field is either fixed-width or length-prefixed, and `None` is distinct from
//! `Some("")`, so the bytes parse back to exactly one entry: no two different entries share an
//! encoding (a chain or tree built on an ambiguous encoding would let an attacker move text
//! from one field to the next without changing any hash). A string longer than `u32::MAX`
//! bytes cannot occur in an entry (request limits are far smaller); if one ever did, only its
//! first `u32::MAX` bytes would be encoded, which keeps the bytes parseable rather than
//! panicking inside the audit path.
//!
//! Leaf hash: `SHA-256(0x00 || canonical)` (RFC 6962 leaf). Chain link:
//! `SHA-256(0x02 || previous chain value || leaf hash)`, starting from [`crate::GENESIS_CHAIN`].

use crate::{Hash, sha256};

/// The encoding version written first, so a future layout can coexist with this one.
const VERSION: u8 = 0x01;

/// RFC 6962 leaf prefix: keeps a leaf hash from ever equalling an interior node hash.
pub(crate) const LEAF_PREFIX: u8 = 0x00;

/// Chain prefix: distinct from the RFC 6962 leaf (0x00) and node (0x01) prefixes, so a chain
/// value can never be presented as a tree node or leaf.
const CHAIN_PREFIX: u8 = 0x02;

/// One audit event. Ids only, never PHI values: the log is kept far longer than records and is
/// read by auditors who may not see clinical data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub seq: u64,
    pub time_ms: i64,
    pub practice_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub patient_id: Option<String>,
    pub record_type: Option<String>,
    pub record_id: Option<String>,
    pub action: String,
    pub outcome: String,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub app_version: String,
    pub access_method: String,
    pub reason: Option<String>,
}

impl Entry {
    /// The canonical encoding described in the module documentation.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len_hint());
        self.write_canonical(&mut out);
        out
    }

    /// Appends the canonical encoding to `out`, so a verifier of millions of entries can reuse
    /// one buffer instead of allocating per entry.
    pub fn write_canonical(&self, out: &mut Vec<u8>) {
        out.reserve(self.encoded_len_hint());
        out.push(VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.time_ms.to_be_bytes());
        put_opt(out, self.practice_id.as_deref());
        put_opt(out, self.actor_id.as_deref());
        put_opt(out, self.actor_role.as_deref());
        put_opt(out, self.patient_id.as_deref());
        put_opt(out, self.record_type.as_deref());
        put_opt(out, self.record_id.as_deref());
        put_str(out, &self.action);
        put_str(out, &self.outcome);
        put_opt(out, self.client_ip.as_deref());
        put_opt(out, self.user_agent.as_deref());
        put_str(out, &self.app_version);
        put_str(out, &self.access_method);
        put_opt(out, self.reason.as_deref());
    }

    /// The RFC 6962 leaf hash, `SHA-256(0x00 || canonical)`.
    pub fn leaf_hash(&self) -> Hash {
        let mut buf = Vec::with_capacity(1 + self.encoded_len_hint());
        self.leaf_hash_with(&mut buf)
    }

    /// [`Entry::leaf_hash`] with a caller-owned scratch buffer (cleared first), so the hot
    /// verification loop does not allocate. One contiguous digest call is also cheaper than a
    /// streaming context per entry.
    pub(crate) fn leaf_hash_with(&self, buf: &mut Vec<u8>) -> Hash {
        buf.clear();
        buf.push(LEAF_PREFIX);
        self.write_canonical(buf);
        sha256(buf)
    }

    /// An upper bound of the encoded size, so appending reserves once.
    fn encoded_len_hint(&self) -> usize {
        let opt = |s: &Option<String>| 5 + s.as_ref().map_or(0, String::len);
        17 + opt(&self.practice_id)
            + opt(&self.actor_id)
            + opt(&self.actor_role)
            + opt(&self.patient_id)
            + opt(&self.record_type)
            + opt(&self.record_id)
            + 4
            + self.action.len()
            + 4
            + self.outcome.len()
            + opt(&self.client_ip)
            + opt(&self.user_agent)
            + 4
            + self.app_version.len()
            + 4
            + self.access_method.len()
            + opt(&self.reason)
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    // See the module docs: a length beyond u32 cannot occur; truncating keeps the bytes
    // self-consistent (prefix and content agree) instead of panicking in the audit path.
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes.get(..len as usize).unwrap_or(bytes));
}

fn put_opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        None => out.push(0x00),
        Some(s) => {
            out.push(0x01);
            put_str(out, s);
        }
    }
}

/// The next chain value: `SHA-256(0x02 || prev || leaf)`.
pub fn chain_hash(prev: &Hash, leaf: &Hash) -> Hash {
    let mut buf = [0u8; 65];
    buf[0] = CHAIN_PREFIX;
    buf[1..33].copy_from_slice(prev);
    buf[33..].copy_from_slice(leaf);
    sha256(&buf)
}

/// A synthetic entry for benchmarks and tests. Every id says "sample" so it can never be
/// mistaken for a real practice, person or record.
#[doc(hidden)]
pub fn sample_entry(seq: u64) -> Entry {
    let opt = |present: bool, value: String| present.then_some(value);
    let action = if seq.is_multiple_of(5) {
        "update"
    } else {
        "read"
    };
    Entry {
        seq,
        time_ms: 1_700_000_000_000 + (seq as i64).wrapping_mul(1_000),
        practice_id: Some("sample-practice-1".to_string()),
        actor_id: Some(format!("sample-user-{}", seq % 7)),
        actor_role: Some("sample-role".to_string()),
        patient_id: opt(
            !seq.is_multiple_of(3),
            format!("sample-patient-{}", seq % 97),
        ),
        record_type: Some("sample-record".to_string()),
        record_id: opt(!seq.is_multiple_of(3), format!("sample-record-{seq}")),
        action: action.to_string(),
        outcome: "success".to_string(),
        client_ip: Some("192.0.2.1".to_string()),
        user_agent: opt(seq.is_multiple_of(2), "sample-agent/1.0".to_string()),
        app_version: "0.0.0-sample".to_string(),
        access_method: "web".to_string(),
        reason: opt(seq.is_multiple_of(11), "sample reason".to_string()),
    }
}
