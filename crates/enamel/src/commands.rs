//! One function per subcommand. Each returns what it has to say; `main` prints errors.

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use enamel_app::{App, Clock, NewPractice, PracticeRow, RequestOrigin, SystemClock};
use enamel_config::{Config, KeyProviderKind};
use enamel_crypto::FileKeyProvider;
use enamel_domain::PracticeId;

use crate::cli::{AuditCommand, GlobalArgs, InitArgs, KeysCommand, RotateArgs, ServeArgs};
use crate::{audit_cmd, audit_verify, output, serve, setup, time_zone, tls};

fn now() -> i64 {
    SystemClock.now_ms()
}

/// Everything a new installation needs on disk: key file, signing key, certificate, schema.
pub(crate) async fn prepare(config: &Config) -> Result<App> {
    setup::create_private_dir(&config.data_dir)?;
    let provider = setup::key_provider(config, true, now())?;
    audit_cmd::ensure_signing_key(config)?;
    tls::ensure_self_signed(&config.tls)?;
    let db = setup::open_db(config).await?;
    db.migrate(now()).await?;
    audit_cmd::close_legacy_log(&db, config, now()).await?;
    Ok(App::with_settings(
        db,
        provider,
        Arc::new(SystemClock),
        setup::auth_settings(config)?,
    ))
}

pub(crate) fn display_host(addr: std::net::SocketAddr) -> String {
    match addr.ip() {
        ip if ip.is_unspecified() => "localhost".into(),
        std::net::IpAddr::V6(ip) => format!("[{ip}]"),
        ip => ip.to_string(),
    }
}

