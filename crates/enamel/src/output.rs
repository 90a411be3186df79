//! What commands print for people: plain lines on stdout, problems on stderr, a progress bar
//! on stderr for long jobs, and the key status table.

use std::io::{IsTerminal, Write};

use enamel_app::KeyStatus;
use indicatif::{ProgressBar, ProgressStyle};

pub fn line(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

pub fn error(text: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// A progress bar on stderr counting `unit`s; hidden with `--quiet` or when stderr is not a
/// terminal (a log file or a pipe gets no bar).
pub fn progress_bar(quiet: bool, unit: &str) -> ProgressBar {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(0);
    if let Ok(style) = ProgressStyle::with_template(&format!(
        "  {{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, about {{eta}} left)"
    )) {
        bar.set_style(style);
    }
    bar
}

fn date_of(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .ok()
        .and_then(|t| {
            t.format(time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute] UTC"
            ))
            .ok()
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn key_status(status: &KeyStatus) -> String {
    let mut out = format!(
        "Practice {} ({})\n  New records use key version {}; the oldest usable version is {}.\n  {:<8} {:<22} {:<22} {:>10}\n",
        status.display_name,
        status.practice_id,
        status.active_version,
        status.min_version,
        "version",
        "wrapped by",
        "created",
        "records"
    );
    for key in &status.field_keys {
        let rows: i64 = status
            .rows
            .iter()
            .filter(|c| c.key_version == key.version)
            .map(|c| c.rows)
            .sum();
        let note = if key.version < status.min_version {
            " (retired)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {:<8} {:<22} {:<22} {:>10}{note}\n",
            key.version,
            key.kek_id,
            date_of(key.created_ms),
            rows
        ));
    }
    let waiting = status.rows_below(status.active_version);
    if waiting > 0 {
        out.push_str(&format!(
            "  {waiting} records still use an older version: `enamel keys rotate --resume` re-encrypts them.\n"
        ));
    }
    out.trim_end().to_string()
}
