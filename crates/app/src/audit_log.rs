//! Appending to and checking the audit log.
//!
//! Appends are sequenced under the log head's lock (see `Tx::lock_audit_head`), hashed into
//! the chain and the Merkle frontier, and committed. Reads go through a group-commit task:
//! concurrent callers' entries share one transaction, and each caller waits until its entry
//! is durable. Changes append inside their own transaction instead, so the change and its
//! entry commit or vanish together.

use std::sync::Arc;

use enamel_audit::{
    Checkpoint, Entry, Frontier, Hash, LogVerifier, Problem, SignedCheckpoint, SigningKey,
    StoredEntry, VerifyReport, VerifyingKey, chain_hash, check_head,
};
use enamel_domain::{AccessMethod, AuditAction, AuditSubject, Category, Outcome, RecordKind};
use enamel_store::{AuditHead, CheckpointRow, Db, Tx};
use tokio::sync::{mpsc, oneshot};

use crate::{APP_VERSION, AppError, Clock};

/// An audit entry before it has a place in the log. Ids only, never PHI values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditDraft {
    pub practice_id: Option<String>,
    pub actor_id: Option<String>,
    pub actor_role: Option<String>,
    pub patient_id: Option<String>,
    pub record_type: Option<AuditSubject>,
    pub record_id: Option<String>,
    pub action: AuditAction,
    pub outcome: Outcome,
    pub client_ip: Option<String>,
    pub user_agent: Option<String>,
    pub access_method: AccessMethod,
    pub reason: Option<String>,
}

impl AuditDraft {
    /// Names the record the entry is about.
    pub fn about(mut self, kind: RecordKind, record_id: impl ToString) -> Self {
        self.record_type = Some(AuditSubject::Record(kind));
        self.record_id = Some(record_id.to_string());
        self
    }

    /// Names the matrix category a refusal was for (there is no record to name yet).
    pub fn about_category(mut self, category: Category, record_id: impl ToString) -> Self {
        self.record_type = Some(AuditSubject::Category(category));
        self.record_id = Some(record_id.to_string());
        self
    }

    pub fn patient(mut self, patient_id: impl ToString) -> Self {
        self.patient_id = Some(patient_id.to_string());
        self
    }

    fn into_entry(self, seq: u64, time_ms: i64) -> Entry {
        Entry {
            seq,
            time_ms,
            practice_id: self.practice_id,
            actor_id: self.actor_id,
            actor_role: self.actor_role,
            patient_id: self.patient_id,
            record_type: self.record_type.map(|s| s.as_str().to_string()),
            record_id: self.record_id,
            action: self.action.as_str().to_string(),
            outcome: self.outcome.as_str().to_string(),
            client_ip: self.client_ip,
            // User agents are bounded: they are attacker-chosen text.
            user_agent: self.user_agent.map(|ua| ua.chars().take(256).collect()),
            app_version: APP_VERSION.to_string(),
            access_method: self.access_method.as_str().to_string(),
            reason: self.reason,
        }
    }
}

/// Entries from concurrent callers committed together: enough to amortise a durable commit,
/// small enough to keep one transaction short.
const MAX_GROUP: usize = 2048;
/// Callers that may wait for the group task at once before new ones queue for a slot.
const QUEUE_DEPTH: usize = 16_384;

struct Pending {
    draft: AuditDraft,
    done: oneshot::Sender<Result<u64, String>>,
}

/// Handle to the audit log of this process.
#[derive(Clone)]
pub struct AuditWriter {
    sender: mpsc::Sender<Pending>,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for AuditWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditWriter")
    }
}

impl AuditWriter {
    pub fn start(db: Db, clock: Arc<dyn Clock>) -> AuditWriter {
        let (sender, receiver) = mpsc::channel(QUEUE_DEPTH);
        tokio::spawn(group_commit(db, clock.clone(), receiver));
        AuditWriter { sender, clock }
    }

