//! `enamel-bench`: measurements of Enamel's cores, run by hand (results and the commands that
//! produced them go to docs/benchmarks.md). Not a test: nothing here asserts a time.
//!
//! - `crypto`: field seal/open against the raw AEAD of the same crate, in one run;
//! - `audit-append`: durable group-commit appends from many concurrent writers (several
//!   processes may run it at once against one database: the log must stay one valid chain);
//! - `verify`: audit verification speed, pure (in memory) and from the database;
//! - `rotation`: key rotation (re-encryption) speed in rows per second;
//! - `access`: session resolution and the authorization check per request, their share of an
//!   audited read, and sign-in throughput under a flood that must not starve other requests;
//! - `logs`: creates and audit appends from writers spread over many practices (one audit log
//!   each) against the same writers in one practice;
//! - `seed`: synthetic patients and staff sign-ins in an `enamel init`-ed site, for the HTTPS
//!   load tests of a running server (crates/bench/load/);
//! - `schedule`: the schedule's server-side cost (a 12-operatory day of 150 appointments,
//!   bookings under contention).
//! - `chart`: the clinical chart's server-side cost (a 200-procedure chart, perio exams, a
//!   perio save) beside an audited patient read in the same run.

mod access_bench;
mod chart_bench;
mod crypto_bench;
mod logs_bench;
mod names;
mod schedule_bench;
mod seed;

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use base64::Engine as _;
use clap::{Parser, Subcommand};
use enamel_app::{
    App, AuditDraft, AuditWriter, Clock, NewPractice, RequestOrigin, SystemClock, SystemReason,
    verify_audit_log,
};
use enamel_audit::{Frontier, LogVerifier, SigningKey, StoredEntry, chain_hash, sample_entry};
use enamel_crypto::EnvKeyProvider;
use enamel_domain::{AccessMethod, AuditAction, AuditSubject, Outcome, RecordKind};
use enamel_store::{Db, PoolSettings};

#[derive(Debug, Parser)]
#[command(name = "enamel-bench", about = "Benchmarks of Enamel's cores")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Field seal/open vs raw AES-256-GCM.
    Crypto {
        #[arg(long, default_value_t = 2.0)]
        seconds: f64,
    },
    /// Durable audit appends from concurrent writers through the group-commit writer.
    AuditAppend {
        /// sqlite://FILE or postgres://…; migrated if needed.
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 64)]
        writers: usize,
        #[arg(long, default_value_t = 2_000)]
        entries_per_writer: usize,
        /// Names the writers in the entries' actor ids (to tell processes apart).
        #[arg(long, default_value = "bench-writer")]
        actor_prefix: String,
    },
    /// Audit verification speed: in memory, and from a database holding ENTRIES entries.
    Verify {
        #[arg(long, default_value_t = 1_000_000)]
        entries: u64,
        /// Also time `enamel audit verify`'s path over this database (filled first).
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Re-encryption speed of a key rotation over ROWS patients.
    Rotation {
        #[arg(long)]
        database_url: String,
        #[arg(long, default_value_t = 100_000)]
        rows: usize,
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
    /// Access control and sign-in: per-request costs, and a sign-in flood beside other requests.
    Access(access_bench::Options),
    /// Creates and audit appends over many practices' logs vs one practice's.
    Logs(logs_bench::Options),
    /// Synthetic patients and staff sign-ins in an `enamel init`-ed site (for HTTP load tests).
    Seed(seed::Options),
    /// The clinical chart's server-side cost: a 200-procedure chart, perio exams, a perio save.
    Chart(chart_bench::Options),
    /// The schedule's server-side cost: a 12-operatory day of 150 appointments, and bookings
    /// under contention.
    Schedule(schedule_bench::Options),
    /// Overlapping bookings of one chair at once (run in two processes: one may succeed).
    BookRace(schedule_bench::RaceOptions),
}

fn line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Crypto { seconds } => {
            line(&crypto_bench::run(seconds));
            Ok(())
        }
        command => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?
            .block_on(run(command)),
    }
}

