//! `enamel audit …`: the signing key, checkpoints of every log (with witness copies),
//! verification and proofs. Verification needs only the public key and read access to the
//! database.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use enamel_app::{
    CheckpointOutcome, Refusal, VerifyOutcome, checkpoint_audit_log, checkpoint_audit_logs,
};
use enamel_audit::{
    Hash, LEGACY_LOG, SignedCheckpoint, SigningKey, VerifyingKey, consistency_proof,
    inclusion_proof, origin_names_log, verify_consistency, verify_inclusion,
};
use enamel_config::Config;
use enamel_store::Db;
use serde::{Deserialize, Serialize};

use crate::setup::{create_private_dir, replace_private_file, write_private_file};

const PEM_BEGIN: &str = "-----BEGIN PRIVATE KEY-----";
const PEM_END: &str = "-----END PRIVATE KEY-----";

/// Creates the checkpoint signing key and its public half if they do not exist yet.
pub fn ensure_signing_key(config: &Config) -> Result<bool> {
    let path = &config.audit.signing_key_file;
    if path.exists() {
        return Ok(false);
    }
    let key = SigningKey::generate()?;
    let der = key.pkcs8_der_danger();
    let pem = format!("{PEM_BEGIN}\n{}\n{PEM_END}\n", STANDARD.encode(&*der));
    write_private_file(path, pem.as_bytes())?;
    let public = key.verifying_key().to_text();
    // Public, but in the data folder like everything else there: owner-only.
    replace_private_file(&config.audit.public_key_file, public.as_bytes())?;
    Ok(true)
}

pub fn load_signing_key(path: &Path) -> Result<SigningKey> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            bail!(
                "the audit signing key {} can be read by other users; run `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => anyhow!(
            "the audit signing key {} does not exist; run `enamel init`, or copy it from the first server",
            path.display()
        ),
        _ => anyhow!("the audit signing key {} cannot be read", path.display()),
    })?;
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = zeroize::Zeroizing::new(STANDARD.decode(body.trim()).map_err(|_| {
        anyhow!(
            "the audit signing key {} is not a valid key file",
            path.display()
        )
    })?);
    SigningKey::from_pkcs8(&der).map_err(|_| {
        anyhow!(
            "the audit signing key {} is not a valid key file",
            path.display()
        )
    })
}

pub fn load_public_key(path: &Path) -> Result<VerifyingKey> {
    let text = std::fs::read_to_string(path)
        .map_err(|_| anyhow!("the audit public key {} cannot be read", path.display()))?;
    VerifyingKey::from_text(&text)
        .map_err(|_| anyhow!("{} is not an Enamel audit public key", path.display()))
}

/// Where the checkpoint signer remembers what it signed: beside the signing key, so that
/// only whoever holds the key can reset that memory.
pub fn signer_memory_file(config: &Config) -> std::path::PathBuf {
    config
        .audit
        .signing_key_file
        .with_file_name("checkpoint-signer-memory.json")
}

/// Signs every log's head that grew; copies each new checkpoint to the witness folder.
/// Refused logs are returned (and were logged as alarms); the others are still signed.
pub async fn checkpoint(
    db: &Db,
    config: &Config,
    key: &SigningKey,
    witness: Option<&Path>,
    now_ms: i64,
) -> Result<Vec<Result<CheckpointOutcome, Refusal>>> {
    let outcomes = checkpoint_audit_logs(
        db,
        key,
        &config.audit.origin,
        &signer_memory_file(config),
        now_ms,
    )
    .await?;
    witness_all(config, witness, &outcomes)?;
    Ok(outcomes)
}

/// Copies every checkpoint just signed to the witness folder (`witness`, else
/// `audit.witness_dir`), if there is one.
pub fn witness_all(
    config: &Config,
    witness: Option<&Path>,
    outcomes: &[Result<CheckpointOutcome, Refusal>],
) -> Result<()> {
    if let Some(dir) = witness.or(config.audit.witness_dir.as_deref()) {
        for outcome in outcomes.iter().flatten() {
            write_witness(dir, &outcome.log, &outcome.signed)?;
        }
    }
    Ok(())
}

/// Closes the legacy log of older releases with a final signed checkpoint, when the signing
/// key is here and the log has entries beyond its newest checkpoint by that key. Without the
/// key this is left to a later `enamel audit checkpoint` wherever the key lives.
pub async fn close_legacy_log(db: &Db, config: &Config, now_ms: i64) -> Result<()> {
    let head = db.audit_head(LEGACY_LOG).await?;
    if head.size == 0 || !config.audit.signing_key_file.exists() {
        return Ok(());
    }
    let key = load_signing_key(&config.audit.signing_key_file)?;
    let key_id = key.verifying_key().key_id();
    let signed = db
        .checkpoints(LEGACY_LOG)
        .await?
        .iter()
        .any(|c| c.key_id == key_id && c.size == head.size);
    if signed {
        return Ok(());
    }
    match checkpoint_audit_log(
        db,
        &key,
        &config.audit.origin,
        LEGACY_LOG,
        &signer_memory_file(config),
        now_ms,
    )
    .await?
    {
        Ok(outcome) => {
            if let Some(dir) = config.audit.witness_dir.as_deref() {
                write_witness(dir, &outcome.log, &outcome.signed)?;
            }
            Ok(())
        }
        Err(refusal) => bail!("{refusal}"),
    }
}

