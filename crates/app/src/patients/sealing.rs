//! A patient record to and from its stored form: one sealed value (or sealed JSON document)
//! per column, each bound to practice, table, column, row and key version; blind-index tokens
//! for search. Only the categories asked for are opened.

use std::collections::BTreeSet;

use enamel_crypto::{CryptoError, PracticeKeys, normalize_for_search};
use enamel_domain::{Address, Coverage, EmergencyContact, Patient, Phone, iso_date};
use enamel_store::specs::{PATIENT_VERSIONS, PATIENTS};
use enamel_store::{PatientRow, SealedColumn};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::kernel::seal;

const FAMILY_NAME: SealedColumn = PATIENTS.column("family_name");
const GIVEN_NAME: SealedColumn = PATIENTS.column("given_name");
const BIRTH_DATE: SealedColumn = PATIENTS.column("birth_date");
const DETAILS: SealedColumn = PATIENTS.column("details");
const CHART_NUMBER: SealedColumn = PATIENTS.column("chart_number");
const CONTACT: SealedColumn = PATIENTS.column("contact");
const INSURANCE: SealedColumn = PATIENTS.column("insurance");
const SNAPSHOT: SealedColumn = PATIENT_VERSIONS.column("snapshot");

/// Blind-index domains: one per kind of value, so equal texts of two kinds never match.
pub(crate) const NAME_PREFIX_INDEX: &str = "patient.name.prefix";
pub(crate) const NAME_WORD_INDEX: &str = "patient.name.word";
pub(crate) const FAMILY_NAME_INDEX: &str = "patient.family_name";
pub(crate) const BIRTH_DATE_INDEX: &str = "patient.birth_date";
pub(crate) const PHONE_INDEX: &str = "patient.phone";
pub(crate) const CHART_INDEX: &str = "patient.chart_number";

/// Demographics beyond the names and date of birth (sealed as one JSON document).
#[derive(Default, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct Details {
    pub middle_name: Option<String>,
    pub preferred_name: Option<String>,
    pub sex: Option<String>,
    pub gender_identity: Option<String>,
    pub preferred_language: Option<String>,
}

#[derive(Default, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct ContactDoc {
    pub email: Option<String>,
    pub phones: Vec<Phone>,
    pub address: Option<Address>,
    pub emergency_contact: Option<EmergencyContact>,
}

#[derive(Default, Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct InsuranceDoc {
    pub coverages: Vec<Coverage>,
}

/// Everything a record holds, opened: what a version snapshot preserves.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub family_name: String,
    pub given_name: String,
    pub birth_date: String,
    pub chart_number: Option<String>,
    pub details: Details,
    pub contact: ContactDoc,
    pub insurance: InsuranceDoc,
    pub status: String,
    pub guarantor_id: Option<String>,
    pub responsible_party_id: Option<String>,
}

impl Record {
    pub(crate) fn from_patient(p: &Patient) -> Record {
        Record {
            family_name: p.family_name.clone(),
            given_name: p.given_name.clone(),
            birth_date: iso_date(p.birth_date),
            chart_number: p.chart_number.clone(),
            details: Details {
                middle_name: p.middle_name.clone(),
                preferred_name: p.preferred_name.clone(),
                sex: p.sex.map(|s| s.as_str().to_string()),
                gender_identity: p.gender_identity.clone(),
                preferred_language: p.preferred_language.clone(),
            },
            contact: ContactDoc {
                email: p.email.clone(),
                phones: p.phones.clone(),
                address: p.address.clone(),
                emergency_contact: p.emergency_contact.clone(),
            },
            insurance: InsuranceDoc {
                coverages: p.coverages.clone(),
            },
            status: p.status.as_str().to_string(),
            // No guarantor given means the patient pays for themself.
            guarantor_id: Some(p.guarantor_id.unwrap_or(p.id).to_string()),
            responsible_party_id: p.responsible_party_id.map(|r| r.to_string()),
        }
    }

