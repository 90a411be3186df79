//! Treatment plans: the planned procedures a patient is offered, grouped into ordered, named
//! phases, then frozen with their fees and estimates when presented.
//!
//! A plan is drafted from procedure ids ([`PlanDraft`]); the app looks the procedures up and
//! [`freeze`] copies what the patient is shown (code, description, site, fee, estimates) into
//! [`FrozenLine`]s that are never recomputed afterwards. [`canonical_bytes`] is what the
//! patient's signature is bound to (through a hash, taken by the app).

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::canonical::Canonical;
use super::codes::MAX_FEE_MINOR;
use super::fields::{required_id, required_line};
use super::procedure::free_text;
use crate::patient::{FieldProblem, Problems};
use crate::text_enum::text_enum;

text_enum!(
    /// Where a plan stands. A draft is edited; a presented plan is frozen and waits for the
    /// patient; accepted, declined and superseded are final.
    PlanStatus {
        Draft => "draft" ("Draft"),
        Presented => "presented" ("Presented"),
        Accepted => "accepted" ("Accepted"),
        Declined => "declined" ("Declined"),
        Superseded => "superseded" ("Superseded"),
    }
);

impl PlanStatus {
    /// The allowed moves: draft → presented or superseded; presented → accepted, declined or
    /// superseded. Nothing leaves a final status, and nothing stays where it is.
    pub fn can_become(self, next: PlanStatus) -> bool {
        use PlanStatus::{Accepted, Declined, Draft, Presented, Superseded};
        matches!(
            (self, next),
            (Draft, Presented | Superseded) | (Presented, Accepted | Declined | Superseded)
        )
    }

    /// Accepted, declined or superseded: no further change.
    pub fn is_final(self) -> bool {
        PlanStatus::ALL.iter().all(|next| !self.can_become(*next))
    }
}

pub const MAX_PLAN_TITLE_CHARS: usize = 200;
pub const MAX_PLAN_NOTE_CHARS: usize = 2_000;
pub const MAX_PHASE_NAME_CHARS: usize = 100;
pub const MAX_PHASES: usize = 10;
/// Lines across all the phases of one plan.
pub const MAX_PLAN_LINES: usize = 100;

/// A plan as submitted.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanDraft {
    pub title: String,
    #[serde(default)]
    pub note: Option<String>,
    /// 1 to 10 phases, in the order they are to be done.
    #[serde(default)]
    pub phases: Vec<PhaseDraft>,
}

#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseDraft {
    pub name: String,
    #[serde(default)]
    pub lines: Vec<LineDraft>,
}

/// One planned procedure of the patient. Money in minor units (cents).
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineDraft {
    pub procedure_id: String,
    /// 0 when left out.
    #[serde(default)]
    pub insurance_estimate: Option<i64>,
    /// The fee less the insurance estimate when left out.
    #[serde(default)]
    pub patient_portion: Option<i64>,
}

/// A validated plan: phases in order, each procedure once.
#[derive(Clone, PartialEq, Eq)]
pub struct Plan {
    pub title: String,
    pub note: Option<String>,
    pub phases: Vec<Phase>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: String,
    pub lines: Vec<PlanLine>,
}

/// A line before freezing: amounts are checked against the fee by [`freeze`].
#[derive(Clone, PartialEq, Eq)]
pub struct PlanLine {
    /// A canonical (lower-case, hyphenated) UUID.
    pub procedure_id: String,
    pub insurance_estimate: Option<i64>,
    pub patient_portion: Option<i64>,
}

redacted_debug!(PlanDraft, PhaseDraft, LineDraft, Plan, Phase, PlanLine);

impl Plan {
    /// Every procedure the plan names, in plan order: what the app must look up (and check
    /// are planned procedures of this patient) before [`freeze`].
    pub fn procedure_ids(&self) -> Vec<&str> {
        self.phases
            .iter()
            .flat_map(|ph| ph.lines.iter().map(|l| l.procedure_id.as_str()))
            .collect()
    }
}

