//! The rest of a demo patient's clinical record, written right after their chart (see
//! `demo_chart`): tooth states (an adult's wisdom teeth out or impacted, the missing tooth of
//! a bridge, now and then an implant; a child's wisdom teeth not erupted); for adults, two
//! closed perio exams a year apart; signed progress notes for
//! the completed visits, a signed diagnosis for some and an addendum on a few; and, for most
//! patients with planned work, a treatment plan over it, left in every status across the
//! practice (draft, presented, accepted with a typed or a drawn signature, declined,
//! superseded by a revised plan). Also the practice's demo note templates.
//!
//! Made up from a seed per patient (a stream of its own, so the charts stay as they were):
//! the same record on every computer. Every text says it is synthetic.

use anyhow::Result;
use enamel_app::{Chart, Expected};
use enamel_domain::PatientId;
use enamel_domain::clinical::{
    AcceptanceDraft, AddendumDraft, LineDraft, NoteDraft, NoteTemplateDraft, PerioExamDraft,
    PhaseDraft, PlanDraft, PlanStatus, SignatureDraft, ToothStateDraft, demo_codes,
};
use enamel_domain::synthetic::SyntheticRng;
use time::Date;

use crate::demo_chart::{DemoEntry, Providers};
use crate::demo_perio::{Gums, perio_exams};

/// Mixed with the patient's position; not the chart's seed, so adding to the record leaves
/// the charts as they were.
const RECORD_SEED: u64 = 2026_0002;
/// The tooth states' own stream, so adding them left the rest of each record as it was.
const TEETH_SEED: u64 = 2026_0003;
const WISDOM_TEETH: &[u8] = &[1, 16, 17, 32];
/// Where a demo implant may go: lower premolars, which have no furcation to chart.
const IMPLANT_SITES: &[u8] = &[20, 21, 28, 29];

pub const TEMPLATES: &[(&str, &str, &str)] = &[
    (
        "Demo: prophy visit",
        "progress",
        "Demo template (synthetic data): cleaning done. Medical history reviewed: ___. \
         Home care advice: ___. Next recall: ___.",
    ),
    (
        "Demo: restorative visit",
        "progress",
        "Demo template (synthetic data): tooth ___, surfaces ___. Anaesthetic: ___. \
         Material: ___. Bite checked; post-operative advice given.",
    ),
    (
        "Demo: emergency exam",
        "diagnosis",
        "Demo template (synthetic data): chief complaint ___. Tooth ___. Findings: ___. \
         Diagnosis: ___. Next step: ___.",
    ),
];

const PROGRESS: &[&str] = &[
    "Demo note (synthetic data): visit completed as planned; patient comfortable throughout.",
    "Demo note (synthetic data): medical history reviewed, no changes; home care discussed.",
    "Demo note (synthetic data): work completed without complications; next visit as planned.",
    "Demo note (synthetic data): findings explained to the patient; questions answered.",
];
const PERIO_DIAGNOSIS: &str = "Demo diagnosis (synthetic data): pockets of 4 to 6 mm at a few \
                               sites on the made-up perio chart; periodontal care planned.";
const CONDITION_DIAGNOSIS: &str = "Demo diagnosis (synthetic data): the charted condition is \
                                   confirmed on the made-up images; treatment is planned.";
const NOTE_ADDENDA: &[&str] = &[
    "Demo addendum (synthetic data): patient called back; no discomfort reported.",
    "Demo addendum (synthetic data): images from this visit attached to the made-up chart.",
];
const PLAN_NOTE: &str =
    "Demo plan note (synthetic data): fees and insurance estimates are made up.";

/// A demo patient as the background job needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPatient {
    pub id: PatientId,
    /// Their synthetic name, as they sign a plan.
    pub name: String,
    /// A minor's responsible party (who signs for them), by the household's minor flag. Those
    /// without one are the adults who get perio exams: decided by that flag, not by the birth
    /// date against today, so the demo's records do not change with the calendar.
    pub responsible_party: Option<String>,
}

