//! Patient records: sealed on the way in, audited, opened on the way out, and only as much as
//! the reader's role may see (minimum necessary): demographics for anyone allowed to view the
//! patient, contact details and insurance only for roles the matrix gives those categories.
//!
//! Every change keeps the previous state in the version history, sealed; records are
//! deactivated rather than erased, and deleted only when created in error.
//!
//! The room's handle is [`Patients`] (`app.patients(&actor)`): each method authorizes its own
//! category × action. `read.rs` holds the reads, `write.rs` the changes, `search.rs` the
//! blind-index search and `sealing.rs` the stored form.

mod once;
mod read;
mod sealing;
mod search;
mod write;

use enamel_domain::{
    Action, Address, Category, Coverage, EmergencyContact, FieldProblem, PatientId, Phone,
    parse_iso_date,
};
use enamel_store::PatientRow;

use crate::access::Access;
use crate::kernel::Caller;
use crate::{Actor, App, AppError};
pub use once::{
    Created, IDEMPOTENCY_WINDOW_MS, IdempotentRequest, MAX_IDEMPOTENCY_KEY_BYTES,
    is_valid_idempotency_key,
};
use sealing::Record;
pub(crate) use sealing::{Reveal, open_record};
pub use search::{
    MatchKind, PatientQuery, PatientSearchPage, PatientSummary, SEARCH_COUNT_CAP, SearchPosition,
};
pub use write::DELETE_REASON;

/// The patient room, for one caller. Obtained from [`App::patients`] (a person) or
/// `app.system_bypassing_policy(…).patients()` (the CLI and jobs).
#[derive(Debug, Clone)]
pub struct Patients<'a> {
    app: &'a App,
    caller: Caller<'a>,
}

impl App {
    /// The patient room for a verified person or integration.
    pub fn patients<'a>(&'a self, actor: &'a Actor) -> Patients<'a> {
        Patients::new(self, Caller::Person(actor))
    }
}

/// Which version a change expects to replace: the one an `If-Match` named, or whatever is
/// current (`If-Match: *`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Any,
    Version(i64),
}

impl Expected {
    pub(crate) fn check(self, current: i64) -> Result<(), AppError> {
        match self {
            Expected::Version(v) if v != current => Err(AppError::Conflict),
            _ => Ok(()),
        }
    }
}

/// What the caller's role may do with patient records, from the role matrix. Only for showing
/// or hiding links and buttons: every method checks each request itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatientRights {
    pub create: bool,
    pub create_contact: bool,
    pub create_insurance: bool,
    pub edit_demographics: bool,
    /// May change some part of a record (demographics, contact or insurance).
    pub edit_any: bool,
    /// May see contact details, and so search by phone.
    pub view_contact: bool,
}

impl<'a> Patients<'a> {
    pub(crate) fn new(app: &'a App, caller: Caller<'a>) -> Patients<'a> {
        Patients { app, caller }
    }

    fn actor(&self) -> &Actor {
        self.caller.actor()
    }

    /// The access for `category` × `action` (a refusal is audited and `Forbidden`).
    async fn access(
        &self,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<Access, AppError> {
        self.caller
            .access(self.app, category, action, patient)
            .await
    }

    async fn may(
        &self,
        category: Category,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<bool, AppError> {
        self.caller.may(self.app, category, action, patient).await
    }

    /// "Today" in the practice's time zone, for ages, minors and dates in the future.
    async fn today(&self) -> Result<time::Date, AppError> {
        Ok(self
            .app
            .practice_today(self.caller.practice_id())
            .await?
            .date())
    }

    /// What of a patient's record this caller may see besides demographics.
    async fn reveal_for(&self, id: Option<PatientId>) -> Result<Reveal, AppError> {
        Ok(Reveal {
            contact: self.may(Category::Contact, Action::View, id).await?,
            insurance: self.may(Category::Insurance, Action::View, id).await?,
        })
    }

    /// What the caller's role may do, for links and buttons (not audited: it opens nothing).
    pub async fn rights(&self) -> Result<PatientRights, AppError> {
        let may = |category, action| self.may(category, action, None);
        let edit_demographics = may(Category::Demographics, Action::Edit).await?;
        Ok(PatientRights {
            create: may(Category::Demographics, Action::Create).await?,
            create_contact: may(Category::Contact, Action::Create).await?,
            create_insurance: may(Category::Insurance, Action::Create).await?,
            edit_demographics,
            edit_any: edit_demographics
                || may(Category::Contact, Action::Edit).await?
                || may(Category::Insurance, Action::Edit).await?,
            view_contact: may(Category::Contact, Action::View).await?,
        })
    }

    /// Asks whether the caller may create records, or change this one: a refusal is audited
    /// and `Forbidden` (for a page that shows a form before anything is submitted).
    pub async fn ensure_may(
        &self,
        action: Action,
        patient: Option<PatientId>,
    ) -> Result<(), AppError> {
        self.access(Category::Demographics, action, patient)
            .await
            .map(|_| ())
    }
}

/// How to reach the patient: shown only to roles that may view contact details.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientContact {
    pub email: Option<String>,
    pub phones: Vec<Phone>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
}

/// What a client sent back of a record's read-only members, each `None` when left out. A
/// client may `PUT` what it read: an update ignores these when they are what the caller would
/// read now, and refuses, by name, any that differs (the server sets them, not the client).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOnlyClaims {
    pub row_version: Option<i64>,
    pub created_ms: Option<i64>,
    pub updated_ms: Option<i64>,
    pub is_minor: Option<bool>,
    /// `Some(None)`: sent as `null`.
    pub household_id: Option<Option<String>>,
    pub withheld: Option<Vec<String>>,
    pub emergency_access: Option<bool>,
}

