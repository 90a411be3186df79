//! `logs`: what one audit log per practice buys. Creates per second (each a transaction with
//! its audit entry) and durable audit appends (group commit) from W writers spread over P
//! practices, against the same writers all in one practice.

use std::time::Instant;

use anyhow::{Context, Result};
use enamel_app::{App, AuditWriter, NewPractice, RequestOrigin, SystemClock, SystemReason};
use enamel_domain::{PracticeId, PracticeTz};

use crate::{bench_app, draft_for, open};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// sqlite://FILE or postgres://…; migrated if needed. Each run adds new practices.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 64)]
    writers: usize,
    #[arg(long, default_value_t = 16)]
    practices: usize,
    /// Patients each writer creates, one transaction each.
    #[arg(long, default_value_t = 100)]
    creates_per_writer: usize,
    /// Durable audit entries each writer appends, one at a time.
    #[arg(long, default_value_t = 1_000)]
    entries_per_writer: usize,
    /// Each round measures both layouts, alternating, so warm-up and drift hit both.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
}

async fn practices(app: &App, n: usize) -> Result<Vec<PracticeId>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let id = app
            .create_practice(
                &NewPractice {
                    display_name: format!("Bench Synthetic Dental {i}"),
                    time_zone: PracticeTz::utc(),
                },
                RequestOrigin::job(),
            )
            .await?;
        out.push(id);
    }
    Ok(out)
}

async fn creates(app: &App, accesses: &[PracticeId], o: &Options) -> Result<f64> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(o.writers);
    for w in 0..o.writers {
        let app = app.clone();
        let practice = accesses[w % accesses.len()];
        let drafts = enamel_domain::synthetic::patients(o.creates_per_writer, w as u64 + 1);
        tasks.push(tokio::spawn(async move {
            let system =
                app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
            for d in &drafts {
                system.patients().create(d).await?;
            }
            Ok::<_, enamel_app::AppError>(())
        }));
    }
    for t in tasks {
        t.await.context("a writer stopped")??;
    }
    Ok((o.writers * o.creates_per_writer) as f64 / started.elapsed().as_secs_f64())
}

async fn appends(writer: &AuditWriter, accesses: &[PracticeId], o: &Options) -> Result<f64> {
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(o.writers);
    for w in 0..o.writers {
        let writer = writer.clone();
        let practice = accesses[w % accesses.len()].to_string();
        let per = o.entries_per_writer;
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                writer
                    .record(draft_for(&practice, &format!("logs-writer-{w}"), i))
                    .await?;
            }
            Ok::<_, enamel_app::AppError>(())
        }));
    }
    for t in tasks {
        t.await.context("a writer stopped")??;
    }
    Ok((o.writers * o.entries_per_writer) as f64 / started.elapsed().as_secs_f64())
}

pub async fn run(o: Options) -> Result<String> {
    let db = open(&o.database_url).await?;
    let app = bench_app(db.clone())?;
    // A writer of the bench's own for the appends (the app hands out none); the creates go
    // through the app's.
    let writer = AuditWriter::start(db, std::sync::Arc::new(SystemClock));
    let mut out = String::new();
    let layouts = [o.practices, 1];
    for p in layouts.iter().copied().cycle().take(2 * o.rounds) {
        let accesses = practices(&app, p).await?;
        let c = creates(&app, &accesses, &o).await?;
        let a = appends(&writer, &accesses, &o).await?;
        out.push_str(&format!(
            "logs: {} writers over {p} practices: {c:.0} creates/s; audit append {a:.0} entries/s in total, {:.0} per log\n",
            o.writers,
            a / p as f64
        ));
    }
    Ok(out.trim_end().to_string())
}
