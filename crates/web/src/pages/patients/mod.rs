//! Patient records for staff: finding a patient (`search`: a GET form that works without
//! JavaScript, and results as you type with `static/patients.js`), the face sheet and
//! deactivation (`sheet`), and the form for a new record or for changes (`form`).
//!
//! Every read and change goes through the app's patient functions, which check the role and
//! write the audit entry. Buttons a role may not use are hidden only as a courtesy: the app
//! decides again on every request, and a refusal is the plain refusal page.

mod form;
mod search;
mod sheet;

use enamel_app::{Actor, App, AppError, PatientRights, PatientView};
use enamel_domain::{PatientId, PatientStatus};

pub(crate) use form::{create, edit_form, new_form, save};
pub(crate) use search::{find, find_submit};
pub(crate) use sheet::{deactivate, face_sheet};

/// Results per page of the search.
const PER_PAGE: u32 = 25;

/// What the person's role may do with patient records (for links and buttons; the room
/// checks every request itself).
type Rights = PatientRights;

async fn rights(app: &App, actor: &Actor) -> Result<Rights, AppError> {
    app.patients(actor).rights().await
}

/// An id in a path: anything but a canonical patient id is simply not found.
fn patient_id(raw: &str) -> Result<PatientId, AppError> {
    raw.parse().map_err(|_| AppError::NotFound)
}

/// Reads one patient for this page (demographics, view; the app writes the `view` entry).
async fn read(app: &App, actor: &Actor, id: PatientId) -> Result<PatientView, AppError> {
    app.patients(actor).read(id).await
}

/// A North American number in E.164 (`+15550100123`) as people write it, `(555) 010-0123`;
/// any other number as stored.
pub(crate) fn display_phone(e164: &str) -> String {
    match e164.strip_prefix("+1") {
        Some(d) if d.len() == 10 && d.bytes().all(|b| b.is_ascii_digit()) => {
            format!("({}) {}-{}", &d[..3], &d[3..6], &d[6..])
        }
        _ => e164.to_string(),
    }
}

fn status_label(status: &str) -> String {
    PatientStatus::parse(status).map_or_else(|| status.to_string(), |s| s.label().to_string())
}

fn label_of<T: Copy>(
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
    label: impl Fn(T) -> &'static str,
) -> String {
    parse(value).map_or_else(|| value.to_string(), |v| label(v).to_string())
}

/// One field's problem as shown on a page: the input it belongs to (for the link in the
/// list at the top), and the words.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    pub id: Option<String>,
    pub text: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn north_american_numbers_are_shown_as_people_write_them() {
        assert_eq!(display_phone("+15550100123"), "(555) 010-0123");
        assert_eq!(display_phone("+442079460000"), "+442079460000");
        assert_eq!(display_phone("+1555"), "+1555");
    }
}
