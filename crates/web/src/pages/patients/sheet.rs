//! The face sheet: one patient as the person's role may see them, with Edit and Deactivate
//! for roles that may change the record, and the deactivation itself.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, Expected, PatientView};
use enamel_domain::{CoveragePriority, PatientStatus, PhoneKind, Sex, SubscriberRelationship};
use serde::Deserialize;

use super::{Rights, display_phone, label_of, patient_id, read, rights, status_label};
use crate::pages::{ClinicalLinks, Nav, Staff, clinical_links, csrf_refusal, page_error, render};

struct CoverageRow {
    priority: String,
    carrier: String,
    plan: String,
    group_number: String,
    subscriber_id: String,
    relationship: String,
    subscriber_name: String,
    subscriber_birth_date: String,
    dates: String,
}

struct ContactView {
    email: String,
    phones: Vec<(String, String)>,
    address: Vec<String>,
    emergency: Option<String>,
}

#[derive(Template)]
#[template(path = "patient.html")]
struct FaceSheet {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    id: String,
    full_name: String,
    status: String,
    active: bool,
    is_minor: bool,
    emergency: bool,
    error: Option<String>,
    demographics: Vec<(&'static str, String)>,
    /// `None` when the patient pays for themself.
    guarantor: Option<String>,
    responsible_party: Option<String>,
    contact: Option<ContactView>,
    coverages: Option<Vec<CoverageRow>>,
    can_edit: bool,
    can_deactivate: bool,
    can_add_member: bool,
    /// The role sees charts (or this is emergency access, which the chart room decides).
    can_chart: bool,
    /// Which of the clinical pages the role opens (perio, notes, plans).
    links: ClinicalLinks,
    household_payer: String,
    row_version: i64,
    updated: String,
}

fn or_dash(v: Option<String>) -> String {
    v.filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "\u{2014}".to_string())
}