/// The problem named for a read-only member sent with another value than the record's.
pub const READ_ONLY: &str = "is read-only: send it as read, or leave it out";

impl ReadOnlyClaims {
    /// Each member whose claim differs from `read`, the record as the caller reads it now.
    fn differences(&self, read: &PatientView) -> Vec<FieldProblem> {
        let mut withheld_claim = self.withheld.clone();
        if let Some(w) = withheld_claim.as_mut() {
            w.sort();
        }
        let mut withheld_now: Vec<String> =
            read.withheld().iter().map(|s| (*s).to_string()).collect();
        withheld_now.sort();
        let checks = [
            ("row_version", differs(self.row_version, read.row_version)),
            ("created_at", differs(self.created_ms, read.created_ms)),
            ("updated_at", differs(self.updated_ms, read.updated_ms)),
            ("is_minor", differs(self.is_minor, read.is_minor)),
            (
                "household_id",
                differs(self.household_id.clone(), read.household_id.clone()),
            ),
            ("withheld", differs(withheld_claim, withheld_now)),
            (
                "emergency_access",
                differs(self.emergency_access, read.emergency),
            ),
        ];
        checks
            .into_iter()
            .filter(|(_, differ)| *differ)
            .map(|(field, _)| FieldProblem::new(field, READ_ONLY))
            .collect()
    }
}

fn differs<T: PartialEq>(claim: Option<T>, actual: T) -> bool {
    claim.is_some_and(|c| c != actual)
}

/// A patient as shown to an authorised reader. `contact` and `coverages` are `None` when the
/// reader's role may not see them. Debug never prints the values.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientView {
    pub id: PatientId,
    pub row_version: i64,
    pub status: String,
    pub family_name: String,
    pub given_name: String,
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub birth_date: String,
    pub sex: Option<String>,
    pub gender_identity: Option<String>,
    pub preferred_language: Option<String>,
    pub chart_number: Option<String>,
    pub is_minor: bool,
    pub household_id: Option<String>,
    pub guarantor_id: Option<String>,
    pub responsible_party_id: Option<String>,
    pub contact: Option<PatientContact>,
    pub coverages: Option<Vec<Coverage>>,
    pub created_ms: i64,
    pub updated_ms: i64,
    /// Opened through a break-glass grant.
    pub emergency: bool,
}

impl std::fmt::Debug for PatientView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientView")
            .field("id", &self.id)
            .field("row_version", &self.row_version)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for PatientContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PatientContact { .. }")
    }
}

/// The most versions one page of a record's history holds.
pub const MAX_VERSIONS_PAGE: i64 = 500;

/// One page of a record's history.
#[derive(Debug, Clone)]
pub struct PatientVersionPage {
    pub versions: Vec<PatientVersionSummary>,
    /// The `row_version` to continue after, when more versions follow.
    pub next_after: Option<i64>,
}

/// One entry of a record's history: who changed it, when, how, and which fields (names only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatientVersionSummary {
    /// The version this entry preserves (the state before the change).
    pub row_version: i64,
    pub change: String,
    pub changed_fields: Vec<String>,
    pub changed_by: String,
    pub changed_ms: i64,
}

/// The plain parts of a record's state that a view shows beside the opened values.
struct ViewMeta {
    row_version: i64,
    status: String,
    household_id: Option<String>,
    guarantor_id: Option<String>,
    responsible_party_id: Option<String>,
    created_ms: i64,
    updated_ms: i64,
}

impl From<&PatientRow> for ViewMeta {
    fn from(row: &PatientRow) -> Self {
        ViewMeta {
            row_version: row.row_version,
            status: row.status.clone(),
            household_id: row.household_id.clone(),
            guarantor_id: row.guarantor_id.clone(),
            responsible_party_id: row.responsible_party_id.clone(),
            created_ms: row.created_ms,
            updated_ms: row.updated_ms,
        }
    }
}

impl PatientView {
    /// The categories left out because the reader's role may not see them.
    pub fn withheld(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.contact.is_none() {
            out.push("contact");
        }
        if self.coverages.is_none() {
            out.push("insurance");
        }
        out
    }
}

fn view_of(
    id: PatientId,
    row: ViewMeta,
    record: Record,
    reveal: Reveal,
    today: time::Date,
    emergency: bool,
) -> PatientView {
    let is_minor =
        parse_iso_date(&record.birth_date).is_some_and(|b| enamel_domain::age_on(b, today) < 18);
    PatientView {
        id,
        row_version: row.row_version,
        status: row.status,
        family_name: record.family_name,
        given_name: record.given_name,
        middle_name: record.details.middle_name,
        preferred_name: record.details.preferred_name,
        birth_date: record.birth_date,
        sex: record.details.sex,
        gender_identity: record.details.gender_identity,
        preferred_language: record.details.preferred_language,
        chart_number: record.chart_number,
        is_minor,
        household_id: row.household_id,
        guarantor_id: row.guarantor_id,
        responsible_party_id: row.responsible_party_id,
        contact: reveal.contact.then_some(PatientContact {
            email: record.contact.email,
            phones: record.contact.phones,
            address: record.contact.address,
            emergency_contact: record.contact.emergency_contact,
        }),
        coverages: reveal.insurance.then_some(record.insurance.coverages),
        created_ms: row.created_ms,
        updated_ms: row.updated_ms,
        emergency,
    }
}