    /// The names of the submitted fields whose values differ, for the version history.
    pub(crate) fn changed_fields(&self, other: &Record) -> Vec<&'static str> {
        let mut out = Vec::new();
        let mut check = |name: &'static str, same: bool| {
            if !same {
                out.push(name);
            }
        };
        check("family_name", self.family_name == other.family_name);
        check("given_name", self.given_name == other.given_name);
        check("birth_date", self.birth_date == other.birth_date);
        check("chart_number", self.chart_number == other.chart_number);
        check(
            "middle_name",
            self.details.middle_name == other.details.middle_name,
        );
        check(
            "preferred_name",
            self.details.preferred_name == other.details.preferred_name,
        );
        check("sex", self.details.sex == other.details.sex);
        check(
            "gender_identity",
            self.details.gender_identity == other.details.gender_identity,
        );
        check(
            "preferred_language",
            self.details.preferred_language == other.details.preferred_language,
        );
        check("email", self.contact.email == other.contact.email);
        check("phones", self.contact.phones == other.contact.phones);
        check("address", self.contact.address == other.contact.address);
        check(
            "emergency_contact",
            self.contact.emergency_contact == other.contact.emergency_contact,
        );
        check("coverages", self.insurance == other.insurance);
        check("status", self.status == other.status);
        check("guarantor_id", self.guarantor_id == other.guarantor_id);
        check(
            "responsible_party_id",
            self.responsible_party_id == other.responsible_party_id,
        );
        out
    }
}

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Record { .. }")
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    serde_json::to_vec(value)
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::Malformed("a record could not be encoded"))
}

fn from_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, CryptoError> {
    serde_json::from_slice(bytes).map_err(|_| CryptoError::Malformed("a sealed document"))
}

/// The plain, non-PHI parts of a row that the app decides (not the keys).
#[derive(Debug, Clone)]
pub(crate) struct RowMeta {
    pub practice_id: String,
    pub status: String,
    pub household_id: Option<String>,
    pub guarantor_id: Option<String>,
    pub responsible_party_id: Option<String>,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub created_by: Option<String>,
    pub updated_by: Option<String>,
    pub row_version: i64,
}

pub(crate) fn seal_record(
    keys: &PracticeKeys,
    id: &str,
    record: &Record,
    meta: RowMeta,
) -> Result<PatientRow, CryptoError> {
    let seal_doc = |column, doc: Zeroizing<Vec<u8>>| seal::seal(keys, column, id, &doc);
    let seal = |column, bytes: &[u8]| seal::seal(keys, column, id, bytes);
    let contact = if record.contact == ContactDoc::default() {
        None
    } else {
        Some(seal_doc(CONTACT, to_json(&record.contact)?)?)
    };
    let insurance = if record.insurance.coverages.is_empty() {
        None
    } else {
        Some(seal_doc(INSURANCE, to_json(&record.insurance)?)?)
    };
    let details = if record.details == Details::default() {
        None
    } else {
        Some(seal_doc(DETAILS, to_json(&record.details)?)?)
    };
    Ok(PatientRow {
        practice_id: meta.practice_id,
        id: id.to_string(),
        key_version: i64::from(keys.active_version()),
        family_name: seal(FAMILY_NAME, record.family_name.as_bytes())?,
        given_name: seal(GIVEN_NAME, record.given_name.as_bytes())?,
        birth_date: seal(BIRTH_DATE, record.birth_date.as_bytes())?,
        details,
        chart_number: record
            .chart_number
            .as_deref()
            .map(|c| seal(CHART_NUMBER, c.as_bytes()))
            .transpose()?,
        contact,
        insurance,
        family_name_bidx: keys
            .index()
            .exact(FAMILY_NAME_INDEX, &record.family_name)
            .to_vec(),
        birth_date_bidx: keys
            .index()
            .exact_raw(BIRTH_DATE_INDEX, record.birth_date.as_bytes())
            .to_vec(),
        chart_bidx: record
            .chart_number
            .as_deref()
            .map(|c| keys.index().exact_raw(CHART_INDEX, c.as_bytes()).to_vec()),
        status: meta.status,
        household_id: meta.household_id,
        guarantor_id: meta.guarantor_id,
        responsible_party_id: meta.responsible_party_id,
        created_ms: meta.created_ms,
        updated_ms: meta.updated_ms,
        created_by: meta.created_by,
        updated_by: meta.updated_by,
        row_version: meta.row_version,
    })
}

/// Which categories to open. Names and the date of birth (demographics) always are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reveal {
    pub contact: bool,
    pub insurance: bool,
}

impl Reveal {
    pub(crate) const ALL: Reveal = Reveal {
        contact: true,
        insurance: true,
    };
    /// Demographics only.
    pub(crate) const NONE: Reveal = Reveal {
        contact: false,
        insurance: false,
    };
}

