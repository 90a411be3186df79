//! `seed`: fills the database of an `enamel init`-ed site with synthetic patients, the way the
//! server itself would write them, so that `enamel serve` can be load-tested over HTTPS
//! (crates/bench/load/). Each patient goes through `App::create_patients` with the server's own
//! key file: sealed, blind-indexed and audited (one `create` entry each, in the batch's
//! transaction), under a system access that names synthetic data as its reason.
//!
//! With `--accounts-out`, it also creates one staff account per `--roles` entry with a random
//! password and an enrolled TOTP secret, and writes one JSON line to that new file (mode 0600):
//! the practice id, the sign-ins, and samples of the new patients' ids (for reads) and of
//! id + name + birth date (for updates that keep the name), and search terms drawn from the
//! patients' own name distribution (`names.rs`). The file holds secrets of a synthetic site
//! only; it is still created owner-only and never overwritten.
//!
//! Names come from `names.rs`: thousands of invented family and given names with the skew of
//! a real practice's, so searches meet common and rare names alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result, anyhow, bail};
use enamel_app::auth::NewUser;
use enamel_app::{App, RequestOrigin, SystemClock, SystemReason};
use enamel_crypto::{FileKeyProvider, OpaqueToken, TotpSecret};
use enamel_domain::{PracticeId, Role};
use enamel_store::{Db, PoolSettings};

use crate::line;
use crate::names::{NameDistribution, search_terms};

#[derive(Debug, Clone, clap::Args)]
pub struct Options {
    /// The server's database: `sqlite://DATA_DIR/enamel.db` after `enamel init --data-dir
    /// DATA_DIR`, or the `postgres://…` it was initialised with. It must already be set up.
    #[arg(long)]
    database_url: String,
    /// The server's key file (`DATA_DIR/keys/kek.json` after `enamel init`).
    #[arg(long)]
    key_file: PathBuf,
    /// The practice to fill; by default the only one in the database.
    #[arg(long)]
    practice_id: Option<String>,
    /// Patients to add.
    #[arg(long, default_value_t = 100_000)]
    patients: usize,
    /// Patients per `create_patients` call (one transaction each).
    #[arg(long, default_value_t = 5_000)]
    batch: usize,
    /// Seed of the synthetic generator; batch `i` uses `seed + i`.
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Create the staff accounts and write their sign-ins and the id samples to this new file.
    #[arg(long)]
    accounts_out: Option<PathBuf>,
    /// Staff roles to create one account for (with `--accounts-out`).
    #[arg(long, value_delimiter = ',', default_value = "front_desk")]
    roles: Vec<String>,
    /// Patient ids sampled for reads, and separately for updates.
    #[arg(long, default_value_t = 5_000)]
    sample: usize,
    /// Search terms to write with the samples (with `--accounts-out`).
    #[arg(long, default_value_t = 2_000)]
    search_terms: usize,
    /// A progress line every this many patients.
    #[arg(long, default_value_t = 100_000)]
    report_every: usize,
}

/// A sampled patient for updates: a `PUT` must send the whole record, so it keeps the name.
#[derive(serde::Serialize)]
struct UpdateTarget {
    id: String,
    family_name: String,
    given_name: String,
    birth_date: String,
}

#[derive(serde::Serialize)]
struct Account {
    role: String,
    username: String,
    password: String,
    totp_secret: String,
}

