//! `enamel import patients FILE.csv`: bringing a practice's patients over from another system.
//!
//! Every row is validated first. Guarantors named by chart number are resolved to a row of
//! the file or an existing patient, and rows are imported in dependency order: guarantors
//! before the people they pay for. Each batch is one `create_patients` call, so one
//! transaction with one audited `create` per patient (reason `system:import`); a batch that
//! fails is rolled back whole and its rows reported, and the other batches stand.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

use anyhow::Result;
use enamel_app::{AppError, PatientQuery, Patients, RequestOrigin, SystemReason};
use enamel_domain::PatientId;
use indicatif::ProgressBar;

use super::patient_rows::{self, Row};
use super::report::{self, Rejection};
use crate::cli::{GlobalArgs, ImportPatientsArgs};
use crate::output;

/// Runs the import: exit status 0 when every row was imported, 1 when rows were rejected, 2
/// when the import could not run.
pub async fn patients(global: &GlobalArgs, args: &ImportPatientsArgs) -> Result<ExitCode> {
    super::exit_status(run(global, args)).await
}

async fn run(global: &GlobalArgs, args: &ImportPatientsArgs) -> Result<ExitCode> {
    let options = &args.options;
    let started = super::start(global, &args.file, options, patient_rows::parse).await?;
    let app = &started.app;
    let practice = started.practice;
    let system = app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::cli());
    let access = system.patients();
    // Dates in the file (a birth date may not be in the future) are checked against the
    // practice's own today, not UTC's.
    let today = app.practice_today(practice).await?.date();
    let mut import = Import::validate(started.parsed, today);
    import.resolve_guarantors(&access).await?;
    let bar = output::progress_bar(options.quiet, "rows");
    let batch = usize::try_from(args.batch_size).unwrap_or(500).max(1);
    let outcome = import.run(&access, batch, options.dry_run, &bar).await;
    bar.finish_and_clear();
    let imported = import.imported();
    let mut rejections = import.rejections;
    if let Err(e) = outcome {
        // What is known so far still helps to fix the file before the rest is tried again.
        if let Some(path) = &options.report {
            rejections.sort_by_key(|r| r.line);
            let _ = report::write(path, &rejections);
        }
        let done = report::thousands(imported);
        return Err(e.context(format!(
            "the import stopped after {done} patients were imported (their batches are saved)"
        )));
    }
    super::finish(options, rejections, |rejected_rows, report_path| {
        report::summary(imported, rejected_rows, options.dry_run, report_path)
    })
}

/// Who pays for a row's patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guarantor {
    /// The patient themself.
    Own,
    /// A patient already in the database.
    Existing(PatientId),
    /// Another row of the file (its index in `Import::rows`).
    Row(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    /// Saved (or, in a dry run, found importable) with this id.
    Imported(PatientId),
    NotImported,
}

/// A row that passed validation, on its way into the database.
#[derive(Debug)]
struct Valid {
    row: Row,
    /// The chart number as stored (validated, upper-cased).
    chart: Option<String>,
    guarantor: Guarantor,
    state: State,
}

#[derive(Debug)]
struct Import {
    rows: Vec<Valid>,
    rejections: Vec<Rejection>,
    /// Chart numbers of rows that failed validation, to explain references to them.
    rejected_charts: HashMap<String, u64>,
}

