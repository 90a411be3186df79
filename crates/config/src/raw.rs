//! The raw layer: exactly what a file or the environment may say, every field optional,
//! unknown names refused. `resolve` fills defaults and validates.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::{
    AccessConfig, AuditConfig, Config, ConfigError, DatabaseConfig, HttpConfig, KeyProviderKind,
    KeysConfig, LogConfig, LogFormat, Overrides, SessionsConfig, SignInConfig, TlsConfig,
};

/// Every setting path, for turning `ENAMEL_A__B` into `a.b` and refusing unknown names.
pub(crate) const KNOWN: &[&str] = &[
    "data_dir",
    "listen",
    "database.url",
    "database.max_connections",
    "database.app_role",
    "keys.provider",
    "keys.key_file",
    "keys.env_var",
    "keys.rotation_batch",
    "tls.cert_file",
    "tls.key_file",
    "audit.signing_key_file",
    "audit.public_key_file",
    "audit.checkpoint_interval_secs",
    "audit.witness_dir",
    "audit.origin",
    "log.format",
    "log.level",
    "http.max_body_bytes",
    "http.request_timeout_secs",
    "http.hsts_max_age_secs",
    "http.api_requests_per_sec",
    "http.api_token_requests_per_sec",
    "sessions.idle_timeout_secs",
    "sessions.absolute_lifetime_secs",
    "sign_in.lock_after_failures",
    "sign_in.lock_minutes",
    "sign_in.slow_down",
    "sign_in.step_up_secs",
    "access.exclusive_roles",
    "access.emergency_minutes",
];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawConfig {
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    #[serde(default)]
    database: RawDatabase,
    #[serde(default)]
    keys: RawKeys,
    #[serde(default)]
    tls: RawTls,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    log: RawLog,
    #[serde(default)]
    http: RawHttp,
    #[serde(default)]
    sessions: RawSessions,
    #[serde(default)]
    sign_in: RawSignIn,
    #[serde(default)]
    access: RawAccess,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSessions {
    idle_timeout_secs: Option<u64>,
    absolute_lifetime_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignIn {
    lock_after_failures: Option<u32>,
    lock_minutes: Option<u64>,
    slow_down: Option<bool>,
    step_up_secs: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    exclusive_roles: Option<String>,
    emergency_minutes: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Option<String>,
    max_connections: Option<u32>,
    app_role: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKeys {
    provider: Option<KeyProviderKind>,
    key_file: Option<PathBuf>,
    env_var: Option<String>,
    rotation_batch: Option<u32>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTls {
    cert_file: Option<PathBuf>,
    key_file: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    signing_key_file: Option<PathBuf>,
    public_key_file: Option<PathBuf>,
    checkpoint_interval_secs: Option<u64>,
    witness_dir: Option<PathBuf>,
    origin: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLog {
    format: Option<LogFormat>,
    level: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHttp {
    max_body_bytes: Option<usize>,
    request_timeout_secs: Option<u64>,
    hsts_max_age_secs: Option<u64>,
    api_requests_per_sec: Option<u32>,
    api_token_requests_per_sec: Option<u32>,
}

/// Sets `path` in `table` from an environment string: a TOML scalar if it reads as one
/// (`16`, `true`), otherwise the text itself.
pub(crate) fn set_path(table: &mut toml::Table, path: &[String], value: &str) -> Result<(), ()> {
    if !KNOWN.contains(&path.join(".").as_str()) {
        return Err(());
    }
    let parsed = format!("v = {value}")
        .parse::<toml::Table>()
        .ok()
        .and_then(|mut t| t.remove("v"))
        .filter(|v| !v.is_table() && !v.is_array())
        .unwrap_or_else(|| toml::Value::String(value.to_string()));
    let (last, parents) = path.split_last().ok_or(())?;
    let mut node = table;
    for p in parents {
        node = node
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()
            .ok_or(())?;
    }
    node.insert(last.clone(), parsed);
    Ok(())
}

pub(crate) fn from_table(table: toml::Table) -> Result<RawConfig, ConfigError> {
    deserialize(&table).map_err(|message| {
        // Every setting is optional, so a table holding one setting alone deserializes exactly
        // when that setting is valid: the first that does not is the one to name.
        KNOWN
            .iter()
            .find_map(|path| {
                let value = lookup(&table, path)?;
                let mut alone = toml::Table::new();
                let parts: Vec<String> = path.split('.').map(str::to_string).collect();
                insert(&mut alone, &parts, value.clone())?;
                let problem = deserialize(&alone).err()?;
                Some(invalid(path, expected_only(&problem)))
            })
            .unwrap_or(ConfigError::Syntax(message))
    })
}

fn deserialize(table: &toml::Table) -> Result<RawConfig, String> {
    let text = toml::to_string(table).map_err(|e| e.to_string())?;
    toml::from_str(&text).map_err(|e| e.message().to_string())
}

fn lookup<'a>(table: &'a toml::Table, path: &str) -> Option<&'a toml::Value> {
    let mut parts = path.split('.').peekable();
    let mut node = table;
    while let Some(part) = parts.next() {
        let value = node.get(part)?;
        if parts.peek().is_none() {
            return Some(value);
        }
        node = value.as_table()?;
    }
    None
}

fn insert(table: &mut toml::Table, path: &[String], value: toml::Value) -> Option<()> {
    let (last, parents) = path.split_last()?;
    let mut node = table;
    for p in parents {
        node = node
            .entry(p.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()))
            .as_table_mut()?;
    }
    node.insert(last.clone(), value);
    Some(())
}

/// serde's "invalid type: string \"…\", expected usize" quotes the value, which may be a
/// secret: keep only what was expected.
fn expected_only(message: &str) -> String {
    match message.find("expected ") {
        Some(i) => message[i..].to_string(),
        None => "it is not a valid value".to_string(),
    }
}

fn invalid(setting: &str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        setting: setting.into(),
        problem: problem.into(),
    }
}

impl RawConfig {
    pub(crate) fn resolve(self, o: &Overrides) -> Result<Config, ConfigError> {
        let data_dir = o
            .data_dir
            .clone()
            .or(self.data_dir)
            .unwrap_or_else(|| PathBuf::from("./enamel-data"));
        if data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must name a folder"));
        }
        let in_data = |p: &str| data_dir.join(p);

        let listen_text = o
            .listen
            .clone()
            .or(self.listen)
            .unwrap_or_else(|| "127.0.0.1:8443".into());
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            invalid(
                "listen",
                "must be an address and port such as 127.0.0.1:8443",
            )
        })?;

        let url = self
            .database
            .url
            .unwrap_or_else(|| format!("sqlite://{}", in_data("enamel.db").display()));
        if !(url.starts_with("sqlite:")
            || url.starts_with("postgres://")
            || url.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database.url",
                "must start with sqlite:// or postgres://",
            ));
        }
        // SQLite: readers beside its one writer connection. Each has its own page cache, and
        // more than four only held memory (RSS under load 90 → 62 MiB with four, the same
        // throughput on two cores; docs/benchmarks.md).
        let default_connections = if url.starts_with("sqlite:") { 4 } else { 16 };
        let max_connections = self.database.max_connections.unwrap_or(default_connections);
        if !(1..=1000).contains(&max_connections) {
            return Err(invalid(
                "database.max_connections",
                "must be between 1 and 1000",
            ));
        }
        if let Some(role) = &self.database.app_role {
            let ok = !role.is_empty()
                && role
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                return Err(invalid(
                    "database.app_role",
                    "must be lower-case letters, digits and underscores",
                ));
            }
        }

        let rotation_batch = self.keys.rotation_batch.unwrap_or(500);
        if !(1..=10_000).contains(&rotation_batch) {
            return Err(invalid(
                "keys.rotation_batch",
                "must be between 1 and 10000",
            ));
        }
        let env_var = self.keys.env_var.unwrap_or_else(|| "ENAMEL_KEK".into());
        if env_var.is_empty()
            || !env_var
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(invalid(
                "keys.env_var",
                "must be an environment variable name such as ENAMEL_KEK",
            ));
        }

        let level = self.log.level.unwrap_or_else(|| "info".into());
        if !["error", "warn", "info", "debug", "trace"].contains(&level.as_str()) {
            return Err(invalid(
                "log.level",
                "must be one of error, warn, info, debug, trace",
            ));
        }

        let max_body_bytes = self.http.max_body_bytes.unwrap_or(1024 * 1024);
        if !(1024..=64 * 1024 * 1024).contains(&max_body_bytes) {
            return Err(invalid(
                "http.max_body_bytes",
                "must be between 1024 and 67108864",
            ));
        }
        let request_timeout_secs = self.http.request_timeout_secs.unwrap_or(30);
        if !(1..=600).contains(&request_timeout_secs) {
            return Err(invalid(
                "http.request_timeout_secs",
                "must be between 1 and 600",
            ));
        }
        let origin = self.audit.origin.unwrap_or_else(|| "enamel".into());
        if origin.is_empty() || origin.contains('\n') || origin.len() > 200 {
            return Err(invalid(
                "audit.origin",
                "must be one line of at most 200 characters",
            ));
        }

        let in_range = |setting: &str, value: u64, range: std::ops::RangeInclusive<u64>| {
            if range.contains(&value) {
                Ok(value)
            } else {
                Err(invalid(
                    setting,
                    format!("must be between {} and {}", range.start(), range.end()),
                ))
            }
        };
        let sessions = SessionsConfig {
            idle_timeout_secs: in_range(
                "sessions.idle_timeout_secs",
                self.sessions.idle_timeout_secs.unwrap_or(900),
                1..=3600,
            )?,
            absolute_lifetime_secs: in_range(
                "sessions.absolute_lifetime_secs",
                self.sessions.absolute_lifetime_secs.unwrap_or(43_200),
                60..=86_400,
            )?,
        };
        let sign_in = SignInConfig {
            lock_after_failures: u32::try_from(in_range(
                "sign_in.lock_after_failures",
                u64::from(self.sign_in.lock_after_failures.unwrap_or(10)),
                3..=100,
            )?)
            .unwrap_or(10),
            lock_minutes: in_range(
                "sign_in.lock_minutes",
                self.sign_in.lock_minutes.unwrap_or(15),
                1..=1440,
            )?,
            slow_down: self.sign_in.slow_down.unwrap_or(true),
            step_up_secs: in_range(
                "sign_in.step_up_secs",
                self.sign_in.step_up_secs.unwrap_or(300),
                1..=3600,
            )?,
        };
        let exclusive_roles: Vec<String> = self
            .access
            .exclusive_roles
            .unwrap_or_else(|| {
                "practice_administrator+compliance_officer, billing+compliance_officer".into()
            })
            .split(',')
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty())
            .collect();
        if exclusive_roles.iter().any(|p| p.split('+').count() != 2) {
            return Err(invalid(
                "access.exclusive_roles",
                "must be pairs such as \"billing+compliance_officer\", separated by commas",
            ));
        }
        let access = AccessConfig {
            exclusive_roles,
            emergency_minutes: in_range(
                "access.emergency_minutes",
                self.access.emergency_minutes.unwrap_or(60),
                5..=480,
            )?,
        };
        let api_requests_per_sec = u32::try_from(in_range(
            "http.api_requests_per_sec",
            u64::from(self.http.api_requests_per_sec.unwrap_or(50)),
            1..=100_000,
        )?)
        .unwrap_or(50);
        let api_token_requests_per_sec = u32::try_from(in_range(
            "http.api_token_requests_per_sec",
            u64::from(self.http.api_token_requests_per_sec.unwrap_or(20)),
            1..=100_000,
        )?)
        .unwrap_or(20);

        Ok(Config {
            sessions,
            sign_in,
            access,
            listen,
            database: DatabaseConfig {
                url,
                max_connections,
                app_role: self.database.app_role,
            },
            keys: KeysConfig {
                provider: self.keys.provider.unwrap_or(KeyProviderKind::File),
                key_file: self
                    .keys
                    .key_file
                    .unwrap_or_else(|| in_data("keys/kek.json")),
                env_var,
                rotation_batch,
            },
            tls: TlsConfig {
                cert_file: self
                    .tls
                    .cert_file
                    .unwrap_or_else(|| in_data("tls/cert.pem")),
                key_file: self.tls.key_file.unwrap_or_else(|| in_data("tls/key.pem")),
            },
            audit: AuditConfig {
                signing_key_file: self
                    .audit
                    .signing_key_file
                    .unwrap_or_else(|| in_data("audit-signing/checkpoint.key")),
                public_key_file: self
                    .audit
                    .public_key_file
                    .unwrap_or_else(|| in_data("audit-public.txt")),
                checkpoint_interval_secs: self.audit.checkpoint_interval_secs.unwrap_or(60),
                witness_dir: self.audit.witness_dir,
                origin,
            },
            log: LogConfig {
                format: self.log.format.unwrap_or(LogFormat::Text),
                level,
            },
            http: HttpConfig {
                max_body_bytes,
                request_timeout_secs,
                hsts_max_age_secs: self.http.hsts_max_age_secs.unwrap_or(63_072_000),
                api_requests_per_sec,
                api_token_requests_per_sec,
            },
            data_dir,
        })
    }
}
