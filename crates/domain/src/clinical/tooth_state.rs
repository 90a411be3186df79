//! Tooth states: what each of a patient's teeth is (present, missing, unerupted, impacted, an
//! implant), recorded as one change at a time and folded into the chart. Whether a tooth is
//! primary or permanent is not recorded: it is its number (`A`–`T` and `AS`–`TS` are primary).

use std::collections::BTreeMap;

use super::procedure::not_a_tooth;
use super::teeth::{Tooth, ToothState};
use crate::FieldProblem;
use crate::patient::Problems;

/// A change of one tooth's state as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ToothStateDraft {
    pub tooth: String,
    pub state: String,
}

/// A valid change: this tooth is now in this state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ToothStateChange {
    pub tooth: Tooth,
    pub state: ToothState,
}

impl ToothStateDraft {
    /// Every problem at once, named by field. A tooth number and a state name say nothing
    /// about who the patient is, so a refusal may echo them.
    pub fn validate(&self) -> Result<ToothStateChange, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let tooth = Tooth::parse(&self.tooth);
        if tooth.is_none() {
            if self.tooth.trim().is_empty() {
                p.add("tooth", "is required");
            } else {
                p.add("tooth", not_a_tooth(self.tooth.trim()));
            }
        }
        let state = ToothState::parse(self.state.trim());
        if state.is_none() {
            let names: Vec<&str> = ToothState::ALL.iter().map(|s| s.as_str()).collect();
            p.add("state", format!("must be one of {}", names.join(", ")));
        }
        if let (Some(tooth), Some(ToothState::Implant)) = (tooth, state)
            && tooth.is_primary()
        {
            p.add(
                "state",
                format!("tooth {tooth} is a primary tooth: an implant replaces a permanent tooth"),
            );
        }
        match (tooth, state) {
            (Some(tooth), Some(state)) if p.is_empty() => Ok(ToothStateChange { tooth, state }),
            _ => Err(p.into_vec()),
        }
    }
}

/// The teeth that are not simply present once `changes` are applied in the order they were
/// recorded: a later change of a tooth replaces an earlier one, and `present` clears it. Each
/// tooth keeps the change (`T`, with whatever it carries) that put it in its state.
pub fn current_states<T>(
    changes: impl IntoIterator<Item = T>,
    change_of: impl Fn(&T) -> ToothStateChange,
) -> BTreeMap<Tooth, T> {
    let mut states = BTreeMap::new();
    for item in changes {
        let change = change_of(&item);
        if change.state == ToothState::Present {
            states.remove(&change.tooth);
        } else {
            states.insert(change.tooth, item);
        }
    }
    states
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn draft(tooth: &str, state: &str) -> ToothStateDraft {
        ToothStateDraft {
            tooth: tooth.into(),
            state: state.into(),
        }
    }

    fn problems(d: ToothStateDraft) -> Vec<(String, String)> {
        d.validate()
            .unwrap_err()
            .into_iter()
            .map(|p| (p.field.to_string(), p.problem.to_string()))
            .collect()
    }

    fn t(text: &str) -> Tooth {
        Tooth::parse(text).unwrap()
    }

    #[test]
    fn a_state_is_recorded_on_any_tooth_that_exists() {
        let c = draft(" 1 ", "missing").validate().unwrap();
        assert_eq!((c.tooth, c.state), (t("1"), ToothState::Missing));
        for (tooth, state) in [
            ("17", "impacted"),
            ("a", "unerupted"),
            ("AS", "missing"),
            ("51", "impacted"),
            ("30", "implant"),
            ("K", "present"),
        ] {
            let c = draft(tooth, state).validate().unwrap();
            assert_eq!(c.tooth, t(tooth));
            assert_eq!(c.state.as_str(), state);
        }
    }

    #[test]
    fn impossible_teeth_and_unknown_states_are_named() {
        assert_eq!(
            problems(draft("33", "gone")),
            [
                (
                    "tooth".to_string(),
                    "tooth 33 does not exist: teeth are 1–32, A–T, 51–82 or AS–TS \
                     (Universal numbering)"
                        .to_string()
                ),
                (
                    "state".to_string(),
                    "must be one of present, missing, unerupted, impacted, implant".to_string()
                ),
            ]
        );
        assert_eq!(problems(draft("", "missing"))[0].1, "is required");
        // Long or odd text is not echoed.
        assert_eq!(
            problems(draft("<script>", "missing"))[0].1,
            "is not a tooth: teeth are 1–32, A–T, 51–82 or AS–TS (Universal numbering)"
        );
        assert_eq!(problems(draft("3", "Missing"))[0].0, "state");
    }

    #[test]
    fn an_implant_replaces_a_permanent_tooth_only() {
        assert_eq!(
            problems(draft("A", "implant")),
            [(
                "state".to_string(),
                "tooth A is a primary tooth: an implant replaces a permanent tooth".to_string()
            )]
        );
        assert!(draft("AS", "implant").validate().is_err());
        assert!(draft("A", "missing").validate().is_ok());
    }

    #[test]
    fn later_changes_replace_earlier_ones_and_present_clears() {
        let change = |tooth: &str, state| ToothStateChange {
            tooth: t(tooth),
            state,
        };
        let folded = current_states(
            [
                change("1", ToothState::Unerupted),
                change("16", ToothState::Missing),
                change("1", ToothState::Impacted),
                change("16", ToothState::Present),
                change("30", ToothState::Implant),
            ],
            |c| *c,
        );
        assert_eq!(
            folded
                .into_iter()
                .map(|(t, c)| (t, c.state))
                .collect::<Vec<_>>(),
            [
                (t("1"), ToothState::Impacted),
                (t("30"), ToothState::Implant)
            ]
        );
        assert!(current_states([change("3", ToothState::Present)], |c| *c).is_empty());
    }
}