async fn run(command: Command) -> Result<()> {
    match command {
        Command::Crypto { .. } => Ok(()),
        Command::AuditAppend {
            database_url,
            writers,
            entries_per_writer,
            actor_prefix,
        } => audit_append(&database_url, writers, entries_per_writer, &actor_prefix).await,
        Command::Verify {
            entries,
            database_url,
        } => verify(entries, database_url.as_deref()).await,
        Command::Rotation {
            database_url,
            rows,
            batch,
        } => rotation(&database_url, rows, batch).await,
        Command::Access(options) => {
            line(&access_bench::run(options).await?);
            Ok(())
        }
        Command::Logs(options) => {
            line(&logs_bench::run(options).await?);
            Ok(())
        }
        Command::Seed(options) => {
            line(&seed::run(options).await?);
            Ok(())
        }
        Command::Chart(options) => {
            line(&chart_bench::run(options).await?);
            Ok(())
        }
        Command::Schedule(options) => {
            line(&schedule_bench::run(options).await?);
            Ok(())
        }
        Command::BookRace(options) => {
            line(&schedule_bench::race(options).await?);
            Ok(())
        }
    }
}

/// A fixed, obviously fake KEK: benchmark databases hold synthetic data only.
fn bench_app(db: Db) -> Result<App> {
    let key = base64::engine::general_purpose::STANDARD.encode([0x42u8; 32]);
    let provider = EnvKeyProvider::from_base64("ENAMEL_BENCH_KEK", &key)?;
    Ok(App::new(db, Arc::new(provider), Arc::new(SystemClock)))
}

async fn open(database_url: &str) -> Result<Db> {
    let settings = PoolSettings {
        max_connections: 16,
        ..PoolSettings::default()
    };
    let db = Db::connect(database_url, &settings).await?;
    db.migrate(SystemClock.now_ms()).await?;
    Ok(db)
}

fn draft(actor: &str, i: usize) -> AuditDraft {
    draft_for("bench-practice", actor, i)
}

fn draft_for(practice: &str, actor: &str, i: usize) -> AuditDraft {
    AuditDraft {
        practice_id: Some(practice.to_string()),
        actor_id: Some(actor.to_string()),
        actor_role: Some("system".into()),
        patient_id: Some(format!("bench-patient-{i}")),
        record_type: Some(AuditSubject::Record(RecordKind::Patient)),
        record_id: Some(format!("bench-patient-{i}")),
        action: AuditAction::View,
        outcome: Outcome::Allowed,
        client_ip: Some("127.0.0.1".into()),
        user_agent: Some("enamel-bench".into()),
        access_method: AccessMethod::Job,
        reason: None,
    }
}