    /// Appends one entry and returns once it is durable, with its position in the log.
    pub async fn record(&self, draft: AuditDraft) -> Result<u64, AppError> {
        let (done, wait) = oneshot::channel();
        self.sender
            .send(Pending { draft, done })
            .await
            .map_err(|_| AppError::Internal("the audit writer has stopped".into()))?;
        match wait.await {
            Ok(Ok(seq)) => Ok(seq),
            Ok(Err(why)) => Err(AppError::Internal(format!("audit append failed: {why}"))),
            Err(_) => Err(AppError::Internal("the audit writer has stopped".into())),
        }
    }

    /// Appends entries inside `tx`, which commits them together with the change they describe.
    pub async fn record_in(
        &self,
        tx: &mut Tx,
        drafts: Vec<AuditDraft>,
    ) -> Result<Vec<u64>, AppError> {
        append(tx, self.clock.now_ms(), drafts).await
    }
}

async fn group_commit(db: Db, clock: Arc<dyn Clock>, mut receiver: mpsc::Receiver<Pending>) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut batch, MAX_GROUP).await > 0 {
        let drafts = batch.iter().map(|p| p.draft.clone()).collect();
        let result = async {
            let mut tx = db.begin().await?;
            let seqs = append(&mut tx, clock.now_ms(), drafts).await?;
            #[allow(clippy::disallowed_methods)] // a transaction of audit entries only
            tx.commit().await?;
            Ok::<_, AppError>(seqs)
        }
        .await;
        match result {
            Ok(seqs) => {
                for (p, seq) in batch.drain(..).zip(seqs) {
                    let _ = p.done.send(Ok(seq));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, entries = batch.len(), "audit group commit failed");
                for p in batch.drain(..) {
                    let _ = p.done.send(Err(e.to_string()));
                }
            }
        }
    }
}

/// Sequences, chains and inserts `drafts` under the head lock of `tx`.
async fn append(tx: &mut Tx, now_ms: i64, drafts: Vec<AuditDraft>) -> Result<Vec<u64>, AppError> {
    let head = tx.lock_audit_head().await?;
    let mut frontier = Frontier::from_bytes(&head.frontier)
        .map_err(|_| AppError::Internal("the audit log head is damaged".into()))?;
    let mut chain: Hash = head
        .chain
        .as_slice()
        .try_into()
        .map_err(|_| AppError::Internal("the audit log head is damaged".into()))?;
    let start = u64::try_from(head.size)
        .map_err(|_| AppError::Internal("the audit log head is damaged".into()))?;
    if frontier.size() != start {
        return Err(AppError::Internal("the audit log head is damaged".into()));
    }
    let mut rows = Vec::with_capacity(drafts.len());
    let mut seqs = Vec::with_capacity(drafts.len());
    for (i, draft) in drafts.into_iter().enumerate() {
        let seq = start + i as u64;
        let entry = draft.into_entry(seq, now_ms);
        let leaf = entry.leaf_hash();
        chain = chain_hash(&chain, &leaf);
        frontier.push(leaf);
        rows.push((entry, chain));
        seqs.push(seq);
    }
    tx.insert_audit_entries(&rows).await?;
    tx.set_audit_head(&AuditHead {
        size: i64::try_from(frontier.size())
            .map_err(|_| AppError::Internal("audit log too large".into()))?,
        chain: chain.to_vec(),
        frontier: frontier.to_bytes(),
    })
    .await?;
    Ok(seqs)
}

/// A checkpoint just signed, and whether it is new (the log grew since the last one).
#[derive(Debug, Clone)]
pub struct CheckpointOutcome {
    pub signed: SignedCheckpoint,
    pub new: bool,
}

/// What `verify` found in a log that checked out.
#[derive(Debug)]
pub struct VerifyOutcome {
    pub report: VerifyReport,
    pub leaves: Vec<Hash>,
    pub checkpoints: Vec<SignedCheckpoint>,
}

impl crate::App {
    /// Signs the log's current head (the server's periodic job and its final checkpoint).
    pub async fn checkpoint_audit_log(
        &self,
        key: &SigningKey,
        origin: &str,
        now_ms: i64,
    ) -> Result<CheckpointOutcome, AppError> {
        checkpoint_audit_log(self.db(), key, origin, now_ms).await
    }
}

