//! The plan builder's form: the patient's planned procedures, each put into a phase (or left
//! out) with its insurance estimate and patient portion in dollars, the phases' names, the
//! title and a note; turned into the draft the room checks, with every problem of the room
//! or of the page brought back to the input it belongs to.
//!
//! Inputs: `title`, `note`, `phase1`…`phase4` (names), and per procedure `phase-<id>` (`""`
//! for not in this plan, else the phase's number), `ins-<id>` and `pat-<id>` (blank: no
//! estimate; the rest of the fee).

use std::collections::{BTreeMap, HashMap};

use enamel_domain::FieldProblem;
use enamel_domain::clinical::{LineDraft, PhaseDraft, PlanDraft, parse_decimal_money};

/// How many phases the form offers (the room allows up to 10).
pub(super) const PHASES: usize = 4;

/// The form as posted: every input by name, and the procedures in the order the form
/// listed them (the chart's).
#[derive(Default)]
pub(super) struct Posted {
    pub values: HashMap<String, String>,
    pub procedures: Vec<String>,
}

redacted_debug!(Posted);

impl Posted {
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Posted {
        let procedures = pairs
            .iter()
            .filter_map(|(k, _)| k.strip_prefix("phase-"))
            .map(str::to_string)
            .collect();
        Posted {
            values: pairs.into_iter().collect(),
            procedures,
        }
    }

    pub(super) fn get(&self, name: &str) -> &str {
        self.values.get(name).map_or("", String::as_str)
    }

    pub(super) fn expected(&self) -> i64 {
        self.get("row_version").trim().parse().unwrap_or(-1)
    }
}

/// The draft, the page's own problems (amounts that are no amount), and which procedure each
/// of the draft's `phases[i].lines[j]` is and which form phase each `phases[i]` is.
pub(super) struct Drafted {
    pub draft: PlanDraft,
    pub problems: Vec<(String, String)>,
    pub lines: Vec<Vec<String>>,
    pub phase_numbers: Vec<usize>,
}

fn amount(posted: &Posted, name: &str, problems: &mut Vec<(String, String)>) -> Option<i64> {
    let text = posted.get(name).trim();
    if text.is_empty() {
        return None;
    }
    let parsed = parse_decimal_money(text);
    if parsed.is_none() {
        problems.push((
            name.to_string(),
            "is an amount in dollars and cents, such as 120.50".into(),
        ));
    }
    parsed
}

/// The lines keep the form's order (the chart's) within each phase. A phase no procedure was
/// put in is left out.
pub(super) fn draft(posted: &Posted) -> Drafted {
    let procedures = &posted.procedures;
    let mut problems = Vec::new();
    let mut phases = Vec::new();
    let mut lines_by_phase = Vec::new();
    let mut phase_numbers = Vec::new();
    for n in 1..=PHASES {
        let mut lines = Vec::new();
        let mut ids = Vec::new();
        for id in procedures {
            if posted.get(&format!("phase-{id}")).trim() != n.to_string() {
                continue;
            }
            lines.push(LineDraft {
                procedure_id: id.clone(),
                insurance_estimate: amount(posted, &format!("ins-{id}"), &mut problems),
                patient_portion: amount(posted, &format!("pat-{id}"), &mut problems),
            });
            ids.push(id.clone());
        }
        if lines.is_empty() {
            continue;
        }
        let name = posted.get(&format!("phase{n}")).trim();
        phases.push(PhaseDraft {
            name: if name.is_empty() {
                format!("Phase {n}")
            } else {
                name.to_string()
            },
            lines,
        });
        lines_by_phase.push(ids);
        phase_numbers.push(n);
    }
    let note = posted.get("note").trim();
    Drafted {
        draft: PlanDraft {
            title: posted.get("title").to_string(),
            note: (!note.is_empty()).then(|| posted.get("note").to_string()),
            phases,
        },
        problems,
        lines: lines_by_phase,
        phase_numbers,
    }
}

/// The input a problem of the room belongs to.
pub(super) fn input_of(field: &str, d: &Drafted) -> Option<String> {
    match field {
        "title" | "note" => return Some(field.to_string()),
        "phases" => return Some("procedures".to_string()),
        _ => {}
    }
    let rest = field.strip_prefix("phases[")?;
    let (i, rest) = rest.split_once(']')?;
    let i: usize = i.parse().ok()?;
    if rest == ".name" {
        return Some(format!("phase{}", d.phase_numbers.get(i)?));
    }
    let rest = rest.strip_prefix(".lines[")?;
    let (j, member) = rest.split_once("].")?;
    let id = d.lines.get(i)?.get(j.parse::<usize>().ok()?)?;
    Some(match member {
        "insurance_estimate" => format!("ins-{id}"),
        "patient_portion" => format!("pat-{id}"),
        _ => format!("phase-{id}"),
    })
}

