//! The demo's synthetic charts: the neutral demo codes (`X…`, "Demo: …"; never CDT) and, for
//! every demo patient, a small chart made up from a seed: restorations already in the mouth,
//! a condition or two with the work planned for them, and completed visits with a short
//! synthetic note, some with an addendum. A few patients also have an entry marked entered
//! in error. The same patient gets the same chart on every computer.

use anyhow::Result;
use enamel_app::{App, Chart, Expected, RequestOrigin, SystemReason};
use enamel_domain::PracticeId;
use enamel_domain::clinical::{ProcedureDraft, demo_codes};
use enamel_domain::synthetic::SyntheticRng;
use time::{Date, Duration};

use crate::demo_clinical::{self, DemoPatient};
use crate::output;

/// Mixed with the patient's position, so each chart has its own stream of choices.
const CHART_SEED: u64 = 2026_0001;

/// Back teeth without the wisdom teeth, in Universal numbering.
const BACK_TEETH: &[u8] = &[2, 3, 4, 5, 12, 13, 14, 15, 18, 19, 20, 21, 28, 29, 30, 31];
const MOLARS: &[u8] = &[2, 3, 14, 15, 18, 19, 30, 31];
/// Three teeth of one arch for a bridge: two abutments and the pontic between them.
const BRIDGES: &[[u8; 3]] = &[[3, 4, 5], [12, 13, 14], [19, 20, 21], [28, 29, 30]];

const NOTES: &[&str] = &[
    "Demo note (synthetic data): routine visit, nothing of concern.",
    "Demo note (synthetic data): patient comfortable throughout; home care reviewed.",
    "Demo note (synthetic data): light calculus removed; recall in six months.",
    "Demo note (synthetic data): images reviewed with the patient; no new findings.",
];
const ADDENDA: &[&str] = &[
    "Demo addendum (synthetic data): follow-up call made; no concerns reported.",
    "Demo addendum (synthetic data): recall date confirmed with the patient.",
];
const IN_ERROR: &str = "Demo (synthetic data): charted twice by mistake.";

/// Who did the work, when the demo has those accounts.
#[derive(Debug, Clone, Default)]
pub struct Providers {
    pub dentist: Option<String>,
    pub hygienist: Option<String>,
}

/// One entry of a demo chart, and what happens to it after it is charted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoEntry {
    pub draft: ProcedureDraft,
    pub addendum: Option<&'static str>,
    /// Marked entered in error, with this reason.
    pub in_error: Option<&'static str>,
}

/// Imports the demo codes when the practice has none (one audited `import`).
pub async fn load_codes_if_none(chart: &Chart<'_>) -> Result<()> {
    if chart.codes().await?.is_empty() {
        chart.import_codes(&demo_codes(), false).await?;
    }
    Ok(())
}

/// Charts every patient, in order, each followed by the rest of their record (perio exams,
/// signed notes, treatment plans: see `demo_clinical`), then says so. Meant to run beside the
/// server: about seven writes per patient for the chart and eight more for the record, one
/// transaction each (the chart room has no batch door). A failure is reported and leaves what
/// was written so far.
pub async fn fill(
    app: App,
    practice: PracticeId,
    patients: Vec<DemoPatient>,
    providers: Providers,
) {
    match chart_all(&app, practice, &patients, &providers).await {
        Ok(()) => output::line(&format!(
            "  The made-up charts are ready ({} patients): procedures, perio exams, signed notes \
             and treatment plans.",
            patients.len()
        )),
        Err(e) => {
            output::error(&format!(
                "enamel: the demo's made-up charts could not be finished: {e:#}"
            ));
            return;
        }
    }
    match book_all(&app, practice, &patients, &providers).await {
        Ok(booked) => output::line(&format!(
            "  The made-up schedule is ready: {booked} appointments over the 21 days around today."
        )),
        Err(e) => output::error(&format!(
            "enamel: the demo's made-up schedule could not be finished: {e:#}"
        )),
    }
}

/// The schedule around today (see `demo_schedule`).
async fn book_all(
    app: &App,
    practice: PracticeId,
    patients: &[DemoPatient],
    providers: &Providers,
) -> Result<usize> {
    let system =
        app.system_bypassing_policy(practice, SystemReason::DemoData, RequestOrigin::cli());
    let today = app.practice_today(practice).await?;
    let now = enamel_domain::Instant::from_unix_ms(app.clock().now_ms());
    crate::demo_schedule::fill(&system.schedule(), providers, patients, today, now).await
}

