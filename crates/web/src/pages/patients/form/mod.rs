//! The patient form: one page for a new record and for changes to one. Its inputs are flat
//! (`phone2_number`, `addr_postal_code`, `cov1_subscriber_id`) so that the form needs no
//! JavaScript. `values` turns them into the draft the app validates and brings the app's
//! field names back to inputs (`phones[1].number` is `phone2_number`); `fields` lays the
//! inputs out with each problem next to its field and in the list at the top.
//!
//! The form carries only the sections the person's role may see (editing) or create (new):
//! the app keeps what a role may not see, and refuses what it may not change.

mod fields;
mod values;

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, Expected};
use enamel_domain::{Action, FieldProblem, PatientId};
use serde::Deserialize;

use super::{Problem, patient_id, read, rights};
use crate::pages::{Nav, Staff, csrf_refusal, page_error, render};
use fields::{Fieldset, place_problems};
use values::{PatientForm, Slots};

const CONFLICT: &str = "Someone else changed this record while you were editing. Your changes were not saved; the current record is shown.";

#[derive(Template)]
#[template(path = "patient_form.html")]
struct FormPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    heading: &'static str,
    action: String,
    submit: &'static str,
    cancel: String,
    hidden: Vec<(&'static str, String)>,
    conflict: Option<&'static str>,
    problems: Vec<Problem>,
    fieldsets: Vec<Fieldset>,
    /// Notes on sections the role may not see, which stay as they are.
    withheld: Vec<&'static str>,
}

/// A new record, or changes to the record `id` based on `row_version`.
#[derive(Debug, Clone, Copy)]
enum Mode {
    New,
    Edit { id: PatientId, row_version: i64 },
}

fn form_page(
    nav: Nav,
    mode: Mode,
    form: &PatientForm,
    problems: &[FieldProblem],
    slots: &Slots,
    conflict: bool,
) -> Response {
    let mut fieldsets = form.fieldsets();
    let problems = place_problems(&mut fieldsets, problems, slots);
    let invalid = !problems.is_empty();
    let mut hidden = Vec::new();
    if form.contact {
        hidden.push(("show_contact", "yes".to_string()));
    }
    if form.insurance {
        hidden.push(("show_insurance", "yes".to_string()));
    }
    let mut withheld = Vec::new();
    let (heading, action, submit, cancel) = match mode {
        Mode::New => {
            if !form.contact {
                withheld.push("Your role may not add contact details; they can be added later by someone whose role may.");
            }
            if !form.insurance {
                withheld.push("Your role may not add insurance; it can be added later by someone whose role may.");
            }
            (
                "New patient",
                "/patients/new".to_string(),
                "Save patient",
                "/patients".to_string(),
            )
        }
        Mode::Edit { id, row_version } => {
            hidden.push(("row_version", row_version.to_string()));
            if !form.contact {
                withheld
                    .push("Contact details are not shown for your role; they stay as they are.");
            }
            if !form.insurance {
                withheld.push("Insurance is not shown for your role; it stays as it is.");
            }
            (
                "Edit patient",
                format!("/patients/{id}/edit"),
                "Save changes",
                format!("/patients/{id}"),
            )
        }
    };
    let mut response = render(&FormPage {
        csrf: nav.csrf.clone(),
        nav: Some(nav),
        flash: None,
        heading,
        action,
        submit,
        cancel,
        hidden,
        conflict: conflict.then_some(CONFLICT),
        problems,
        fieldsets,
        withheld,
    });
    if response.status() == StatusCode::OK {
        if conflict {
            *response.status_mut() = StatusCode::CONFLICT;
        } else if invalid {
            *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
        }
    }
    response
}

// ---------------------------------------------------------------------------------------------
// Handlers

#[derive(Debug, Deserialize)]
pub(crate) struct NewQuery {
    /// Prefills the guarantor: "Add a patient to this household" on a face sheet.
    guarantor: Option<String>,
}

