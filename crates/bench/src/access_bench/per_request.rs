//! Figures 1–4: session resolution and the authorization check per call, a full audited read
//! with one caller and with many, and the shares of the first two in the third.

use std::hint::black_box;
use std::sync::Arc;

use anyhow::{Context, Result};
use enamel_app::{Actor, App, AppError};
use enamel_domain::{Action, PatientId};
use tokio::time::{Instant, sleep_until};

use super::Timing;
use super::fixture::{Fixture, api_origin, pick};
use super::measure::{Latencies, Mean, Table, cpu_between, ns_since, process_cpu_s, share};

/// Calls between two clock reads in the mean loops: reading the clock on every call would
/// weigh on a sub-microsecond check.
const BATCH: u64 = 64;

/// Runs `$call` (an expression that may `.await` and `?`) for the warm-up, then for the budget
/// in batches of [`BATCH`], and yields a [`Mean`].
macro_rules! mean_loop {
    ($t:expr, $call:expr) => {{
        let t: Timing = $t;
        let warm_until = Instant::now() + t.warmup;
        while Instant::now() < warm_until {
            for _ in 0..BATCH {
                black_box($call);
            }
        }
        let cpu_before = process_cpu_s();
        let start = Instant::now();
        let mut calls = 0u64;
        while start.elapsed() < t.budget {
            for _ in 0..BATCH {
                black_box($call);
            }
            calls += BATCH;
        }
        let wall_s = start.elapsed().as_secs_f64();
        Mean {
            calls,
            wall_s,
            cpu_s: cpu_between(cpu_before, process_cpu_s()),
        }
    }};
}

pub(super) async fn figures(fx: &Arc<Fixture>, t: Timing, callers: usize) -> Result<Table> {
    let mut table = Table::default();
    let out = &mut table;
    let app = &fx.app;
    let token = fx.first_token()?;
    let origin = api_origin("192.0.2.20");

    // 1. Session resolution. The origin is cloned per call as the web layer builds one per
    //    request.
    let resolve = mean_loop!(t, app.resolve_session(token, origin.clone()).await?);
    out.row(
        "resolve_session, 1 caller: wall per call",
        resolve.wall_ns(),
        "ns",
    );
    out.opt_row(
        "resolve_session, 1 caller: process CPU per call",
        resolve.cpu_ns(),
        "ns",
    );
    let resolve_many = concurrent(fx, Op::Resolve, callers, t).await?;
    let label = format!("resolve_session, {callers} callers");
    out.row(&format!("{label}: calls/s"), resolve_many.per_s(), "/s");
    out.opt_row(
        &format!("{label}: process CPU per call"),
        resolve_many.cpu_ns_per_call(),
        "ns",
    );

    // 2. The authorization check, role matrix cached: no I/O, so one caller says it all.
    let actor = app.resolve_session(token, origin.clone()).await?;
    let authorize = mean_loop!(
        t,
        app.patients(&actor).ensure_may(Action::View, None).await?
    );
    out.row(
        "authorize, 1 caller: wall per call",
        authorize.wall_ns(),
        "ns",
    );
    out.opt_row(
        "authorize, 1 caller: process CPU per call",
        authorize.cpu_ns(),
        "ns",
    );

    // 3. The full audited read: one caller, then many (the audit writer groups their entries
    //    into shared commits).
    app.patients(&actor).ensure_may(Action::View, None).await?;
    let mut read1 = single_reads(app, &actor, &fx.patients, t).await?;
    out.row("read_patient, 1 caller: mean", read1.mean_ns() / 1e3, "µs");
    out.row("read_patient, 1 caller: p50", read1.pct(50.0) / 1e3, "µs");
    out.row("read_patient, 1 caller: p99", read1.pct(99.0) / 1e3, "µs");
    out.row("read_patient, 1 caller: reads/s", read1.per_s(), "/s");
    out.opt_row(
        "read_patient, 1 caller: process CPU per read",
        read1.cpu_ns_per_call().map(|n| n / 1e3),
        "µs",
    );
    let mut many = concurrent(fx, Op::Read, callers, t).await?;
    let label = format!("read_patient, {callers} callers");
    out.row(&format!("{label}: reads/s"), many.per_s(), "/s");
    out.row(&format!("{label}: p50"), many.pct(50.0) / 1e6, "ms");
    out.row(&format!("{label}: p99"), many.pct(99.0) / 1e6, "ms");
    out.opt_row(
        &format!("{label}: process CPU per read"),
        many.cpu_ns_per_call().map(|n| n / 1e3),
        "µs",
    );
    if let Some(cpu) = many.cpu_s {
        out.row(
            &format!("{label}: process CPU use (100 % = one core)"),
            cpu / many.wall_s * 100.0,
            "%",
        );
    }

    // 4. Shares: of one caller's wall time per read, and of the CPU a read costs when many
    //    callers share the wake-ups (with one caller, most of a read is waiting for its commit
    //    and most of its CPU is threads handing work to each other).
    let read_ns = read1.mean_ns();
    out.row(
        "share of a 1-caller read (wall): resolve_session",
        share(resolve.wall_ns(), read_ns),
        "%",
    );
    out.row(
        "share of a 1-caller read (wall): authorize",
        share(authorize.wall_ns(), read_ns),
        "%",
    );
    if let (Some(r), Some(a), Some(read_cpu)) = (
        resolve_many.cpu_ns_per_call(),
        authorize.cpu_ns(),
        many.cpu_ns_per_call(),
    ) {
        out.row(
            &format!("share of a read's CPU at {callers} callers: resolve_session"),
            share(r, read_cpu),
            "%",
        );
        out.row(
            &format!("share of a read's CPU at {callers} callers: authorize"),
            share(a, read_cpu),
            "%",
        );
    }
    Ok(table)
}

