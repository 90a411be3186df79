//! The chart's forms as posted: charting a procedure (the draft the room validates, with only
//! the members the chosen code uses) and the small forms on each timeline row; and the room's
//! field problems brought back to the inputs they belong to, in plain sentences.

use std::collections::BTreeMap;

use enamel_domain::FieldProblem;
use enamel_domain::clinical::{AreaType, Numbering, ProcedureCode, ProcedureDraft, Tooth};
use serde::Deserialize;

/// The "chart a procedure" form as posted. Every member is text, empty when left out.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct NewProcedure {
    pub csrf: String,
    pub tooth: String,
    pub surfaces: String,
    pub code: String,
    pub area: String,
    pub teeth_from: String,
    pub teeth_to: String,
    pub status: String,
    pub note: String,
}

redacted_debug!(NewProcedure);

fn given(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

impl NewProcedure {
    /// The draft for the room. The form offers every kind of site at once, so only the
    /// members the chosen code is done on are sent (a tooth picked on the chart before an
    /// exam of the whole mouth was chosen is no mistake); for a code the practice does not
    /// have, everything is sent and the room names what is wrong.
    pub(crate) fn draft(&self, codes: &[ProcedureCode]) -> ProcedureDraft {
        let code = self.code.trim();
        let area_type = codes
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
            .map(|c| c.area_type);
        let uses = |wanted: &[AreaType]| area_type.is_none_or(|a| wanted.contains(&a));
        let teeth = self.range();
        ProcedureDraft {
            code: code.to_string(),
            status: given(&self.status),
            tooth: given(&self.tooth).filter(|_| uses(&[AreaType::Tooth, AreaType::Surface])),
            surfaces: given(&self.surfaces).filter(|_| uses(&[AreaType::Surface])),
            area: given(&self.area)
                .filter(|_| uses(&[AreaType::Arch, AreaType::Quadrant, AreaType::Sextant])),
            teeth: (!teeth.is_empty() && uses(&[AreaType::ToothRange])).then_some(teeth),
            note: given(&self.note),
            ..ProcedureDraft::default()
        }
    }

    /// The teeth from the first to the last of a range, in Universal order. Two teeth that
    /// make no run (another dentition, an unknown tooth) are sent as they are, for the room
    /// to name.
    fn range(&self) -> Vec<String> {
        let ends: Vec<String> = [&self.teeth_from, &self.teeth_to]
            .into_iter()
            .filter_map(|t| given(t))
            .collect();
        let [from, to] = ends.as_slice() else {
            return ends;
        };
        let (Some(a), Some(b)) = (Tooth::parse(from), Tooth::parse(to)) else {
            return ends;
        };
        let dentition: Vec<Tooth> = if a.is_primary() {
            Tooth::primary_dentition().collect()
        } else {
            Tooth::permanent_dentition().collect()
        };
        match (
            dentition.iter().position(|t| *t == a),
            dentition.iter().position(|t| *t == b),
        ) {
            (Some(i), Some(j)) if a.is_primary() == b.is_primary() => {
                let (i, j) = (i.min(j), i.max(j));
                dentition[i..=j].iter().map(Tooth::to_string).collect()
            }
            _ => ends,
        }
    }
}

/// A row's form as posted: complete (`completed_on`), mark entered in error (`reason`), or
/// add an addendum (`body`).
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct RowAction {
    pub csrf: String,
    pub row_version: String,
    pub completed_on: String,
    pub reason: String,
    pub body: String,
}

redacted_debug!(RowAction);

impl RowAction {
    /// The version the page showed; one that cannot be read can never match (a conflict).
    pub(crate) fn expected(&self) -> i64 {
        self.row_version.trim().parse().unwrap_or(-1)
    }
}

/// The three forms on a timeline row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowForm {
    Complete,
    Invalidate,
    Addendum,
}