async fn audit_append(
    database_url: &str,
    writers: usize,
    per_writer: usize,
    prefix: &str,
) -> Result<()> {
    // A writer of the bench's own: the App hands out none (only its rooms append).
    let writer = AuditWriter::start(open(database_url).await?, Arc::new(SystemClock));
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(writers);
    for w in 0..writers {
        let writer = writer.clone();
        let actor = format!("{prefix}-{w}");
        tasks.push(tokio::spawn(async move {
            for i in 0..per_writer {
                writer.record(draft(&actor, i)).await?;
            }
            Ok::<_, enamel_app::AppError>(())
        }));
    }
    for t in tasks {
        t.await.context("a writer stopped")??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let total = writers * per_writer;
    line(&format!(
        "audit-append: {total} durable entries from {writers} writers in {elapsed:.2} s = {:.0} entries/s",
        total as f64 / elapsed
    ));
    Ok(())
}

async fn verify(entries: u64, database_url: Option<&str>) -> Result<()> {
    // In memory: the verifier alone, with a checkpoint every 100,000 entries.
    let key = SigningKey::generate()?;
    let mut stored = Vec::with_capacity(usize::try_from(entries)?);
    let mut chain = enamel_audit::GENESIS_CHAIN;
    let mut frontier = Frontier::new();
    let mut checkpoints = Vec::new();
    for seq in 0..entries {
        let entry = sample_entry(seq);
        let leaf = entry.leaf_hash();
        chain = chain_hash(&chain, &leaf);
        frontier.push(leaf);
        stored.push(StoredEntry { entry, chain });
        if frontier.size().is_multiple_of(100_000) {
            checkpoints.push(key.sign(enamel_audit::Checkpoint {
                origin: "bench".into(),
                size: frontier.size(),
                root: frontier.root(),
                time_ms: 0,
            }));
        }
    }
    let started = Instant::now();
    let mut verifier = LogVerifier::new(key.verifying_key(), checkpoints);
    for s in &stored {
        verifier.push(s).map_err(|p| anyhow::anyhow!("{p}"))?;
    }
    let report = verifier.finish().map_err(|p| anyhow::anyhow!("{p}"))?;
    let elapsed = started.elapsed().as_secs_f64();
    line(&format!(
        "verify (in memory): {} entries, {} checkpoints in {elapsed:.3} s = {:.0} entries/s",
        report.entries,
        report.checkpoints_verified,
        report.entries as f64 / elapsed
    ));
    drop(stored);

    if let Some(url) = database_url {
        let db = open(url).await?;
        let writer = AuditWriter::start(db.clone(), Arc::new(SystemClock));
        let log = enamel_audit::practice_log("bench-practice");
        let have = u64::try_from(db.audit_head(&log).await?.size)?;
        let mut written = have;
        let start = Instant::now();
        while written < entries {
            let n = usize::try_from((entries - written).min(2_000))?;
            let mut tx = db.begin().await?;
            writer
                .record_in(&mut tx, (0..n).map(|i| draft("bench-writer", i)).collect())
                .await?;
            tx.commit().await?;
            written += n as u64;
        }
        if written > have {
            line(&format!(
                "  (filled {} entries in {:.1} s)",
                written - have,
                start.elapsed().as_secs_f64()
            ));
        }
        let memory = tempfile::tempdir()?;
        enamel_app::checkpoint_audit_log(
            &db,
            &key,
            "bench",
            &log,
            &memory.path().join("memory.json"),
            SystemClock.now_ms(),
        )
        .await?
        .map_err(|r| anyhow::anyhow!("{r}"))?;
        let started = Instant::now();
        let outcome = verify_audit_log(&db, &key.verifying_key(), &log)
            .await?
            .map_err(|p| anyhow::anyhow!("{p}"))?;
        let elapsed = started.elapsed().as_secs_f64();
        line(&format!(
            "verify (from the database, as `enamel audit verify`): {} entries in {elapsed:.2} s = {:.0} entries/s",
            outcome.report.entries,
            outcome.report.entries as f64 / elapsed
        ));
    }
    Ok(())
}

async fn rotation(database_url: &str, rows: usize, batch: usize) -> Result<()> {
    let app = bench_app(open(database_url).await?)?;
    let practice = app
        .create_practice(
            &NewPractice {
                display_name: "Bench Synthetic Dental".into(),
                time_zone: enamel_domain::PracticeTz::utc(),
            },
            RequestOrigin::job(),
        )
        .await?;
    let system = app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
    let drafts = enamel_domain::synthetic::patients(rows, 99);
    let started = Instant::now();
    for chunk in drafts.chunks(10_000) {
        system.patients().create_many(chunk).await?;
    }
    let filled = started.elapsed().as_secs_f64();
    line(&format!(
        "rotation: created {rows} patients in {filled:.1} s = {:.0} rows/s (seal + insert + audit)",
        rows as f64 / filled
    ));
    app.rotate_data_key(practice, RequestOrigin::job()).await?;
    let started = Instant::now();
    let report = app
        .reencrypt(practice, RequestOrigin::job(), batch, &mut |_, _| {})
        .await?;
    let elapsed = started.elapsed().as_secs_f64();
    line(&format!(
        "rotation: re-encrypted {} rows (3 sealed fields each, batch {batch}) in {elapsed:.2} s = {:.0} rows/s",
        report.resealed,
        report.resealed as f64 / elapsed
    ));
    Ok(())
}
