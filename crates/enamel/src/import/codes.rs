//! `enamel import procedure-codes FILE.csv`: the practice's own list of procedure codes and
//! fees (the list it is licensed to use; Enamel ships no CDT codes).
//!
//! The list is one all-or-nothing import, because a half-imported price list is worse than
//! none: every row is validated, a code named twice is rejected on its later lines, and only
//! a file without a rejected row reaches `Chart::import_codes`, which saves the whole list in
//! one transaction with one audited `import` entry (reason `system:import`, with how many
//! codes were added and replaced). A code the practice already has is replaced; codes not in
//! the file are kept.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow, bail};
use enamel_app::{AppError, CodeImport, RequestOrigin, SystemReason};
use enamel_domain::clinical::{ProcedureCode, ProcedureCodeDraft, canonical_code};
use indicatif::ProgressBar;

use super::report::{self, Rejection, plural, thousands};
use super::table::{self, Cells, Columns, Parsed};
use crate::cli::{GlobalArgs, ImportCodesArgs};
use crate::output;

/// The columns of a code list, as `--help` lists them.
pub const COLUMNS: Columns = Columns {
    known: &["code", "description", "area_type", "default_fee"],
    required: &["code", "description", "area_type"],
    command: "procedure-codes",
    // The app's ceiling for one import; a full licensed list is under a thousand codes.
    max_rows: 10_000,
};

/// One row of the file, not yet validated. The draft's fields are the file's columns.
#[derive(Debug)]
struct CodeRow {
    line: u64,
    draft: ProcedureCodeDraft,
}

fn row_of(line: u64, cells: &Cells<'_>) -> CodeRow {
    CodeRow {
        line,
        draft: ProcedureCodeDraft {
            code: cells.get("code").unwrap_or_default(),
            description: cells.get("description").unwrap_or_default(),
            area_type: cells.get("area_type").unwrap_or_default(),
            default_fee: cells.get("default_fee"),
        },
    }
}

fn parse(bytes: &[u8]) -> Result<Parsed<CodeRow>> {
    let parsed = table::parse(bytes, &COLUMNS, row_of)?;
    if parsed.row_count == 0 {
        bail!("the file names its columns but holds no codes. Nothing was imported");
    }
    Ok(parsed)
}

/// Runs the import: exit status 0 when the list was imported (or, in a dry run, would be), 1
/// when rows were rejected and nothing was imported, 2 when the import could not run.
pub async fn procedure_codes(global: &GlobalArgs, args: &ImportCodesArgs) -> Result<ExitCode> {
    super::exit_status(run(global, args)).await
}

async fn run(global: &GlobalArgs, args: &ImportCodesArgs) -> Result<ExitCode> {
    let options = &args.options;
    let started = super::start(global, &args.file, options, parse).await?;
    let bar = output::progress_bar(options.quiet, "rows");
    let checked = validate(started.parsed, &bar);
    let system = started.app.system_bypassing_policy(
        started.practice,
        SystemReason::Import,
        RequestOrigin::cli(),
    );
    let mut rejections = checked.rejections;
    let mut done = None;
    if rejections.is_empty() {
        match system
            .chart()
            .import_codes(&checked.codes, options.dry_run)
            .await
        {
            Ok(counts) => done = Some(counts),
            Err(AppError::Invalid(problems)) => {
                for p in problems {
                    rejections.push(rejection_of(&checked.lines, &p.field, &p.problem)?);
                }
            }
            Err(e) => {
                bar.finish_and_clear();
                return Err(anyhow::Error::from(e).context("the codes could not be imported"));
            }
        }
    }
    bar.finish_and_clear();
    super::finish(options, rejections, |rejected_rows, report_path| {
        summary(done, rejected_rows, options.dry_run, report_path)
    })
}

/// The rows as the app takes them, with the line each came from, or the reasons they cannot
/// be imported.
#[derive(Debug, Default)]
struct Checked {
    codes: Vec<ProcedureCode>,
    /// `lines[i]` is the line of `codes[i]`.
    lines: Vec<u64>,
    rejections: Vec<Rejection>,
}

