//! `enamel import …`: bringing a practice's records over from another system, from CSV files.
//!
//! Every import runs the same way: the settings are read, the `--report` file is checked
//! writable, the whole file is read and its columns checked (a file with wrong columns is
//! refused before anything is written), then the database is opened and the practice chosen.
//! Each import validates and saves its rows its own way (`patients`, `codes`); rejected rows
//! are then written to the report or listed on the terminal, and one summary line closes.
//! Exit status: 0 when every row was accepted, 1 when rows were rejected, 2 when the import
//! could not run at all. Messages, the report file and log lines carry line numbers, column
//! names and ids only, never a value from the file.

mod codes;
mod patient_rows;
mod patients;
mod report;
mod table;

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use enamel_app::App;
use enamel_domain::PracticeId;

pub use codes::procedure_codes;
pub use patients::patients;

use crate::cli::{GlobalArgs, ImportOptions};
use crate::{output, setup};
use report::Rejection;

/// Runs an import; every error that stops it exits with status 2 (the file could not be read,
/// its columns are wrong, or the import could not run).
async fn exit_status(run: impl Future<Output = Result<ExitCode>>) -> Result<ExitCode> {
    match run.await {
        Ok(code) => Ok(code),
        Err(e) => {
            output::error(&format!("enamel: {e:#}"));
            Ok(ExitCode::from(2))
        }
    }
}

/// What every import has before it validates its rows.
struct Started<T> {
    app: App,
    practice: PracticeId,
    /// The file, as the import's `parse` read it.
    parsed: T,
}

/// Reads the settings, checks the report file, reads and parses the file (refusing it before
/// the database is touched), opens the app and chooses the practice.
async fn start<T>(
    global: &GlobalArgs,
    file: &Path,
    options: &ImportOptions,
    parse: impl FnOnce(&[u8]) -> Result<T>,
) -> Result<Started<T>> {
    let config = setup::load_config(global, None)?;
    setup::init_logging(&config);
    if let Some(path) = &options.report {
        if same_file(path, file) {
            bail!("the report would replace the file being imported; choose another --report file");
        }
        // Fails now, before anything is imported, if the report cannot be written; and an old
        // report never survives to be mistaken for this run's.
        report::write(path, &[])?;
    }
    let parsed = parse(&table::read_file(file)?)?;
    let app = setup::open_app(&config).await?;
    let practice = choose_practice(&app, options.practice.as_deref()).await?;
    Ok(Started {
        app,
        practice,
        parsed,
    })
}

/// Writes the report (or lists the rejections on the terminal), prints the summary line that
/// `summary` makes from the number of rejected rows and the report's path, and gives the
/// exit status: 0 without rejections, 1 with.
fn finish(
    options: &ImportOptions,
    mut rejections: Vec<Rejection>,
    summary: impl FnOnce(usize, Option<&Path>) -> String,
) -> Result<ExitCode> {
    rejections.sort_by_key(|r| r.line);
    let mut rejected_rows: Vec<u64> = rejections.iter().map(|r| r.line).collect();
    rejected_rows.dedup();
    match &options.report {
        Some(path) => report::write(path, &rejections)?,
        None if !rejections.is_empty() => report::list_on_terminal(&rejections),
        None => {}
    }
    output::line(&summary(rejected_rows.len(), options.report.as_deref()));
    Ok(if rejected_rows.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

async fn choose_practice(app: &App, only: Option<&str>) -> Result<PracticeId> {
    let practices = app.practices().await?;
    let chosen = match only.map(str::trim) {
        Some(id) => practices.iter().find(|p| p.id == id).ok_or_else(|| {
            anyhow!("there is no practice with id {id}; `enamel keys status` lists them")
        })?,
        None => match practices.as_slice() {
            [] => bail!("there is no practice yet; run `enamel init` first"),
            [one] => one,
            many => bail!(
                "the database holds {} practices; say which one with --practice ID (`enamel keys status` lists them)",
                many.len()
            ),
        },
    };
    chosen
        .id
        .parse()
        .map_err(|_| anyhow!("a practice id in the database is damaged"))
}
