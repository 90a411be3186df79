//! The patient record of a dental office: who the patient is (demographics), how to reach them
//! (contact), who pays (household and guarantor) and who is responsible for a minor, and their
//! dental insurance coverages.
//!
//! [`PatientDraft`] is what a person or an integration submits; [`PatientDraft::validate`]
//! turns it into a [`Patient`] or names every problem, field by field, without ever repeating
//! a submitted value (it may be PHI). Validation is what a receptionist would find sensible:
//! names in any script with apostrophes and hyphens, dates as `YYYY-MM-DD`, phone numbers as
//! people write them, e-mail addresses with one `@`.

/// `Debug` that names the type and nothing else: these values are PHI, and anything that
/// formats them with `{:?}` (a log line, an error report) must not show it.
macro_rules! redacted_debug {
    ($($name:ident),+ $(,)?) => {$(
        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(concat!(stringify!($name), " { .. }"))
            }
        }
    )+};
}

mod contact;
mod coverage;
pub(crate) mod names;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use time::Date;
use time::macros::format_description;

use crate::PatientId;
use crate::text_enum::text_enum;

pub use contact::{
    Address, AddressDraft, EmergencyContact, EmergencyContactDraft, Phone, PhoneDraft, PhoneKind,
    normalize_phone,
};
pub use coverage::{Coverage, CoverageDraft, CoveragePriority, SubscriberRelationship};

/// A field that failed validation, named for the form and the API's `fields` list
/// (`phones[1].number` for the second phone). Never carries the submitted value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldProblem {
    pub field: Cow<'static, str>,
    /// Plain words; a fixed text, or one that names a submitted code that is not PHI on its
    /// own (`surface I on tooth 3`).
    pub problem: Cow<'static, str>,
}

impl FieldProblem {
    pub fn new(field: impl Into<Cow<'static, str>>, problem: impl Into<Cow<'static, str>>) -> Self {
        FieldProblem {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

text_enum!(
    /// Administrative sex, as insurers and claims forms record it. Gender identity is separate.
    Sex {
        Female => "female" ("Female"),
        Male => "male" ("Male"),
        Other => "other" ("Other"),
        Unknown => "unknown" ("Unknown"),
    }
);

text_enum!(
    /// Where the record stands. Records are deactivated, never erased; `deceased` and
    /// `archived` keep the chart readable for the retention period.
    PatientStatus {
        Active => "active" ("Active"),
        Inactive => "inactive" ("Inactive"),
        Deceased => "deceased" ("Deceased"),
        Archived => "archived" ("Archived"),
    }
);

/// What a caller submits to create or replace a patient. Only the names and the date of birth
/// are required; everything else may be left out.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatientDraft {
    pub family_name: String,
    pub given_name: String,
    /// ISO 8601 calendar date, `YYYY-MM-DD`.
    pub birth_date: String,
    #[serde(default)]
    pub middle_name: Option<String>,
    #[serde(default)]
    pub preferred_name: Option<String>,
    #[serde(default)]
    pub sex: Option<String>,
    #[serde(default)]
    pub gender_identity: Option<String>,
    /// A language tag such as `en`, `es` or `pt-BR`.
    #[serde(default)]
    pub preferred_language: Option<String>,
    #[serde(default)]
    pub chart_number: Option<String>,
    /// `active` when left out.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phones: Vec<PhoneDraft>,
    #[serde(default)]
    pub address: Option<AddressDraft>,
    #[serde(default)]
    pub emergency_contact: Option<EmergencyContactDraft>,
    /// The patient who receives the household's statement; the patient themself when left out.
    #[serde(default)]
    pub guarantor_id: Option<String>,
    /// The adult responsible for a minor (a patient of the same practice).
    #[serde(default)]
    pub responsible_party_id: Option<String>,
    #[serde(default)]
    pub coverages: Vec<CoverageDraft>,
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
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub sex: Option<Sex>,
    pub gender_identity: Option<String>,
    pub preferred_language: Option<String>,
    pub chart_number: Option<String>,
    pub status: PatientStatus,
    pub email: Option<String>,
    pub phones: Vec<Phone>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
    pub guarantor_id: Option<PatientId>,
    pub responsible_party_id: Option<PatientId>,
    pub coverages: Vec<Coverage>,
}

impl std::fmt::Debug for Patient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // PHI stays out of debug output and therefore out of any log line that formats it.
        f.debug_struct("Patient")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl Patient {
    /// Under 18 on `today`.
    pub fn is_minor(&self, today: Date) -> bool {
        age_on(self.birth_date, today) < 18
    }
}

/// Whole years from `birth` to `today`.
pub fn age_on(birth: Date, today: Date) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month() as u8, today.day()) < (birth.month() as u8, birth.day()) {
        age -= 1;
    }
    age
}

/// `YYYY-MM-DD`.
pub fn iso_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]"))
        .unwrap_or_default()
}

/// Parses `YYYY-MM-DD` (surrounding spaces allowed).
pub fn parse_iso_date(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}

/// Collects problems while a draft is checked.
#[derive(Debug, Default)]
pub(crate) struct Problems(Vec<FieldProblem>);

