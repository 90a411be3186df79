//! Figure 5: the sign-in flood. Callers hammer the password step (Argon2id in the bounded
//! pool) while a paced probe measures what everyone else sees, against the same probe without
//! the flood; Argon2id alone on one thread gives the run's own limit.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use enamel_app::{App, AppError};
use enamel_domain::{Action, PatientId};
use tokio::time::{Instant, MissedTickBehavior, sleep_until};

use super::Timing;
use super::fixture::{Fixture, api_origin, pick};
use super::measure::{Latencies, Table, cpu_between, ns_since, process_cpu_s, share};

/// LIMITS.md: Argon2id at m = 19 MiB, t = 2, p = 1 takes 14.0 ms per hash on one core.
const LIMITS_ARGON2_PER_CORE: f64 = 1e3 / 14.0;

/// What the probe saw: resolve + authorize (the access-control prelude of every request), and
/// the audited read after it.
#[derive(Debug, Default)]
struct ProbeSeen {
    prelude: Latencies,
    read: Latencies,
}

async fn probe(
    app: App,
    token: String,
    ids: Arc<Vec<PatientId>>,
    interval: Duration,
    measure_from: Instant,
    until: Instant,
) -> Result<ProbeSeen, AppError> {
    let origin = api_origin("192.0.2.30");
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut seen = ProbeSeen::default();
    let mut i = 0usize;
    loop {
        tick.tick().await;
        let t0 = Instant::now();
        if t0 >= until {
            break;
        }
        let actor = app.resolve_session(&token, origin.clone()).await?;
        app.patients(&actor).ensure_may(Action::View, None).await?;
        let t1 = Instant::now();
        black_box(app.patients(&actor).read(pick(&ids, i)).await?);
        if t0 >= measure_from {
            seen.prelude.ns.push(ns_since(t0));
            seen.read.ns.push(ns_since(t1));
        }
        i += 1;
    }
    let wall_s = (until - measure_from).as_secs_f64();
    seen.prelude.wall_s = wall_s;
    seen.read.wall_s = wall_s;
    Ok(seen)
}

