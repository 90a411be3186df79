//! The fresh database and the practice every figure runs against: staff signed in for real
//! (password, then TOTP) and synthetic patients.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use base64::Engine as _;
use enamel_app::auth::NewUser;
use enamel_app::{App, AuthSettings, Clock, NewPractice, RequestOrigin, SystemClock, SystemReason};
use enamel_crypto::{EnvKeyProvider, TotpSecret};
use enamel_domain::{AccessMethod, PatientId, Role};
use enamel_store::{Db, PoolSettings};
use sqlx::Connection as _;

use super::Options;

/// Failures before a lock, set out of reach: the wrong-password flood must keep hashing.
const NO_LOCK: i64 = 1_000_000_000;

pub(super) enum Target {
    Sqlite(tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl Target {
    pub(super) async fn create(database_url: Option<&str>) -> Result<(Target, String)> {
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
    pub(super) async fn remove(self) -> Result<()> {
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

pub(super) struct Staff {
    pub(super) username: String,
    pub(super) password: String,
    pub(super) token: String,
}

pub(super) struct Fixture {
    pub(super) app: App,
    pub(super) staff: Vec<Staff>,
    pub(super) patients: Arc<Vec<PatientId>>,
}

/// Where the bench's requests come from, as the web layer would fill it in for an API call.
pub(super) fn api_origin(ip: &str) -> RequestOrigin {
    RequestOrigin {
        method: AccessMethod::Api,
        client_ip: Some(ip.to_string()),
        user_agent: Some("enamel-bench".into()),
    }
}

impl Fixture {
    pub(super) async fn new(url: &str, opts: &Options) -> Result<Fixture> {
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
                    time_zone: enamel_domain::PracticeTz::utc(),
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
            app.system_bypassing_policy(practice, SystemReason::DemoData, RequestOrigin::cli());
        let drafts = enamel_domain::synthetic::patients(opts.patients.max(1), 7);
        let patients = system.patients().create_many(&drafts).await?;
        Ok(Fixture {
            app,
            staff,
            patients: Arc::new(patients),
        })
    }

    pub(super) fn first_token(&self) -> Result<&str> {
        self.staff
            .first()
            .map(|s| s.token.as_str())
            .context("no staff account")
    }
}

pub(super) fn pick(ids: &[PatientId], i: usize) -> PatientId {
    ids[i % ids.len()]
}
