//! Clinical notes for staff: a patient's notes newest first (`GET /patients/{id}/notes`),
//! each with who wrote it and when, a "signed by … on …" block that says whether the
//! signature still holds (and says so loudly when it does not), and its addenda; a note
//! written from one of the practice's templates or blank, saved as a draft or signed at once;
//! a draft edited by its author and signed; an addendum to a signed note; a template added.
//!
//! Everything goes through the chart room (`app.chart(&actor)`): a page view is the notes'
//! one audited read (the templates are the practice's boilerplate, not audited); each change
//! is the room's own entry ("save and sign" is two: the text, then the signature). Forms
//! check the anti-forgery token first and post without JavaScript; `static/notes.js` only
//! fills the form when a template is chosen. Buttons follow the role matrix; the room decides
//! again (only the author edits a draft; only a dentist signs a diagnosis).

mod page;

use std::collections::BTreeMap;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use enamel_app::{App, AppError, Expected, NoteClaims, NoteView};
use enamel_domain::clinical::{AddendumDraft, NoteDraft, NoteTemplateDraft};
use enamel_domain::{FieldProblem, NoteId, PatientId};
use serde::Deserialize;

use crate::pages::chart::patient_id;
use crate::pages::{Staff, csrf_refusal, page_error};
use page::{Extra, Reshow, show};

fn note_id(raw: &str) -> Result<NoteId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

#[derive(Debug, Deserialize)]
pub(crate) struct NotesQuery {
    done: Option<String>,
    template: Option<String>,
}

/// The words after a change, named in the redirect's query (no PHI in it).
fn done_message(done: Option<&str>) -> Option<String> {
    Some(
        match done? {
            "written" => "The note is saved as a draft.",
            "saved" => "The draft is saved.",
            "signed" => {
                "The note is signed. It can no longer change; add an addendum to correct it."
            }
            "annotated" => "The addendum is signed and saved.",
            "template" => "The template is added.",
            _ => return None,
        }
        .to_string(),
    )
}

/// `GET /patients/{id}/notes`: the notes, and the write form (`?template=` fills it).
pub(crate) async fn notes(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Query(q): Query<NotesQuery>,
) -> Response {
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let extra = Extra {
        flash: done_message(q.done.as_deref()),
        template: q.template.filter(|t| !t.is_empty()),
        ..Extra::default()
    };
    show(&app, &staff, patient, extra).await
}

/// The note forms as posted (write, edit). `then=sign` signs after saving.
#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct NoteForm {
    csrf: String,
    kind: String,
    body: String,
    procedure_id: String,
    row_version: String,
    then: String,
    name: String,
}

redacted_debug!(NoteForm);

impl NoteForm {
    fn draft(&self) -> NoteDraft {
        let procedure = self.procedure_id.trim();
        NoteDraft {
            kind: self.kind.trim().to_string(),
            body: self.body.clone(),
            procedure_id: (!procedure.is_empty()).then(|| procedure.to_string()),
            plan_id: None,
        }
    }

    fn expected(&self) -> i64 {
        self.row_version.trim().parse().unwrap_or(-1)
    }

    fn signs(&self) -> bool {
        self.then == "sign"
    }

    fn reshow(self, form: String, problems: &[FieldProblem], body_label: &str) -> Reshow {
        let mut errors: BTreeMap<String, String> = BTreeMap::new();
        for p in problems {
            let field = match p.field.as_ref() {
                "kind" | "name" => p.field.to_string(),
                _ => "body".to_string(),
            };
            let label = match p.field.as_ref() {
                "kind" => "Kind",
                "name" => "Name",
                "procedure_id" | "plan_id" => "The linked procedure",
                _ => body_label,
            };
            let text = sentence(label, &p.problem);
            errors
                .entry(field)
                .and_modify(|t| {
                    t.push(' ');
                    t.push_str(&text);
                })
                .or_insert(text);
        }
        Reshow {
            form,
            kind: self.kind,
            body: self.body,
            name: self.name,
            errors,
        }
    }
}