/// What happens to a plan once drafted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanOutcome {
    Draft,
    Presented,
    Accepted,
    Declined,
    Superseded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoNote {
    pub draft: NoteDraft,
    pub addendum: Option<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoPlan {
    pub draft: PlanDraft,
    pub outcome: PlanOutcome,
    /// The signature when accepted.
    pub acceptance: Option<AcceptanceDraft>,
}

/// A patient's tooth states, perio exams (older first), notes and plans (in the order
/// written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DemoRecord {
    pub tooth_states: Vec<ToothStateDraft>,
    pub perio: Vec<PerioExamDraft>,
    pub notes: Vec<DemoNote>,
    pub plans: Vec<DemoPlan>,
}

/// Adds the demo note templates the practice does not have yet.
pub async fn add_templates(chart: &Chart<'_>) -> Result<()> {
    let have: Vec<String> = chart
        .note_templates()
        .await?
        .into_iter()
        .map(|t| t.template.name)
        .collect();
    for (name, kind, body) in TEMPLATES {
        if !have.iter().any(|h| h == name) {
            chart
                .add_note_template(&NoteTemplateDraft {
                    name: (*name).into(),
                    kind: (*kind).into(),
                    body: (*body).into(),
                })
                .await?;
        }
    }
    Ok(())
}

/// Writes a patient's record: each perio exam started and closed, each note written and
/// signed (then its addendum), each plan drafted and taken to its outcome. Two to three writes
/// per item, one transaction each.
pub async fn write(chart: &Chart<'_>, patient: PatientId, record: &DemoRecord) -> Result<()> {
    for state in &record.tooth_states {
        chart.record_tooth_state(patient, state).await?;
    }
    for exam in &record.perio {
        let started = chart.start_perio(patient, exam).await?;
        chart.close_perio(started.id, Expected::Any).await?;
    }
    for note in &record.notes {
        let written = chart.write_note(patient, &note.draft).await?;
        chart.sign_note(written.id, Expected::Any).await?;
        if let Some(body) = note.addendum {
            let addendum = AddendumDraft { body: body.into() };
            chart.add_note_addendum(written.id, &addendum).await?;
        }
    }
    for plan in &record.plans {
        let id = chart.create_plan(patient, &plan.draft).await?.id;
        if plan.outcome == PlanOutcome::Draft {
            continue;
        }
        chart.present_plan(id, Expected::Any).await?;
        match (plan.outcome, &plan.acceptance) {
            (PlanOutcome::Accepted, Some(acceptance)) => {
                chart.accept_plan(id, acceptance, Expected::Any).await?;
            }
            (PlanOutcome::Declined, _) => {
                chart
                    .decide_plan(id, PlanStatus::Declined, Expected::Any)
                    .await?;
            }
            (PlanOutcome::Superseded, _) => {
                chart
                    .decide_plan(id, PlanStatus::Superseded, Expected::Any)
                    .await?;
            }
            _ => {}
        }
    }
    Ok(())
}

pub(crate) fn pick<'a, T>(rng: &mut SyntheticRng, from: &'a [T]) -> &'a T {
    &from[usize::try_from(rng.below(from.len() as u64)).unwrap_or(0)]
}

/// True `one_in` times out of `of`.
pub(crate) fn chance(rng: &mut SyntheticRng, one_in: u64, of: u64) -> bool {
    rng.below(of) < one_in
}