fn face_sheet_page(
    nav: Nav,
    view: PatientView,
    rights: Rights,
    links: ClinicalLinks,
    flash: Option<String>,
    error: Option<String>,
) -> Response {
    let id = view.id.to_string();
    let guarantor = view.guarantor_id.clone().filter(|g| *g != id);
    let full_name = [
        Some(view.given_name.as_str()),
        view.middle_name.as_deref(),
        Some(view.family_name.as_str()),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" ");
    let demographics = vec![
        ("Family name", view.family_name.clone()),
        ("Given name", view.given_name.clone()),
        ("Middle name", or_dash(view.middle_name.clone())),
        ("Preferred name", or_dash(view.preferred_name.clone())),
        ("Date of birth", view.birth_date.clone()),
        (
            "Sex",
            or_dash(
                view.sex
                    .as_deref()
                    .map(|s| label_of(s, Sex::parse, Sex::label)),
            ),
        ),
        ("Gender identity", or_dash(view.gender_identity.clone())),
        (
            "Preferred language",
            or_dash(view.preferred_language.clone()),
        ),
        ("Chart number", or_dash(view.chart_number.clone())),
    ];
    let contact = view.contact.map(|c| ContactView {
        email: or_dash(c.email),
        phones: c
            .phones
            .iter()
            .map(|p| {
                (
                    label_of(&p.kind, PhoneKind::parse, PhoneKind::label),
                    display_phone(&p.number),
                )
            })
            .collect(),
        address: c
            .address
            .map(|a| {
                let place = [a.city, a.region, a.postal_code]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                // A practice's own country goes without saying.
                let country = (a.country != "US").then_some(a.country);
                [a.line1, a.line2, Some(place), country]
                    .into_iter()
                    .flatten()
                    .filter(|l| !l.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        emergency: c.emergency_contact.map(|e| {
            let who = match e.relationship {
                Some(r) => format!("{} ({r})", e.name),
                None => e.name,
            };
            format!("{who}, {}", display_phone(&e.phone))
        }),
    });
    let coverages = view.coverages.map(|cs| {
        cs.into_iter()
            .map(|c| CoverageRow {
                priority: label_of(
                    &c.priority,
                    CoveragePriority::parse,
                    CoveragePriority::label,
                ),
                carrier: c.carrier,
                plan: c.plan.unwrap_or_default(),
                group_number: c.group_number.unwrap_or_default(),
                subscriber_id: c.subscriber_id,
                relationship: label_of(
                    &c.subscriber_relationship,
                    SubscriberRelationship::parse,
                    SubscriberRelationship::label,
                ),
                subscriber_name: c.subscriber_name.unwrap_or_else(|| {
                    if c.subscriber_relationship == SubscriberRelationship::SelfInsured.as_str() {
                        "The patient".to_string()
                    } else {
                        String::new()
                    }
                }),
                subscriber_birth_date: c.subscriber_birth_date.unwrap_or_default(),
                dates: match (c.effective_from, c.effective_to) {
                    (Some(f), Some(t)) => format!("{f} to {t}"),
                    (Some(f), None) => format!("from {f}"),
                    (None, Some(t)) => format!("until {t}"),
                    (None, None) => String::new(),
                },
            })
            .collect()
    });
    let active = view.status == PatientStatus::Active.as_str();
    let updated = nav.when(view.updated_ms);
    render(&FaceSheet {
        csrf: nav.csrf.clone(),
        nav: Some(nav),
        flash,
        household_payer: guarantor.clone().unwrap_or_else(|| id.clone()),
        id,
        full_name,
        status: status_label(&view.status),
        active,
        is_minor: view.is_minor,
        emergency: view.emergency,
        error,
        demographics,
        guarantor,
        responsible_party: view.responsible_party_id,
        contact,
        coverages,
        can_edit: rights.edit_any,
        can_deactivate: rights.edit_demographics && active,
        can_add_member: rights.create,
        can_chart: links.chart || view.emergency,
        links,
        row_version: view.row_version,
        updated,
    })
}

#[derive(Debug, Deserialize)]
pub(crate) struct FaceSheetQuery {
    done: Option<String>,
}

/// The words after a change, named in the redirect's query (no PHI in it).
fn done_message(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "created" => "The new patient is saved.",
            "saved" => "Your changes are saved.",
            "unchanged" => "Nothing was changed.",
            "deactivated" => "The patient is now inactive. The record stays readable.",
            _ => return None,
        }
        .to_string(),
    )
}

pub(crate) async fn face_sheet(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<FaceSheetQuery>,
) -> Response {
    let id = match patient_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    let view = match read(&app, &staff.actor, id).await {
        Ok(v) => v,
        Err(e) => return page_error(e),
    };
    let (rights, links) = match (
        rights(&app, &staff.actor).await,
        clinical_links(&app, &staff.actor).await,
    ) {
        (Ok(r), Ok(c)) => (r, c),
        (Err(e), _) | (_, Err(e)) => return page_error(e),
    };
    face_sheet_page(
        staff.nav,
        view,
        rights,
        links,
        done_message(q.done.as_deref()),
        None,
    )
}

#[derive(Deserialize)]
pub(crate) struct DeactivateForm {
    csrf: String,
    row_version: String,
}

pub(crate) async fn deactivate(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<DeactivateForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let id = match patient_id(&id) {
        Ok(id) => id,
        Err(e) => return page_error(e),
    };
    // A version that cannot be read can never match: answered as a conflict.
    let expected = f.row_version.trim().parse::<i64>().unwrap_or(-1);
    match app
        .patients(&staff.actor)
        .deactivate(id, Expected::Version(expected))
        .await
    {
        Ok(_) => Redirect::to(&format!("/patients/{id}?done=deactivated")).into_response(),
        Err(AppError::Conflict) => {
            let (view, rights, charts) = match (
                read(&app, &staff.actor, id).await,
                rights(&app, &staff.actor).await,
                clinical_links(&app, &staff.actor).await,
            ) {
                (Ok(v), Ok(r), Ok(c)) => (v, r, c),
                (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return page_error(e),
            };
            let mut r = face_sheet_page(
                staff.nav,
                view,
                rights,
                charts,
                None,
                Some("Someone else changed this record since you opened it. Nothing was deactivated; the current record is shown.".into()),
            );
            *r.status_mut() = StatusCode::CONFLICT;
            r
        }
        Err(e) => page_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_outcomes_become_messages() {
        assert!(done_message(Some("saved")).is_some());
        assert!(done_message(Some("<script>")).is_none());
        assert!(done_message(None).is_none());
    }
}
