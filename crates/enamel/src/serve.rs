//! The HTTPS server process: TLS, the router, the periodic audit checkpoint, and a clean stop
//! on Ctrl-C or SIGTERM.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};
use axum_server::Handle;
use axum_server::accept::NoDelayAcceptor;
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use enamel_app::{App, CheckpointOutcome, Clock, Refusal, SystemClock};
use enamel_config::Config;
use enamel_web::WebSettings;

use crate::{audit_cmd, output};

/// Work started beside the server that must finish before it stops: the demo's charts.
#[derive(Debug)]
pub struct Beside {
    pub task: tokio::task::JoinHandle<()>,
    /// What the person waits for while it finishes, e.g. "the made-up charts are written".
    pub until: &'static str,
}

/// Serves until a stop signal. `on_listening` receives the bound address (the port may be 0
/// in the configuration, e.g. in tests). Work `beside` the server is finished (or, at a
/// second stop signal, abandoned) before the final checkpoint, so the checkpoint covers it.
pub async fn serve(
    app: App,
    config: &Config,
    beside: Option<Beside>,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let served = serve_until_stopped(&app, config, on_listening).await;
    if let Some(beside) = beside {
        finish(beside).await;
    }
    served?;
    // A final checkpoint so the log's end is signed at every clean stop.
    if let Ok(key) = audit_cmd::load_signing_key(&config.audit.signing_key_file) {
        let now = SystemClock.now_ms();
        // Refusals were logged as alarms by the signer.
        if let Err(e) = sign_checkpoints(&app, config, &key, now).await {
            tracing::warn!(error = %e, "final audit checkpoint failed");
        }
    }
    app.close().await;
    Ok(())
}

/// Signs the end of every audit log now. Before work beside the server starts writing: the
/// first checkpoint of a log verifies it whole and is refused, as an alarm, when the log grew
/// meanwhile; later ones only read what was added.
pub async fn checkpoint_now(app: &App, config: &Config) -> Result<()> {
    let key = audit_cmd::load_signing_key(&config.audit.signing_key_file)?;
    sign_checkpoints(app, config, &key, SystemClock.now_ms()).await?;
    Ok(())
}

async fn finish(beside: Beside) {
    if !beside.task.is_finished() {
        output::line(&format!(
            "Stopping once {} (Ctrl-C again to stop now).",
            beside.until
        ));
    }
    let abort = beside.task.abort_handle();
    tokio::select! {
        _ = beside.task => {}
        () = wait_for_stop_signal() => {
            abort.abort();
            output::line("Stopped now; what was done so far is kept.");
        }
    }
}

async fn serve_until_stopped(
    app: &App,
    config: &Config,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<()> {
    let tls = crate::tls::server_config(&config.tls)?;
    let listener = TcpListener::bind(config.listen).map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => anyhow!(
            "the address {} is already in use (is Enamel already running?); choose another with --listen",
            config.listen
        ),
        std::io::ErrorKind::PermissionDenied => anyhow!(
            "not allowed to listen on {}; ports below 1024 need extra rights, try --listen 127.0.0.1:8443",
            config.listen
        ),
        _ => anyhow!("cannot listen on {}", config.listen),
    })?;
    listener
        .set_nonblocking(true)
        .context("cannot configure the listening socket")?;
    let bound = listener
        .local_addr()
        .context("cannot read the listening address")?;

    let settings = WebSettings {
        max_body_bytes: config.http.max_body_bytes,
        request_timeout: Duration::from_secs(config.http.request_timeout_secs),
        hsts_max_age_secs: config.http.hsts_max_age_secs,
        api_rate_per_ip: (
            config.http.api_requests_per_sec,
            config.http.api_requests_per_sec.saturating_mul(4),
        ),
        api_rate_per_token: (
            config.http.api_token_requests_per_sec,
            config.http.api_token_requests_per_sec.saturating_mul(4),
        ),
    };
    let router = enamel_web::router(app.clone(), &settings);
    let checkpoints = start_checkpoint_job(app.clone(), config)?;

    let handle: Handle<SocketAddr> = Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        wait_for_stop_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        stopper.graceful_shutdown(Some(Duration::from_secs(10)));
    });

    // Nagle's algorithm with delayed ACKs stalls small TLS records by ~40 ms.
    let acceptor =
        RustlsAcceptor::new(RustlsConfig::from_config(tls)).acceptor(NoDelayAcceptor::new());
    let server = axum_server::from_tcp(listener)
        .context("cannot start the server")?
        .acceptor(acceptor)
        .handle(handle);
    tracing::info!(address = %bound, "listening");
    on_listening(bound);
    server
        .serve(router.into_make_service_with_connect_info::<SocketAddr>())
        .await
        .context("the server stopped unexpectedly")?;
    if let Some(job) = checkpoints {
        job.abort();
    }
    Ok(())
}

/// Signs every log's head through the app (which hands out no database handle) and copies
/// the new checkpoints to the witness folder.
async fn sign_checkpoints(
    app: &App,
    config: &Config,
    key: &enamel_audit::SigningKey,
    now: i64,
) -> Result<Vec<Result<CheckpointOutcome, Refusal>>> {
    let outcomes = app
        .checkpoint_audit_logs(
            key,
            &config.audit.origin,
            &audit_cmd::signer_memory_file(config),
            now,
        )
        .await?;
    audit_cmd::witness_all(config, None, &outcomes)?;
    Ok(outcomes)
}

/// Signs every audit log's head that grew, every `audit.checkpoint_interval_secs` (0 turns it
/// off). Each server of a PostgreSQL cluster runs it; a checkpoint already stored for the same
/// size is not stored twice. A log that no longer extends what this signer signed before is
/// refused (an alarm in the log) and the others are still signed.
fn start_checkpoint_job(app: App, config: &Config) -> Result<Option<tokio::task::JoinHandle<()>>> {
    let interval = config.audit.checkpoint_interval_secs;
    if interval == 0 {
        return Ok(None);
    }
    let key = Arc::new(audit_cmd::load_signing_key(&config.audit.signing_key_file)?);
    let config = config.clone();
    Ok(Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(Duration::from_secs(interval));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            let now = SystemClock.now_ms();
            match sign_checkpoints(&app, &config, &key, now).await {
                Ok(outcomes) => {
                    let signed = outcomes.iter().flatten().filter(|o| o.new).count();
                    tracing::debug!(signed, "audit checkpoints");
                }
                Err(e) => tracing::error!(error = %e, "audit checkpoint failed"),
            }
        }
    })))
}

async fn wait_for_stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