/// One sentence: "Text is required.", "Name: is already the name of a template."
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

fn to_notes(patient: PatientId, done: &str, note: Option<&str>) -> Response {
    let anchor = note.map(|n| format!("#note-{n}")).unwrap_or_default();
    Redirect::to(&format!("/patients/{patient}/notes?done={done}{anchor}")).into_response()
}

/// The page again after a refusal: the room's words at the top, or the problems next to the
/// refused form's fields with what was typed.
async fn refused(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    error: AppError,
    reshow: impl FnOnce(&[FieldProblem]) -> Reshow,
    prefix: &str,
) -> Response {
    let extra = match error {
        AppError::Invalid(problems) => Extra {
            reshow: reshow(&problems),
            status: StatusCode::UNPROCESSABLE_ENTITY,
            ..Extra::default()
        },
        AppError::Conflict => Extra {
            message: Some(format!(
                "{prefix}Someone else changed this note since the page was opened; the notes as they are now are shown."
            )),
            status: StatusCode::CONFLICT,
            ..Extra::default()
        },
        AppError::Refused(why) => Extra {
            message: Some(format!("{prefix}{why}")),
            status: StatusCode::CONFLICT,
            ..Extra::default()
        },
        e => return page_error(e),
    };
    show(app, staff, patient, extra).await
}

/// Signs a note just saved (`then=sign`); the save stands whatever the signing says.
async fn then_sign(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    saved: NoteView,
    done_unsigned: &str,
) -> Response {
    let id = saved.id.to_string();
    match app
        .chart(&staff.actor)
        .within(patient)
        .sign_note(saved.id, Expected::Version(saved.row_version))
        .await
    {
        Ok(_) => to_notes(patient, "signed", Some(&id)),
        Err(e @ (AppError::Refused(_) | AppError::Conflict)) => {
            let prefix = format!("{done_unsigned} but not signed. ");
            refused(app, staff, patient, e, |_| Reshow::default(), &prefix).await
        }
        Err(e) => page_error(e),
    }
}

/// `POST /patients/{id}/notes`: writes a draft note, and signs it with `then=sign`.
pub(crate) async fn write(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    match app
        .chart(&staff.actor)
        .write_note(patient, &f.draft())
        .await
    {
        Ok(view) if f.signs() => {
            then_sign(&app, &staff, patient, view, "The note is saved as a draft").await
        }
        Ok(view) => to_notes(patient, "written", Some(&view.id.to_string())),
        Err(e) => {
            let reshow = |p: &[FieldProblem]| f.reshow("new".into(), p, "Text");
            refused(&app, &staff, patient, e, reshow, "Nothing was saved. ").await
        }
    }
}

/// `POST /patients/{id}/notes/{note}`: saves the author's draft, and signs it with
/// `then=sign`.
pub(crate) async fn edit(
    State(app): State<App>,
    staff: Staff,
    Path((patient, note)): Path<(String, String)>,
    Form(f): Form<NoteForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, note) = match (patient_id(&patient), note_id(&note)) {
        (Ok(p), Ok(n)) => (p, n),
        _ => return page_error(AppError::NotFound),
    };
    let result = app
        .chart(&staff.actor)
        .within(patient)
        .edit_note(
            note,
            &f.draft(),
            Expected::Version(f.expected()),
            &NoteClaims::default(),
        )
        .await;
    match result {
        Ok(view) if f.signs() => {
            then_sign(&app, &staff, view.patient_id, view, "The draft is saved").await
        }
        Ok(view) => to_notes(view.patient_id, "saved", Some(&view.id.to_string())),
        Err(e) => {
            let reshow = |p: &[FieldProblem]| f.reshow(note.to_string(), p, "Text");
            refused(&app, &staff, patient, e, reshow, "Nothing was saved. ").await
        }
    }
}

