//! Appending to and checking the audit logs: one per practice (`practice:<id>`), one for
//! entries of no practice (`server`), and the closed single log of older releases (`legacy`).
//!
//! Appends are sequenced under their log head's lock (see `Tx::lock_audit_head`), hashed into
//! the chain and the Merkle frontier, and committed. Reads go through a group-commit task per
//! log: concurrent callers' entries share one transaction, and each caller waits until its
//! entry is durable. Changes append inside their own transaction instead, so the change and
//! its entry commit or vanish together.

mod append;
mod checkpoint;
mod verify;

use std::collections::HashMap;
use std::sync::Arc;

use enamel_audit::{Entry, SERVER_LOG, practice_log};
use enamel_domain::{AccessMethod, AuditAction, AuditSubject, Category, Outcome, RecordKind};
use enamel_store::{Db, Tx};
use tokio::sync::{mpsc, oneshot};

use crate::{APP_VERSION, AppError, Clock};

pub use checkpoint::{CheckpointOutcome, Refusal, checkpoint_audit_log, checkpoint_audit_logs};
pub use verify::{VerifyOptions, VerifyOutcome, verify_audit_log, verify_audit_log_with};

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

    /// The log this entry belongs to: its practice's, or the server's.
    pub fn log(&self) -> String {
        match &self.practice_id {
            Some(p) => practice_log(p),
            None => SERVER_LOG.to_string(),
        }
    }

    /// The stored entry. Every text field is made storable first (see [`storable`]): a
    /// value that one engine refuses would otherwise fail every entry committed with it.
    pub(crate) fn into_entry(self, seq: u64, time_ms: i64) -> Entry {
        let id = |v: Option<String>| v.map(|v| storable(&v, MAX_ID_TEXT));
        Entry {
            seq,
            time_ms,
            practice_id: id(self.practice_id),
            actor_id: id(self.actor_id),
            actor_role: id(self.actor_role),
            patient_id: id(self.patient_id),
            record_type: self.record_type.map(|s| s.as_str().to_string()),
            record_id: id(self.record_id),
            action: self.action.as_str().to_string(),
            outcome: self.outcome.as_str().to_string(),
            client_ip: id(self.client_ip),
            // User agents are bounded: they are attacker-chosen text.
            user_agent: self.user_agent.map(|ua| storable(&ua, 256)),
            app_version: APP_VERSION.to_string(),
            access_method: self.access_method.as_str().to_string(),
            reason: self.reason.map(|r| storable(&r, MAX_REASON_TEXT)),
        }
    }
}

/// Ids, roles and addresses are far shorter; anything longer is not one.
const MAX_ID_TEXT: usize = 128;
/// A break-glass reason is typed by a person; the form allows less than this.
const MAX_REASON_TEXT: usize = 1_000;

/// `value` without control characters (PostgreSQL's TEXT cannot hold NUL; the others have no
/// place in an entry either) and cut to `max` characters. Callers pass ids and vocabulary,
/// so this changes nothing for them; it keeps a hostile or buggy value from failing a commit.
fn storable(value: &str, max: usize) -> String {
    value
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// Entries from concurrent callers committed together: enough to amortise a durable commit,
/// small enough to keep one transaction short (a caller's own entries are never split).
const MAX_GROUP: usize = 2048;
/// Callers that may wait for the group task at once before new ones queue for a slot.
const QUEUE_DEPTH: usize = 16_384;

/// One caller's entries: committed together, in one transaction, or not at all.
struct Pending {
    drafts: Vec<AuditDraft>,
    done: oneshot::Sender<Result<Vec<u64>, String>>,
}

/// Handle to the audit logs of this process.
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
        tokio::spawn(dispatch(db, clock.clone(), receiver));
        AuditWriter { sender, clock }
    }

    /// Appends one entry to its log and returns once it is durable, with its position in
    /// that log.
    pub async fn record(&self, draft: AuditDraft) -> Result<u64, AppError> {
        self.record_all(vec![draft])
            .await?
            .first()
            .copied()
            .ok_or_else(|| AppError::Internal("the audit writer returned no position".into()))
    }

    /// Appends several entries, all in one transaction (all durable or none), and returns
    /// once they are durable, with each one's position in its log, in the order given. For a
    /// read that names many records at once (a search's results).
    pub async fn record_all(&self, drafts: Vec<AuditDraft>) -> Result<Vec<u64>, AppError> {
        if drafts.is_empty() {
            return Ok(Vec::new());
        }
        let (done, wait) = oneshot::channel();
        self.sender
            .send(Pending { drafts, done })
            .await
            .map_err(|_| AppError::Internal("the audit writer has stopped".into()))?;
        match wait.await {
            Ok(Ok(seqs)) => Ok(seqs),
            Ok(Err(why)) => Err(AppError::Internal(format!("audit append failed: {why}"))),
            Err(_) => Err(AppError::Internal("the audit writer has stopped".into())),
        }
    }

    /// Appends entries inside `tx`, which commits them together with the change they
    /// describe. Returns each entry's position in its own log, in the order given.
    pub async fn record_in(
        &self,
        tx: &mut Tx,
        drafts: Vec<AuditDraft>,
    ) -> Result<Vec<u64>, AppError> {
        append::append(tx, self.clock.now_ms(), drafts).await
    }
}

