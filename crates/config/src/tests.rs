#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;

use super::*;
use crate::raw;

fn load(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(text.as_bytes()).unwrap();
    let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
    Config::load(Some(f.path()), env, &Overrides::default())
}

#[test]
fn example_file_parses_and_documents_every_setting() {
    let example = include_str!("../../../config.example.toml");
    let config = load(example, &[]).unwrap();
    assert_eq!(config.listen.port(), 8443);
    for setting in raw::KNOWN {
        let leaf = setting.rsplit('.').next().unwrap();
        assert!(
            example.contains(&format!("{leaf} =")) || example.contains(&format!("# {leaf} =")),
            "config.example.toml does not document {setting}"
        );
    }
}

#[test]
fn defaults_live_in_the_data_dir() {
    let c = Config::load(
        None,
        Vec::new(),
        &Overrides {
            data_dir: Some("/srv/x".into()),
            listen: None,
        },
    )
    .unwrap();
    assert_eq!(c.database.url, "sqlite:///srv/x/enamel.db");
    assert_eq!(c.database.max_connections, 4, "SQLite's readers");
    assert_eq!(c.keys.key_file, PathBuf::from("/srv/x/keys/kek.json"));
    assert_eq!(c.listen.to_string(), "127.0.0.1:8443");
}

#[test]
fn postgresql_keeps_sixteen_connections_by_default() {
    let c = load(
        "",
        &[(
            "ENAMEL_DATABASE__URL",
            "postgres://enamel@127.0.0.1:5432/enamel",
        )],
    )
    .unwrap();
    assert_eq!(c.database.max_connections, 16);
}

#[test]
fn environment_overrides_file_and_flags_override_both() {
    let c = load(
        "listen = \"127.0.0.1:1000\"\n[database]\nmax_connections = 4\n",
        &[
            ("ENAMEL_DATABASE__MAX_CONNECTIONS", "9"),
            ("ENAMEL_LOG__FORMAT", "json"),
            ("PATH", "/bin"),
        ],
    )
    .unwrap();
    assert_eq!(c.database.max_connections, 9);
    assert_eq!(c.log.format, LogFormat::Json);
    assert_eq!(c.listen.port(), 1000);
    let c = Config::load(
        None,
        Vec::new(),
        &Overrides {
            data_dir: None,
            listen: Some("0.0.0.0:9".into()),
        },
    )
    .unwrap();
    assert_eq!(c.listen.port(), 9);
}

#[test]
fn bad_settings_are_named_plainly() {
    let e = load("listen = \"nowhere\"", &[]).unwrap_err().to_string();
    assert!(e.contains("`listen`"), "{e}");
    let e = load("[database]\nmax_connections = 0", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("database.max_connections"), "{e}");
    let e = load("[databse]\nurl = \"x\"", &[]).unwrap_err().to_string();
    assert!(e.contains("databse"), "{e}");
    let e = load("[database]\nurl = \"mysql://x\"", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("database.url"), "{e}");
    let e = load("listen = ", &[]).unwrap_err().to_string();
    assert!(e.contains("not valid"), "{e}");
    let e = load("", &[("ENAMEL_DATABSE__URL", "x")])
        .unwrap_err()
        .to_string();
    assert!(e.contains("ENAMEL_DATABSE__URL"), "{e}");
    let e = load("[database]\nmax_connections = \"many\"", &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("not valid"), "{e}");
}

#[test]
fn key_variable_is_not_mistaken_for_a_setting_and_url_password_is_redacted() {
    let c = load(
        "[database]\nurl = \"postgres://u:hunter2@h/db\"",
        &[("ENAMEL_KEK", "c2VjcmV0")],
    )
    .unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
}

#[test]
fn missing_file_is_a_plain_error() {
    let e = Config::load(
        Some(Path::new("/nonexistent/enamel.toml")),
        Vec::new(),
        &Overrides::default(),
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("does not exist"), "{e}");
}

#[test]
fn a_value_of_the_wrong_type_is_named_without_echoing_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("enamel.toml");
    std::fs::write(&path, "[http]\nmax_body_bytes = \"secret-ish\"\n").unwrap();
    let err = Config::load(Some(&path), Vec::new(), &Overrides::default()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("http.max_body_bytes"), "{text}");
    assert!(!text.contains("secret-ish"), "{text}");
}

#[test]
fn l8_secrets_beside_the_sqlite_database_are_named() {
    let at = |env: &[(&str, &str)]| {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Config::load(
            None,
            env,
            &Overrides {
                data_dir: Some("/srv/x".into()),
                listen: None,
            },
        )
        .unwrap()
        .secrets_beside_database()
    };
    // The defaults: both beside the database.
    let found = at(&[]);
    assert_eq!(
        found.iter().map(|s| s.setting).collect::<Vec<_>>(),
        ["keys.key_file", "audit.signing_key_file"]
    );
    assert_eq!(found[0].path, PathBuf::from("/srv/x/keys/kek.json"));
    // Placed apart through the settings: nothing to say.
    assert!(
        at(&[
            ("ENAMEL_KEYS__KEY_FILE", "/etc/enamel/kek.json"),
            (
                "ENAMEL_AUDIT__SIGNING_KEY_FILE",
                "/etc/enamel/checkpoint.key"
            ),
        ])
        .is_empty()
    );
    // The env provider has no key file; PostgreSQL keeps the data elsewhere.
    assert_eq!(
        at(&[("ENAMEL_KEYS__PROVIDER", "env")])
            .iter()
            .map(|s| s.setting)
            .collect::<Vec<_>>(),
        ["audit.signing_key_file"]
    );
    assert!(at(&[("ENAMEL_DATABASE__URL", "postgres://db/enamel")]).is_empty());
}