pub(crate) fn iso(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// The record of the demo patient at `index`, whose chart is `entries` (created with the ids
/// `ids`, in order): the same on every run.
pub fn record(
    index: u64,
    patient: &DemoPatient,
    entries: &[DemoEntry],
    ids: &[String],
    providers: &Providers,
    today: Date,
) -> DemoRecord {
    let mut rng = SyntheticRng::new(RECORD_SEED.wrapping_mul(1_000_003).wrapping_add(index));
    let charted: Vec<(&DemoEntry, &String)> = entries.iter().zip(ids).collect();
    let status = |e: &DemoEntry| e.draft.status.clone().unwrap_or_default();
    let adult = patient.responsible_party.is_none();

    let mut out = DemoRecord::default();
    let gums = Gums::pick(&mut rng);
    if adult {
        // The middle tooth of a bridge is a pontic: missing, charted as skipped.
        let missing: Vec<u8> = entries
            .iter()
            .filter(|e| e.draft.code == "X6210")
            .filter_map(|e| e.draft.teeth.as_ref()?.get(1)?.parse().ok())
            .collect();
        out.perio = perio_exams(&mut rng, gums, &missing, providers, today);
        let mut teeth = SyntheticRng::new(TEETH_SEED.wrapping_mul(1_000_003).wrapping_add(index));
        out.tooth_states = adult_tooth_states(&mut teeth, entries, &missing);
        for state in out.tooth_states.iter().filter(|s| s.state == "implant") {
            for exam in &mut out.perio {
                for tooth in exam.teeth.iter_mut().filter(|t| t.tooth == state.tooth) {
                    tooth.implant = true;
                }
            }
        }
    } else {
        // A child's wisdom teeth have not come in yet.
        out.tooth_states = WISDOM_TEETH
            .iter()
            .map(|t| tooth_state(*t, "unerupted"))
            .collect();
    }

    // A signed progress note for every completed visit; a diagnosis for some.
    for (entry, id) in &charted {
        if status(entry) == "completed" && entry.in_error.is_none() {
            let body = *pick(&mut rng, PROGRESS);
            out.notes.push(DemoNote {
                draft: note("progress", body, Some(id)),
                addendum: None,
            });
        }
    }
    if adult && matches!(gums, Gums::Periodontitis { .. }) {
        out.notes.push(DemoNote {
            draft: note("diagnosis", PERIO_DIAGNOSIS, None),
            addendum: None,
        });
    } else if chance(&mut rng, 1, 4)
        && let Some((_, id)) = charted.iter().find(|(e, _)| status(e) == "condition")
    {
        out.notes.push(DemoNote {
            draft: note("diagnosis", CONDITION_DIAGNOSIS, Some(id)),
            addendum: None,
        });
    }
    if chance(&mut rng, 1, 6)
        && let Some(first) = out.notes.first_mut()
    {
        first.addendum = Some(*pick(&mut rng, NOTE_ADDENDA));
    }

    // A plan over the planned work, for four patients in five who have some.
    let planned: Vec<(&str, &String)> = charted
        .iter()
        .filter(|(e, _)| status(e) == "planned" && e.in_error.is_none())
        .map(|(e, id)| (e.draft.code.as_str(), *id))
        .collect();
    if !planned.is_empty() && !chance(&mut rng, 1, 5) {
        out.plans = plans(&mut rng, &planned, patient);
    }
    out
}

fn tooth_state(tooth: u8, state: &str) -> ToothStateDraft {
    ToothStateDraft {
        tooth: tooth.to_string(),
        state: state.into(),
    }
}

/// An adult's teeth that are not simply there: most wisdom teeth out and a few impacted, the
/// missing middle tooth of each bridge, and for one adult in five an implant where a lower
/// premolar the chart does not use was.
fn adult_tooth_states(
    rng: &mut SyntheticRng,
    entries: &[DemoEntry],
    pontics: &[u8],
) -> Vec<ToothStateDraft> {
    let mut out = Vec::new();
    for tooth in WISDOM_TEETH {
        match rng.below(10) {
            0..=5 => out.push(tooth_state(*tooth, "missing")),
            6 => out.push(tooth_state(*tooth, "impacted")),
            _ => {}
        }
    }
    out.extend(pontics.iter().map(|t| tooth_state(*t, "missing")));
    let charted: Vec<String> = entries
        .iter()
        .flat_map(|e| {
            let d = &e.draft;
            d.tooth.iter().chain(d.teeth.iter().flatten()).cloned()
        })
        .collect();
    let free: Vec<u8> = IMPLANT_SITES
        .iter()
        .copied()
        .filter(|t| !charted.contains(&t.to_string()))
        .collect();
    if !free.is_empty() && chance(rng, 1, 5) {
        out.push(tooth_state(*pick(rng, &free), "implant"));
    }
    out
}

fn note(kind: &str, body: &str, procedure: Option<&String>) -> NoteDraft {
    NoteDraft {
        kind: kind.into(),
        body: body.into(),
        procedure_id: procedure.cloned(),
        plan_id: None,
    }
}

/// The insurance estimate of a line: a made-up share of the demo code's fee.
fn estimate(code: &str) -> Option<i64> {
    let fee = demo_codes()
        .into_iter()
        .find(|c| c.code == code)?
        .default_fee;
    let percent = match code {
        "X2710" | "X6210" => 50,
        _ => 80,
    };
    Some(fee * percent / 100)
}

/// The phases of a demo plan, in the order the work is done.
const PHASES: &[&str] = &[
    "Demo phase: gum care",
    "Demo phase: fillings",
    "Demo phase: crowns and bridges",
    "Demo phase: other work",
];

fn phase_of(code: &str) -> usize {
    match code {
        "X1410" => 0,
        "X2110" | "X2120" | "X2130" => 1,
        "X2710" | "X3310" | "X6210" => 2,
        _ => 3,
    }
}

/// The patient's plan over all their planned work (or, when superseded, the first plan and
/// its revision), in phases: gum care, then fillings, then crowns.
fn plans(
    rng: &mut SyntheticRng,
    planned: &[(&str, &String)],
    patient: &DemoPatient,
) -> Vec<DemoPlan> {
    let insured = !chance(rng, 1, 4);
    let mut phases: Vec<PhaseDraft> = PHASES
        .iter()
        .map(|name| PhaseDraft {
            name: (*name).into(),
            lines: Vec::new(),
        })
        .collect();
    for (code, id) in planned {
        phases[phase_of(code)].lines.push(LineDraft {
            procedure_id: (*id).clone(),
            insurance_estimate: if insured { estimate(code) } else { None },
            patient_portion: None,
        });
    }
    phases.retain(|p| !p.lines.is_empty());
    let outcome = outcome(rng);
    let mut plan = |title: &str, outcome: PlanOutcome| DemoPlan {
        draft: PlanDraft {
            title: format!("Demo treatment plan (synthetic data){title}"),
            note: Some(PLAN_NOTE.into()),
            phases: phases.clone(),
        },
        outcome,
        acceptance: (outcome == PlanOutcome::Accepted).then(|| acceptance(rng, patient)),
    };
    match outcome {
        Some(outcome) => vec![plan("", outcome)],
        None => {
            let first = plan(", first version", PlanOutcome::Superseded);
            let revised = plan(", revised", PlanOutcome::Presented);
            vec![first, revised]
        }
    }
}

/// A plan's fate across the practice: a quarter left as drafts, a fifth presented and
/// waiting, a third accepted, a tenth declined; `None` (a tenth) for superseded by a revision.
fn outcome(rng: &mut SyntheticRng) -> Option<PlanOutcome> {
    match rng.below(20) {
        0..=4 => Some(PlanOutcome::Draft),
        5..=8 => Some(PlanOutcome::Presented),
        9..=15 => Some(PlanOutcome::Accepted),
        16 | 17 => Some(PlanOutcome::Declined),
        _ => None,
    }
}

/// Accepted in the office by the patient, or a minor's responsible party, with their typed
/// name or a drawn squiggle.
fn acceptance(rng: &mut SyntheticRng, patient: &DemoPatient) -> AcceptanceDraft {
    let (accepted_by, signer) = match &patient.responsible_party {
        Some(name) => ("responsible_party", name.clone()),
        None => ("patient", patient.name.clone()),
    };
    let signature = if chance(rng, 1, 2) {
        SignatureDraft::Typed {
            text: signer.clone(),
        }
    } else {
        SignatureDraft::Drawn {
            strokes: squiggle(rng),
        }
    };
    AcceptanceDraft {
        accepted_by: accepted_by.into(),
        signer_name: signer,
        channel: "in_office".into(),
        signature,
    }
}

/// Two or three zigzag pen strokes across the 0–1000 signature pad.
fn squiggle(rng: &mut SyntheticRng) -> Vec<Vec<Vec<i64>>> {
    let strokes = 2 + rng.below(2);
    let points = 8 + rng.below(8);
    let step = 760 / (strokes * points);
    let mut x = 60 + rng.below(60);
    let mut out = Vec::new();
    for _ in 0..strokes {
        let mut stroke = Vec::new();
        for i in 0..points {
            let y = if i % 2 == 0 {
                350 + rng.below(120)
            } else {
                530 + rng.below(120)
            };
            stroke.push(vec![
                i64::try_from(x).unwrap_or(0),
                i64::try_from(y).unwrap_or(0),
            ]);
            x += step;
        }
        x += 30;
        out.push(stroke);
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::panic)]
mod tests {
    use std::collections::BTreeSet;

    use enamel_domain::clinical::{PerioExam, PlannedProcedureFacts, compare, freeze};

    use super::*;
    use crate::demo_chart::entries;

    fn today() -> Date {
        Date::from_calendar_date(2026, time::Month::March, 15).unwrap()
    }

    fn providers() -> Providers {
        Providers {
            dentist: Some("dentist-id".into()),
            hygienist: Some("hygienist-id".into()),
        }
    }

    fn patient(index: u64) -> DemoPatient {
        let minor = index % 4 == 3;
        DemoPatient {
            id: PatientId::new(),
            name: "Demo Molar".into(),
            responsible_party: minor.then(|| "Sample Molar".into()),
        }
    }

    /// Records for 300 made-up charts, with ids standing in for the created procedures.
    fn all() -> Vec<(DemoPatient, Vec<DemoEntry>, Vec<String>, DemoRecord)> {
        (0..300)
            .map(|index| {
                let entries = entries(index, &providers(), today());
                let ids: Vec<String> = entries
                    .iter()
                    .map(|_| uuid::Uuid::new_v4().to_string())
                    .collect();
                let p = patient(index);
                let r = record(index, &p, &entries, &ids, &providers(), today());
                (p, entries, ids, r)
            })
            .collect()
    }

    #[test]
    fn perio_exams_are_valid_a_year_apart_and_some_worsen() {
        let (mut worsened, mut stable) = (0, 0);
        for (index, (p, entries, ids, r)) in all().iter().enumerate() {
            let again = record(index as u64, p, entries, ids, &providers(), today());
            assert_eq!(r, &again, "the same on every run");
            if p.responsible_party.is_some() {
                assert!(r.perio.is_empty(), "perio for adults only");
                continue;
            }
            assert_eq!(r.perio.len(), 2);
            let exams: Vec<PerioExam> = r
                .perio
                .iter()
                .map(|d| {
                    d.validate(today())
                        .unwrap_or_else(|e| panic!("{index}: {e:?}"))
                })
                .collect();
            let (older, newer) = (&exams[0], &exams[1]);
            assert!((today() - newer.exam_date).whole_days() <= 28);
            let apart = (newer.exam_date - older.exam_date).whole_days();
            assert!((358..=372).contains(&apart), "{apart}");
            assert_eq!(newer.teeth.len(), 28);
            let depths: Vec<i8> = newer
                .teeth
                .values()
                .flat_map(|t| t.depth.iter().flatten().copied())
                .collect();
            // Mostly 2–3 mm, nothing past 8.
            let usual = depths.iter().filter(|d| (2..=3).contains(*d)).count();
            assert!(
                usual * 10 >= depths.len() * 8,
                "{index}: {usual} of {}",
                depths.len()
            );
            assert!(depths.iter().all(|d| (1..=8).contains(d)));
            if compare(older, newer).iter().any(|s| s.worsened) {
                worsened += 1;
            } else {
                stable += 1;
            }
        }
        assert!(
            worsened > 10 && stable > worsened * 3,
            "{worsened} {stable}"
        );
    }

    #[test]
    fn tooth_states_are_valid_every_state_occurs_and_perio_agrees() {
        let mut seen = BTreeSet::new();
        for (p, entries, _, r) in all() {
            for s in &r.tooth_states {
                let change = s.validate().unwrap_or_else(|e| panic!("{e:?}"));
                seen.insert(change.state.as_str());
            }
            if p.responsible_party.is_some() {
                assert!(r.tooth_states.iter().all(|s| s.state == "unerupted"));
                continue;
            }
            for s in r.tooth_states.iter().filter(|s| s.state == "implant") {
                let charted = entries
                    .iter()
                    .any(|e| e.draft.tooth.as_ref() == Some(&s.tooth));
                assert!(!charted, "an implant where the chart has work");
                for exam in &r.perio {
                    let t = exam.teeth.iter().find(|t| t.tooth == s.tooth).unwrap();
                    assert!(t.implant && t.furcation.is_none());
                }
            }
        }
        assert_eq!(
            seen.into_iter().collect::<Vec<_>>(),
            ["impacted", "implant", "missing", "unerupted"]
        );
    }

    #[test]
    fn notes_and_plans_are_valid_and_every_plan_status_occurs() {
        let codes = demo_codes();
        let mut outcomes = BTreeSet::new();
        let mut signatures = BTreeSet::new();
        let (mut diagnoses, mut addenda, mut plans) = (0, 0, 0);
        for (p, entries, ids, r) in all() {
            let completed = entries
                .iter()
                .filter(|e| e.draft.status.as_deref() == Some("completed"))
                .count();
            let progress = r
                .notes
                .iter()
                .filter(|n| n.draft.kind == "progress")
                .count();
            assert_eq!(progress, completed);
            for n in &r.notes {
                let note = n.draft.validate().unwrap();
                assert!(note.body.starts_with("Demo "), "synthetic text");
                if let Some(id) = note.procedure_id() {
                    assert!(ids.iter().any(|i| i == id));
                }
                diagnoses += usize::from(n.draft.kind == "diagnosis");
                addenda += usize::from(n.addendum.is_some());
            }
            let facts: Vec<PlannedProcedureFacts> = entries
                .iter()
                .zip(&ids)
                .filter(|(e, _)| {
                    e.draft.status.as_deref() == Some("planned") && e.in_error.is_none()
                })
                .map(|(e, id)| PlannedProcedureFacts {
                    id: id.clone(),
                    code: e.draft.code.clone(),
                    description: String::new(),
                    site: String::new(),
                    fee: codes
                        .iter()
                        .find(|c| c.code == e.draft.code)
                        .unwrap()
                        .default_fee,
                })
                .collect();
            for plan in &r.plans {
                plans += 1;
                let validated = plan.draft.validate().unwrap();
                freeze(&validated, &facts).unwrap();
                assert!(
                    validated
                        .title
                        .starts_with("Demo treatment plan (synthetic data)")
                );
                outcomes.insert(format!("{:?}", plan.outcome));
                if let Some(a) = &plan.acceptance {
                    a.validate().unwrap();
                    assert_eq!(
                        a.accepted_by == "responsible_party",
                        p.responsible_party.is_some()
                    );
                    signatures.insert(match a.signature {
                        SignatureDraft::Typed { .. } => "typed",
                        SignatureDraft::Drawn { .. } => "drawn",
                    });
                }
            }
        }
        assert_eq!(outcomes.len(), 5, "{outcomes:?}");
        assert_eq!(signatures.len(), 2);
        assert!(
            diagnoses > 30 && addenda > 20 && plans > 200,
            "{diagnoses} {addenda} {plans}"
        );
        for (name, kind, body) in TEMPLATES {
            NoteTemplateDraft {
                name: (*name).into(),
                kind: (*kind).into(),
                body: (*body).into(),
            }
            .validate()
            .unwrap();
        }
    }
}