#[derive(Debug, Default)]
struct FloodSeen {
    /// Password steps answered as intended (a pending sign-in, or "not right" for a wrong one).
    answered: Latencies,
    /// Turned away by the pool's queue wait (`Busy`): the bound at work.
    busy: u64,
    /// Refused by the throttle (should stay 0: its limits are set out of reach).
    locked: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Passwords {
    Right,
    Wrong,
}

/// `callers` tasks run the password step in a closed loop over the staff accounts, each from
/// its own address.
fn start_flood(
    fx: &Arc<Fixture>,
    callers: usize,
    passwords: Passwords,
    measure_from: Instant,
    until: Instant,
) -> Vec<tokio::task::JoinHandle<Result<FloodSeen, AppError>>> {
    (0..callers)
        .map(|c| {
            let fx = fx.clone();
            tokio::spawn(async move {
                let origin = api_origin(&format!("198.51.100.{}", c % 250 + 1));
                let mut seen = FloodSeen::default();
                let mut i = c;
                loop {
                    let t0 = Instant::now();
                    if t0 >= until {
                        break;
                    }
                    let staff = &fx.staff[i % fx.staff.len()];
                    let password = match passwords {
                        Passwords::Right => staff.password.as_str(),
                        Passwords::Wrong => "not the synthetic password 2026",
                    };
                    let answered = match fx
                        .app
                        .sign_in_password(&staff.username, password, &origin)
                        .await
                    {
                        Ok(pending) => {
                            black_box(pending);
                            passwords == Passwords::Right
                        }
                        Err(AppError::SignInFailed) => passwords == Passwords::Wrong,
                        Err(AppError::Busy { .. }) => {
                            seen.busy += u64::from(t0 >= measure_from);
                            false
                        }
                        Err(AppError::TooManyAttempts { .. }) => {
                            seen.locked += u64::from(t0 >= measure_from);
                            false
                        }
                        Err(e) => return Err(e),
                    };
                    if answered && t0 >= measure_from {
                        seen.answered.ns.push(ns_since(t0));
                    }
                    i += callers;
                }
                Ok(seen)
            })
        })
        .collect()
}

pub(super) async fn figures(
    fx: &Arc<Fixture>,
    t: Timing,
    callers: usize,
    interval: Duration,
    out: &mut Table,
) -> Result<()> {
    let token = fx.first_token()?.to_string();
    // The hash alone on one blocking thread, nothing else running: this run's own limit.
    let budget = t.budget;
    let (verify_ms, bare_ms) = tokio::task::spawn_blocking(move || argon2_alone(budget))
        .await
        .context("the Argon2id reference stopped")??;
    let alone_per_s = 1e3 / verify_ms;
    out.row(
        "Argon2id alone, 1 thread: Enamel verify_password",
        verify_ms,
        "ms",
    );
    out.row(
        "Argon2id alone, 1 thread: bare hash_password_into",
        bare_ms,
        "ms",
    );
    out.row(
        "Argon2id alone, 1 thread: verify_password rate",
        alone_per_s,
        "/s",
    );
    for flood in [None, Some(Passwords::Right), Some(Passwords::Wrong)] {
        let measure_from = Instant::now() + t.warmup;
        let until = measure_from + t.budget;
        let flooders = flood
            .map(|p| start_flood(fx, callers, p, measure_from, until))
            .unwrap_or_default();
        let prober = tokio::spawn(probe(
            fx.app.clone(),
            token.clone(),
            fx.patients.clone(),
            interval,
            measure_from,
            until,
        ));
        sleep_until(measure_from).await;
        let cpu_before = process_cpu_s();
        sleep_until(until).await;
        let cpu = cpu_between(cpu_before, process_cpu_s());
        let mut seen = prober.await.context("the probe stopped")??;
        let mut total = FloodSeen::default();
        for f in flooders {
            let s = f.await.context("a sign-in caller stopped")??;
            total.answered.ns.extend(s.answered.ns);
            total.busy += s.busy;
            total.locked += s.locked;
        }
        total.answered.wall_s = t.budget.as_secs_f64();

        let label = match flood {
            None => "no flood".to_string(),
            Some(Passwords::Right) => format!("flood of {callers} right passwords"),
            Some(Passwords::Wrong) => format!("flood of {callers} wrong passwords"),
        };
        if flood.is_some() {
            let a = &mut total.answered;
            out.row(&format!("{label}: password steps/s"), a.per_s(), "/s");
            out.row(
                &format!("{label}: password steps/s as % of Argon2id alone"),
                share(a.per_s(), alone_per_s),
                "%",
            );
            out.row(
                &format!("{label}: password steps/s as % of LIMITS' one core (71/s)"),
                share(a.per_s(), LIMITS_ARGON2_PER_CORE),
                "%",
            );
            out.row(
                &format!("{label}: password step p50"),
                a.pct(50.0) / 1e6,
                "ms",
            );
            out.row(
                &format!("{label}: password step p99"),
                a.pct(99.0) / 1e6,
                "ms",
            );
            out.row(
                &format!("{label}: turned away busy"),
                total.busy as f64,
                "calls",
            );
            out.row(
                &format!("{label}: locked out"),
                total.locked as f64,
                "calls",
            );
        }
        if let Some(cpu) = cpu {
            out.row(
                &format!("{label}: process CPU use (100 % = one core)"),
                cpu / t.budget.as_secs_f64() * 100.0,
                "%",
            );
        }
        let p = &mut seen.prelude;
        out.row(
            &format!("{label}: probe resolve+authorize p50"),
            p.pct(50.0) / 1e3,
            "µs",
        );
        out.row(
            &format!("{label}: probe resolve+authorize p99"),
            p.pct(99.0) / 1e3,
            "µs",
        );
        out.row(
            &format!("{label}: probe resolve+authorize max"),
            p.max() / 1e3,
            "µs",
        );
        let r = &mut seen.read;
        out.row(
            &format!("{label}: probe read_patient p50"),
            r.pct(50.0) / 1e3,
            "µs",
        );
        out.row(
            &format!("{label}: probe read_patient p99"),
            r.pct(99.0) / 1e3,
            "µs",
        );
        out.row(
            &format!("{label}: probe read_patient max"),
            r.max() / 1e3,
            "µs",
        );
        out.row(&format!("{label}: probe requests/s"), r.per_s(), "/s");
    }
    Ok(())
}

/// Milliseconds per Argon2id on one thread, each for about `budget` (at least 20 calls):
/// Enamel's `verify_password` of a stored PHC string, and the bare `hash_password_into` that
/// LIMITS.md timed, with the same parameters.
fn argon2_alone(budget: Duration) -> Result<(f64, f64)> {
    let password = "synthetic reference pass 2026";
    let stored = enamel_crypto::hash_password(password)?;
    let timed = |call: &mut dyn FnMut() -> Result<()>| -> Result<f64> {
        let start = std::time::Instant::now();
        let mut done = 0u32;
        while done < 20 || start.elapsed() < budget {
            call()?;
            done += 1;
        }
        Ok(start.elapsed().as_secs_f64() * 1e3 / f64::from(done))
    };
    let enamel = timed(&mut || {
        if enamel_crypto::verify_password(&stored, black_box(password)) {
            Ok(())
        } else {
            bail!("the reference hash did not verify")
        }
    })?;
    let params = argon2::Params::new(19 * 1024, 2, 1, Some(32))
        .map_err(|e| anyhow::anyhow!("Argon2id parameters: {e}"))?;
    let raw = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
    let mut out = [0u8; 32];
    let bare = timed(&mut || {
        raw.hash_password_into(
            black_box(password.as_bytes()),
            b"0123456789abcdef",
            &mut out,
        )
        .map_err(|e| anyhow::anyhow!("Argon2id: {e}"))
    })?;
    Ok((enamel, bare))
}
