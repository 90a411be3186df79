//! Enamel's configuration in two steps: a raw layer (an optional TOML file, then `ENAMEL_*`
//! environment variables, then command-line flags) and a validated [`Config`] of
//! per-subsystem structs. Every error names the setting and says what is expected.
//!
//! No globals: the binary builds one `Config` and passes the pieces down. This crate must
//! never depend on the other Enamel crates.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod raw;

use raw::RawConfig;

/// Environment variables that belong to the command line or carry secrets, not settings.
pub const RESERVED_ENV: &[&str] = &[
    "ENAMEL_CONFIG",
    "ENAMEL_DATA_DIR",
    "ENAMEL_LISTEN",
    "ENAMEL_LOG",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration file {path} cannot be read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("the configuration is not valid: {0}")]
    Syntax(String),
    #[error("the setting `{setting}` is not valid: {problem}")]
    Invalid { setting: String, problem: String },
    #[error(
        "the environment variable {name} is not a setting Enamel knows (settings look like ENAMEL_DATABASE__URL)"
    )]
    UnknownEnv { name: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyProviderKind {
    /// A key file on local disk, mode 0600, outside the database.
    File,
    /// One key in an environment variable (base64 of 32 bytes).
    Env,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub database: DatabaseConfig,
    pub keys: KeysConfig,
    pub tls: TlsConfig,
    pub audit: AuditConfig,
    pub log: LogConfig,
    pub http: HttpConfig,
    pub sessions: SessionsConfig,
    pub sign_in: SignInConfig,
    pub access: AccessConfig,
}

/// Server-wide session defaults; a practice may choose its own within HIPAA-minded limits.
#[derive(Debug, Clone)]
pub struct SessionsConfig {
    pub idle_timeout_secs: u64,
    pub absolute_lifetime_secs: u64,
}

#[derive(Debug, Clone)]
pub struct SignInConfig {
    pub lock_after_failures: u32,
    pub lock_minutes: u64,
    /// Hold back answers after repeated failures (switch off only for tests).
    pub slow_down: bool,
    /// How recent the second factor must be for changes to users, roles and the matrix.
    pub step_up_secs: u64,
}

#[derive(Debug, Clone)]
pub struct AccessConfig {
    /// "role_a+role_b" pairs that one person may not hold together.
    pub exclusive_roles: Vec<String>,
    pub emergency_minutes: u64,
}

#[derive(Clone)]
pub struct DatabaseConfig {
    /// `sqlite://…` or `postgres://…`; may hold a password, so Debug redacts it.
    pub url: String,
    pub max_connections: u32,
    /// PostgreSQL: role that `enamel migrate` grants least privilege to (never UPDATE/DELETE on the audit log).
    pub app_role: Option<String>,
}

impl std::fmt::Debug for DatabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseConfig")
            .field(
                "url",
                &if self.url.contains('@') {
                    "(redacted)"
                } else {
                    &self.url
                },
            )
            .field("max_connections", &self.max_connections)
            .field("app_role", &self.app_role)
            .finish()
    }
}

#[derive(Debug, Clone)]
pub struct KeysConfig {
    pub provider: KeyProviderKind,
    pub key_file: PathBuf,
    /// Name of the variable that holds the key when `provider = "env"`.
    pub env_var: String,
    /// Rows re-encrypted per transaction during rotation.
    pub rotation_batch: u32,
}

#[derive(Debug, Clone)]
pub struct TlsConfig {
    pub cert_file: PathBuf,
    pub key_file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct AuditConfig {
    /// Ed25519 key that signs checkpoints; kept apart from the data keys.
    pub signing_key_file: PathBuf,
    pub public_key_file: PathBuf,
    /// Seconds between automatic checkpoints while serving; 0 turns them off.
    pub checkpoint_interval_secs: u64,
    /// A folder (ideally another disk or a mounted remote) that receives a copy of every checkpoint.
    pub witness_dir: Option<PathBuf>,
    /// Names this log in every checkpoint.
    pub origin: String,
}

#[derive(Debug, Clone)]
pub struct LogConfig {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub max_body_bytes: usize,
    pub request_timeout_secs: u64,
    pub hsts_max_age_secs: u64,
    pub api_requests_per_sec: u32,
    pub api_token_requests_per_sec: u32,
}

/// Values given on the command line; they win over the file and the environment.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub listen: Option<String>,
}

impl Config {
    /// Loads `file` (if given), applies `env` (pass `std::env::vars()`), then `overrides`.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Config, ConfigError> {
        let mut table = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Unreadable {
                    path: path.to_path_buf(),
                    reason: plain_io(&e),
                })?;
                text.parse::<toml::Table>().map_err(|e| {
                    ConfigError::Syntax(format!("{}: {}", path.display(), e.message()))
                })?
            }
            None => toml::Table::new(),
        };
        let env: BTreeMap<String, String> = env.into_iter().collect();
        let key_env_var = table
            .get("keys")
            .and_then(|k| k.get("env_var"))
            .and_then(|v| v.as_str())
            .unwrap_or("ENAMEL_KEK")
            .to_string();
        for (name, value) in &env {
            let Some(rest) = name.strip_prefix("ENAMEL_") else {
                continue;
            };
            if RESERVED_ENV.contains(&name.as_str()) || *name == key_env_var || rest.is_empty() {
                continue;
            }
            let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            raw::set_path(&mut table, &path, value)
                .map_err(|_| ConfigError::UnknownEnv { name: name.clone() })?;
        }
        let raw: RawConfig = raw::from_table(table)?;
        raw.resolve(overrides)
    }
}

/// A secret file kept in the same folder as the SQLite database, and the setting that moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretBesideDatabase {
    /// What it is, in plain words.
    pub what: &'static str,
    pub path: PathBuf,
    /// The setting that places it elsewhere (its environment variable follows from it).
    pub setting: &'static str,
}

impl Config {
    /// The SQLite database file, when the database is SQLite and on disk.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        let url = &self.database.url;
        let rest = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))?;
        let file = rest.split('?').next().unwrap_or("");
        if file.is_empty() || file == ":memory:" {
            return None;
        }
        Some(PathBuf::from(file))
    }

    /// The KEK file and the audit signing key, when they sit in the folder of the SQLite
    /// database (or below it). Then one copy or backup of that folder holds everything
    /// needed to read every record, and to re-sign a rewritten audit log.
    pub fn secrets_beside_database(&self) -> Vec<SecretBesideDatabase> {
        let Some(db) = self.sqlite_path() else {
            return Vec::new();
        };
        let Some(folder) = absolute(&db).parent().map(Path::to_path_buf) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        if self.keys.provider == KeyProviderKind::File
            && absolute(&self.keys.key_file).starts_with(&folder)
        {
            found.push(SecretBesideDatabase {
                what: "the key file",
                path: self.keys.key_file.clone(),
                setting: "keys.key_file",
            });
        }
        if absolute(&self.audit.signing_key_file).starts_with(&folder) {
            found.push(SecretBesideDatabase {
                what: "the audit signing key",
                path: self.audit.signing_key_file.clone(),
                setting: "audit.signing_key_file",
            });
        }
        found
    }
}

/// `path` made absolute against the working folder, without following links (the files may
/// not exist yet).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

fn plain_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "the file does not exist".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => "it could not be read".into(),
    }
}

#[cfg(test)]
mod tests;