pub(crate) async fn new_form(
    State(app): State<App>,
    staff: Staff,
    Query(q): Query<NewQuery>,
) -> Response {
    // Asking is enough: a refusal is audited and answered with the refusal page.
    if let Err(e) = app
        .patients(&staff.actor)
        .ensure_may(Action::Create, None)
        .await
    {
        return page_error(e);
    }
    let rights = match rights(&app, &staff.actor).await {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    let mut form = PatientForm::empty(rights.create_contact, rights.create_insurance);
    if let Some(g) = q.guarantor.filter(|g| g.parse::<PatientId>().is_ok()) {
        form.set("guarantor_id", g);
    }
    form_page(staff.nav, Mode::New, &form, &[], &Slots::default(), false)
}

pub(crate) async fn create(
    State(app): State<App>,
    staff: Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = PatientForm::submitted(pairs, false);
    if let Some(r) = csrf_refusal(&staff, form.get("csrf")) {
        return r;
    }
    let (draft, slots) = form.draft();
    match app.patients(&staff.actor).create(&draft).await {
        Ok(id) => Redirect::to(&format!("/patients/{id}?done=created")).into_response(),
        Err(AppError::Invalid(problems)) => {
            form_page(staff.nav, Mode::New, &form, &problems, &slots, false)
        }
        Err(e) => page_error(e),
    }
}

pub(crate) async fn edit_form(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
) -> Response {
    let id = match patient_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    let rights = match rights(&app, &staff.actor).await {
        Ok(r) => r,
        Err(e) => return page_error(e),
    };
    // A role that may change nothing of a record gets the refusal (audited) rather than a
    // form it cannot save; emergency access may still allow it for this one patient.
    if !rights.edit_any
        && let Err(e) = app
            .patients(&staff.actor)
            .ensure_may(Action::Edit, Some(id))
            .await
    {
        return page_error(e);
    }
    let view = match read(&app, &staff.actor, id).await {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    let mode = Mode::Edit {
        id,
        row_version: view.row_version,
    };
    let form = PatientForm::from_view(&view);
    form_page(staff.nav, mode, &form, &[], &Slots::default(), false)
}

pub(crate) async fn save(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = PatientForm::submitted(pairs, true);
    if let Some(r) = csrf_refusal(&staff, form.get("csrf")) {
        return r;
    }
    let id = match patient_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    // A version that cannot be read can never match: answered as a conflict.
    let expected = form.get("row_version").trim().parse::<i64>().unwrap_or(-1);
    let (draft, slots) = form.draft();
    match app
        .patients(&staff.actor)
        .update(id, &draft, Expected::Version(expected))
        .await
    {
        Ok(version) => {
            let done = if version == expected {
                "unchanged"
            } else {
                "saved"
            };
            Redirect::to(&format!("/patients/{id}?done={done}")).into_response()
        }
        Err(AppError::Conflict) => {
            let view = match read(&app, &staff.actor, id).await {
                Ok(v) => v,
                Err(e) => return page_error(e),
            };
            let mode = Mode::Edit {
                id,
                row_version: view.row_version,
            };
            let current = PatientForm::from_view(&view);
            form_page(staff.nav, mode, &current, &[], &Slots::default(), true)
        }
        Err(AppError::Invalid(problems)) => {
            let mode = Mode::Edit {
                id,
                row_version: expected,
            };
            form_page(staff.nav, mode, &form, &problems, &slots, false)
        }
        Err(e) => page_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::values::input_for;
    use super::*;

    fn posted(pairs: &[(&str, &str)]) -> PatientForm {
        PatientForm::submitted(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
                .collect(),
            true,
        )
    }

    #[test]
    fn l13_the_form_debug_shows_its_shape_not_the_patient() {
        let form = posted(&[
            ("family_name", "Bicuspid-Test"),
            ("birth_date", "1990-01-02"),
            ("show_contact", "yes"),
            ("phone1_number", "555 010 0199"),
        ]);
        let shown = format!("{form:?}");
        assert!(shown.contains("PatientForm"));
        for hidden in ["Bicuspid", "1990-01-02", "555 010 0199"] {
            assert!(!shown.contains(hidden), "{hidden} in {shown}");
        }
    }

    #[test]
    fn blank_slots_and_hidden_sections_are_left_out_of_the_draft() {
        let form = posted(&[
            ("family_name", "Bicuspid-Test"),
            ("given_name", "Demo"),
            ("birth_date", "1990-01-02"),
            ("show_contact", "yes"),
            ("phone1_kind", "mobile"),
            ("phone1_number", ""),
            ("phone2_kind", "home"),
            ("phone2_number", "555 010 0199"),
            ("addr_country", "US"),
            ("cov1_priority", "primary"),
            ("cov1_carrier", "Synthetic Dental Mutual"),
            ("cov1_subscriber_id", "SYN1"),
        ]);
        let (draft, slots) = form.draft();
        assert_eq!(draft.phones.len(), 1);
        assert_eq!(draft.phones[0].kind.as_deref(), Some("home"));
        assert_eq!(slots.phones, vec![2]);
        assert!(draft.address.is_none(), "a country alone is no address");
        assert!(draft.emergency_contact.is_none());
        assert!(
            draft.coverages.is_empty(),
            "insurance was not on the page, so it is not sent"
        );
    }

    #[test]
    fn problems_land_on_the_input_they_belong_to() {
        let slots = Slots {
            phones: vec![2],
            coverages: vec![1, 2],
        };
        assert_eq!(input_for("phones[0].number", &slots), "phone2_number");
        assert_eq!(
            input_for("coverages[1].subscriber_id", &slots),
            "cov2_subscriber_id"
        );
        assert_eq!(input_for("address.postal_code", &slots), "addr_postal_code");
        assert_eq!(input_for("emergency_contact.phone", &slots), "ec_phone");
        assert_eq!(input_for("family_name", &slots), "family_name");
        assert_eq!(input_for("phones[7].number", &slots), "phones[7].number");

        let form = posted(&[("show_contact", "yes"), ("show_insurance", "yes")]);
        let mut sets = form.fieldsets();
        let listed = place_problems(
            &mut sets,
            &[
                FieldProblem::new("phones[0].number", "must be a phone number"),
                FieldProblem::new("coverages[1].carrier", "is required"),
                FieldProblem::new("phones", "at most 5 phone numbers"),
            ],
            &slots,
        );
        let texts: Vec<&str> = listed.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Phone 2 number must be a phone number.",
                "Insurance 2: carrier is required.",
                "Phones: at most 5 phone numbers.",
            ]
        );
        let phone = sets
            .iter()
            .flat_map(|s| &s.fields)
            .find(|f| f.id == "phone2_number")
            .map(|f| (f.error.clone(), f.autofocus, f.described_by.clone()));
        assert_eq!(
            phone,
            Some((
                Some("Phone 2 number must be a phone number.".to_string()),
                true,
                "phone2_number-hint phone2_number-error".to_string()
            ))
        );
    }

    #[test]
    fn a_record_with_more_phones_than_the_default_keeps_them_all() {
        let form = posted(&[("show_contact", "yes"), ("phone4_number", "5550100100")]);
        assert_eq!(form.phone_slots, 4);
        let fields: Vec<String> = form
            .fieldsets()
            .into_iter()
            .flat_map(|s| s.fields)
            .map(|f| f.id)
            .collect();
        assert!(fields.contains(&"phone4_number".to_string()));
        assert!(!fields.contains(&"phone5_number".to_string()));
    }
}