/// Signs the current tree head with `key` and stores it, unless the newest checkpoint by this
/// key already covers the whole log.
pub async fn checkpoint_audit_log(
    db: &Db,
    key: &SigningKey,
    origin: &str,
    now_ms: i64,
) -> Result<CheckpointOutcome, AppError> {
    let head = db.audit_head().await?;
    let frontier = Frontier::from_bytes(&head.frontier)
        .map_err(|_| AppError::Internal("the audit log head is damaged".into()))?;
    let key_id = key.verifying_key().key_id();
    let existing = db.checkpoints().await?;
    if let Some(row) = existing
        .iter()
        .rev()
        .find(|c| c.key_id == key_id && c.size == head.size)
    {
        return Ok(CheckpointOutcome {
            signed: signed_from_row(row)?,
            new: false,
        });
    }
    let signed = key.sign(Checkpoint {
        origin: origin.to_string(),
        size: frontier.size(),
        root: frontier.root(),
        time_ms: now_ms,
    });
    let mut tx = db.begin().await?;
    tx.insert_checkpoint(&CheckpointRow {
        size: head.size,
        key_id: signed.key_id.clone(),
        origin: signed.checkpoint.origin.clone(),
        root: signed.checkpoint.root.to_vec(),
        time_ms: signed.checkpoint.time_ms,
        signature: signed.signature.clone(),
    })
    .await?;
    #[allow(clippy::disallowed_methods)] // a checkpoint row: the signature is its own record
    tx.commit().await?;
    Ok(CheckpointOutcome { signed, new: true })
}

fn signed_from_row(row: &CheckpointRow) -> Result<SignedCheckpoint, AppError> {
    Ok(SignedCheckpoint {
        checkpoint: Checkpoint {
            origin: row.origin.clone(),
            size: u64::try_from(row.size)
                .map_err(|_| AppError::Internal("a stored checkpoint is damaged".into()))?,
            root: row
                .root
                .as_slice()
                .try_into()
                .map_err(|_| AppError::Internal("a stored checkpoint is damaged".into()))?,
            time_ms: row.time_ms,
        },
        key_id: row.key_id.clone(),
        signature: row.signature.clone(),
    })
}

/// Rows read per page while verifying.
const VERIFY_PAGE: i64 = 20_000;

/// Recomputes the chain and the tree from the rows, with the public key alone, checks every
/// stored checkpoint, and checks that the rows end exactly where the log head says. Appends that
/// commit while it runs are followed until the head stops moving. `Ok(Err(problem))` names the
/// first bad entry.
pub async fn verify_audit_log(
    db: &Db,
    key: &VerifyingKey,
) -> Result<Result<VerifyOutcome, Problem>, AppError> {
    let rows = db.checkpoints().await?;
    let mut checkpoints = Vec::with_capacity(rows.len());
    for row in &rows {
        checkpoints.push(signed_from_row(row)?);
    }
    let mut verifier = LogVerifier::new(key.clone(), checkpoints.clone());
    let mut head = db.audit_head().await?;
    let mut next: i64 = 0;
    loop {
        // Only rows below the head read at the start of this round: later ones belong to
        // appends that are checked in the next round.
        while next < head.size {
            let page = db
                .audit_rows_from(next, VERIFY_PAGE.min(head.size - next))
                .await?;
            let Some(last) = page.last() else { break };
            next = i64::try_from(last.0.seq)
                .unwrap_or(i64::MAX)
                .saturating_add(1);
            for (entry, chain) in page {
                if let Err(problem) = verifier.push(&StoredEntry { entry, chain }) {
                    return Ok(Err(problem));
                }
            }
        }
        let beyond = db.audit_rows_from(head.size, 1).await?;
        let now = db.audit_head().await?;
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
        .map_err(|_| AppError::Internal("the audit log head is damaged".into()))?;
    let head_size = u64::try_from(head.size)
        .map_err(|_| AppError::Internal("the audit log head is damaged".into()))?;
    let leaves = verifier.leaves().to_vec();
    let report = match verifier.finish() {
        Ok(report) => report,
        Err(problem) => return Ok(Err(problem)),
    };
    if let Err(problem) = check_head(&report, head_size, &head_chain) {
        return Ok(Err(problem));
    }
    Ok(Ok(VerifyOutcome {
        report,
        leaves,
        checkpoints,
    }))
}