#[derive(Default, Deserialize)]
#[serde(default)]
pub(crate) struct SignForm {
    csrf: String,
    row_version: String,
}

redacted_debug!(SignForm);

/// `POST /patients/{id}/notes/{note}/sign`: signs a draft as it is stored.
pub(crate) async fn sign(
    State(app): State<App>,
    staff: Staff,
    Path((patient, note)): Path<(String, String)>,
    Form(f): Form<SignForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, note) = match (patient_id(&patient), note_id(&note)) {
        (Ok(p), Ok(n)) => (p, n),
        _ => return page_error(AppError::NotFound),
    };
    let expected = f.row_version.trim().parse().unwrap_or(-1);
    match app
        .chart(&staff.actor)
        .within(patient)
        .sign_note(note, Expected::Version(expected))
        .await
    {
        Ok(view) => to_notes(view.patient_id, "signed", Some(&view.id.to_string())),
        Err(e) => {
            refused(
                &app,
                &staff,
                patient,
                e,
                |_| Reshow::default(),
                "Not signed. ",
            )
            .await
        }
    }
}

/// `POST /patients/{id}/notes/{note}/addenda`: an addendum to a signed note, signed by its
/// author as it is saved.
pub(crate) async fn addendum(
    State(app): State<App>,
    staff: Staff,
    Path((patient, note)): Path<(String, String)>,
    Form(f): Form<NoteForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let (patient, note) = match (patient_id(&patient), note_id(&note)) {
        (Ok(p), Ok(n)) => (p, n),
        _ => return page_error(AppError::NotFound),
    };
    let draft = AddendumDraft {
        body: f.body.clone(),
    };
    match app
        .chart(&staff.actor)
        .within(patient)
        .add_note_addendum(note, &draft)
        .await
    {
        Ok(_) => to_notes(patient, "annotated", Some(&note.to_string())),
        Err(e) => {
            let reshow = |p: &[FieldProblem]| f.reshow(format!("addendum-{note}"), p, "Addendum");
            refused(&app, &staff, patient, e, reshow, "Nothing was saved. ").await
        }
    }
}

/// `POST /patients/{id}/notes/templates`: adds one of the practice's templates (clinical
/// notes × edit), then offers it in the write form.
pub(crate) async fn add_template(
    State(app): State<App>,
    staff: Staff,
    Path(id): Path<String>,
    Form(f): Form<NoteForm>,
) -> Response {
    if let Some(r) = csrf_refusal(&staff, &f.csrf) {
        return r;
    }
    let patient = match patient_id(&id) {
        Ok(p) => p,
        Err(e) => return page_error(e),
    };
    let draft = NoteTemplateDraft {
        name: f.name.clone(),
        kind: f.kind.trim().to_string(),
        body: f.body.clone(),
    };
    match app.chart(&staff.actor).add_note_template(&draft).await {
        Ok(t) => Redirect::to(&format!(
            "/patients/{patient}/notes?{}",
            crate::pages::query_string(&[("done", "template"), ("template", &t.id)])
        ))
        .into_response(),
        Err(e) => {
            let reshow = |p: &[FieldProblem]| f.reshow("template".into(), p, "Text");
            refused(&app, &staff, patient, e, reshow, "Nothing was saved. ").await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_known_outcomes_become_messages() {
        assert!(done_message(Some("signed")).is_some());
        assert!(done_message(Some("<i>")).is_none());
    }

    #[test]
    fn problems_become_sentences_on_their_fields() {
        let f = NoteForm {
            kind: "progress".into(),
            body: "  ".into(),
            ..NoteForm::default()
        };
        let r = f.reshow(
            "new".into(),
            &[
                FieldProblem::new("body", "is required"),
                FieldProblem::new("procedure_id", "is not a procedure of this patient"),
            ],
            "Text",
        );
        assert_eq!(
            r.errors["body"],
            "Text is required. The linked procedure is not a procedure of this patient."
        );
        assert_eq!(r.kind, "progress");
    }
}