/// Validates every row with the domain's rules (their field names are the file's columns)
/// and rejects a code named again on a later line (compared as stored: upper case).
fn validate(parsed: Parsed<CodeRow>, bar: &ProgressBar) -> Checked {
    bar.set_length(parsed.rows.len() as u64);
    let mut checked = Checked {
        rejections: parsed.rejected,
        ..Checked::default()
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in parsed.rows {
        let mut problems: Vec<Rejection> = match row.draft.validate() {
            Ok(code) => {
                checked.codes.push(code);
                checked.lines.push(row.line);
                Vec::new()
            }
            Err(problems) => problems
                .into_iter()
                .map(|p| Rejection::new(row.line, p.field, p.problem))
                .collect(),
        };
        if let Some(code) = canonical_code(&row.draft.code) {
            match first_line.get(&code) {
                Some(first) => problems.push(Rejection::new(
                    row.line,
                    "code",
                    format!("repeats the code on line {first}; list each code once"),
                )),
                None => {
                    first_line.insert(code, row.line);
                }
            }
        }
        checked.rejections.extend(problems);
        bar.inc(1);
    }
    checked
}

/// A problem the app found in the list (`codes[3].code`), as the line and column of the file.
fn rejection_of(lines: &[u64], field: &str, problem: &str) -> Result<Rejection> {
    let at = field
        .strip_prefix("codes[")
        .and_then(|rest| rest.split_once("]."))
        .and_then(|(i, column)| Some((lines.get(i.parse::<usize>().ok()?)?, column)));
    match at {
        Some((line, column)) => Ok(Rejection::new(*line, column, problem)),
        None => Err(anyhow!(
            "the list was refused ({field} {problem}). Nothing was imported"
        )),
    }
}

/// The closing line: "12 codes added, 3 replaced; no rows rejected".
fn summary(
    done: Option<CodeImport>,
    rejected_rows: usize,
    dry_run: bool,
    report: Option<&Path>,
) -> String {
    let rejected = report::rejected_part(rejected_rows, report);
    match (done, dry_run) {
        (Some(c), false) => format!(
            "{} added, {} replaced; {rejected}",
            plural(c.added, "code", "codes"),
            thousands(c.replaced)
        ),
        (Some(c), true) => format!(
            "Dry run: {} would be added and {} replaced; {rejected}. Nothing was saved.",
            plural(c.added, "code", "codes"),
            thousands(c.replaced)
        ),
        (None, false) => {
            format!("No codes imported (the list is imported whole or not at all); {rejected}")
        }
        (None, true) => format!(
            "Dry run: the list would not be imported (it is imported whole or not at all); \
             {rejected}. Nothing was saved."
        ),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn check(text: &str) -> Checked {
        validate(parse(text.as_bytes()).unwrap(), &ProgressBar::hidden())
    }

    fn err(text: &str) -> String {
        format!("{:#}", parse(text.as_bytes()).unwrap_err())
    }

    #[test]
    fn rows_become_codes_in_any_column_order_and_case() {
        let c = check(
            "Area_Type,DESCRIPTION,code,default_fee\n\
             tooth,\"Test: crown, synthetic\",x0001,\"1,250.00\"\n\
             mouth,Test: exam,X0002,\n",
        );
        assert!(c.rejections.is_empty(), "{:?}", c.rejections);
        assert_eq!(c.lines, [2, 3]);
        assert_eq!(c.codes[0].code, "X0001");
        assert_eq!(c.codes[0].description, "Test: crown, synthetic");
        assert_eq!(c.codes[0].default_fee, 125_000);
        assert_eq!(c.codes[1].default_fee, 0);
    }

    #[test]
    fn bad_rows_are_named_by_line_and_column_and_a_repeat_on_its_later_line() {
        let c = check(
            "code,description,area_type,default_fee\n\
             X0001,Test: one,tooth,10.00\n\
             X0002,Test: two,gum,10.00\n\
             X0003,Test: three,mouth,12.345\n\
             X0004,,mouth,\n\
             x0001,Test: again,tooth,\n\
             X0005,Test: five,mouth\n",
        );
        let mut got: Vec<(u64, &str)> = c
            .rejections
            .iter()
            .map(|r| (r.line, r.column.as_str()))
            .collect();
        got.sort_unstable();
        assert_eq!(
            got,
            [
                (3, "area_type"),
                (4, "default_fee"),
                (5, "description"),
                (6, "code"),
                (7, "")
            ]
        );
        let repeat = c.rejections.iter().find(|r| r.line == 6).unwrap();
        assert!(repeat.problem.contains("line 2"), "{repeat:?}");
        for r in &c.rejections {
            for value in ["gum", "12.345", "again"] {
                assert!(!r.problem.contains(value), "{r:?}");
            }
        }
    }

    #[test]
    fn files_with_the_wrong_columns_or_no_rows_are_refused() {
        let unknown = err("code,description,area_type,price\n");
        assert!(unknown.contains("\"price\" (column 4)"), "{unknown}");
        assert!(
            unknown.contains("`enamel import procedure-codes --help`"),
            "{unknown}"
        );
        let missing = err("code,description\nX0001,Test\n");
        assert!(
            missing.contains("no area_type column (code, description and area_type are required)"),
            "{missing}"
        );
        assert!(err("code,description,area_type\n\n").contains("holds no codes"));
    }

    #[test]
    fn the_app_s_refusals_point_at_the_file() {
        let r = rejection_of(&[2, 5], "codes[1].code", "is named twice").unwrap();
        assert_eq!((r.line, r.column.as_str()), (5, "code"));
        assert!(rejection_of(&[2], "codes", "must hold 1 to 10000 codes").is_err());
    }

    #[test]
    fn summaries() {
        let counts = Some(CodeImport {
            added: 12,
            replaced: 3,
        });
        assert_eq!(
            summary(counts, 0, false, None),
            "12 codes added, 3 replaced; no rows rejected"
        );
        assert_eq!(
            summary(counts, 0, true, None),
            "Dry run: 12 codes would be added and 3 replaced; no rows rejected. Nothing was saved."
        );
        assert_eq!(
            summary(None, 2, false, Some(Path::new("r.csv"))),
            "No codes imported (the list is imported whole or not at all); 2 rows rejected (see r.csv)"
        );
    }
}