pub async fn run(options: Options) -> Result<String> {
    if options.batch == 0 {
        bail!("--batch must be at least 1");
    }
    let settings = PoolSettings {
        max_connections: 4,
        ..PoolSettings::default()
    };
    let db = Db::connect(&options.database_url, &settings)
        .await
        .context("cannot open the database")?;
    if !db.schema_is_current().await? {
        bail!("the database is not set up: run `enamel init` (or `enamel migrate`) first");
    }
    let provider = FileKeyProvider::open(&options.key_file)
        .with_context(|| format!("cannot open the key file {}", options.key_file.display()))?;
    let app = App::new(db, Arc::new(provider), Arc::new(SystemClock));
    let practice = choose_practice(&app, options.practice_id.as_deref()).await?;

    // Accounts first: a name already taken stops the run before any patient is added.
    let roles = parse_roles(&options.roles)?;
    let accounts = match &options.accounts_out {
        Some(_) => create_accounts(&app, practice, &roles).await?,
        None => Vec::new(),
    };

    let access =
        app.system_bypassing_policy(practice, SystemReason::DemoData, RequestOrigin::job());
    // Two interleaved, evenly spread samples: ids to read, and records to update.
    let step = (options.patients / options.sample.max(1) / 2).max(1);
    let mut read_ids = Vec::new();
    let mut update = Vec::new();
    let started = Instant::now();
    let mut last_report = (0usize, Instant::now());
    let mut done = 0usize;
    let mut batch_no = 0u64;
    let (family, given) = (NameDistribution::family(), NameDistribution::given());
    let mut names_rng = enamel_domain::synthetic::SyntheticRng::new(options.seed);
    while done < options.patients {
        let n = options.batch.min(options.patients - done);
        let mut drafts = enamel_domain::synthetic::patients(n, options.seed.wrapping_add(batch_no));
        for draft in &mut drafts {
            draft.family_name = family.draw(&mut names_rng).to_string();
            draft.given_name = given.draw(&mut names_rng).to_string();
        }
        let ids = access.patients().create_many(&drafts).await?;
        for (k, (id, draft)) in ids.iter().zip(&drafts).enumerate() {
            let i = done + k;
            if i.is_multiple_of(step) && read_ids.len() < options.sample {
                read_ids.push(id.to_string());
            } else if i % step == step / 2 && update.len() < options.sample {
                update.push(UpdateTarget {
                    id: id.to_string(),
                    family_name: draft.family_name.clone(),
                    given_name: draft.given_name.clone(),
                    birth_date: draft.birth_date.clone(),
                });
            }
        }
        done += n;
        batch_no += 1;
        if done - last_report.0 >= options.report_every || done == options.patients {
            let secs = last_report.1.elapsed().as_secs_f64();
            line(&format!(
                "seed: {done} patients added, {:.1} s; the last {} at {:.0} patients/s",
                started.elapsed().as_secs_f64(),
                done - last_report.0,
                (done - last_report.0) as f64 / secs
            ));
            last_report = (done, Instant::now());
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    app.close().await;

    if let Some(path) = &options.accounts_out {
        let record = serde_json::json!({
            "practice_id": practice.to_string(),
            "accounts": accounts,
            "read_ids": read_ids,
            "update": update,
            "search_terms": search_terms(&family, &given, options.search_terms, options.seed),
        });
        let mut text = serde_json::to_string(&record)?;
        text.push('\n');
        write_private_file(path, text.as_bytes())?;
    }
    Ok(format!(
        "seed: {done} synthetic patients in {elapsed:.1} s = {:.0} patients/s (sealed, indexed, one audit entry each; batches of {}){}",
        done as f64 / elapsed,
        options.batch,
        match &options.accounts_out {
            Some(p) => format!("; sign-ins and samples in {}", p.display()),
            None => String::new(),
        }
    ))
}

async fn choose_practice(app: &App, wanted: Option<&str>) -> Result<PracticeId> {
    let practices = app.practices().await?;
    let row = match wanted {
        Some(id) => practices
            .into_iter()
            .find(|p| p.id == id)
            .ok_or_else(|| anyhow!("there is no practice with id {id} in this database"))?,
        None => {
            let mut all = practices.into_iter();
            match (all.next(), all.next()) {
                (Some(only), None) => only,
                (None, _) => bail!("the database holds no practice: run `enamel init` first"),
                (Some(_), Some(_)) => {
                    bail!("the database holds several practices: name one with --practice-id")
                }
            }
        }
    };
    row.id
        .parse()
        .map_err(|_| anyhow!("the practice id in the database is damaged"))
}

fn parse_roles(names: &[String]) -> Result<Vec<Role>> {
    names
        .iter()
        .map(|n| {
            Role::STAFF
                .iter()
                .copied()
                .find(|r| r.as_str() == n.trim())
                .ok_or_else(|| anyhow!("{n} is not a staff role"))
        })
        .collect()
}

async fn create_accounts(app: &App, practice: PracticeId, roles: &[Role]) -> Result<Vec<Account>> {
    let mut out = Vec::with_capacity(roles.len());
    for role in roles {
        let username = format!("bench-{}", role.as_str().replace('_', "-"));
        let (token, _) = OpaqueToken::generate("")?;
        let password = format!("bench-{}", token.get(..20).unwrap_or(token.as_str()));
        let secret = TotpSecret::generate()?;
        app.create_user_as_system(
            practice,
            &NewUser {
                username: username.clone(),
                display_name: format!("Bench {}", role.label().to_lowercase()),
                roles: vec![*role],
            },
            Some(&password),
            Some(&secret),
        )
        .await
        .with_context(|| format!("cannot create the account {username} (seeded already?)"))?;
        out.push(Account {
            role: role.as_str().into(),
            username,
            password,
            totp_secret: secret.to_base32(),
        });
    }
    Ok(out)
}

/// A new file, owner-only, never overwriting one.
fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {} (it must not exist yet)", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}