impl PlanDraft {
    /// Checks the plan's shape; every problem at once, by field path
    /// (`phases[1].lines[0].procedure_id`).
    pub fn validate(&self) -> Result<Plan, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let title = required_line(&self.title, "title", MAX_PLAN_TITLE_CHARS, &mut p);
        let note = free_text(self.note.as_deref(), "note", MAX_PLAN_NOTE_CHARS, &mut p);
        let line_count: usize = self.phases.iter().map(|ph| ph.lines.len()).sum();
        if self.phases.is_empty() {
            p.add("phases", "a plan needs at least one phase");
        } else if self.phases.len() > MAX_PHASES {
            p.add("phases", "at most 10 phases");
        } else if line_count > MAX_PLAN_LINES {
            p.add("phases", "at most 100 procedures in one plan");
        }
        if self.phases.len() > MAX_PHASES || line_count > MAX_PLAN_LINES {
            // Not worth checking line by line: the plan must be cut down first.
            return Err(p.into_vec());
        }
        let mut seen: HashMap<String, (usize, usize)> = HashMap::new();
        let mut phases = Vec::with_capacity(self.phases.len());
        for (i, phase) in self.phases.iter().enumerate() {
            let name = required_line(
                &phase.name,
                format!("phases[{i}].name"),
                MAX_PHASE_NAME_CHARS,
                &mut p,
            );
            if phase.lines.is_empty() {
                p.add(
                    format!("phases[{i}].lines"),
                    "a phase needs at least one procedure",
                );
            }
            let mut lines = Vec::with_capacity(phase.lines.len());
            for (j, line) in phase.lines.iter().enumerate() {
                let at = |field: &str| format!("phases[{i}].lines[{j}].{field}");
                let id = required_id(
                    &line.procedure_id,
                    at("procedure_id"),
                    "a planned procedure of this patient",
                    &mut p,
                );
                if let Some(id) = &id {
                    if let Some((a, b)) = seen.get(id) {
                        p.add(
                            at("procedure_id"),
                            format!("is already in this plan (phases[{a}].lines[{b}])"),
                        );
                    } else {
                        seen.insert(id.clone(), (i, j));
                    }
                }
                let insurance_estimate =
                    amount(line.insurance_estimate, at("insurance_estimate"), &mut p);
                let patient_portion = amount(line.patient_portion, at("patient_portion"), &mut p);
                if let Some(procedure_id) = id {
                    lines.push(PlanLine {
                        procedure_id,
                        insurance_estimate,
                        patient_portion,
                    });
                }
            }
            if let Some(name) = name {
                phases.push(Phase { name, lines });
            }
        }
        match title {
            Some(title) if p.is_empty() => Ok(Plan {
                title,
                note,
                phases,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

fn amount(value: Option<i64>, field: String, p: &mut Problems) -> Option<i64> {
    let v = value?;
    if (0..=MAX_FEE_MINOR).contains(&v) {
        Some(v)
    } else {
        p.add(field, "must be 0 to 99999999 (minor units, cents)");
        None
    }
}

/// What the app found for one planned procedure of the patient, as it will be shown.
#[derive(Clone, PartialEq, Eq)]
pub struct PlannedProcedureFacts {
    pub id: String,
    pub code: String,
    pub description: String,
    /// As people read it: `3 MO`, `UR`, `mouth`.
    pub site: String,
    /// Minor units.
    pub fee: i64,
}

/// One line of a presented plan: a copy that never changes when the procedure, its fee or
/// the patient's insurance does.
#[derive(Clone, PartialEq, Eq)]
pub struct FrozenLine {
    /// 1-based phase number.
    pub phase: u8,
    pub phase_name: String,
    /// 1-based position across the whole plan (line 1 is the first line of phase 1).
    pub position: u16,
    pub procedure_id: String,
    pub code: String,
    pub description: String,
    pub site: String,
    pub fee: i64,
    pub insurance_estimate: i64,
    pub patient_portion: i64,
}

redacted_debug!(PlannedProcedureFacts, FrozenLine);

impl FrozenLine {
    /// What neither insurance nor the patient is expected to pay (a discount, a write-off).
    pub fn write_off(&self) -> i64 {
        self.fee - self.insurance_estimate - self.patient_portion
    }
}

/// Freezes a validated plan with the facts of its procedures. The insurance estimate is 0
/// when left out and at most the fee; the patient portion is the rest of the fee when left
/// out, and when given, it and the estimate together are at most the fee (the remainder is a
/// write-off). A procedure missing from `procedures` is refused on its line.
pub fn freeze(
    plan: &Plan,
    procedures: &[PlannedProcedureFacts],
) -> Result<Vec<FrozenLine>, Vec<FieldProblem>> {
    let by_id: HashMap<&str, &PlannedProcedureFacts> =
        procedures.iter().map(|f| (f.id.as_str(), f)).collect();
    let mut p = Problems::default();
    let mut lines = Vec::new();
    for (i, phase) in plan.phases.iter().enumerate() {
        for (j, line) in phase.lines.iter().enumerate() {
            let at = |field: &str| format!("phases[{i}].lines[{j}].{field}");
            let Some(facts) = by_id.get(line.procedure_id.as_str()) else {
                p.add(
                    at("procedure_id"),
                    "is not a planned procedure of this patient",
                );
                continue;
            };
            let fee = facts.fee;
            let insurance_estimate = line.insurance_estimate.unwrap_or(0);
            if !(0..=fee).contains(&insurance_estimate) {
                p.add(
                    at("insurance_estimate"),
                    "must be between 0 and the procedure's fee",
                );
                continue;
            }
            let patient_portion = match line.patient_portion {
                None => fee - insurance_estimate,
                Some(pp) if (0..=fee).contains(&pp) && insurance_estimate + pp <= fee => pp,
                Some(_) => {
                    p.add(
                        at("patient_portion"),
                        "must be 0 or more, and with the insurance estimate at most the procedure's fee",
                    );
                    continue;
                }
            };
            let (Ok(phase_number), Ok(position)) =
                (u8::try_from(i + 1), u16::try_from(lines.len() + 1))
            else {
                p.add("phases", "at most 10 phases and 100 procedures");
                continue;
            };
            lines.push(FrozenLine {
                phase: phase_number,
                phase_name: phase.name.clone(),
                position,
                procedure_id: line.procedure_id.clone(),
                code: facts.code.clone(),
                description: facts.description.clone(),
                site: facts.site.clone(),
                fee,
                insurance_estimate,
                patient_portion,
            });
        }
    }
    if p.is_empty() {
        Ok(lines)
    } else {
        Err(p.into_vec())
    }
}

/// Sums of fees and estimates.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanTotals {
    pub fee: i64,
    pub insurance_estimate: i64,
    pub patient_portion: i64,
}

impl PlanTotals {
    pub fn write_off(&self) -> i64 {
        self.fee - self.insurance_estimate - self.patient_portion
    }

    fn add(&mut self, line: &FrozenLine) {
        self.fee = self.fee.saturating_add(line.fee);
        self.insurance_estimate = self
            .insurance_estimate
            .saturating_add(line.insurance_estimate);
        self.patient_portion = self.patient_portion.saturating_add(line.patient_portion);
    }
}

#[derive(Clone, PartialEq, Eq)]
pub struct PhaseTotals {
    pub phase: u8,
    pub phase_name: String,
    pub totals: PlanTotals,
}

/// Per phase (in phase order) and for the whole plan.
#[derive(Clone, PartialEq, Eq)]
pub struct Totals {
    pub phases: Vec<PhaseTotals>,
    pub overall: PlanTotals,
}

redacted_debug!(PlanTotals, PhaseTotals, Totals);

pub fn totals(lines: &[FrozenLine]) -> Totals {
    let mut phases: BTreeMap<u8, PhaseTotals> = BTreeMap::new();
    let mut overall = PlanTotals::default();
    for line in lines {
        overall.add(line);
        phases
            .entry(line.phase)
            .or_insert_with(|| PhaseTotals {
                phase: line.phase,
                phase_name: line.phase_name.clone(),
                totals: PlanTotals::default(),
            })
            .totals
            .add(line);
    }
    Totals {
        phases: phases.into_values().collect(),
        overall,
    }
}

/// The bytes a patient's acceptance is bound to (the app hashes them with SHA-256), encoded
/// as described in `canonical.rs`: the tag `enamel-plan-v1`, the plan id, the patient id,
/// the title, the note (optional), the number of lines, then for each line in order: phase,
/// phase name, position, procedure id, code, description, site, fee, insurance estimate and
/// patient portion.
pub fn canonical_bytes(
    plan_id: &str,
    patient_id: &str,
    title: &str,
    note: Option<&str>,
    lines: &[FrozenLine],
) -> Vec<u8> {
    let mut c = Canonical::new("enamel-plan-v1");
    c.text(plan_id)
        .text(patient_id)
        .text(title)
        .optional_text(note)
        .count(lines.len());
    for l in lines {
        c.int(i64::from(l.phase))
            .text(&l.phase_name)
            .int(i64::from(l.position))
            .text(&l.procedure_id)
            .text(&l.code)
            .text(&l.description)
            .text(&l.site)
            .int(l.fee)
            .int(l.insurance_estimate)
            .int(l.patient_portion);
    }
    c.finish()
}
