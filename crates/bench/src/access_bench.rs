//! Access control and staff sign-in (issue #3): what the per-request checks cost next to a full
//! audited read, and whether a flood of sign-ins starves everyone else.
//!
//! Everything goes through the public `App` API, the way the web layer calls it, against a
//! fresh database: a SQLite file in a new temp dir, or a PostgreSQL database this run creates
//! next to the one named by `--database-url` and drops at the end (others are never touched).
//! Staff sign in for real (password, then TOTP) to get their session tokens.
//!
//! - `resolve_session`: token → `Actor` (two indexed reads, a touch of the idle clock every 5 s);
//! - `authorize`: `Actor` × category × action → `Access` with the role matrix cached (the
//!   cache expires every 5 s, so one policy read per 5 s is part of the mean, as in the server);
//! - `read_patient`: fetch, durable `view` audit entry (group-committed), decrypt the record;
//! - the sign-in flood: 64 callers on the password step (Argon2id in the bounded pool) while a
//!   paced probe (one request per `--probe-interval-ms`: resolve + authorize, then a read)
//!   measures what everyone else sees, compared with the same probe without the flood.
//!
//! Process CPU comes from `/proc/self/stat` (utime + stime, 10 ms ticks), so CPU figures need
//! several seconds of measurement to be meaningful; wall-clock figures do not.

mod fixture;
mod flood;
mod measure;
mod per_request;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};

use fixture::{Fixture, Target};
use measure::Table;

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// postgres://… of a server where this run creates (and then drops) its own database.
    /// Without it, a SQLite file in a fresh temp dir.
    #[arg(long)]
    database_url: Option<String>,
    /// Measured seconds per figure.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Unmeasured seconds before each figure.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// Concurrent callers for the audited-read throughput figure.
    #[arg(long, default_value_t = 64)]
    callers: usize,
    /// Concurrent callers on the password step during the flood.
    #[arg(long, default_value_t = 64)]
    flood: usize,
    /// Staff accounts, each signed in once (the flood cycles through them).
    #[arg(long, default_value_t = 8)]
    users: usize,
    #[arg(long, default_value_t = 1_000)]
    patients: usize,
    /// Argon2id hashes at once; without it, the server's default (half the cores, at least 1).
    #[arg(long)]
    hashing_permits: Option<usize>,
    /// The probe's pace during the sign-in figures.
    #[arg(long, default_value_t = 5)]
    probe_interval_ms: u64,
    #[arg(long, value_enum, default_value_t = Part::All)]
    part: Part,
}

/// Which figures to run (the per-request ones are worth running pinned; the flood is not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Part {
    All,
    PerRequest,
    SignIn,
}

/// Runs the chosen figures and returns them as a Markdown table (one number per row).
pub async fn run(opts: Options) -> Result<String> {
    let (target, url) = Target::create(opts.database_url.as_deref()).await?;
    let result = measure_all(&url, &opts).await;
    let dropped = target.remove().await;
    let table = result?;
    dropped?;
    Ok(table)
}

async fn measure_all(url: &str, opts: &Options) -> Result<String> {
    let fx = Arc::new(Fixture::new(url, opts).await?);
    let t = Timing {
        warmup: Duration::from_secs_f64(opts.warmup.max(0.0)),
        budget: Duration::from_secs_f64(opts.seconds.max(0.1)),
    };
    let title = format!(
        "access: {} engine, {} users, {} patients, {} hashing permit(s), {} cores seen",
        url.split(':').next().unwrap_or("?"),
        fx.staff.len(),
        fx.patients.len(),
        fx.app.auth_settings().hashing_permits,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    );
    let mut out = Table::default();
    if opts.part != Part::SignIn {
        // On a runtime worker, like a request handler.
        let fx = fx.clone();
        let callers = opts.callers.max(1);
        let rows = tokio::spawn(async move { per_request::figures(&fx, t, callers).await })
            .await
            .context("the per-request task stopped")??;
        out.rows.push_str(&rows.rows);
    }
    if opts.part != Part::PerRequest {
        let interval = Duration::from_millis(opts.probe_interval_ms.max(1));
        flood::figures(&fx, t, opts.flood.max(1), interval, &mut out).await?;
    }
    Ok(format!(
        "{title}\n\n| Figure | Value | Unit |\n|---|---:|---|\n{}",
        out.rows
    ))
}

#[derive(Debug, Clone, Copy)]
struct Timing {
    warmup: Duration,
    budget: Duration,
}