async fn single_reads(app: &App, actor: &Actor, ids: &[PatientId], t: Timing) -> Result<Latencies> {
    let measure_from = Instant::now() + t.warmup;
    let mut i = 0usize;
    while Instant::now() < measure_from {
        black_box(app.patients(actor).read(pick(ids, i)).await?);
        i += 1;
    }
    let cpu_before = process_cpu_s();
    let start = Instant::now();
    let mut lat = Latencies::default();
    while start.elapsed() < t.budget {
        let t0 = Instant::now();
        black_box(app.patients(actor).read(pick(ids, i)).await?);
        lat.ns.push(ns_since(t0));
        i += 1;
    }
    lat.wall_s = start.elapsed().as_secs_f64();
    lat.cpu_s = cpu_between(cpu_before, process_cpu_s());
    Ok(lat)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// Caller `c` resolves the session of staff member `c mod users`.
    Resolve,
    /// An audited read with a demographics-view access (authorized once per caller).
    Read,
}

/// `callers` tasks call `op` in a closed loop; calls that start inside the measured window
/// count, and the window's process CPU is divided by them.
async fn concurrent(fx: &Arc<Fixture>, op: Op, callers: usize, t: Timing) -> Result<Latencies> {
    let measure_from = Instant::now() + t.warmup;
    let until = measure_from + t.budget;
    let mut tasks = Vec::with_capacity(callers);
    for c in 0..callers {
        let fx = fx.clone();
        tasks.push(tokio::spawn(async move {
            let staff = &fx.staff[c % fx.staff.len()];
            let origin = api_origin("192.0.2.40");
            let actor = fx.app.resolve_session(&staff.token, origin.clone()).await?;
            fx.app
                .patients(&actor)
                .ensure_may(Action::View, None)
                .await?;
            let mut ns = Vec::new();
            let mut i = c;
            loop {
                let t0 = Instant::now();
                if t0 >= until {
                    break;
                }
                match op {
                    Op::Resolve => {
                        black_box(fx.app.resolve_session(&staff.token, origin.clone()).await?);
                    }
                    Op::Read => {
                        black_box(fx.app.patients(&actor).read(pick(&fx.patients, i)).await?);
                    }
                }
                if t0 >= measure_from {
                    ns.push(ns_since(t0));
                }
                i += callers;
            }
            Ok::<_, AppError>(ns)
        }));
    }
    sleep_until(measure_from).await;
    let cpu_before = process_cpu_s();
    sleep_until(until).await;
    let cpu_after = process_cpu_s();
    let mut lat = Latencies {
        wall_s: t.budget.as_secs_f64(),
        cpu_s: cpu_between(cpu_before, cpu_after),
        ..Latencies::default()
    };
    for task in tasks {
        lat.ns.extend(task.await.context("a caller stopped")??);
    }
    Ok(lat)
}
