//! The notes page as the template draws it: the write form (from a template or blank), every
//! note newest first with its signature block and addenda, the forms each note offers, and
//! what a refused form brings back; and the one read (the notes' audited `view`) every answer
//! with a page makes.

use std::collections::BTreeMap;

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use enamel_app::{App, AppError, NoteView, SignatureCheck};
use enamel_domain::clinical::NoteKind;
use enamel_domain::{Action, Category, PatientId};

use crate::pages::{Nav, Staff, page_error, render};

/// What the person's role may do with notes (for buttons; the room decides again).
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct NoteRights {
    pub create: bool,
    pub edit: bool,
}

pub(super) async fn rights(app: &App, staff: &Staff) -> Result<NoteRights, AppError> {
    let policy = app.policy(staff.actor.practice_id()).await?;
    let roles = staff.actor.roles();
    let may = |action| policy.allows_any(roles, Category::ClinicalNotes, action);
    Ok(NoteRights {
        create: may(Action::Create),
        edit: may(Action::Edit),
    })
}

/// A signature's check as the page tells it: a key for the CSS and the words that carry the
/// meaning without it.
pub(super) struct SignatureLine {
    /// `valid`, `invalid` or `unsigned`.
    pub state: &'static str,
    pub words: String,
}

fn signature_line(check: SignatureCheck, signed: Option<String>) -> SignatureLine {
    match check {
        SignatureCheck::Valid => SignatureLine {
            state: "valid",
            words: format!(
                "{}. The signature holds: the text is as it was signed.",
                signed.unwrap_or_else(|| "Signed".into())
            ),
        },
        SignatureCheck::Invalid => SignatureLine {
            state: "invalid",
            words: format!(
                "{}. THE SIGNATURE DOES NOT HOLD: this text, its signer or its time was changed after signing. Do not rely on it as signed; tell the practice administrator.",
                signed.unwrap_or_else(|| "Marked signed".into())
            ),
        },
        SignatureCheck::Unsigned => SignatureLine {
            state: "unsigned",
            words: "Draft: not signed yet.".into(),
        },
    }
}

pub(super) struct AddendumCard {
    pub heading: String,
    pub body: String,
    pub signature: SignatureLine,
}

/// One note as shown.
pub(super) struct NoteCard {
    pub id: String,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub signed: bool,
    pub written: String,
    pub body: String,
    pub signature: SignatureLine,
    pub addenda: Vec<AddendumCard>,
    pub row_version: i64,
    pub procedure_id: String,
    pub can_edit: bool,
    pub can_sign: bool,
    pub can_addendum: bool,
}

fn card(view: &NoteView, staff: &Staff, rights: NoteRights) -> NoteCard {
    let mine = Some(view.author_id.as_str()) == staff.actor.user_id();
    let signed_line = match (&view.signed_by, view.signed_ms) {
        (Some(by), Some(at)) => Some(format!(
            "Signed by {} on {}",
            staff.who(by),
            staff.nav.when(at)
        )),
        _ => None,
    };
    NoteCard {
        id: view.id.to_string(),
        kind: view.note.kind.as_str(),
        kind_label: view.note.kind.label(),
        signed: view.signed,
        written: format!(
            "Written by {} on {}",
            staff.who(&view.author_id),
            staff.nav.when(view.created_ms)
        ),
        body: view.note.body.clone(),
        signature: signature_line(view.signature, signed_line),
        addenda: view
            .addenda
            .iter()
            .map(|a| AddendumCard {
                heading: format!(
                    "Addendum by {} on {}",
                    staff.who(&a.author_id),
                    staff.nav.when(a.created_ms)
                ),
                body: a.body.clone(),
                signature: match a.signature {
                    SignatureCheck::Valid => SignatureLine {
                        state: "valid",
                        words: "Signed by its author when written. The signature holds.".into(),
                    },
                    other => signature_line(other, Some("Signed by its author".into())),
                },
            })
            .collect(),
        row_version: view.row_version,
        procedure_id: view.note.procedure_id().unwrap_or_default().to_string(),
        can_edit: !view.signed && mine && rights.edit,
        can_sign: !view.signed && rights.edit,
        can_addendum: view.signed && rights.create,
    }
}

/// A template in the select, its text carried for the script that fills the form.
pub(super) struct TemplateOption {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub body: String,
}

/// A form that was posted and refused: which one (`new`, `template`, a note's id, or
/// `addendum-<id>`), what was typed, and the problems by field.
#[derive(Default)]
pub(super) struct Reshow {
    pub form: String,
    pub kind: String,
    pub body: String,
    pub name: String,
    pub errors: BTreeMap<String, String>,
}

