//! Signing each log's head, only as an extension of what this signer signed before.
//!
//! The signer remembers, outside the database, where it last signed each log: size, root,
//! chain value and Merkle frontier, in a small file written atomically. To sign a grown head
//! it reads only the rows after the remembered size, extends the remembered frontier and
//! chain with them, and signs only when that lands exactly on the stored head. Someone with
//! raw SQL access who deletes a checkpoint, truncates a log and appends anew therefore cannot
//! get the rewritten history signed: the new rows do not extend the remembered chain. With no
//! memory for a log yet (first run, a new key, a lost file) the signer trusts the database
//! once, after a full verification of that log against its stored checkpoints.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use enamel_audit::{
    Checkpoint, Frontier, Hash, SignedCheckpoint, SigningKey, chain_hash, log_origin,
};
use enamel_store::{CheckpointRow, Db};
use serde::{Deserialize, Serialize};

use super::damaged;
use super::verify::{VERIFY_PAGE, belongs, signed_from_row, verify_audit_log};
use crate::AppError;

/// A checkpoint just signed (or already stored for this head), and whether it is new.
#[derive(Debug, Clone)]
pub struct CheckpointOutcome {
    pub log: String,
    pub signed: SignedCheckpoint,
    pub new: bool,
}

/// The signer would not sign log `log`: its head does not extend what the signer signed
/// before. The reason names entry numbers and sizes only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("refused to sign the audit log {log}: {reason}")]
pub struct Refusal {
    pub log: String,
    pub reason: String,
}

/// Where the signer last signed one log.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Remembered {
    size: u64,
    root: String,
    chain: String,
    frontier: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Memory {
    /// Keyed by log. Not by signing key: what was signed stays remembered when the key is
    /// replaced, so a new key cannot be used to sign a history rewritten under the old one.
    logs: BTreeMap<String, Remembered>,
}

fn memory_error(path: &Path, what: &str) -> AppError {
    AppError::Internal(format!(
        "the checkpoint signer's memory {} {what}",
        path.display()
    ))
}

fn load_memory(path: &Path) -> Result<Memory, AppError> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| memory_error(path, "is damaged")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Memory::default()),
        Err(_) => Err(memory_error(path, "cannot be read")),
    }
}

/// Temp file, fsync, rename, fsync of the folder: after a crash the file is the old memory or
/// the new one, never a torn mix.
fn save_memory(path: &Path, memory: &Memory) -> Result<(), AppError> {
    let bytes =
        serde_json::to_vec_pretty(memory).map_err(|_| memory_error(path, "cannot be encoded"))?;
    let tmp = tmp_path(path, "tmp");
    let write = || -> std::io::Result<()> {
        let mut file = private_file(std::fs::OpenOptions::new().truncate(true)).open(&tmp)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::File::open(dir)?.sync_all()?;
        }
        Ok(())
    };
    write().map_err(|_| memory_error(path, "cannot be written"))
}

/// Options for a file beside the signing key: created readable and writable by the owner only.
fn private_file(options: &mut std::fs::OpenOptions) -> &mut std::fs::OpenOptions {
    options.create(true).write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

fn tmp_path(path: &Path, ext: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".");
    name.push(ext);
    PathBuf::from(name)
}

/// Holds the memory file's lock: the server's job and `enamel audit checkpoint` may run at
/// once, and each must read the memory the other just wrote.
async fn lock_memory(path: &Path) -> Result<std::fs::File, AppError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|_| memory_error(path, "has no folder"))?;
    }
    let lock_path = tmp_path(path, "lock");
    let file = private_file(std::fs::OpenOptions::new().truncate(false))
        .open(&lock_path)
        .map_err(|_| memory_error(path, "cannot be locked"))?;
    tokio::task::spawn_blocking(move || file.lock().map(|()| file))
        .await
        .map_err(|_| memory_error(path, "cannot be locked"))?
        .map_err(|_| memory_error(path, "cannot be locked"))
}

fn hash_from_hex(text: &str) -> Option<Hash> {
    hex::decode(text).ok()?.try_into().ok()
}

/// Signs every log whose head grew since its newest checkpoint by `key`. `origin` is the
/// configured origin; each checkpoint signs `<origin>/<log>`. A log the signer refuses is
/// reported (and logged as an alarm) without stopping the others.
impl crate::App {
    /// Signs every log whose head grew (the server's periodic job and its final checkpoint):
    /// [`checkpoint_audit_logs`] on the app's own database.
    pub async fn checkpoint_audit_logs(
        &self,
        key: &SigningKey,
        origin: &str,
        memory_file: &Path,
        now_ms: i64,
    ) -> Result<Vec<Result<CheckpointOutcome, Refusal>>, AppError> {
        checkpoint_audit_logs(self.db(), key, origin, memory_file, now_ms).await
    }
}

pub async fn checkpoint_audit_logs(
    db: &Db,
    key: &SigningKey,
    origin: &str,
    memory_file: &Path,
    now_ms: i64,
) -> Result<Vec<Result<CheckpointOutcome, Refusal>>, AppError> {
    let _lock = lock_memory(memory_file).await?;
    let mut memory = load_memory(memory_file)?;
    let mut out = Vec::new();
    // The logs the database shows, and every log this signer has signed: one that vanished
    // from the database is refused (its head is then shorter than what was signed).
    let mut logs: std::collections::BTreeSet<String> = db.audit_logs().await?.into_iter().collect();
    logs.extend(memory.logs.keys().cloned());
    for log in logs {
        out.push(sign_log(db, key, origin, &log, memory_file, &mut memory, now_ms).await?);
    }
    Ok(out)
}

