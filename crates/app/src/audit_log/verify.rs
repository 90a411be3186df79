//! Checking one audit log with the public key alone.

use std::collections::BTreeMap;

use enamel_audit::{
    Checkpoint, Frontier, Hash, LEGACY_LOG, LogVerifier, Problem, SERVER_LOG, SignedCheckpoint,
    StoredEntry, VerifyReport, VerifyingKey, check_head,
};
use enamel_store::{CheckpointRow, Db};

use super::damaged;
use crate::AppError;

/// What `verify` found in a log that checked out.
#[derive(Debug)]
pub struct VerifyOutcome {
    pub log: String,
    pub report: VerifyReport,
    /// Every leaf hash, when [`VerifyOptions::keep_leaves`] asked for them; empty otherwise.
    pub leaves: Vec<Hash>,
    /// The tree's root at each size [`VerifyOptions::roots_at`] named that the log reached.
    pub roots_at: BTreeMap<u64, Hash>,
    /// The Merkle frontier of the whole log.
    pub frontier: Frontier,
    pub checkpoints: Vec<SignedCheckpoint>,
}

/// What else to keep while verifying. By default nothing that grows with the log.
#[derive(Debug, Clone, Default)]
pub struct VerifyOptions {
    /// Keep every leaf hash (32 bytes an entry), for inclusion and consistency proofs.
    pub keep_leaves: bool,
    /// Note the root at these sizes (witnessed checkpoints).
    pub roots_at: Vec<u64>,
}

pub(crate) fn signed_from_row(row: &CheckpointRow) -> Result<SignedCheckpoint, AppError> {
    Ok(SignedCheckpoint {
        checkpoint: Checkpoint {
            origin: row.origin.clone(),
            size: u64::try_from(row.size).map_err(|_| damaged("checkpoint"))?,
            root: row
                .root
                .as_slice()
                .try_into()
                .map_err(|_| damaged("checkpoint"))?,
            time_ms: row.time_ms,
        },
        key_id: row.key_id.clone(),
        signature: row.signature.clone(),
    })
}

/// Rows read per page while verifying: a page is all a verification holds in memory.
pub(crate) const VERIFY_PAGE: i64 = 2_000;

/// Whether entry of `practice_id` may stand in `log`: a practice's log holds only that
/// practice's entries, the server log only entries of no practice.
pub(crate) fn belongs(log: &str, practice_id: Option<&str>) -> bool {
    if log == LEGACY_LOG {
        return true;
    }
    if log == SERVER_LOG {
        return practice_id.is_none();
    }
    log.strip_prefix("practice:")
        .is_some_and(|p| practice_id == Some(p))
}

/// Recomputes log `log`'s chain and tree from its rows (and no other log's), with the public
/// key alone, checks every stored checkpoint of the log, and checks that the rows end exactly
/// where the log's head says. Appends that commit while it runs are followed until the head
/// stops moving. `Ok(Err(problem))` names the first bad entry. Memory stays constant
/// whatever the log's length (rows are read a page at a time, no leaf is kept).
pub async fn verify_audit_log(
    db: &Db,
    key: &VerifyingKey,
    log: &str,
) -> Result<Result<VerifyOutcome, Problem>, AppError> {
    verify_audit_log_with(db, key, log, VerifyOptions::default()).await
}

/// [`verify_audit_log`], keeping what `options` ask for.
pub async fn verify_audit_log_with(
    db: &Db,
    key: &VerifyingKey,
    log: &str,
    options: VerifyOptions,
) -> Result<Result<VerifyOutcome, Problem>, AppError> {
    let rows = db.checkpoints(log).await?;
    let mut checkpoints = Vec::with_capacity(rows.len());
    for row in &rows {
        checkpoints.push(signed_from_row(row)?);
    }
    let mut verifier =
        LogVerifier::new(key.clone(), checkpoints.clone()).noting_roots_at(options.roots_at);
    if options.keep_leaves {
        verifier = verifier.keeping_leaves();
    }
    let mut head = db.audit_head(log).await?;
    let mut next: i64 = 0;
    loop {
        // Only rows below the head read at the start of this round: later ones belong to
        // appends that are checked in the next round.
        while next < head.size {
            let page = db
                .audit_rows_from(log, next, VERIFY_PAGE.min(head.size - next))
                .await?;
            let Some(last) = page.last() else { break };
            next = i64::try_from(last.0.seq)
                .unwrap_or(i64::MAX)
                .saturating_add(1);
            for (entry, chain) in page {
                if !belongs(log, entry.practice_id.as_deref()) {
                    return Ok(Err(Problem::WrongLog { seq: entry.seq }));
                }
                if let Err(problem) = verifier.push(&StoredEntry { entry, chain }) {
                    return Ok(Err(problem));
                }
            }
        }
        let beyond = db.audit_rows_from(log, head.size, 1).await?;
        let now = db.audit_head(log).await?;
        if now.size != head.size {
            head = now;
            continue;
        }
        if !beyond.is_empty() {
            // A row past the head that no append wrote: inserted behind the log's back.
            return Ok(Err(Problem::NotInHead {
                seq: u64::try_from(head.size).unwrap_or(0),
            }));
        }
        break;
    }
    let head_chain: Hash = head
        .chain
        .as_slice()
        .try_into()
        .map_err(|_| damaged("head"))?;
    let head_size = u64::try_from(head.size).map_err(|_| damaged("head"))?;
    let leaves = verifier.leaves().to_vec();
    let roots_at = verifier.roots_at().clone();
    let frontier = verifier.frontier().clone();
    let report = match verifier.finish() {
        Ok(report) => report,
        Err(problem) => return Ok(Err(problem)),
    };
    if let Err(problem) = check_head(&report, head_size, &head_chain) {
        return Ok(Err(problem));
    }
    Ok(Ok(VerifyOutcome {
        log: log.to_string(),
        report,
        leaves,
        roots_at,
        frontier,
        checkpoints,
    }))
}