impl std::fmt::Debug for Reshow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reshow")
            .field("form", &self.form)
            .finish_non_exhaustive()
    }
}

#[derive(Template)]
#[template(path = "notes.html")]
struct NotesPage {
    nav: Option<Nav>,
    flash: Option<String>,
    csrf: String,
    patient: String,
    /// Whose notes, for a reader who may see demographics.
    patient_name: Option<String>,
    message: Option<String>,
    notes: Vec<NoteCard>,
    kinds: Vec<(&'static str, &'static str)>,
    templates: Vec<TemplateOption>,
    rights: NoteRights,
    /// The write form's kind and text (a chosen template's, or as posted).
    new_kind: String,
    new_body: String,
    chosen_template: String,
    reshow: Reshow,
    focus: String,
}

impl NotesPage {
    /// A refused form's problem on `field`, when `form` is the one refused.
    fn error(&self, form: &str, field: &str) -> Option<&str> {
        (self.reshow.form == form)
            .then(|| self.reshow.errors.get(field).map(String::as_str))
            .flatten()
    }

    fn posted(&self, form: &str) -> bool {
        self.reshow.form == form
    }

    /// A note's edit form shows what was posted when it was refused, else the stored text.
    fn body_of<'a>(&'a self, note: &'a NoteCard) -> &'a str {
        if self.posted(&note.id) {
            &self.reshow.body
        } else {
            &note.body
        }
    }

    fn kind_of<'a>(&'a self, note: &'a NoteCard) -> &'a str {
        if self.posted(&note.id) {
            &self.reshow.kind
        } else {
            note.kind
        }
    }

    fn addendum_form(&self, note: &str) -> String {
        format!("addendum-{note}")
    }
}

/// What a page shows besides the notes.
#[derive(Default)]
pub(super) struct Extra {
    pub flash: Option<String>,
    pub message: Option<String>,
    pub template: Option<String>,
    pub reshow: Reshow,
    pub status: StatusCode,
}

/// Reads the patient's notes (one audited `view`) and renders the page.
pub(super) async fn show(app: &App, staff: &Staff, patient: PatientId, extra: Extra) -> Response {
    match try_show(app, staff, patient, extra).await {
        Ok(r) => r,
        Err(e) => page_error(e),
    }
}

async fn try_show(
    app: &App,
    staff: &Staff,
    patient: PatientId,
    extra: Extra,
) -> Result<Response, AppError> {
    let chart = app.chart(&staff.actor);
    let views = chart.notes(patient).await?;
    let rights = rights(app, staff).await?;
    // The practice's boilerplate, for someone who writes notes (not PHI; not audited).
    let templates: Vec<TemplateOption> = if rights.create {
        chart
            .note_templates()
            .await?
            .into_iter()
            .map(|t| TemplateOption {
                id: t.id,
                name: t.template.name,
                kind: t.template.kind.as_str(),
                body: t.template.body,
            })
            .collect()
    } else {
        Vec::new()
    };
    let chosen = extra
        .template
        .as_deref()
        .and_then(|id| templates.iter().find(|t| t.id == id));
    let (new_kind, new_body) = match (&extra.reshow, chosen) {
        (r, _) if r.form == "new" => (r.kind.clone(), r.body.clone()),
        (_, Some(t)) => (t.kind.to_string(), t.body.clone()),
        _ => (NoteKind::Progress.as_str().to_string(), String::new()),
    };
    let focus = match extra.reshow.errors.keys().next() {
        Some(field) => format!("{}-{field}", extra.reshow.form),
        None => String::new(),
    };
    let page = NotesPage {
        csrf: staff.nav.csrf.clone(),
        nav: Some(staff.nav.clone()),
        flash: extra.flash,
        patient: patient.to_string(),
        patient_name: crate::pages::patient_heading(views.patient.as_ref()),
        message: extra.message,
        notes: views
            .records
            .iter()
            .rev()
            .map(|v| card(v, staff, rights))
            .collect(),
        kinds: NoteKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        chosen_template: chosen.map(|t| t.id.clone()).unwrap_or_default(),
        templates,
        rights,
        new_kind,
        new_body,
        reshow: extra.reshow,
        focus,
    };
    let mut response = render(&page);
    if response.status() == StatusCode::OK {
        *response.status_mut() = extra.status;
    }
    Ok(response)
}
