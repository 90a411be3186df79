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
//! - `read_patient`: fetch, durable `view` audit entry (group-committed), open three fields;
//! - the sign-in flood: 64 callers on the password step (Argon2id in the bounded pool) while a
//!   paced probe (one request per `--probe-interval-ms`: resolve + authorize, then a read)
//!   measures what everyone else sees, compared with the same probe without the flood.
//!
//! Process CPU comes from `/proc/self/stat` (utime + stime, 10 ms ticks), so CPU figures need
//! several seconds of measurement to be meaningful; wall-clock figures do not.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use enamel_app::auth::NewUser;
use enamel_app::{
    Access, App, AppError, AuthSettings, Clock, Db, NewPractice, PoolSettings, RequestOrigin,
    SystemClock, SystemReason,
};
use enamel_crypto::{EnvKeyProvider, TotpSecret};
use enamel_domain::{AccessMethod, Action, Category, PatientId, Role};
use sqlx::Connection as _;
use tokio::time::{Instant, MissedTickBehavior, sleep_until};

/// Calls between two clock reads in the mean loops: reading the clock on every call would
/// weigh on a sub-microsecond check.
const BATCH: u64 = 64;
/// Failures before a lock, set out of reach: the wrong-password flood must keep hashing.
const NO_LOCK: i64 = 1_000_000_000;
/// LIMITS.md: Argon2id at m = 19 MiB, t = 2, p = 1 takes 14.0 ms per hash on one core.
const LIMITS_ARGON2_PER_CORE: f64 = 1e3 / 14.0;

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
        let rows = tokio::spawn(async move { per_request(&fx, t, callers).await })
            .await
            .context("the per-request task stopped")??;
        out.rows.push_str(&rows.rows);
    }
    if opts.part != Part::PerRequest {
        let interval = Duration::from_millis(opts.probe_interval_ms.max(1));
        sign_in_flood(&fx, t, opts.flood.max(1), interval, &mut out).await?;
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

// ---------------------------------------------------------------------------------------------
// The database and the practice

enum Target {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Target {
    async fn create(database_url: Option<&str>) -> Result<(Target, String)> {
        match database_url {
            None => {
                let dir = tempfile::tempdir()?;
                let url = format!("sqlite://{}", dir.path().join("access.db").display());
                Ok((Target::Sqlite(dir), url))
            }
            Some(admin_url) if admin_url.starts_with("postgres") => {
                let name = format!("enamel_bench_access_{}", uuid::Uuid::new_v4().simple());
                let mut admin = sqlx::PgConnection::connect(admin_url)
                    .await
                    .context("cannot reach the PostgreSQL server")?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut admin)
                    .await?;
                admin.close().await?;
                let url = with_database(admin_url, &name);
                Ok((
                    Target::Postgres {
                        admin_url: admin_url.to_string(),
                        name,
                    },
                    url,
                ))
            }
            Some(_) => bail!(
                "--database-url takes a postgres:// URL; without it the run uses a SQLite file in a fresh temp dir"
            ),
        }
    }

    /// Drops this run's database (PostgreSQL) or lets the temp dir go (SQLite).
    async fn remove(self) -> Result<()> {
        match self {
            Target::Sqlite(dir) => Ok(dir.close()?),
            Target::Postgres { admin_url, name } => {
                let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
                sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await?;
                admin.close().await?;
                Ok(())
            }
        }
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_end..].find('/') {
        Some(i) => &base[..i + authority_end],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

struct Staff {
    username: String,
    password: String,
    token: String,
}

struct Fixture {
    app: App,
    staff: Vec<Staff>,
    patients: Arc<Vec<PatientId>>,
}

/// Where the bench's requests come from, as the web layer would fill it in for an API call.
fn api_origin(ip: &str) -> RequestOrigin {
    RequestOrigin {
        method: AccessMethod::Api,
        client_ip: Some(ip.to_string()),
        user_agent: Some("enamel-bench".into()),
    }
}

impl Fixture {
    async fn new(url: &str, opts: &Options) -> Result<Fixture> {
        let db = Db::connect(url, &PoolSettings::default()).await?;
        db.migrate(SystemClock.now_ms()).await?;
        // A fixed, obviously fake KEK: the database holds synthetic data only and is dropped.
        let kek = base64::engine::general_purpose::STANDARD.encode([0x42u8; 32]);
        let provider = EnvKeyProvider::from_base64("ENAMEL_BENCH_KEK", &kek)?;
        let defaults = AuthSettings::default();
        let settings = AuthSettings {
            slow_down_step: Duration::ZERO,
            lock_after_failures: NO_LOCK,
            lock_ip_after_failures: NO_LOCK,
            hashing_permits: opts.hashing_permits.unwrap_or(defaults.hashing_permits),
            ..defaults
        };
        let app = App::with_settings(db, Arc::new(provider), Arc::new(SystemClock), settings);
        let practice = app
            .create_practice(
                &NewPractice {
                    display_name: "Bench Synthetic Dental".into(),
                },
                RequestOrigin::cli(),
            )
            .await?;
        let origin = api_origin("192.0.2.10");
        let mut staff = Vec::new();
        for i in 0..opts.users.max(1) {
            let username = format!("bench-dentist-{i}");
            let password = format!("synthetic bench pass {i} 2026");
            let secret = TotpSecret::generate()?;
            let user = NewUser {
                username: username.clone(),
                display_name: format!("Bench Dentist {i}"),
                roles: vec![Role::Dentist],
            };
            app.create_user_as_system(practice, &user, Some(&password), Some(&secret))
                .await?;
            let pending = app.sign_in_password(&username, &password, &origin).await?;
            if pending.enroll {
                bail!("{username} was asked to enroll although a TOTP secret was set");
            }
            let code =
                enamel_crypto::totp_code(&secret, u64::try_from(SystemClock.now_ms())? / 1000);
            let session = app
                .sign_in_second_factor(&pending.token, &code, &origin)
                .await?;
            staff.push(Staff {
                username,
                password,
                token: session.token.to_string(),
            });
        }
        let system =
            Access::system_bypassing_policy(practice, SystemReason::DemoData, RequestOrigin::cli());
        let drafts = enamel_domain::synthetic::patients(opts.patients.max(1), 7);
        let patients = app.create_patients(&system, &drafts).await?;
        Ok(Fixture {
            app,
            staff,
            patients: Arc::new(patients),
        })
    }

    fn first_token(&self) -> Result<&str> {
        self.staff
            .first()
            .map(|s| s.token.as_str())
            .context("no staff account")
    }
}

fn pick(ids: &[PatientId], i: usize) -> PatientId {
    ids[i % ids.len()]
}

// ---------------------------------------------------------------------------------------------
// Measuring

/// utime + stime of the whole process (every thread: tokio workers, sqlx's SQLite threads,
/// the blocking pool), in seconds. Linux reports it in USER_HZ = 100 ticks per second.
fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = stat.rsplit_once(')')?.1;
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

fn cpu_between(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    Some(after? - before?)
}

/// A mean over many calls, timed in batches.
#[derive(Debug, Clone, Copy)]
struct Mean {
    calls: u64,
    wall_s: f64,
    cpu_s: Option<f64>,
}

impl Mean {
    fn wall_ns(&self) -> f64 {
        self.wall_s * 1e9 / self.calls.max(1) as f64
    }

    fn cpu_ns(&self) -> Option<f64> {
        self.cpu_s.map(|c| c * 1e9 / self.calls.max(1) as f64)
    }
}

/// Latencies of individually timed calls (ns), with the window's wall and CPU time.
#[derive(Debug, Default)]
struct Latencies {
    ns: Vec<u64>,
    wall_s: f64,
    cpu_s: Option<f64>,
}

impl Latencies {
    fn per_s(&self) -> f64 {
        self.ns.len() as f64 / self.wall_s.max(1e-9)
    }

    fn mean_ns(&self) -> f64 {
        self.ns.iter().sum::<u64>() as f64 / self.ns.len().max(1) as f64
    }

    fn cpu_ns_per_call(&self) -> Option<f64> {
        self.cpu_s.map(|c| c * 1e9 / self.ns.len().max(1) as f64)
    }

    /// Nearest-rank percentile; sorts on first use.
    fn pct(&mut self, p: f64) -> f64 {
        if self.ns.is_empty() {
            return 0.0;
        }
        if !self.ns.is_sorted() {
            self.ns.sort_unstable();
        }
        let rank = ((p / 100.0) * self.ns.len() as f64).ceil() as usize;
        self.ns[rank.clamp(1, self.ns.len()) - 1] as f64
    }

    fn max(&self) -> f64 {
        self.ns.iter().copied().max().unwrap_or(0) as f64
    }
}

fn ns_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

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

/// Rows of a Markdown table of figures, one number per row, so runs compare line by line.
#[derive(Debug, Default)]
struct Table {
    rows: String,
}

impl Table {
    fn row(&mut self, figure: &str, value: f64, unit: &str) {
        let shown = if value.abs() >= 100.0 {
            format!("{value:.0}")
        } else {
            format!("{value:.2}")
        };
        self.rows
            .push_str(&format!("| {figure} | {shown} | {unit} |\n"));
    }

    fn opt_row(&mut self, figure: &str, value: Option<f64>, unit: &str) {
        if let Some(v) = value {
            self.row(figure, v, unit);
        }
    }
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        part / whole * 100.0
    } else {
        0.0
    }
}

// ---------------------------------------------------------------------------------------------
// 1–4: the per-request costs

async fn per_request(fx: &Arc<Fixture>, t: Timing, callers: usize) -> Result<Table> {
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
        app.authorize(&actor, Category::Demographics, Action::View, None)
            .await?
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
    let access = app
        .authorize(&actor, Category::Demographics, Action::View, None)
        .await?;
    let mut read1 = single_reads(app, &access, &fx.patients, t).await?;
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

async fn single_reads(
    app: &App,
    access: &Access,
    ids: &[PatientId],
    t: Timing,
) -> Result<Latencies> {
    let measure_from = Instant::now() + t.warmup;
    let mut i = 0usize;
    while Instant::now() < measure_from {
        black_box(app.read_patient(access, pick(ids, i)).await?);
        i += 1;
    }
    let cpu_before = process_cpu_s();
    let start = Instant::now();
    let mut lat = Latencies::default();
    while start.elapsed() < t.budget {
        let t0 = Instant::now();
        black_box(app.read_patient(access, pick(ids, i)).await?);
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
            let access = fx
                .app
                .authorize(&actor, Category::Demographics, Action::View, None)
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
                        black_box(fx.app.read_patient(&access, pick(&fx.patients, i)).await?);
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

// ---------------------------------------------------------------------------------------------
// 5: the sign-in flood

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
        let access = app
            .authorize(&actor, Category::Demographics, Action::View, None)
            .await?;
        let t1 = Instant::now();
        black_box(app.read_patient(&access, pick(&ids, i)).await?);
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

async fn sign_in_flood(
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