/// Hands each entry to its shard's group-commit task. On PostgreSQL a shard is one log, so a
/// practice whose head is locked (a long change, a slow commit) delays only its own entries.
/// On SQLite the database write lock serialises every commit anyway, so one shard for all
/// logs keeps one fsync per group.
async fn dispatch(db: Db, clock: Arc<dyn Clock>, mut receiver: mpsc::Receiver<Pending>) {
    let one_shard = matches!(db, Db::Sqlite(..));
    // Unbounded per shard: every queued entry has a caller waiting on it, and the bounded
    // queue in front of this task limits how many there are.
    let mut shards: HashMap<String, mpsc::UnboundedSender<Pending>> = HashMap::new();
    while let Some(pending) = receiver.recv().await {
        let shard = if one_shard {
            String::new()
        } else {
            // A caller's entries share a log (one practice's search results); should they
            // not, `append` still locks every log they touch, in order.
            pending
                .drafts
                .first()
                .map(AuditDraft::log)
                .unwrap_or_default()
        };
        let sender = shards.entry(shard).or_insert_with(|| {
            let (sender, receiver) = mpsc::unbounded_channel();
            tokio::spawn(group_commit(db.clone(), clock.clone(), receiver));
            sender
        });
        if let Err(mpsc::error::SendError(pending)) = sender.send(pending) {
            let _ = pending
                .done
                .send(Err("the audit writer has stopped".to_string()));
        }
    }
}

async fn group_commit(
    db: Db,
    clock: Arc<dyn Clock>,
    mut receiver: mpsc::UnboundedReceiver<Pending>,
) {
    let mut batch: Vec<Pending> = Vec::with_capacity(MAX_GROUP);
    while receiver.recv_many(&mut batch, MAX_GROUP).await > 0 {
        // A caller may bring many entries (a search's results): callers are grouped so that
        // one transaction holds about MAX_GROUP entries, never a caller split in two.
        let mut group = Vec::new();
        let mut entries = 0;
        for p in batch.drain(..) {
            if !group.is_empty() && entries + p.drafts.len() > MAX_GROUP {
                commit_callers(&db, clock.as_ref(), std::mem::take(&mut group)).await;
                entries = 0;
            }
            entries += p.drafts.len();
            group.push(p);
        }
        commit_callers(&db, clock.as_ref(), group).await;
    }
}

/// Commits the entries of `callers` in one transaction and tells each caller its positions.
async fn commit_callers(db: &Db, clock: &dyn Clock, callers: Vec<Pending>) {
    if callers.is_empty() {
        return;
    }
    let drafts = callers
        .iter()
        .flat_map(|p| p.drafts.iter().cloned())
        .collect();
    match commit_group(db, clock, drafts).await {
        Ok(seqs) => {
            let mut seqs = seqs.into_iter();
            for p in callers {
                let mine = seqs.by_ref().take(p.drafts.len()).collect();
                let _ = p.done.send(Ok(mine));
            }
        }
        // Alone, or the database cannot be reached (retrying each caller would only make
        // every one of them wait for the connection again): all fail, closed.
        Err(e) if callers.len() == 1 || matches!(e, AppError::Unavailable(_)) => {
            tracing::error!(error = %e, "audit append failed");
            for p in callers {
                let _ = p.done.send(Err(e.to_string()));
            }
        }
        Err(e) => {
            // One caller's entry must not fail the others': each is retried alone, so only a
            // caller whose own entries cannot be stored gets the error.
            tracing::warn!(error = %e, callers = callers.len(), "audit group commit failed; retrying each caller alone");
            for p in callers {
                let alone = commit_group(db, clock, p.drafts.clone()).await;
                if let Err(e) = &alone {
                    tracing::error!(error = %e, "audit append failed");
                }
                let _ = p.done.send(alone.map_err(|e| e.to_string()));
            }
        }
    }
}

/// Appends `drafts` in one transaction of audit entries only.
async fn commit_group(
    db: &Db,
    clock: &dyn Clock,
    drafts: Vec<AuditDraft>,
) -> Result<Vec<u64>, AppError> {
    let mut tx = db.begin().await?;
    let seqs = append::append(&mut tx, clock.now_ms(), drafts).await?;
    #[allow(clippy::disallowed_methods)] // a transaction of audit entries only
    tx.commit().await?;
    Ok(seqs)
}

/// A stored head or checkpoint that does not parse: only tampering or a bug makes one.
fn damaged(what: &str) -> AppError {
    AppError::Internal(format!("the audit log {what} is damaged"))
}
