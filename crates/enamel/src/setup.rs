//! Turning the command line and the configuration into the parts a command needs: the
//! validated configuration, logging, the key provider, the database and the application.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use enamel_app::{App, SystemClock};
use enamel_config::{Config, KeyProviderKind, LogFormat, Overrides};
use enamel_crypto::{EnvKeyProvider, FileKeyProvider, KeyProvider};
use enamel_store::{Db, PoolSettings};
use tracing_subscriber::EnvFilter;

use crate::cli::GlobalArgs;

pub fn load_config(global: &GlobalArgs, listen: Option<&str>) -> Result<Config> {
    let overrides = Overrides {
        data_dir: global.data_dir.clone(),
        listen: listen.map(str::to_string),
    };
    Ok(Config::load(
        global.config.as_deref(),
        std::env::vars(),
        &overrides,
    )?)
}

/// Structured logs on stderr. `ENAMEL_LOG` (an env-filter expression) wins over `log.level`.
/// Log lines carry ids and counts only: no request bodies, no query strings, no field values.
pub fn init_logging(config: &Config) {
    let filter = std::env::var("ENAMEL_LOG")
        .ok()
        .and_then(|v| EnvFilter::try_new(v).ok())
        .or_else(|| EnvFilter::try_new(&config.log.level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match config.log.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The key provider named by the configuration. `create` makes a new key file when none exists.
pub fn key_provider(config: &Config, create: bool, now_ms: i64) -> Result<Arc<dyn KeyProvider>> {
    match config.keys.provider {
        KeyProviderKind::File => {
            let path = &config.keys.key_file;
            let provider = if create && !path.exists() {
                FileKeyProvider::create_new(path, now_ms)?
            } else {
                FileKeyProvider::open(path).map_err(|e| match e {
                    enamel_crypto::CryptoError::KeyFileMissing { .. } => anyhow!(
                        "{e}; run `enamel init` to set up a new practice, or restore the key file from its backup"
                    ),
                    other => anyhow!(other),
                })?
            };
            Ok(Arc::new(provider))
        }
        KeyProviderKind::Env => {
            let name = &config.keys.env_var;
            let value = std::env::var(name).map_err(|_| {
                anyhow!("keys.provider is \"env\" but the environment variable {name} is not set")
            })?;
            Ok(Arc::new(EnvKeyProvider::from_base64(name, &value)?))
        }
    }
}

pub fn pool_settings(config: &Config) -> PoolSettings {
    PoolSettings {
        max_connections: config.database.max_connections,
        ..PoolSettings::default()
    }
}

/// Opens the database; SQLite's folder is created first (for `demo`/`init`/`migrate`).
pub async fn open_db(config: &Config) -> Result<Db> {
    if config.database.url.starts_with("sqlite:") {
        create_private_dir(&config.data_dir)?;
    }
    Ok(Db::connect(&config.database.url, &pool_settings(config)).await?)
}

/// The application over an up-to-date database.
pub async fn open_app(config: &Config) -> Result<App> {
    let now = enamel_app::Clock::now_ms(&SystemClock);
    let db = open_db(config).await?;
    if !db.schema_is_current().await? {
        bail!(
            "the database is not set up for this version of Enamel; run `enamel migrate` (or `enamel init` for a new practice)"
        );
    }
    let provider = key_provider(config, false, now)?;
    let app = App::with_settings(db, provider, Arc::new(SystemClock), auth_settings(config)?);
    // Fail at start, not on the first patient read, when the KEK cannot open the data keys.
    for practice in app.practices().await? {
        let id = practice
            .id
            .parse()
            .map_err(|_| anyhow!("a practice id in the database is damaged"))?;
        app.check_practice_keys(id).await?;
    }
    Ok(app)
}

/// Says once, on stderr, when the key file or the audit signing key sits in the folder of the
/// SQLite database: a copy of that folder is then all it takes to read every record.
pub fn warn_if_secrets_beside_database(config: &Config) {
    let found = config.secrets_beside_database();
    if found.is_empty() {
        return;
    }
    let what: Vec<&str> = found.iter().map(|s| s.what).collect();
    let settings: Vec<String> = found
        .iter()
        .map(|s| {
            format!(
                "{} (ENAMEL_{})",
                s.setting,
                s.setting.to_ascii_uppercase().replace('.', "__")
            )
        })
        .collect();
    let folder = config
        .sqlite_path()
        .and_then(|p| p.parent().map(|f| f.display().to_string()))
        .unwrap_or_default();
    crate::output::error(&format!(
        "Warning: {} {} in the same folder as the database ({folder}). A copy or backup of that \
         folder is then everything needed to read every patient record. Keep them apart: set \
         {} to a folder outside the database's backups.",
        what.join(" and "),
        if what.len() == 1 { "is" } else { "are" },
        settings.join(" and ")
    ));
}

/// Creates `dir` (and parents) readable by the owner only.
pub fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .with_context(|| format!("cannot create the folder {}", dir.display()))
}

/// Writes a new file readable and writable by the owner only; refuses to overwrite.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        create_private_dir(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Replaces a file written by Enamel (owner-only) atomically.
pub fn replace_private_file(path: &Path, contents: &[u8]) -> Result<()> {
    // Beside the target (so the rename stays on one file system), under a name no user file
    // has: `x.json` → `x.json.enamel-tmp`, never `x.tmp`.
    let mut tmp_name = path
        .file_name()
        .ok_or_else(|| anyhow!("{} is not a file name", path.display()))?
        .to_os_string();
    tmp_name.push(".enamel-tmp");
    let tmp = path.with_file_name(tmp_name);
    let _ = std::fs::remove_file(&tmp);
    write_private_file(&tmp, contents)?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot replace {}", path.display()))
}

/// Sign-in and session rules from the configuration.
pub fn auth_settings(config: &Config) -> Result<enamel_app::AuthSettings> {
    let exclusive_roles =
        enamel_domain::ExclusiveRoles::parse_pairs(&config.access.exclusive_roles)
            .map_err(|e| anyhow!("the setting `access.exclusive_roles` is not valid: {e}"))?;
    let defaults = enamel_app::AuthSettings::default();
    Ok(enamel_app::AuthSettings {
        idle_timeout: std::time::Duration::from_secs(config.sessions.idle_timeout_secs),
        absolute_lifetime: std::time::Duration::from_secs(config.sessions.absolute_lifetime_secs),
        lock_after_failures: i64::from(config.sign_in.lock_after_failures),
        lock_duration: std::time::Duration::from_secs(config.sign_in.lock_minutes * 60),
        slow_down_step: if config.sign_in.slow_down {
            defaults.slow_down_step
        } else {
            std::time::Duration::ZERO
        },
        step_up_window: std::time::Duration::from_secs(config.sign_in.step_up_secs),
        emergency_window: std::time::Duration::from_secs(config.access.emergency_minutes * 60),
        exclusive_roles,
        ..defaults
    })
}
