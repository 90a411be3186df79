//! What an import says about rejected rows: line numbers, column names and problems, never the
//! values (they may be PHI). The report file is CSV, readable by its owner only.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};

use crate::output;

/// Rows listed on the terminal when no report file was asked for.
const LISTED_ON_TERMINAL: usize = 20;

/// One reason a row was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The line of the file where the row starts.
    pub line: u64,
    /// The file's column, or empty when the problem is the whole row.
    pub column: String,
    pub problem: String,
}

impl Rejection {
    pub fn new(line: u64, column: impl Into<String>, problem: impl Into<String>) -> Self {
        Rejection {
            line,
            column: column.into(),
            problem: problem.into(),
        }
    }
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// The report as CSV: `line,column,problem`, one line per problem, in file order.
pub fn to_csv(rejections: &[Rejection]) -> Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(["line", "column", "problem"])?;
    for r in rejections {
        writer.write_record([r.line.to_string().as_str(), &r.column, &r.problem])?;
    }
    writer
        .into_inner()
        .map_err(|_| anyhow::anyhow!("the report could not be assembled"))
}

/// Writes the report, readable and writable by its owner only, replacing an earlier one.
pub fn write(path: &Path, rejections: &[Rejection]) -> Result<()> {
    let shown = path.display();
    if path.is_dir() {
        bail!("the report {shown} is a folder; give a file name");
    }
    let bytes = to_csv(rejections)?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        options.mode(0o600);
        // An earlier file keeps its mode when truncated: narrow it first.
        if path.exists() {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                .with_context(|| format!("the report {shown} could not be written"))?;
        }
    }
    options
        .open(path)
        .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.sync_all()))
        .with_context(|| format!("the report {shown} could not be written"))
}

/// Lists the first rejections on stderr, for a run without a report file.
pub fn list_on_terminal(rejections: &[Rejection]) {
    for r in rejections.iter().take(LISTED_ON_TERMINAL) {
        if r.column.is_empty() {
            output::error(&format!("  line {}: {}", r.line, r.problem));
        } else {
            output::error(&format!("  line {}, {}: {}", r.line, r.column, r.problem));
        }
    }
    if rejections.len() > LISTED_ON_TERMINAL {
        output::error(&format!(
            "  … and {} more; add --report FILE to get them all",
            thousands(rejections.len() - LISTED_ON_TERMINAL)
        ));
    }
}

/// The closing line of the patient import: "1,234 patients imported; 12 rows rejected (see
/// rejected.csv)".
pub fn summary(
    imported: usize,
    rejected_rows: usize,
    dry_run: bool,
    report: Option<&Path>,
) -> String {
    let patients = plural(imported, "patient", "patients");
    let done = if dry_run {
        format!("Dry run: {patients} would be imported")
    } else {
        format!("{patients} imported")
    };
    let rejected = rejected_part(rejected_rows, report);
    let tail = if dry_run { ". Nothing was saved." } else { "" };
    format!("{done}; {rejected}{tail}")
}

/// Where the closing line says how many rows were rejected, and where they are listed.
pub fn rejected_part(rejected_rows: usize, report: Option<&Path>) -> String {
    match (rejected_rows, report) {
        (0, _) => "no rows rejected".to_string(),
        (n, Some(path)) => format!(
            "{} rejected (see {})",
            plural(n, "row", "rows"),
            path.display()
        ),
        (n, None) => format!("{} rejected (listed above)", plural(n, "row", "rows")),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn counts_read_like_a_person_writes_them() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234), "1,234");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(
            summary(1_234, 12, false, Some(Path::new("rejected.csv"))),
            "1,234 patients imported; 12 rows rejected (see rejected.csv)"
        );
        assert_eq!(
            summary(1, 0, true, None),
            "Dry run: 1 patient would be imported; no rows rejected. Nothing was saved."
        );
    }

    #[test]
    fn the_report_quotes_problems_with_commas() {
        let csv = to_csv(&[Rejection::new(
            3,
            "birth_date",
            "must be a date, YYYY-MM-DD",
        )])
        .unwrap();
        assert_eq!(
            String::from_utf8(csv).unwrap(),
            "line,column,problem\n3,birth_date,\"must be a date, YYYY-MM-DD\"\n"
        );
    }
}