pub(crate) fn open_record(
    keys: &PracticeKeys,
    row: &PatientRow,
    reveal: Reveal,
) -> Result<Record, CryptoError> {
    let id = &row.id;
    // The record's fields are plain `String`s (the view hands them to the caller); the
    // zeroizing copy the crypto core returned is wiped as soon as it is copied.
    let text = |column, sealed: &[u8]| -> Result<String, CryptoError> {
        let opened = seal::open_string(keys, column, id, sealed)?;
        Ok(opened.as_str().to_owned())
    };
    let doc =
        |column, sealed: &Option<Vec<u8>>| -> Result<Option<Zeroizing<Vec<u8>>>, CryptoError> {
            sealed
                .as_deref()
                .map(|s| seal::open(keys, column, id, s))
                .transpose()
        };
    let details = match doc(DETAILS, &row.details)? {
        Some(bytes) => from_json(&bytes)?,
        None => Details::default(),
    };
    let contact = match doc_if(reveal.contact, || doc(CONTACT, &row.contact))? {
        Some(bytes) => from_json(&bytes)?,
        None => ContactDoc::default(),
    };
    let insurance = match doc_if(reveal.insurance, || doc(INSURANCE, &row.insurance))? {
        Some(bytes) => from_json(&bytes)?,
        None => InsuranceDoc::default(),
    };
    Ok(Record {
        family_name: text(FAMILY_NAME, &row.family_name)?,
        given_name: text(GIVEN_NAME, &row.given_name)?,
        birth_date: text(BIRTH_DATE, &row.birth_date)?,
        chart_number: row
            .chart_number
            .as_deref()
            .map(|c| text(CHART_NUMBER, c))
            .transpose()?,
        details,
        contact,
        insurance,
        status: row.status.clone(),
        guarantor_id: row.guarantor_id.clone(),
        responsible_party_id: row.responsible_party_id.clone(),
    })
}

fn doc_if(
    wanted: bool,
    open: impl FnOnce() -> Result<Option<Zeroizing<Vec<u8>>>, CryptoError>,
) -> Result<Option<Zeroizing<Vec<u8>>>, CryptoError> {
    if wanted { open() } else { Ok(None) }
}

/// A record preserved in the version history, sealed under the versions table's own
/// associated data (row id `<patient>:<version>`).
pub(crate) fn seal_snapshot(
    keys: &PracticeKeys,
    version_id: &str,
    record: &Record,
) -> Result<Vec<u8>, CryptoError> {
    seal::seal(keys, SNAPSHOT, version_id, &to_json(record)?)
}

pub(crate) fn open_snapshot(
    keys: &PracticeKeys,
    version_id: &str,
    sealed: &[u8],
) -> Result<Record, CryptoError> {
    from_json(&seal::open(keys, SNAPSHOT, version_id, sealed)?)
}

/// The words of a name as search sees them: normalized (case and accents folded), split at
/// spaces, hyphens and apostrophes, with the whole hyphenated word kept too.
pub(crate) fn name_words(name: &str) -> Vec<String> {
    let normalized = normalize_for_search(name);
    let mut words = BTreeSet::new();
    for word in normalized.split(' ') {
        if word.is_empty() {
            continue;
        }
        words.insert(word.to_string());
        for part in word.split(['-', '\'', '’']) {
            if !part.is_empty() {
                words.insert(part.to_string());
            }
        }
    }
    words.into_iter().collect()
}

/// The search tokens of one record: name-word prefixes and whole words (family, given,
/// middle and preferred names), the date of birth, each phone, and the chart number.
pub(crate) fn search_tokens(keys: &PracticeKeys, record: &Record) -> Vec<[u8; 32]> {
    let index = keys.index();
    let mut tokens = BTreeSet::new();
    let names = [
        Some(record.family_name.as_str()),
        Some(record.given_name.as_str()),
        record.details.middle_name.as_deref(),
        record.details.preferred_name.as_deref(),
    ];
    for name in names.into_iter().flatten() {
        for word in name_words(name) {
            tokens.extend(index.prefix_tokens(NAME_PREFIX_INDEX, &word));
            tokens.insert(index.exact(NAME_WORD_INDEX, &word));
        }
    }
    tokens.insert(index.exact_raw(BIRTH_DATE_INDEX, record.birth_date.as_bytes()));
    for phone in &record.contact.phones {
        tokens.insert(index.exact_raw(PHONE_INDEX, phone.number.as_bytes()));
    }
    if let Some(chart) = &record.chart_number {
        tokens.insert(index.exact_raw(CHART_INDEX, chart.as_bytes()));
    }
    tokens.into_iter().collect()
}