/// Problems placed on the builder: by input, and listed for the top of the page.
#[derive(Debug, Default)]
pub(super) struct Placed {
    pub by_input: BTreeMap<String, String>,
    pub listed: Vec<(Option<String>, String)>,
}

impl Placed {
    pub(super) fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    pub(super) fn first_input(&self) -> Option<&str> {
        self.listed.iter().find_map(|(id, _)| id.as_deref())
    }
}

/// What an input is called in a sentence, given the procedures' words by id.
fn label(input: &str, names: &HashMap<String, String>) -> String {
    let of = |id: &str| {
        names
            .get(id)
            .cloned()
            .unwrap_or_else(|| "a procedure".into())
    };
    if let Some(id) = input.strip_prefix("ins-") {
        return format!("Insurance estimate of {}", of(id));
    }
    if let Some(id) = input.strip_prefix("pat-") {
        return format!("Patient portion of {}", of(id));
    }
    if let Some(id) = input.strip_prefix("phase-") {
        return of(id);
    }
    if let Some(n) = input.strip_prefix("phase") {
        return format!("Name of phase {n}");
    }
    match input {
        "title" => "Title".into(),
        "note" => "Note".into(),
        "procedures" => "Procedures".into(),
        other => other.into(),
    }
}

fn sentence(label: &str, problem: &str) -> String {
    let verb = ["is ", "are ", "must ", "cannot ", "can "]
        .iter()
        .any(|v| problem.starts_with(v));
    let end = if problem.ends_with('.') { "" } else { "." };
    if verb {
        format!("{label} {problem}{end}")
    } else {
        format!("{label}: {problem}{end}")
    }
}

/// Places the page's problems and the room's; `names` tells each procedure in words.
pub(super) fn place(d: &Drafted, room: &[FieldProblem], names: &HashMap<String, String>) -> Placed {
    let mut placed = Placed::default();
    let all = d
        .problems
        .iter()
        .map(|(input, p)| (Some(input.clone()), p.clone()))
        .chain(
            room.iter()
                .map(|p| (input_of(&p.field, d), p.problem.to_string())),
        );
    for (input, problem) in all {
        let text = match &input {
            Some(i) => sentence(&label(i, names), &problem),
            None => sentence("The plan", &problem),
        };
        if let Some(id) = &input
            && let Some(line) = placed
                .listed
                .iter_mut()
                .find(|(at, _)| at.as_deref() == Some(id.as_str()))
        {
            line.1.push(' ');
            line.1.push_str(&text);
            placed.by_input.insert(id.clone(), line.1.clone());
            continue;
        }
        if let Some(id) = &input {
            placed.by_input.insert(id.clone(), text.clone());
        }
        placed.listed.push((input, text));
    }
    placed
}

/// Minor units as the builder's amount inputs show them: `120.50`.
pub(super) fn dollars(minor: i64) -> String {
    format!("{}.{:02}", minor / 100, minor % 100)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> Posted {
        Posted::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
        )
    }

    #[test]
    fn procedures_go_into_their_phases_in_chart_order() {
        let p = posted(&[
            ("title", "Synthetic plan"),
            ("note", "  "),
            ("phase1", "Urgent"),
            ("phase3", ""),
            ("phase-a", "3"),
            ("phase-b", "1"),
            ("phase-c", ""),
            ("phase-d", "1"),
            ("ins-b", "$40.50"),
            ("pat-d", "twelve"),
        ]);
        let d = draft(&p);
        assert_eq!(d.draft.phases.len(), 2);
        assert_eq!(d.draft.phases[0].name, "Urgent");
        assert_eq!(
            d.draft.phases[1].name, "Phase 3",
            "an unnamed phase gets its number"
        );
        assert_eq!(d.lines, vec![vec!["b", "d"], vec!["a"]]);
        assert_eq!(d.draft.phases[0].lines[0].insurance_estimate, Some(4_050));
        assert_eq!(d.draft.note, None);
        assert_eq!(d.problems.len(), 1);
        assert_eq!(d.problems[0].0, "pat-d");

        assert_eq!(
            input_of("phases[1].lines[0].patient_portion", &d).unwrap(),
            "pat-a"
        );
        assert_eq!(input_of("phases[1].name", &d).unwrap(), "phase3");
        assert_eq!(input_of("phases", &d).unwrap(), "procedures");
        assert_eq!(input_of("phases[4].name", &d), None);
        let names: HashMap<String, String> = [(
            "d".to_string(),
            "X2120 Demo: filling, tooth 3 MO".to_string(),
        )]
        .into();
        let placed = place(&d, &[FieldProblem::new("title", "is required")], &names);
        assert_eq!(
            placed.by_input["pat-d"],
            "Patient portion of X2120 Demo: filling, tooth 3 MO is an amount in dollars and cents, such as 120.50."
        );
        assert_eq!(placed.by_input["title"], "Title is required.");
        assert_eq!(placed.first_input(), Some("pat-d"));
        assert_eq!(dollars(19_505), "195.05");
    }
}
