//! The patient record as far as the core needs it: names and date of birth. The full record
//! (contact, household, insurance) grows from here.

use time::Date;
use time::macros::format_description;

use crate::PatientId;

/// A field that failed validation, named for the form and the API's `fields` list. Never
/// carries the submitted value, which may be PHI.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldProblem {
    pub field: &'static str,
    pub problem: &'static str,
}

/// What a caller submits to create or replace a patient.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientDraft {
    pub family_name: String,
    pub given_name: String,
    /// ISO 8601 calendar date, `YYYY-MM-DD`.
    pub birth_date: String,
}

/// Debug never prints the values: drafts carry PHI and end up in error reports.
impl std::fmt::Debug for PatientDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientDraft { .. }")
    }
}

/// A validated patient.
#[derive(Clone, PartialEq, Eq)]
pub struct Patient {
    pub id: PatientId,
    pub family_name: String,
    pub given_name: String,
    pub birth_date: Date,
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // PHI stays out of debug output and therefore out of any log line that formats it.
        f.debug_struct("Patient")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

const MAX_NAME_CHARS: usize = 200;

impl PatientDraft {
    /// Validates against `today` (a parameter, so tests control the clock).
    pub fn validate(&self, id: PatientId, today: Date) -> Result<Patient, Vec<FieldProblem>> {
        let mut problems = Vec::new();
        let family_name = clean_name(&self.family_name, "family_name", &mut problems);
        let given_name = clean_name(&self.given_name, "given_name", &mut problems);
        let birth_date = match Date::parse(
            self.birth_date.trim(),
            format_description!("[year]-[month]-[day]"),
        ) {
            Ok(d) if d > today => {
                problems.push(FieldProblem {
                    field: "birth_date",
                    problem: "is in the future",
                });
                None
            }
            Ok(d) if d.year() < 1880 => {
                problems.push(FieldProblem {
                    field: "birth_date",
                    problem: "is too far in the past",
                });
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                problems.push(FieldProblem {
                    field: "birth_date",
                    problem: "must be a date written as YYYY-MM-DD",
                });
                None
            }
        };
        match (family_name, given_name, birth_date) {
            (Some(family_name), Some(given_name), Some(birth_date)) if problems.is_empty() => {
                Ok(Patient {
                    id,
                    family_name,
                    given_name,
                    birth_date,
                })
            }
            _ => Err(problems),
        }
    }
}

/// Names keep apostrophes, hyphens, spaces and letters of any script; control characters and
/// angle brackets are refused because no name contains them.
fn clean_name(raw: &str, field: &'static str, problems: &mut Vec<FieldProblem>) -> Option<String> {
    let name: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        problems.push(FieldProblem {
            field,
            problem: "is required",
        });
        return None;
    }
    if name.chars().count() > MAX_NAME_CHARS {
        problems.push(FieldProblem {
            field,
            problem: "is too long (at most 200 characters)",
        });
        return None;
    }
    if name
        .chars()
        .any(|c| c.is_control() || matches!(c, '<' | '>' | '{' | '}' | '\\' | ';'))
    {
        problems.push(FieldProblem {
            field,
            problem: "contains characters that are not used in names",
        });
        return None;
    }
    if !name.chars().any(char::is_alphabetic) {
        problems.push(FieldProblem {
            field,
            problem: "must contain letters",
        });
        return None;
    }
    Some(name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::macros::date;

    fn draft(family: &str, given: &str, born: &str) -> PatientDraft {
        PatientDraft {
            family_name: family.into(),
            given_name: given.into(),
            birth_date: born.into(),
        }
    }

    #[test]
    fn accepts_real_world_names() {
        let today = date!(2026 - 11 - 22);
        for (f, g) in [
            ("O'Testperson", "Zoë-Ann"),
            ("Тестова", "Анна"),
            ("試験", "花子"),
        ] {
            let p = draft(f, g, "1990-02-28")
                .validate(PatientId::new(), today)
                .unwrap();
            assert_eq!(p.family_name, f);
        }
    }

    #[test]
    fn names_each_problem_without_the_value() {
        let today = date!(2026 - 11 - 22);
        let problems = draft("  ", "<script>", "2030-01-01")
            .validate(PatientId::new(), today)
            .unwrap_err();
        let fields: Vec<_> = problems.iter().map(|p| p.field).collect();
        assert_eq!(fields, ["family_name", "given_name", "birth_date"]);
        assert!(problems.iter().all(|p| !p.problem.contains("script")));
        let long = "A".repeat(201);
        assert_eq!(
            draft(&long, "B", "2000-01-01")
                .validate(PatientId::new(), today)
                .unwrap_err()[0]
                .problem,
            "is too long (at most 200 characters)"
        );
        assert!(
            draft("A", "B", "2000-02-30")
                .validate(PatientId::new(), today)
                .is_err()
        );
        assert!(
            draft("A", "B", "01/02/2000")
                .validate(PatientId::new(), today)
                .is_err()
        );
    }

    #[test]
    fn debug_hides_phi() {
        let p = draft("Markerfamily", "Markergiven", "1990-01-01")
            .validate(PatientId::new(), date!(2026 - 11 - 22))
            .unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("Marker"));
    }
}