pub async fn serve(global: &GlobalArgs, args: &ServeArgs) -> Result<ExitCode> {
    let config = setup::load_config(global, args.listen.as_deref())?;
    setup::init_logging(&config);
    let app = setup::open_app(&config).await?;
    setup::warn_if_secrets_beside_database(&config);
    serve::serve(app, &config, None, |bound| {
        output::line(&format!(
            "Enamel is listening on https://{}:{}",
            display_host(bound),
            bound.port()
        ));
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

pub async fn init(global: &GlobalArgs, args: &InitArgs) -> Result<ExitCode> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    // Checked before anything is written, so a mistyped zone leaves no half-made folder.
    let (zone, zone_note) = time_zone::choose(
        args.time_zone.as_deref(),
        time_zone::host_zone_name().as_deref(),
    )?;
    let zone_name = zone.name().to_string();
    let app = prepare(&config).await?;
    let id = app
        .create_practice(
            &NewPractice {
                display_name: args.practice_name.clone(),
                time_zone: zone,
            },
            RequestOrigin::cli(),
        )
        .await?;
    let admin = app
        .create_user_as_system(
            id,
            &enamel_app::auth::NewUser {
                username: args.admin_username.clone(),
                display_name: args.admin_name.clone(),
                roles: vec![enamel_domain::Role::PracticeAdministrator],
            },
            None,
            None,
        )
        .await
        .context("the first administrator could not be created")?;
    output::line(&format!(
        "Created the practice \"{}\" (id {id}).",
        args.practice_name.trim()
    ));
    output::line(&format!(
        "  Time zone: {zone_name} (dates, ages and times on pages follow it; change it in Practice settings)"
    ));
    if let Some(note) = &zone_note {
        output::line(&format!("  {note}"));
    }
    output::line(&format!(
        "  First administrator: {} (no password yet)",
        enamel_app::auth::normalize_username(&args.admin_username)
    ));
    output::line(&format!(
        "  They choose a password at https://<this server>/reset#{} (valid for 72 hours, once),",
        admin.setup_token.as_str()
    ));
    output::line("  then set up their authenticator app at the first sign-in.");
    output::line(&format!("  Data folder: {}", config.data_dir.display()));
    if config.keys.provider == KeyProviderKind::File {
        output::line(&format!(
            "  Key file: {} (back it up somewhere other than the database backups)",
            config.keys.key_file.display()
        ));
    }
    output::line(&format!(
        "  Audit public key: {}",
        config.audit.public_key_file.display()
    ));
    output::line("Start the server with: enamel serve");
    setup::warn_if_secrets_beside_database(&config);
    Ok(ExitCode::SUCCESS)
}

pub async fn migrate(global: &GlobalArgs) -> Result<ExitCode> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    let db = setup::open_db(&config).await?;
    let applied = db.migrate(now()).await?;
    if let Some(role) = &config.database.app_role {
        db.grant_app_role(role).await?;
    }
    audit_cmd::close_legacy_log(&db, &config, now()).await?;
    if applied.is_empty() {
        output::line("The database is already up to date.");
    } else {
        output::line(&format!("Applied: {}", applied.join(", ")));
    }
    // Practices from before time zones were stored keep UTC, which is what their dates meant
    // until now; say so once, when the column arrives, so someone sets the real zone.
    if applied.contains(&"0005_practice_time.sql") {
        let at_utc = db
            .practices()
            .await?
            .iter()
            .filter(|p| p.time_zone == "UTC")
            .count();
        if at_utc > 0 {
            output::line(&format!(
                "Dates are now shown in each practice's time zone. {at_utc} existing practice(s) \
                 use UTC until a practice administrator sets the office's zone under Settings."
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(global: &GlobalArgs, command: &AuditCommand) -> Result<ExitCode> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    match command {
        AuditCommand::Verify(args) => audit_verify::verify(&config, args).await,
        AuditCommand::Checkpoint { witness_dir } => {
            let db = setup::open_db(&config).await?;
            if !db.schema_is_current().await? {
                bail!(
                    "the database is not set up for this version of Enamel; run `enamel migrate`"
                );
            }
            let key = audit_cmd::load_signing_key(&config.audit.signing_key_file)?;
            let outcomes =
                audit_cmd::checkpoint(&db, &config, &key, witness_dir.as_deref(), now()).await?;
            let mut refused = false;
            let mut out = std::io::stdout().lock();
            for outcome in outcomes {
                match outcome {
                    Ok(done) => out.write_all(done.signed.to_note().as_bytes())?,
                    Err(refusal) => {
                        refused = true;
                        output::error(&format!("CHECKPOINT REFUSED: {refusal}"));
                    }
                }
            }
            Ok(if refused {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            })
        }
        AuditCommand::CheckProof { proof, public_key } => {
            let key = audit_cmd::load_public_key(
                public_key
                    .as_deref()
                    .unwrap_or(&config.audit.public_key_file),
            )?;
            let text = std::fs::read_to_string(proof)
                .with_context(|| format!("cannot read the proof file {}", proof.display()))?;
            let parsed: audit_cmd::Proof = serde_json::from_str(&text).map_err(|_| {
                anyhow!(
                    "{} is not a proof printed by `enamel audit verify`",
                    proof.display()
                )
            })?;
            match audit_cmd::check_proof(&parsed, &key) {
                Ok(message) => {
                    output::line(&message);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    output::error(&format!("PROOF FAILED: {e:#}"));
                    Ok(ExitCode::from(2))
                }
            }
        }
    }
}

pub(crate) fn selected(practices: Vec<PracticeRow>, only: Option<&str>) -> Result<Vec<PracticeId>> {
    let mut out = Vec::new();
    for p in practices {
        if only.is_none_or(|id| id == p.id) {
            out.push(
                p.id.parse()
                    .map_err(|_| anyhow!("a practice id in the database is damaged"))?,
            );
        }
    }
    if out.is_empty() {
        match only {
            Some(id) => bail!("there is no practice with id {id}; `enamel keys status` lists them"),
            None => bail!("there is no practice yet; run `enamel init`"),
        }
    }
    Ok(out)
}

pub async fn keys(global: &GlobalArgs, command: &KeysCommand) -> Result<ExitCode> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    match command {
        KeysCommand::Rotate(args) if args.kek => rotate_kek(&config).await,
        KeysCommand::Rotate(args) => rotate_data_keys(&config, args).await,
        KeysCommand::Status { practice } => {
            let app = setup::open_app(&config).await?;
            for id in selected(app.practices().await?, practice.as_deref())? {
                output::line(&output::key_status(&app.key_status(id).await?));
            }
            Ok(ExitCode::SUCCESS)
        }
        KeysCommand::Retire { below, practice } => {
            let app = setup::open_app(&config).await?;
            for id in selected(app.practices().await?, practice.as_deref())? {
                app.retire_key_versions_below(id, *below, RequestOrigin::cli())
                    .await?;
                output::line(&format!(
                    "Practice {id}: key versions below {below} are retired."
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn rotate_data_keys(config: &Config, args: &RotateArgs) -> Result<ExitCode> {
    let app = setup::open_app(config).await?;
    for id in selected(app.practices().await?, args.practice.as_deref())? {
        if !args.resume {
            let version = app.rotate_data_key(id, RequestOrigin::cli()).await?;
            output::line(&format!(
                "Practice {id}: new data key version {version}; re-encrypting records…"
            ));
        }
        let bar = output::progress_bar(args.quiet, "records");
        let mut progress = |done: u64, total: u64| {
            bar.set_length(total);
            bar.set_position(done);
        };
        let report = app
            .reencrypt(
                id,
                RequestOrigin::cli(),
                config.keys.rotation_batch as usize,
                &mut progress,
            )
            .await?;
        bar.finish_and_clear();
        output::line(&format!(
            "Practice {id}: {} records re-encrypted to version {}{}.",
            report.resealed,
            report.target_version,
            if report.skipped_concurrent > 0 {
                format!(
                    " ({} were re-encrypted by concurrent edits)",
                    report.skipped_concurrent
                )
            } else {
                String::new()
            }
        ));
        if report.remaining > 0 {
            output::line(&format!(
                "  {} records still use an older version (written meanwhile by another server); run `enamel keys rotate --resume`.",
                report.remaining
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn rotate_kek(config: &Config) -> Result<ExitCode> {
    if config.keys.provider != KeyProviderKind::File {
        bail!(
            "keys.provider is \"env\": rotate the key-encryption key by giving the new key in {} \
             together with the old one is not supported; use the key file provider to rotate with `--kek`",
            config.keys.env_var
        );
    }
    let mut provider = FileKeyProvider::open(&config.keys.key_file)?;
    let old = provider.kek_ids();
    let new_id = provider.add_kek(now())?;
    let provider = Arc::new(provider);
    let db = setup::open_db(config).await?;
    if !db.schema_is_current().await? {
        bail!("the database is not set up for this version of Enamel; run `enamel migrate`");
    }
    let app = App::new(db, provider.clone(), Arc::new(SystemClock));
    let rewrapped = app.rewrap_data_keys(RequestOrigin::cli()).await?;
    let in_use = app.keks_in_use().await?;
    app.close().await;
    drop(app);
    let mut provider =
        Arc::try_unwrap(provider).map_err(|_| anyhow!("the key file is still in use"))?;
    for id in old.iter().filter(|id| !in_use.contains(id)) {
        provider.remove_kek(id)?;
    }
    output::line(&format!(
        "New key-encryption key {new_id}; {rewrapped} data keys re-wrapped. Running Enamel servers read the new key file by themselves; back it up."
    ));
    Ok(ExitCode::SUCCESS)
}