/// A chart number as the domain accepts it.
fn chart_shape_ok(chart: &str) -> bool {
    !chart.is_empty()
        && chart.chars().count() <= 20
        && chart.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

impl Import {
    /// Validates every row with the domain's rules, which name each field, and refuses rows
    /// whose chart number is used by more than one row (a guarantor reference to it would be
    /// ambiguous).
    fn validate(parsed: super::table::Parsed<Row>, today: time::Date) -> Import {
        let mut import = Import {
            rows: Vec::with_capacity(parsed.rows.len()),
            rejections: parsed.rejected,
            rejected_charts: HashMap::new(),
        };
        for row in parsed.rows {
            let (chart, mut problems) = match row.draft.validate(PatientId::new(), today) {
                Ok(patient) => (patient.chart_number, Vec::new()),
                Err(problems) => (
                    None,
                    problems
                        .into_iter()
                        .map(|p| Rejection::new(row.line, row.column_for(&p.field), p.problem))
                        .collect(),
                ),
            };
            if row
                .guarantor_chart
                .as_deref()
                .is_some_and(|g| !chart_shape_ok(g))
            {
                problems.push(Rejection::new(
                    row.line,
                    "guarantor_chart_number",
                    "must be a chart number: up to 20 letters, digits or hyphens",
                ));
            }
            if problems.is_empty() {
                import.rows.push(Valid {
                    chart,
                    row,
                    guarantor: Guarantor::Own,
                    state: State::Waiting,
                });
            } else {
                if let Some(chart) = row.draft.chart_number.as_deref() {
                    import
                        .rejected_charts
                        .insert(chart.trim().to_uppercase(), row.line);
                }
                import.rejections.extend(problems);
            }
        }
        let mut lines_of: HashMap<&str, Vec<u64>> = HashMap::new();
        for v in &import.rows {
            if let Some(chart) = &v.chart {
                lines_of.entry(chart).or_default().push(v.row.line);
            }
        }
        let mut duplicates = Vec::new();
        for (i, v) in import.rows.iter().enumerate() {
            if let Some(lines) = v.chart.as_deref().and_then(|c| lines_of.get(c))
                && lines.len() > 1
            {
                let listed: Vec<String> = lines.iter().map(u64::to_string).collect();
                duplicates.push((i, listed.join(", ")));
            }
        }
        for (i, lines) in duplicates {
            import.reject(
                i,
                "chart_number",
                format!("is used by more than one row of this file (lines {lines})"),
            );
        }
        import
    }

    fn reject(&mut self, i: usize, column: &str, problem: String) {
        if let Some(v) = self.rows.get_mut(i) {
            v.state = State::NotImported;
            self.rejections
                .push(Rejection::new(v.row.line, column, problem));
        }
    }

    fn imported(&self) -> usize {
        self.rows
            .iter()
            .filter(|v| matches!(v.state, State::Imported(_)))
            .count()
    }

    /// Turns each `guarantor_chart_number` into a row of the file or an existing patient of
    /// the practice (one audited search per distinct chart number not in the file).
    async fn resolve_guarantors(&mut self, access: &Patients<'_>) -> Result<()> {
        let mut in_file: HashMap<String, usize> = HashMap::new();
        let mut shared: HashSet<String> = HashSet::new();
        for (i, v) in self.rows.iter().enumerate() {
            if let Some(chart) = &v.chart
                && in_file.insert(chart.clone(), i).is_some()
            {
                shared.insert(chart.clone());
            }
        }
        let mut existing: HashMap<String, Option<PatientId>> = HashMap::new();
        for i in 0..self.rows.len() {
            let v = &self.rows[i];
            let Some(wanted) = v.row.guarantor_chart.clone() else {
                continue;
            };
            if v.state != State::Waiting {
                continue;
            }
            let problem = if v.chart.as_deref() == Some(wanted.as_str()) {
                None
            } else if shared.contains(&wanted) {
                Some("names a chart number that more than one row of this file uses".into())
            } else if let Some(&g) = in_file.get(&wanted) {
                self.rows[i].guarantor = Guarantor::Row(g);
                None
            } else if let Some(line) = self.rejected_charts.get(&wanted) {
                Some(format!("names the row on line {line}, which was rejected"))
            } else {
                let found = match existing.get(&wanted) {
                    Some(found) => *found,
                    None => {
                        let found = find_by_chart(access, &wanted).await?;
                        existing.insert(wanted.clone(), found);
                        found
                    }
                };
                match found {
                    Some(id) => {
                        self.rows[i].guarantor = Guarantor::Existing(id);
                        None
                    }
                    None => {
                        Some("matches no row of this file and no patient of this practice".into())
                    }
                }
            };
            if let Some(problem) = problem {
                self.reject(i, "guarantor_chart_number", problem);
            }
        }
        Ok(())
    }

    /// Imports the waiting rows level by level (a row's guarantor is always imported in an
    /// earlier level), each level in batches of `batch` rows.
    async fn run(
        &mut self,
        access: &Patients<'_>,
        batch: usize,
        dry_run: bool,
        bar: &ProgressBar,
    ) -> Result<()> {
        let next: Vec<Option<usize>> = self
            .rows
            .iter()
            .map(|v| match v.guarantor {
                Guarantor::Row(g) => Some(g),
                _ => None,
            })
            .collect();
        let in_loop = loop_members(&next);
        for (i, looped) in in_loop.iter().enumerate() {
            if *looped && self.rows[i].state == State::Waiting {
                self.reject(
                    i,
                    "guarantor_chart_number",
                    "the guarantors of these rows name each other in a loop".into(),
                );
            }
        }
        let cut: Vec<Option<usize>> = next
            .iter()
            .zip(&in_loop)
            .map(|(n, looped)| if *looped { None } else { *n })
            .collect();
        let depth = depths(&cut);
        let mut levels: Vec<Vec<usize>> = Vec::new();
        for (i, d) in depth.iter().enumerate() {
            if self.rows[i].state == State::Waiting {
                if levels.len() <= *d {
                    levels.resize_with(*d + 1, Vec::new);
                }
                levels[*d].push(i);
            }
        }
        bar.set_length(levels.iter().map(Vec::len).sum::<usize>() as u64);
        for level in levels {
            let mut ready = Vec::with_capacity(level.len());
            for i in level {
                match self.guarantor_id(i) {
                    Ok(g) => ready.push((i, g)),
                    Err(line) => {
                        self.reject(
                            i,
                            "guarantor_chart_number",
                            format!("the guarantor's row (line {line}) was not imported"),
                        );
                        bar.inc(1);
                    }
                }
            }
            for chunk in ready.chunks(batch) {
                self.import_batch(access, chunk, dry_run).await?;
                bar.inc(chunk.len() as u64);
            }
        }
        Ok(())
    }

    /// The id to set as `guarantor_id`, or the guarantor row's line when it was not imported.
    fn guarantor_id(&self, i: usize) -> Result<Option<PatientId>, u64> {
        match self.rows[i].guarantor {
            Guarantor::Own => Ok(None),
            Guarantor::Existing(id) => Ok(Some(id)),
            Guarantor::Row(g) => match self.rows[g].state {
                State::Imported(id) => Ok(Some(id)),
                _ => Err(self.rows[g].row.line),
            },
        }
    }

    async fn import_batch(
        &mut self,
        access: &Patients<'_>,
        chunk: &[(usize, Option<PatientId>)],
        dry_run: bool,
    ) -> Result<()> {
        if dry_run {
            for (i, _) in chunk {
                self.rows[*i].state = State::Imported(PatientId::new());
            }
            return Ok(());
        }
        let drafts: Vec<_> = chunk
            .iter()
            .map(|(i, guarantor)| {
                let mut draft = self.rows[*i].row.draft.clone();
                draft.guarantor_id = guarantor.map(|g| g.to_string());
                draft
            })
            .collect();
        let problems = match access.create_many(&drafts).await {
            Ok(ids) => {
                for ((i, _), id) in chunk.iter().zip(ids) {
                    self.rows[*i].state = State::Imported(id);
                }
                return Ok(());
            }
            Err(AppError::Invalid(problems)) => problems
                .into_iter()
                .map(|p| (p.field.into_owned(), p.problem.to_string()))
                .collect(),
            Err(AppError::Conflict) => vec![(
                String::new(),
                "conflicted with a change made at the same time; import these rows again"
                    .to_string(),
            )],
            Err(e) => return Err(e.into()),
        };
        let first = chunk.first().map_or(0, |(i, _)| self.rows[*i].row.line);
        let last = chunk.last().map_or(0, |(i, _)| self.rows[*i].row.line);
        for (i, _) in chunk {
            for (field, problem) in &problems {
                let column = self.rows[*i].row.column_for(field);
                let problem = if chunk.len() == 1 {
                    problem.clone()
                } else {
                    format!(
                        "{problem} (in this row or another of the batch of lines {first} to \
                         {last}, which was not imported)"
                    )
                };
                self.reject(*i, &column, problem);
            }
        }
        Ok(())
    }
}

/// The existing patient of the practice with this chart number, if exactly one has it.
async fn find_by_chart(access: &Patients<'_>, chart: &str) -> Result<Option<PatientId>> {
    let query = PatientQuery {
        chart: Some(chart.to_string()),
        per_page: 2,
        ..PatientQuery::default()
    };
    let page = access.search(&query).await?;
    let mut found = page
        .results
        .iter()
        .filter(|p| p.chart_number.as_deref() == Some(chart));
    Ok(match (found.next(), found.next()) {
        (Some(one), None) => Some(one.id),
        _ => None,
    })
}

/// Which rows are on a loop of "my guarantor is that row" links.
fn loop_members(next: &[Option<usize>]) -> Vec<bool> {
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut color = vec![NEW; next.len()];
    let mut in_loop = vec![false; next.len()];
    for start in 0..next.len() {
        let mut path = Vec::new();
        let mut cur = Some(start);
        while let Some(c) = cur.filter(|c| *c < next.len()) {
            match color[c] {
                NEW => {
                    color[c] = ON_PATH;
                    path.push(c);
                    cur = next[c];
                }
                ON_PATH => {
                    if let Some(at) = path.iter().position(|p| *p == c) {
                        for m in &path[at..] {
                            in_loop[*m] = true;
                        }
                    }
                    break;
                }
                _ => break,
            }
        }
        for p in path {
            color[p] = DONE;
        }
    }
    in_loop
}

/// How many guarantor links lead from each row to a row without one (`next` has no loops).
fn depths(next: &[Option<usize>]) -> Vec<usize> {
    let mut depth: Vec<Option<usize>> = vec![None; next.len()];
    for start in 0..next.len() {
        let mut path = Vec::new();
        let mut cur = start;
        // The step bound only guards against a loop that `loop_members` should have cut.
        while depth[cur].is_none() && path.len() <= next.len() {
            path.push(cur);
            match next[cur] {
                Some(n) if n < next.len() => cur = n,
                _ => break,
            }
        }
        let mut below = depth[cur];
        for p in path.into_iter().rev() {
            let d = below.map_or(0, |b| b + 1);
            depth[p] = Some(d);
            below = Some(d);
        }
    }
    depth.into_iter().map(Option::unwrap_or_default).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loops_are_found_and_levels_follow_the_links() {
        // 0 pays for itself; 1 → 0; 2 → 1; 3 ↔ 4; 5 → 3.
        let next = [None, Some(0), Some(1), Some(4), Some(3), Some(3)];
        assert_eq!(
            loop_members(&next),
            [false, false, false, true, true, false]
        );
        let cut = [None, Some(0), Some(1), None, None, Some(3)];
        assert_eq!(depths(&cut), [0, 1, 2, 0, 0, 1]);
    }

    #[test]
    fn chart_shapes() {
        assert!(chart_shape_ok("CH-0001"));
        assert!(!chart_shape_ok(""));
        assert!(!chart_shape_ok("CH 0001"));
        assert!(!chart_shape_ok(&"A".repeat(21)));
    }
}