async fn chart_all(
    app: &App,
    practice: PracticeId,
    patients: &[DemoPatient],
    providers: &Providers,
) -> Result<()> {
    let system =
        app.system_bypassing_policy(practice, SystemReason::DemoData, RequestOrigin::cli());
    let chart = system.chart();
    let today = app.practice_today(practice).await?.date();
    demo_clinical::add_templates(&chart).await?;
    for (index, patient) in patients.iter().enumerate() {
        let entries = entries(index as u64, providers, today);
        let mut ids = Vec::with_capacity(entries.len());
        for entry in &entries {
            let view = chart.create(patient.id, &entry.draft).await?;
            if let Some(body) = entry.addendum {
                chart.add_addendum(view.id, body).await?;
            }
            if let Some(reason) = entry.in_error {
                chart.invalidate(view.id, reason, Expected::Any).await?;
            }
            ids.push(view.id.to_string());
        }
        // After the chart: a plan is drafted from the chart's planned procedures.
        let record = demo_clinical::record(index as u64, patient, &entries, &ids, providers, today);
        demo_clinical::write(&chart, patient.id, &record).await?;
    }
    Ok(())
}

fn pick<'a, T>(rng: &mut SyntheticRng, from: &'a [T]) -> &'a T {
    &from[usize::try_from(rng.below(from.len() as u64)).unwrap_or(0)]
}

/// Takes a tooth of `from` that the chart does not use yet (or any of them when all are).
fn take(rng: &mut SyntheticRng, from: &[u8], used: &mut Vec<u8>) -> u8 {
    let free: Vec<u8> = from.iter().copied().filter(|t| !used.contains(t)).collect();
    let tooth = *pick(rng, if free.is_empty() { from } else { &free });
    used.push(tooth);
    tooth
}

