//! Sequencing drafts into their logs under each log head's lock.

use std::collections::BTreeMap;

use enamel_audit::{Frontier, Hash, chain_hash};
use enamel_store::{AuditHead, Tx};

use super::{AuditDraft, damaged};
use crate::AppError;

/// Sequences, chains and inserts `drafts` into their logs inside `tx`, and returns each
/// draft's position in its log, in the order given. The heads are locked in sorted log order:
/// two transactions that both touch logs A and B then always lock A first, so they queue
/// instead of deadlocking, whichever processes run them.
pub(crate) async fn append(
    tx: &mut Tx,
    now_ms: i64,
    drafts: Vec<AuditDraft>,
) -> Result<Vec<u64>, AppError> {
    let mut by_log: BTreeMap<String, Vec<(usize, AuditDraft)>> = BTreeMap::new();
    for (i, draft) in drafts.into_iter().enumerate() {
        by_log.entry(draft.log()).or_default().push((i, draft));
    }
    let total = by_log.values().map(Vec::len).sum();
    let mut seqs = vec![0u64; total];
    for (log, group) in by_log {
        let head = tx.lock_audit_head(&log).await?;
        let mut frontier = Frontier::from_bytes(&head.frontier).map_err(|_| damaged("head"))?;
        let mut chain: Hash = head
            .chain
            .as_slice()
            .try_into()
            .map_err(|_| damaged("head"))?;
        let start = u64::try_from(head.size).map_err(|_| damaged("head"))?;
        if frontier.size() != start {
            return Err(damaged("head"));
        }
        let mut rows = Vec::with_capacity(group.len());
        for (n, (i, draft)) in group.into_iter().enumerate() {
            let seq = start + n as u64;
            let entry = draft.into_entry(seq, now_ms);
            let leaf = entry.leaf_hash();
            chain = chain_hash(&chain, &leaf);
            frontier.push(leaf);
            rows.push((entry, chain));
            seqs[i] = seq;
        }
        let head = AuditHead {
            size: i64::try_from(frontier.size())
                .map_err(|_| AppError::Internal("audit log too large".into()))?,
            chain: chain.to_vec(),
            frontier: frontier.to_bytes(),
        };
        tx.append_audit_entries(&log, &rows, &head).await?;
    }
    Ok(seqs)
}
