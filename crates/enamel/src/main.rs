//! The `enamel` binary: the composition root. It reads the configuration, builds the key
//! provider, the database and the application, and runs one command. Errors reach the person
//! as one plain sentence and a non-zero exit, never as a panic or a backtrace.

mod audit_cmd;
mod audit_verify;
mod cli;
mod commands;
mod demo;
mod demo_chart;
mod demo_clinical;
mod demo_perio;
mod demo_schedule;
mod import;
mod output;
mod serve;
mod setup;
mod time_zone;
mod tls;
mod users_cmd;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command, ImportCommand};

fn main() -> ExitCode {
    // A panic is a bug: say so in one line, without a backtrace or any value.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::error(&format!(
            "enamel: an internal error occurred{place}; please report it"
        ));
    }));
    let cli = Cli::parse();
    // One crypto provider for the whole process: aws-lc-rs, as for the data and audit keys.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(_) => {
            output::error("enamel: cannot start (the system refused to create worker threads)");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Demo(args) => demo::demo(&cli.global, args).await,
            Command::Serve(args) => commands::serve(&cli.global, args).await,
            Command::Init(args) => commands::init(&cli.global, args).await,
            Command::Migrate => commands::migrate(&cli.global).await,
            Command::Audit(cmd) => commands::audit(&cli.global, cmd).await,
            Command::Keys(cmd) => commands::keys(&cli.global, cmd).await,
            Command::Users(cmd) => users_cmd::users(&cli.global, cmd).await,
            Command::Import(ImportCommand::Patients(args)) => {
                import::patients(&cli.global, args).await
            }
            Command::Import(ImportCommand::ProcedureCodes(args)) => {
                import::procedure_codes(&cli.global, args).await
            }
        }
    });
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    match result {
        Ok(code) => code,
        Err(e) => {
            output::error(&format!("enamel: {e:#}"));
            ExitCode::FAILURE
        }
    }
}