fn days_before(today: Date, rng: &mut SyntheticRng, from: u64, to: u64) -> String {
    let days = i64::try_from(from + rng.below(to - from)).unwrap_or(0);
    let date = today.checked_sub(Duration::days(days)).unwrap_or(today);
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

fn draft(code: &str, status: &str) -> ProcedureDraft {
    ProcedureDraft {
        code: code.into(),
        status: Some(status.into()),
        ..ProcedureDraft::default()
    }
}

fn on_tooth(mut d: ProcedureDraft, tooth: u8, surfaces: Option<&str>) -> ProcedureDraft {
    d.tooth = Some(tooth.to_string());
    d.surfaces = surfaces.map(str::to_string);
    d
}

fn plain(draft: ProcedureDraft) -> DemoEntry {
    DemoEntry {
        draft,
        addendum: None,
        in_error: None,
    }
}

/// The chart of the demo patient at `index`: the same on every run.
pub fn entries(index: u64, providers: &Providers, today: Date) -> Vec<DemoEntry> {
    let mut rng = SyntheticRng::new(CHART_SEED.wrapping_mul(1_000_003).wrapping_add(index));
    let mut used = Vec::new();
    let mut out = Vec::new();

    // Work already in the mouth, done here or elsewhere, years ago.
    for _ in 0..1 + rng.below(3) {
        let status = *pick(&mut rng, &["existing_current", "existing_other"]);
        let mut d = match rng.below(5) {
            0 => on_tooth(
                draft("X2710", status),
                take(&mut rng, MOLARS, &mut used),
                None,
            ),
            1 => {
                let surfaces = *pick(&mut rng, &["MO", "DO", "OB", "OL"]);
                let tooth = take(&mut rng, BACK_TEETH, &mut used);
                on_tooth(draft("X2120", status), tooth, Some(surfaces))
            }
            2 => {
                let surfaces = *pick(&mut rng, &["O", "B"]);
                let tooth = take(&mut rng, BACK_TEETH, &mut used);
                on_tooth(draft("X2110", status), tooth, Some(surfaces))
            }
            3 => on_tooth(
                draft("X3310", status),
                take(&mut rng, MOLARS, &mut used),
                None,
            ),
            _ => {
                let free: Vec<&[u8; 3]> = BRIDGES
                    .iter()
                    .filter(|b| b.iter().all(|t| !used.contains(t)))
                    .collect();
                if free.is_empty() {
                    continue;
                }
                let bridge = **pick(&mut rng, &free);
                used.extend(bridge);
                let mut d = draft("X6210", status);
                d.teeth = Some(bridge.iter().map(u8::to_string).collect());
                d
            }
        };
        d.completed_on = Some(days_before(today, &mut rng, 400, 3_000));
        out.push(plain(d));
    }

    // A condition or two, each with the work planned for it.
    for _ in 0..1 + rng.below(2) {
        let found_on = days_before(today, &mut rng, 0, 60);
        let tooth = take(&mut rng, BACK_TEETH, &mut used);
        let (mut condition, mut plan) = if rng.below(3) == 0 {
            (
                on_tooth(draft("X9120", "condition"), tooth, None),
                on_tooth(draft("X2710", "planned"), tooth, None),
            )
        } else {
            let surfaces = *pick(&mut rng, &["O", "B", "MO", "DO"]);
            let filling = if surfaces.len() == 1 {
                "X2110"
            } else {
                "X2120"
            };
            (
                on_tooth(draft("X9110", "condition"), tooth, Some(surfaces)),
                on_tooth(draft(filling, "planned"), tooth, Some(surfaces)),
            )
        };
        plan.planned_on = Some(found_on.clone());
        plan.provider_id.clone_from(&providers.dentist);
        condition.planned_on = Some(found_on);
        out.push(plain(condition));
        out.push(plain(plan));
    }
    if rng.below(4) == 0 {
        let mut d = draft("X1410", "planned");
        d.area = Some((*pick(&mut rng, &["UR", "UL", "LL", "LR"])).to_string());
        d.provider_id.clone_from(&providers.hygienist);
        out.push(plain(d));
    }

    // Completed visits, each with a short note; some with an addendum.
    let mut visits = vec![("X1110", false), ("X1310", true), ("X1210", false)];
    if rng.below(3) == 0 {
        visits.push(("X4910", true));
    }
    for _ in 0..1 + rng.below(2) {
        let (code, hygiene) =
            visits.remove(usize::try_from(rng.below(visits.len() as u64)).unwrap_or(0));
        let mut d = draft(code, "completed");
        if code == "X4910" {
            d.area = Some((*pick(&mut rng, &["S1", "S3", "S4", "S6"])).to_string());
        }
        let on = days_before(today, &mut rng, 14, 400);
        d.planned_on = Some(on.clone());
        d.completed_on = Some(on);
        d.note = Some((*pick(&mut rng, NOTES)).to_string());
        d.provider_id.clone_from(if hygiene {
            &providers.hygienist
        } else {
            &providers.dentist
        });
        let addendum = (rng.below(3) == 0).then(|| *pick(&mut rng, ADDENDA));
        out.push(DemoEntry {
            draft: d,
            addendum,
            in_error: None,
        });
    }

    // Now and then an entry charted twice and marked entered in error.
    if rng.below(12) == 0 {
        out.push(DemoEntry {
            draft: draft("X1110", "planned"),
            addendum: None,
            in_error: Some(IN_ERROR),
        });
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use enamel_domain::clinical::ProcedureStatus;

    use super::*;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::March, 15).unwrap()
    }

    #[test]
    fn every_demo_entry_is_valid_synthetic_and_the_same_on_every_run() {
        let codes = demo_codes();
        let providers = Providers {
            dentist: Some("dentist-id".into()),
            hygienist: Some("hygienist-id".into()),
        };
        let mut statuses = std::collections::BTreeSet::new();
        let mut total = 0;
        for index in 0..300 {
            let entries = entries(index, &providers, today());
            assert_eq!(entries, super::entries(index, &providers, today()));
            total += entries.len();
            for entry in &entries {
                let d = &entry.draft;
                assert!(d.code.starts_with('X'), "neutral codes only");
                let code = codes.iter().find(|c| c.code == d.code).unwrap();
                let procedure = d
                    .validate(Some(code), today())
                    .unwrap_or_else(|p| panic!("patient {index}, {}: {p:?}", d.code));
                statuses.insert(procedure.status.as_str());
                if let Some(note) = &procedure.note {
                    assert!(note.starts_with("Demo note (synthetic data)"));
                }
            }
            let conditions = entries
                .iter()
                .filter(|e| e.draft.status.as_deref() == Some("condition"))
                .count();
            assert!((1..=2).contains(&conditions), "patient {index}");
        }
        for status in [
            ProcedureStatus::ExistingCurrent,
            ProcedureStatus::ExistingOther,
            ProcedureStatus::Condition,
            ProcedureStatus::Planned,
            ProcedureStatus::Completed,
        ] {
            assert!(statuses.contains(status.as_str()), "{status:?}");
        }
        // Small charts: the demo starts in about a second.
        assert!(total < 300 * 9, "{total}");
    }
}