/// The witness file of a checkpoint: names its log (`:` becomes `_`, safe in every file
/// system), size and key.
pub fn witness_file_name(log: &str, signed: &SignedCheckpoint) -> String {
    format!(
        "checkpoint-{}-{:012}-{}.txt",
        log.replace(':', "_"),
        signed.checkpoint.size,
        signed.key_id
    )
}

/// One file per checkpoint, never overwritten: a witness only ever grows.
pub fn write_witness(dir: &Path, log: &str, signed: &SignedCheckpoint) -> Result<()> {
    create_private_dir(dir)
        .with_context(|| format!("cannot create the witness folder {}", dir.display()))?;
    let path = dir.join(witness_file_name(log, signed));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(&path) {
        Ok(mut file) => file
            .write_all(signed.to_note().as_bytes())
            .and_then(|()| file.sync_all())
            .with_context(|| format!("cannot write the witness file {}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(_) => bail!("cannot write to the witness folder {}", dir.display()),
    }
}

/// A checkpoint note found in a witness folder.
#[derive(Debug)]
pub struct Witnessed {
    pub file: String,
    pub signed: SignedCheckpoint,
}

/// Every checkpoint note in `dir` signed by `key`, sorted by file name. A file that is not a
/// valid note, or whose signature does not verify under `key`, is an error naming it: a
/// witness folder holds only what the signer wrote.
pub fn read_witness(dir: &Path, key: &VerifyingKey) -> Result<Vec<Witnessed>> {
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read the witness folder {}", dir.display()))?;
    let mut out = Vec::new();
    for entry in entries {
        let entry =
            entry.with_context(|| format!("cannot read the witness folder {}", dir.display()))?;
        let file = entry.file_name().to_string_lossy().into_owned();
        if !(file.starts_with("checkpoint-") && file.ends_with(".txt")) {
            continue;
        }
        let text = std::fs::read_to_string(entry.path())
            .with_context(|| format!("cannot read the witness file {file}"))?;
        let signed = SignedCheckpoint::from_note(&text)
            .map_err(|_| anyhow!("the witness file {file} is not a checkpoint note"))?;
        if signed.key_id != key.key_id() {
            continue;
        }
        if !signed.verify(key) {
            bail!("the witness file {file} carries a signature that is not valid");
        }
        out.push(Witnessed { file, signed });
    }
    out.sort_by(|a, b| a.file.cmp(&b.file));
    Ok(out)
}

/// Checks the witnessed checkpoints of one verified log: each must still be stored, and the
/// log's first `size` entries must still hash to its root. Returns what failed, one plain
/// sentence each.
pub fn check_witnessed(outcome: &VerifyOutcome, witnessed: &[&Witnessed]) -> Vec<String> {
    let mut problems = Vec::new();
    for w in witnessed {
        let cp = &w.signed.checkpoint;
        let stored = outcome.checkpoints.iter().any(|c| {
            c.key_id == w.signed.key_id
                && c.checkpoint.size == cp.size
                && c.checkpoint.root == cp.root
        });
        if !stored {
            problems.push(format!(
                "the witnessed checkpoint of {} at {} entries ({}) is no longer in the database",
                outcome.log, cp.size, w.file
            ));
        }
        let consistent = outcome.roots_at.get(&cp.size) == Some(&cp.root);
        if !consistent {
            problems.push(format!(
                "the log {} no longer holds the entries of its witnessed checkpoint at {} entries ({})",
                outcome.log, cp.size, w.file
            ));
        }
    }
    problems
}

/// A proof as printed by `audit verify --inclusion/--consistency` and checked by `audit check-proof`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Proof {
    Inclusion {
        log: String,
        seq: u64,
        leaf_hash: String,
        tree_size: u64,
        path: Vec<String>,
        checkpoint: String,
    },
    Consistency {
        log: String,
        old_size: u64,
        new_size: u64,
        path: Vec<String>,
        old_checkpoint: String,
        new_checkpoint: String,
    },
}

fn newest_covering(
    outcome: &VerifyOutcome,
    key: &VerifyingKey,
    size: u64,
) -> Option<SignedCheckpoint> {
    outcome
        .checkpoints
        .iter()
        .filter(|c| c.key_id == key.key_id() && c.checkpoint.size >= size)
        .min_by_key(|c| c.checkpoint.size)
        .cloned()
}

pub fn inclusion(outcome: &VerifyOutcome, key: &VerifyingKey, seq: u64) -> Result<Proof> {
    let signed = newest_covering(outcome, key, seq + 1).ok_or_else(|| {
        anyhow!("no signed checkpoint covers entry #{seq} yet; run `enamel audit checkpoint` first")
    })?;
    let size = signed.checkpoint.size;
    let leaves = outcome
        .leaves
        .get(..usize::try_from(size)?)
        .ok_or_else(|| anyhow!("the checkpoint is larger than the log"))?;
    let path = inclusion_proof(leaves, seq)?;
    let leaf = leaves[usize::try_from(seq)?];
    Ok(Proof::Inclusion {
        log: outcome.log.clone(),
        seq,
        leaf_hash: hex::encode(leaf),
        tree_size: size,
        path: path.iter().map(hex::encode).collect(),
        checkpoint: signed.to_note(),
    })
}

pub fn consistency(outcome: &VerifyOutcome, key: &VerifyingKey, spec: &str) -> Result<Proof> {
    let (old, new) = spec
        .split_once(':')
        .and_then(|(a, b)| Some((a.trim().parse::<u64>().ok()?, b.trim().parse::<u64>().ok()?)))
        .ok_or_else(|| anyhow!("--consistency takes two checkpoint sizes, like 100:250"))?;
    if old == 0 || old > new {
        bail!("--consistency needs 0 < OLD <= NEW");
    }
    let find = |size: u64| {
        outcome
            .checkpoints
            .iter()
            .find(|c| c.key_id == key.key_id() && c.checkpoint.size == size)
            .cloned()
            .ok_or_else(|| {
                anyhow!(
                    "there is no signed checkpoint of size {size}; `enamel audit verify` lists them"
                )
            })
    };
    let (old_cp, new_cp) = (find(old)?, find(new)?);
    let leaves = outcome
        .leaves
        .get(..usize::try_from(new)?)
        .ok_or_else(|| anyhow!("the checkpoint is larger than the log"))?;
    let path = consistency_proof(leaves, old)?;
    Ok(Proof::Consistency {
        log: outcome.log.clone(),
        old_size: old,
        new_size: new,
        path: path.iter().map(hex::encode).collect(),
        old_checkpoint: old_cp.to_note(),
        new_checkpoint: new_cp.to_note(),
    })
}

fn hash_of(text: &str) -> Result<Hash> {
    let bytes = hex::decode(text).map_err(|_| anyhow!("the proof holds a hash that is not hex"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("the proof holds a hash of the wrong length"))
}

fn signed_note(text: &str, key: &VerifyingKey, log: &str) -> Result<SignedCheckpoint> {
    let signed = SignedCheckpoint::from_note(text)
        .map_err(|_| anyhow!("the proof's checkpoint is not a valid note"))?;
    if !signed.verify(key) {
        bail!("the proof's checkpoint is not signed by this public key");
    }
    // The origin is signed: a checkpoint of one log cannot vouch for another's entries.
    if !origin_names_log(&signed.checkpoint.origin, log) {
        bail!("the proof's checkpoint is of another log than {log}");
    }
    Ok(signed)
}

/// Checks a proof with the public key alone (no database).
pub fn check_proof(proof: &Proof, key: &VerifyingKey) -> Result<String> {
    match proof {
        Proof::Inclusion {
            log,
            seq,
            leaf_hash,
            tree_size,
            path,
            checkpoint,
        } => {
            let signed = signed_note(checkpoint, key, log)?;
            if signed.checkpoint.size != *tree_size {
                bail!("the proof's tree size does not match its checkpoint");
            }
            let path = path
                .iter()
                .map(|h| hash_of(h))
                .collect::<Result<Vec<_>>>()?;
            if !verify_inclusion(
                &hash_of(leaf_hash)?,
                *seq,
                *tree_size,
                &path,
                &signed.checkpoint.root,
            ) {
                bail!(
                    "the inclusion proof does not hold: entry #{seq} is not in the signed log as given"
                );
            }
            Ok(format!(
                "Entry #{seq} is in the signed audit log {log} of {tree_size} entries."
            ))
        }
        Proof::Consistency {
            log,
            old_size,
            new_size,
            path,
            old_checkpoint,
            new_checkpoint,
        } => {
            let old = signed_note(old_checkpoint, key, log)?;
            let new = signed_note(new_checkpoint, key, log)?;
            if old.checkpoint.size != *old_size || new.checkpoint.size != *new_size {
                bail!("the proof's sizes do not match its checkpoints");
            }
            let path = path
                .iter()
                .map(|h| hash_of(h))
                .collect::<Result<Vec<_>>>()?;
            if !verify_consistency(
                *old_size,
                *new_size,
                &old.checkpoint.root,
                &new.checkpoint.root,
                &path,
            ) {
                bail!(
                    "the consistency proof does not hold: the log of {new_size} entries does not extend the log of {old_size}"
                );
            }
            Ok(format!(
                "The signed audit log {log} of {new_size} entries extends its signed log of {old_size} entries without rewriting it."
            ))
        }
    }
}