/// [`checkpoint_audit_logs`] for the one log `log`.
pub async fn checkpoint_audit_log(
    db: &Db,
    key: &SigningKey,
    origin: &str,
    log: &str,
    memory_file: &Path,
    now_ms: i64,
) -> Result<Result<CheckpointOutcome, Refusal>, AppError> {
    let _lock = lock_memory(memory_file).await?;
    let mut memory = load_memory(memory_file)?;
    sign_log(db, key, origin, log, memory_file, &mut memory, now_ms).await
}

async fn sign_log(
    db: &Db,
    key: &SigningKey,
    origin: &str,
    log: &str,
    memory_file: &Path,
    memory: &mut Memory,
    now_ms: i64,
) -> Result<Result<CheckpointOutcome, Refusal>, AppError> {
    let refuse = |reason: String| {
        // An alarm, not a routine failure: someone changed history behind the application.
        tracing::error!(log, %reason, "audit checkpoint refused: the log does not extend what was signed before");
        Ok(Err(Refusal {
            log: log.to_string(),
            reason,
        }))
    };
    let key_id = key.verifying_key().key_id();
    let mkey = log.to_string();
    let head = db.audit_head(log).await?;
    let head_size = u64::try_from(head.size).map_err(|_| damaged("head"))?;
    let head_chain: Hash = head
        .chain
        .as_slice()
        .try_into()
        .map_err(|_| damaged("head"))?;
    let head_root = Frontier::from_bytes(&head.frontier)
        .map_err(|_| damaged("head"))?
        .root();

    let (frontier, chain) = match memory.logs.get(&mkey) {
        None => {
            // Trust on first use, but only a log that verifies in full against its own
            // stored checkpoints.
            match verify_audit_log(db, &key.verifying_key(), log).await? {
                Err(problem) => return refuse(format!("it does not verify: {problem}")),
                Ok(outcome) => {
                    if outcome.report.entries != head_size {
                        return refuse("it changed while being verified; try again".into());
                    }
                    (outcome.frontier, outcome.report.chain)
                }
            }
        }
        Some(m) => {
            let (Some(m_chain), Some(m_root), Ok(mut frontier)) = (
                hash_from_hex(&m.chain),
                hash_from_hex(&m.root),
                hex::decode(&m.frontier)
                    .map_err(|_| ())
                    .and_then(|b| Frontier::from_bytes(&b).map_err(|_| ())),
            ) else {
                return Err(memory_error(memory_file, "is damaged"));
            };
            if frontier.size() != m.size || frontier.root() != m_root {
                return Err(memory_error(memory_file, "is damaged"));
            }
            if head_size < m.size {
                return refuse(format!(
                    "it now holds {head_size} entries but {} were signed before",
                    m.size
                ));
            }
            let mut chain = m_chain;
            let mut next = m.size;
            while next < head_size {
                let from = i64::try_from(next).map_err(|_| damaged("head"))?;
                let want = i64::try_from(head_size - next).map_err(|_| damaged("head"))?;
                let page = db.audit_rows_from(log, from, VERIFY_PAGE.min(want)).await?;
                if page.is_empty() {
                    return refuse(format!("entry #{next} is missing"));
                }
                for (entry, stored) in page {
                    if entry.seq != next {
                        return refuse(format!("entry #{next} is missing"));
                    }
                    if !belongs(log, entry.practice_id.as_deref()) {
                        return refuse(format!("entry #{next} belongs to another log"));
                    }
                    let leaf = entry.leaf_hash();
                    chain = chain_hash(&chain, &leaf);
                    if chain != stored {
                        return refuse(format!(
                            "entry #{next} does not continue the chain signed at {} entries",
                            m.size
                        ));
                    }
                    frontier.push(leaf);
                    next += 1;
                    if next == head_size {
                        break;
                    }
                }
            }
            (frontier, chain)
        }
    };
    if frontier.size() != head_size || chain != head_chain || frontier.root() != head_root {
        return refuse(format!(
            "its recorded head at {head_size} entries does not match its entries"
        ));
    }
    let root = frontier.root();
    memory.logs.insert(
        mkey,
        Remembered {
            size: head_size,
            root: hex::encode(root),
            chain: hex::encode(chain),
            frontier: hex::encode(frontier.to_bytes()),
        },
    );
    let existing = db.checkpoints(log).await?;
    if let Some(row) = existing
        .iter()
        .rev()
        .find(|c| c.key_id == key_id && c.size == head.size && c.root == root)
    {
        save_memory(memory_file, memory)?;
        return Ok(Ok(CheckpointOutcome {
            log: log.to_string(),
            signed: signed_from_row(row)?,
            new: false,
        }));
    }
    let signed = key.sign(Checkpoint {
        origin: log_origin(origin, log),
        size: head_size,
        root,
        time_ms: now_ms,
    });
    // Remembered before it is stored: the signer must never sign anything that does not
    // extend a checkpoint it has already handed out.
    save_memory(memory_file, memory)?;
    let mut tx = db.begin().await?;
    tx.insert_checkpoint(
        log,
        &CheckpointRow {
            size: head.size,
            key_id: signed.key_id.clone(),
            origin: signed.checkpoint.origin.clone(),
            root: signed.checkpoint.root.to_vec(),
            time_ms: signed.checkpoint.time_ms,
            signature: signed.signature.clone(),
        },
    )
    .await?;
    #[allow(clippy::disallowed_methods)] // a checkpoint row: the signature is its own record
    tx.commit().await?;
    Ok(Ok(CheckpointOutcome {
        log: log.to_string(),
        signed,
        new: true,
    }))
}
