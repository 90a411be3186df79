//! `enamel audit verify`: every log (or one), its checkpoints and the witness folder, in plain
//! text or JSON; exit status 2 on any problem.

use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use enamel_app::{VerifyOptions, verify_audit_log_with};
use enamel_audit::{LEGACY_LOG, SERVER_LOG, origin_names_log, practice_log};
use enamel_config::Config;
use enamel_domain::PracticeId;

use crate::cli::VerifyArgs;
use crate::{audit_cmd, output, setup};

/// `audit verify --json`, fields in the documented order.
#[derive(serde::Serialize)]
struct VerifyJson<'a> {
    ok: bool,
    logs: &'a [LogResult],
}

/// One log's line in `audit verify --json`.
#[derive(serde::Serialize)]
struct LogResult {
    log: String,
    entries: u64,
    checkpoints: usize,
    ok: bool,
    first_bad_entry: Option<u64>,
}

pub async fn verify(config: &Config, args: &VerifyArgs) -> Result<ExitCode> {
    let key = audit_cmd::load_public_key(
        args.public_key
            .as_deref()
            .unwrap_or(&config.audit.public_key_file),
    )?;
    let db = setup::open_db(config).await?;
    if !db.schema_is_current().await? {
        bail!("the database is not set up for this version of Enamel; run `enamel migrate`");
    }
    let only = match (&args.practice, &args.log) {
        (Some(p), _) => {
            let id: PracticeId = p
                .parse()
                .map_err(|_| anyhow!("--practice takes a practice id (a UUID)"))?;
            Some(practice_log(&id.to_string()))
        }
        (None, Some(log)) => {
            let valid = log == SERVER_LOG
                || log == LEGACY_LOG
                || log
                    .strip_prefix("practice:")
                    .is_some_and(|p| p.parse::<PracticeId>().is_ok());
            if !valid {
                bail!("--log takes server, legacy or practice:ID");
            }
            Some(log.clone())
        }
        (None, None) => None,
    };
    let logs = match &only {
        Some(log) => vec![log.clone()],
        None => db.audit_logs().await?,
    };
    let witnessed = match &args.witness_dir {
        Some(dir) => audit_cmd::read_witness(dir, &key)?,
        None => Vec::new(),
    };
    let json = args.json;
    let say = |text: &str| {
        if !json {
            output::line(text);
        }
    };
    let complain = |text: &str| {
        if !json {
            output::error(text);
        }
    };
    let mut results = Vec::new();
    let mut verified = Vec::new();
    for log in &logs {
        let mine: Vec<_> = witnessed
            .iter()
            .filter(|w| origin_names_log(&w.signed.checkpoint.origin, log))
            .collect();
        // Leaves only for a proof of this one log; witnessed checkpoints need only their roots.
        let options = VerifyOptions {
            keep_leaves: logs.len() == 1
                && (args.inclusion.is_some() || args.consistency.is_some()),
            roots_at: mine.iter().map(|w| w.signed.checkpoint.size).collect(),
        };
        match verify_audit_log_with(&db, &key, log, options).await? {
            Err(problem) => {
                complain(&format!("AUDIT LOG PROBLEM in {log}: {problem}"));
                if let Some(seq) = problem.first_bad_seq() {
                    complain(&format!("First bad entry of {log}: #{seq}"));
                }
                for w in &mine {
                    complain(&format!(
                        "The witnessed checkpoint of {log} at {} entries ({}) could not be checked against a damaged log.",
                        w.signed.checkpoint.size, w.file
                    ));
                }
                results.push(LogResult {
                    log: log.clone(),
                    entries: 0,
                    checkpoints: 0,
                    ok: false,
                    first_bad_entry: problem.first_bad_seq(),
                });
            }
            Ok(outcome) => {
                let report = &outcome.report;
                let problems = audit_cmd::check_witnessed(&outcome, &mine);
                for p in &problems {
                    complain(&format!("AUDIT LOG PROBLEM in {log}: {p}"));
                }
                if problems.is_empty() {
                    say(&format!(
                        "The audit log {log} is intact: {} entries, tree root {}.",
                        report.entries,
                        hex::encode(report.root)
                    ));
                    match report.last_checkpoint_size {
                        Some(size) => say(&format!(
                            "  {} signed checkpoints verified with key {}; the newest covers {size} entries, {} entries since then are not yet signed.",
                            report.checkpoints_verified,
                            key.key_id(),
                            report.unanchored_entries
                        )),
                        None => say(
                            "  No signed checkpoint yet: run `enamel audit checkpoint` to anchor the log.",
                        ),
                    }
                    if !mine.is_empty() {
                        say(&format!(
                            "  {} witnessed checkpoints are still in the database and consistent with the log.",
                            mine.len()
                        ));
                    }
                    if report.checkpoints_other_keys > 0 {
                        say(&format!(
                            "  {} checkpoints signed by other keys were not checked.",
                            report.checkpoints_other_keys
                        ));
                    }
                }
                results.push(LogResult {
                    log: log.clone(),
                    entries: report.entries,
                    checkpoints: report.checkpoints_verified,
                    ok: problems.is_empty(),
                    first_bad_entry: None,
                });
                verified.push(outcome);
            }
        }
    }
    // A witnessed checkpoint of a log the database no longer has at all.
    let mut orphans = Vec::new();
    for w in &witnessed {
        let known = logs
            .iter()
            .any(|log| origin_names_log(&w.signed.checkpoint.origin, log));
        if !known && only.is_none() {
            orphans.push(format!(
                "the witnessed checkpoint {} ({} entries, origin {}) belongs to no log in the database",
                w.file, w.signed.checkpoint.size, w.signed.checkpoint.origin
            ));
        }
    }
    for p in &orphans {
        complain(&format!("AUDIT LOG PROBLEM: {p}"));
    }
    let ok = orphans.is_empty() && results.iter().all(|r| r.ok);
    if json {
        output::line(&serde_json::to_string(&VerifyJson { ok, logs: &results })?);
    } else if logs.is_empty() {
        output::line("There are no audit entries yet.");
    }
    if !ok {
        return Ok(ExitCode::from(2));
    }
    if let [outcome] = verified.as_slice() {
        if let Some(seq) = args.inclusion {
            let proof = audit_cmd::inclusion(outcome, &key, seq)?;
            output::line(&serde_json::to_string_pretty(&proof)?);
        }
        if let Some(spec) = &args.consistency {
            let proof = audit_cmd::consistency(outcome, &key, spec)?;
            output::line(&serde_json::to_string_pretty(&proof)?);
        }
    }
    Ok(ExitCode::SUCCESS)
}
