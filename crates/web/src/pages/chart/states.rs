//! Tooth states on the chart page: the small form that records what a tooth now is (present
//! again, missing, unerupted, impacted, an implant), its problems next to its two inputs, and
//! the list of the teeth that are not simply present, in the practice's numbering. The room
//! (`record_tooth_state`) decides and writes the one audit entry; the page only asks.

use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{App, AppError, ToothStateView};
use enamel_domain::FieldProblem;
use enamel_domain::clinical::{Numbering, Tooth, ToothState, ToothStateDraft};
use serde::Deserialize;

use super::form::{Placed, in_numbering, sentence};
use super::page::{Extra, show};
use super::{patient_id, to_chart};
use crate::pages::{Staff, csrf_refusal, page_error};

/// The "Tooth state" form as posted.
#[derive(Clone, Default, Deserialize)]
#[serde(default)]
pub(crate) struct StateForm {
    pub csrf: String,
    pub tooth: String,
    pub state: String,
}

redacted_debug!(StateForm);

/// The form's inputs: the room's field, the input's id on the page, and its label.
const INPUTS: &[(&str, &str, &str)] = &[
    ("tooth", "state_tooth", "Tooth"),
    ("state", "tooth_state", "State"),
];

/// (value, label) of every state, present first.
pub(super) fn state_options() -> Vec<(&'static str, &'static str)> {
    ToothState::ALL
        .iter()
        .map(|s| (s.as_str(), s.label()))
        .collect()
}

/// The form's problems, next to their inputs, teeth named in the practice's numbering.
pub(super) fn place(problems: &[FieldProblem], numbering: Numbering) -> Placed {
    let mut placed = Placed::default();
    for (field, id, label) in INPUTS {
        let text = problems
            .iter()
            .filter(|p| p.field == *field)
            .map(|p| sentence(label, &in_numbering(&p.problem, numbering)))
            .collect::<Vec<_>>()
            .join(" ");
        if !text.is_empty() {
            placed.by_input.insert((*id).to_string(), text.clone());
            placed.listed.push((Some((*id).to_string()), text));
        }
    }
    // The draft has no other field; anything else is still said, at the top.
    for p in problems
        .iter()
        .filter(|p| INPUTS.iter().all(|(field, ..)| p.field != *field))
    {
        placed.listed.push((
            None,
            sentence("Tooth state", &in_numbering(&p.problem, numbering)),
        ));
    }
    placed
}

/// The teeth that are not simply present, by state in the order of the select; each state's
/// teeth in Universal order, permanent, then primary, then supernumerary:
/// `("Missing", "1, 16")`.
pub(super) fn listed(
    teeth: &[ToothStateView],
    numbering: Numbering,
) -> Vec<(&'static str, String)> {
    ToothState::ALL
        .iter()
        .filter_map(|state| {
            let mut of: Vec<Tooth> = teeth
                .iter()
                .filter(|t| t.state == *state)
                .map(|t| t.tooth)
                .collect();
            if of.is_empty() {
                return None;
            }
            of.sort_by_key(|t| (t.is_supernumerary(), t.is_primary(), *t));
            let words: Vec<String> = of.iter().map(|t| t.display(numbering)).collect();
            Some((state.label(), words.join(", ")))
        })
        .collect()
}

/// One recorded change of a tooth's state as the history under the chart shows it.
pub(crate) struct ChangeLine {
    pub when: String,
    pub tooth: String,
    pub state: &'static str,
    pub by: String,
}

/// The changes, newest first: when (on the practice's clock), which tooth in the practice's
/// numbering, the state it was given, and who recorded it.
pub(super) fn history(
    changes: &[ToothStateView],
    numbering: Numbering,
    staff: &Staff,
) -> Vec<ChangeLine> {
    changes
        .iter()
        .rev()
        .map(|c| ChangeLine {
            when: staff.nav.when(c.recorded_ms),
            tooth: c.tooth.display(numbering),
            state: c.state.label(),
            by: staff.who(&c.recorded_by),
        })
        .collect()
}

/// `POST /patients/{id}/chart/tooth-states`: records what one tooth now is.
pub(crate) async fn record_tooth_state(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<StateForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let draft = ToothStateDraft {
        tooth: f.tooth.trim().to_string(),
        state: f.state.trim().to_string(),
    };
    match app
        .chart(&staff.actor)
        .record_tooth_state(patient, &draft)
        .await
    {
        Ok(view) => to_chart(view.patient_id, "tooth-state"),
        Err(AppError::Invalid(problems)) => {
            let numbering = app
                .chart(&staff.actor)
                .numbering()
                .await
                .unwrap_or_default();
            let extra = Extra {
                placed: place(&problems, numbering),
                state_form: f,
                status: StatusCode::UNPROCESSABLE_ENTITY,
                ..Extra::default()
            };
            show(&app, staff, patient, None, extra).await
        }
        Err(e) => page_error(e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn change(tooth: &str, state: ToothState) -> ToothStateView {
        ToothStateView {
            id: enamel_domain::ToothStateId::new(),
            patient_id: enamel_domain::PatientId::new(),
            tooth: Tooth::parse(tooth).unwrap(),
            state,
            recorded_ms: 0,
            recorded_by: String::new(),
        }
    }

    #[test]
    fn the_list_groups_teeth_by_state_in_the_practices_numbering() {
        let teeth = [
            change("A", ToothState::Missing),
            change("1", ToothState::Missing),
            change("30", ToothState::Implant),
            change("16", ToothState::Missing),
            change("51", ToothState::Missing),
            change("17", ToothState::Impacted),
        ];
        assert_eq!(
            listed(&teeth, Numbering::Universal),
            [
                ("Missing", "1, 16, A, 51".to_string()),
                ("Impacted", "17".to_string()),
                ("Implant", "30".to_string()),
            ]
        );
        assert_eq!(listed(&teeth, Numbering::Fdi)[2], ("Implant", "46".into()));
        assert!(listed(&[], Numbering::Universal).is_empty());
    }

    #[test]
    fn problems_sit_next_to_their_inputs_in_plain_words() {
        let problems = ToothStateDraft {
            tooth: "A".into(),
            state: "implant".into(),
        }
        .validate()
        .unwrap_err();
        let placed = place(&problems, Numbering::Fdi);
        assert_eq!(
            placed.error("tooth_state"),
            Some("State: tooth 55 is a primary tooth: an implant replaces a permanent tooth.")
        );
        assert_eq!(placed.first_input(), Some("tooth_state"));
        let placed = place(
            &[FieldProblem::new("tooth", "is required")],
            Numbering::Universal,
        );
        assert_eq!(placed.error("state_tooth"), Some("Tooth is required."));
    }
}