impl Problems {
    pub(crate) fn add(
        &mut self,
        field: impl Into<Cow<'static, str>>,
        problem: impl Into<Cow<'static, str>>,
    ) {
        self.0.push(FieldProblem::new(field, problem));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn into_vec(self) -> Vec<FieldProblem> {
        self.0
    }
}

const MAX_CHART_CHARS: usize = 20;
const MAX_PHONES: usize = 5;
const MAX_COVERAGES: usize = 3;

impl PatientDraft {
    /// Validates against `today` (a parameter, so tests control the clock). Every problem is
    /// reported at once, so a form can show them all.
    pub fn validate(&self, id: PatientId, today: Date) -> Result<Patient, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let family_name = names::required_name(&self.family_name, "family_name", &mut p);
        let given_name = names::required_name(&self.given_name, "given_name", &mut p);
        let middle_name = names::optional_name(self.middle_name.as_deref(), "middle_name", &mut p);
        let preferred_name =
            names::optional_name(self.preferred_name.as_deref(), "preferred_name", &mut p);
        let birth_date = past_date(&self.birth_date, "birth_date", today, &mut p);
        let sex = match blank_to_none(self.sex.as_deref()) {
            None => None,
            Some(s) => {
                let parsed = Sex::parse(&s.to_lowercase());
                if parsed.is_none() {
                    p.add("sex", "must be female, male, other or unknown");
                }
                parsed
            }
        };
        let gender_identity = names::optional_text(
            self.gender_identity.as_deref(),
            "gender_identity",
            100,
            &mut p,
        );
        let preferred_language = match blank_to_none(self.preferred_language.as_deref()) {
            None => None,
            Some(tag) if is_language_tag(tag) => Some(tag.to_string()),
            Some(_) => {
                p.add(
                    "preferred_language",
                    "must be a language code such as en, es or pt-BR",
                );
                None
            }
        };
        let chart_number = match blank_to_none(self.chart_number.as_deref()) {
            None => None,
            Some(c)
                if c.chars().count() <= MAX_CHART_CHARS
                    && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') =>
            {
                Some(c.to_uppercase())
            }
            Some(_) => {
                p.add(
                    "chart_number",
                    "must be up to 20 letters, digits or hyphens",
                );
                None
            }
        };
        let status = match blank_to_none(self.status.as_deref()) {
            None => PatientStatus::Active,
            Some(s) => PatientStatus::parse(&s.to_lowercase()).unwrap_or_else(|| {
                p.add("status", "must be active, inactive, deceased or archived");
                PatientStatus::Active
            }),
        };
        let email = contact::email(self.email.as_deref(), &mut p);
        if self.phones.len() > MAX_PHONES {
            p.add("phones", "at most 5 phone numbers");
        }
        let phones: Vec<Phone> = self
            .phones
            .iter()
            .take(MAX_PHONES)
            .enumerate()
            .filter_map(|(i, ph)| ph.validate(i, &mut p))
            .collect();
        let address = self.address.as_ref().and_then(|a| a.validate(&mut p));
        let emergency_contact = self
            .emergency_contact
            .as_ref()
            .and_then(|e| e.validate(&mut p));
        let guarantor_id = reference(self.guarantor_id.as_deref(), "guarantor_id", &mut p);
        let responsible_party_id = reference(
            self.responsible_party_id.as_deref(),
            "responsible_party_id",
            &mut p,
        );
        if responsible_party_id == Some(id) {
            p.add(
                "responsible_party_id",
                "a patient cannot be their own responsible party",
            );
        }
        if self.coverages.len() > MAX_COVERAGES {
            p.add("coverages", "at most 3 insurance coverages");
        }
        let coverages: Vec<Coverage> = self
            .coverages
            .iter()
            .take(MAX_COVERAGES)
            .enumerate()
            .filter_map(|(i, c)| c.validate(i, today, &mut p))
            .collect();
        coverage::check_priorities(&coverages, &mut p);

        match (family_name, given_name, birth_date) {
            (Some(family_name), Some(given_name), Some(birth_date)) if p.is_empty() => {
                Ok(Patient {
                    id,
                    family_name,
                    given_name,
                    birth_date,
                    middle_name,
                    preferred_name,
                    sex,
                    gender_identity,
                    preferred_language,
                    chart_number,
                    status,
                    email,
                    phones,
                    address,
                    emergency_contact,
                    guarantor_id,
                    responsible_party_id,
                    coverages,
                })
            }
            _ => Err(p.0),
        }
    }
}

pub(crate) fn blank_to_none(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// A date that is not in the future and not before 1880.
pub(crate) fn past_date(
    text: &str,
    field: impl Into<Cow<'static, str>>,
    today: Date,
    p: &mut Problems,
) -> Option<Date> {
    match parse_iso_date(text) {
        Some(d) if d > today => {
            p.add(field, "is in the future");
            None
        }
        Some(d) if d.year() < 1880 => {
            p.add(field, "is too far in the past");
            None
        }
        Some(d) => Some(d),
        None if text.trim().is_empty() => {
            p.add(field, "is required");
            None
        }
        None => {
            p.add(field, "must be a date written as YYYY-MM-DD");
            None
        }
    }
}

fn reference(value: Option<&str>, field: &'static str, p: &mut Problems) -> Option<PatientId> {
    let value = blank_to_none(value)?;
    match value.parse() {
        Ok(id) => Some(id),
        Err(_) => {
            p.add(field, "must be the id of a patient of this practice");
            None
        }
    }
}

/// BCP 47 in its everyday shape: a 2–3 letter language, then optional subtags of 2–8
/// letters or digits (`en`, `es-419`, `pt-BR`, `zh-Hant`).
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let Some(language) = parts.next() else {
        return false;
    };
    (2..=3).contains(&language.len())
        && language.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|s| (2..=8).contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric()))
        && tag.len() <= 35
}

#[cfg(test)]
mod tests;