impl RowForm {
    /// The input of this form, for an id on the page (`reason-<procedure id>`).
    pub(crate) fn input(self) -> &'static str {
        match self {
            RowForm::Complete => "completed_on",
            RowForm::Invalidate => "reason",
            RowForm::Addendum => "body",
        }
    }

    fn label(self) -> &'static str {
        match self {
            RowForm::Complete => "Completed on",
            RowForm::Invalidate => "Reason",
            RowForm::Addendum => "Addendum",
        }
    }
}

/// The inputs of the charting form, with the labels problems are told with.
const NEW_INPUTS: &[(&str, &str)] = &[
    ("tooth", "Tooth"),
    ("surfaces", "Surfaces"),
    ("code", "Code"),
    ("status", "Status"),
    ("area", "Area"),
    ("teeth_from", "Teeth"),
    ("note", "Note"),
];

/// The input a problem of the room belongs to (`teeth[1]` is the range's first tooth).
fn input_of(field: &str) -> Option<&'static str> {
    let base = field.split('[').next().unwrap_or(field);
    let base = if base == "teeth" { "teeth_from" } else { base };
    NEW_INPUTS
        .iter()
        .find(|(id, _)| *id == base)
        .map(|(id, _)| *id)
}

/// One sentence: "Tooth is required for this code.", "Surfaces: surface I on tooth 3: tooth 3
/// is a back tooth (use O or B there)."
pub(crate) fn sentence(label: &str, problem: &str) -> String {
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

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Teeth named in a problem, in the practice's numbering. The room names teeth in Universal
/// numbering, as stored ("surface I on tooth 3"), which an FDI practice would read as
/// another tooth.
pub(crate) fn in_numbering(text: &str, numbering: Numbering) -> String {
    if numbering == Numbering::Universal {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("tooth ") {
        let (before, after) = rest.split_at(at + "tooth ".len());
        out.push_str(before);
        let end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        let (word, tail) = after.split_at(end);
        // Only a tooth written as the room writes one (upper case, canonical): "tooth is
        // required" names no tooth IS.
        match Tooth::parse(word).filter(|t| t.to_string() == word) {
            Some(tooth) => out.push_str(&tooth.display(numbering)),
            None => out.push_str(word),
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// Problems placed on the page: by input, and in the order to list them at the top.
#[derive(Debug, Clone, Default)]
pub(crate) struct Placed {
    /// Input id → the sentence shown next to it.
    pub by_input: BTreeMap<String, String>,
    /// (input id to link to, sentence), in the form's order.
    pub listed: Vec<(Option<String>, String)>,
}

impl Placed {
    pub(crate) fn error(&self, input: &str) -> Option<&str> {
        self.by_input.get(input).map(String::as_str)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }

    /// The input to focus: the first one with a problem.
    pub(crate) fn first_input(&self) -> Option<&str> {
        self.listed.iter().find_map(|(id, _)| id.as_deref())
    }
}

/// The charting form's problems, next to their inputs.
pub(crate) fn place_new(problems: &[FieldProblem], numbering: Numbering) -> Placed {
    let mut words: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut elsewhere = Vec::new();
    for p in problems {
        let text = in_numbering(&p.problem, numbering);
        match input_of(&p.field) {
            Some(id) => words.entry(id).or_default().push(text),
            None => elsewhere.push((
                None,
                sentence(&capitalized(&p.field.replace('_', " ")), &text),
            )),
        }
    }
    let mut placed = Placed::default();
    for (id, label) in NEW_INPUTS {
        if let Some(texts) = words.remove(id) {
            let text = texts
                .iter()
                .map(|t| sentence(label, t))
                .collect::<Vec<_>>()
                .join(" ");
            placed.by_input.insert((*id).to_string(), text.clone());
            placed.listed.push((Some((*id).to_string()), text));
        }
    }
    placed.listed.extend(elsewhere);
    placed
}

/// A row form's problems, on its one input (`reason-<id>`).
pub(crate) fn place_row(problems: &[FieldProblem], form: RowForm, procedure: &str) -> Placed {
    let id = format!("{}-{procedure}", form.input());
    let text = problems
        .iter()
        .map(|p| sentence(form.label(), &p.problem))
        .collect::<Vec<_>>()
        .join(" ");
    let mut placed = Placed::default();
    placed.by_input.insert(id.clone(), text.clone());
    placed.listed.push((Some(id), text));
    placed
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use enamel_domain::clinical::demo_codes;

    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> NewProcedure {
        let body = pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&");
        serde_urlencoded::from_str(&body).unwrap()
    }

    #[test]
    fn only_what_the_code_uses_is_sent() {
        let codes = demo_codes();
        let form = posted(&[
            ("tooth", "3"),
            ("surfaces", "mo"),
            ("code", "x2120"),
            ("area", "UR"),
            ("teeth_from", "3"),
            ("teeth_to", "5"),
            ("note", "  "),
        ]);
        let d = form.draft(&codes);
        assert_eq!(
            (d.code.as_str(), d.tooth.as_deref(), d.surfaces.as_deref()),
            ("x2120", Some("3"), Some("mo"))
        );
        assert_eq!(
            (d.area, d.teeth, d.note, d.status),
            (None, None, None, None)
        );

        let exam = posted(&[("tooth", "3"), ("surfaces", "MO"), ("code", "X1110")]).draft(&codes);
        assert_eq!((exam.tooth, exam.surfaces), (None, None));

        let bridge =
            posted(&[("code", "X6210"), ("teeth_from", "5"), ("teeth_to", "3")]).draft(&codes);
        assert_eq!(bridge.teeth, Some(vec!["3".into(), "4".into(), "5".into()]));
        let primary =
            posted(&[("code", "X6210"), ("teeth_from", "A"), ("teeth_to", "C")]).draft(&codes);
        assert_eq!(
            primary.teeth,
            Some(vec!["A".into(), "B".into(), "C".into()])
        );
        let mixed =
            posted(&[("code", "X6210"), ("teeth_from", "A"), ("teeth_to", "3")]).draft(&codes);
        assert_eq!(
            mixed.teeth,
            Some(vec!["A".into(), "3".into()]),
            "left for the room to name"
        );

        let unknown = posted(&[("code", "Z9"), ("tooth", "3"), ("area", "UR")]).draft(&codes);
        assert_eq!(
            (unknown.tooth.as_deref(), unknown.area.as_deref()),
            (Some("3"), Some("UR"))
        );
    }

    #[test]
    fn problems_are_sentences_next_to_their_inputs() {
        let placed = place_new(
            &[
                FieldProblem::new(
                    "surfaces",
                    "surface I on tooth 3: tooth 3 is a back tooth (use O or B there)",
                ),
                FieldProblem::new("tooth", "is required for this code"),
                FieldProblem::new("teeth[1]", "a range cannot hold a supernumerary tooth"),
                FieldProblem::new("planned_on", "cannot be in the future"),
            ],
            Numbering::Universal,
        );
        assert_eq!(
            placed.error("tooth"),
            Some("Tooth is required for this code.")
        );
        assert_eq!(
            placed.error("surfaces"),
            Some("Surfaces: surface I on tooth 3: tooth 3 is a back tooth (use O or B there).")
        );
        assert!(placed.error("teeth_from").is_some());
        assert_eq!(placed.first_input(), Some("tooth"));
        assert_eq!(
            placed.listed.last().unwrap(),
            &(None, "Planned on cannot be in the future.".to_string())
        );
    }

    #[test]
    fn an_fdi_practice_reads_its_own_tooth_numbers_in_problems() {
        let text = "surface I on tooth 3: tooth 3 is a back tooth (use O or B there)";
        assert_eq!(
            in_numbering(text, Numbering::Fdi),
            "surface I on tooth 16: tooth 16 is a back tooth (use O or B there)"
        );
        assert_eq!(
            in_numbering("tooth is required", Numbering::Fdi),
            "tooth is required"
        );
        assert_eq!(in_numbering("tooth A", Numbering::Fdi), "tooth 55");
        assert_eq!(in_numbering(text, Numbering::Universal), text);
    }
}
