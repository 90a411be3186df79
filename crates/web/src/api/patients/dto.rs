//! The JSON answers of the patient API (and its search and paging parameters), made from the
//! room's views. The request bodies are in `body.rs`.

use enamel_app::{
    PatientQuery, PatientSearchPage, PatientSummary, PatientVersionSummary, PatientView,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::StatusJson;
use crate::ApiError;
use crate::api::cursor::{self, List};

#[derive(Serialize, ToSchema)]
pub(crate) struct PhoneJson {
    kind: String,
    /// E.164: `+15550100123`.
    number: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AddressJson {
    line1: Option<String>,
    line2: Option<String>,
    city: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct EmergencyContactJson {
    name: String,
    relationship: Option<String>,
    phone: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CoverageJson {
    priority: String,
    carrier: String,
    plan: Option<String>,
    group_number: Option<String>,
    subscriber_id: String,
    subscriber_relationship: String,
    subscriber_name: Option<String>,
    subscriber_birth_date: Option<String>,
    effective_from: Option<String>,
    effective_to: Option<String>,
}

/// A patient as the caller's role may see it. The same field names as [`PatientBody`], plus
/// the record's own: `id`, `row_version` (also the `ETag`), `is_minor`, `household_id`,
/// times, and `withheld`.
#[derive(Serialize, ToSchema)]
pub(crate) struct PatientJson {
    id: String,
    row_version: i64,
    status: String,
    family_name: String,
    given_name: String,
    middle_name: Option<String>,
    preferred_name: Option<String>,
    birth_date: String,
    sex: Option<String>,
    gender_identity: Option<String>,
    preferred_language: Option<String>,
    chart_number: Option<String>,
    is_minor: bool,
    household_id: Option<String>,
    guarantor_id: Option<String>,
    responsible_party_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    phones: Option<Vec<PhoneJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    address: Option<AddressJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    emergency_contact: Option<EmergencyContactJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    coverages: Option<Vec<CoverageJson>>,
    /// Categories left out because the caller's role may not see them: `contact`,
    /// `insurance`.
    withheld: Vec<&'static str>,
    /// Opened through break-glass emergency access.
    emergency_access: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

impl From<PatientView> for PatientJson {
    fn from(p: PatientView) -> Self {
        let withheld = p.withheld();
        let (email, phones, address, emergency_contact) = match p.contact {
            Some(c) => (
                c.email,
                Some(
                    c.phones
                        .into_iter()
                        .map(|ph| PhoneJson {
                            kind: ph.kind,
                            number: ph.number,
                        })
                        .collect(),
                ),
                c.address.map(|a| AddressJson {
                    line1: a.line1,
                    line2: a.line2,
                    city: a.city,
                    region: a.region,
                    postal_code: a.postal_code,
                    country: a.country,
                }),
                c.emergency_contact.map(|e| EmergencyContactJson {
                    name: e.name,
                    relationship: e.relationship,
                    phone: e.phone,
                }),
            ),
            None => (None, None, None, None),
        };
        PatientJson {
            id: p.id.to_string(),
            row_version: p.row_version,
            status: p.status,
            family_name: p.family_name,
            given_name: p.given_name,
            middle_name: p.middle_name,
            preferred_name: p.preferred_name,
            birth_date: p.birth_date,
            sex: p.sex,
            gender_identity: p.gender_identity,
            preferred_language: p.preferred_language,
            chart_number: p.chart_number,
            is_minor: p.is_minor,
            household_id: p.household_id,
            guarantor_id: p.guarantor_id,
            responsible_party_id: p.responsible_party_id,
            email,
            phones,
            address,
            emergency_contact,
            coverages: p.coverages.map(|cs| {
                cs.into_iter()
                    .map(|c| CoverageJson {
                        priority: c.priority,
                        carrier: c.carrier,
                        plan: c.plan,
                        group_number: c.group_number,
                        subscriber_id: c.subscriber_id,
                        subscriber_relationship: c.subscriber_relationship,
                        subscriber_name: c.subscriber_name,
                        subscriber_birth_date: c.subscriber_birth_date,
                        effective_from: c.effective_from,
                        effective_to: c.effective_to,
                    })
                    .collect()
            }),
            withheld,
            emergency_access: p.emergency,
            created_at: crate::api::instant(p.created_ms),
            updated_at: crate::api::instant(p.updated_ms),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct CreatedJson {
    pub(crate) id: String,
    pub(crate) row_version: i64,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionJson {
    pub(crate) row_version: i64,
}

/// Search criteria, as query parameters (`GET /api/v1/patients`) or as a JSON body
/// (`POST /api/v1/patients/search`, which keeps them out of URLs).
#[derive(Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// Words of the patient's names; each matches the start of a name word, ignoring case
    /// and accents (`mol de` finds "Demo Molar"). At most 6 words and 200 characters.
    #[param(max_length = 200)]
    #[schema(max_length = 200)]
    name: Option<String>,
    /// `YYYY-MM-DD`.
    #[param(pattern = r"^\s*$|^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\s*$")]
    #[schema(pattern = r"^\s*$|^\s*[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])\s*$")]
    birth_date: Option<String>,
    /// A whole phone number, written any usual way. Only for roles that may view contact
    /// details (a match tells whose number it is): others get 403.
    #[param(
        pattern = r"^\s*$|^\s*(?:\+[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*0[ .()-]*0[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*(?:[1-9][ .()-]*[0-9]|0[ .()-]*[1-9])(?:[ .()-]*[0-9]){8}|[ .()-]*1(?:[ .()-]*[0-9]){10})[ .()-]*\s*$",
        max_length = 40
    )]
    #[schema(
        pattern = r"^\s*$|^\s*(?:\+[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*0[ .()-]*0[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*(?:[1-9][ .()-]*[0-9]|0[ .()-]*[1-9])(?:[ .()-]*[0-9]){8}|[ .()-]*1(?:[ .()-]*[0-9]){10})[ .()-]*\s*$",
        max_length = 40
    )]
    phone: Option<String>,
    /// The chart number: up to 20 letters, digits or hyphens.
    #[param(pattern = r"^\s*[A-Za-z0-9-]{0,20}\s*$")]
    #[schema(pattern = r"^\s*[A-Za-z0-9-]{0,20}\s*$")]
    chart: Option<String>,
    /// `active`, `inactive`, `deceased` or `archived`; any when left out.
    status: Option<StatusJson>,
    /// The `next` of the previous page; leave out for the first.
    #[param(pattern = "^[A-Za-z0-9_-]{0,200}$")]
    #[schema(pattern = "^[A-Za-z0-9_-]{0,200}$")]
    cursor: Option<String>,
    /// Patients per page, 1 to 100 (25 if left out).
    #[param(minimum = 1, maximum = 100)]
    #[schema(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SummaryJson {
    id: String,
    family_name: String,
    given_name: String,
    preferred_name: Option<String>,
    birth_date: String,
    chart_number: Option<String>,
    status: String,
    /// The first phone number, only for roles that may see contact details.
    #[serde(skip_serializing_if = "Option::is_none")]
    phone: Option<String>,
}

impl From<PatientSummary> for SummaryJson {
    fn from(s: PatientSummary) -> Self {
        SummaryJson {
            id: s.id.to_string(),
            family_name: s.family_name,
            given_name: s.given_name,
            preferred_name: s.preferred_name,
            birth_date: s.birth_date,
            chart_number: s.chart_number,
            status: s.status,
            phone: s.phone,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct SearchJson {
    /// Whole-word matches first, then matches where a word only starts a name; pages follow
    /// the order patients were registered in, and each page is sorted by family name, given
    /// name and date of birth.
    results: Vec<SummaryJson>,
    /// Pass as `cursor` for the next page; absent on the last page. Paging reaches every
    /// match.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    next: Option<String>,
    /// Patients matching, counted up to 200.
    #[schema(maximum = 200)]
    total: usize,
    /// More than `total` (200) patients match: counting stops there. Add letters or another
    /// criterion to narrow the search.
    total_capped: bool,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeleteBody {
    /// Must be `created_in_error`: records are otherwise deactivated, never deleted.
    #[schema(pattern = "^created_in_error$")]
    pub(crate) reason: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct VersionSummaryJson {
    /// The version this entry preserves: the state before the change.
    row_version: i64,
    /// `update`, `deactivate` or `delete`.
    change: String,
    /// Names of the fields that changed (never their values).
    changed_fields: Vec<String>,
    /// The user id (or `token:<id>`) who made the change.
    changed_by: String,
    #[schema(format = DateTime)]
    changed_at: String,
}

/// One page of a record's history.
#[derive(Serialize, ToSchema)]
pub(crate) struct VersionsJson {
    pub(crate) versions: Vec<VersionSummaryJson>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub(crate) next: Option<String>,
}

/// Which page of a list to answer.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct PageParams {
    /// The `next` of the previous page; leave out for the first.
    #[param(pattern = "^[A-Za-z0-9_-]{0,200}$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 500 (100 if left out).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<i64>,
}

impl From<PatientVersionSummary> for VersionSummaryJson {
    fn from(v: PatientVersionSummary) -> Self {
        VersionSummaryJson {
            row_version: v.row_version,
            change: v.change,
            changed_fields: v.changed_fields,
            changed_by: v.changed_by,
            changed_at: crate::api::instant(v.changed_ms),
        }
    }
}

impl SearchParams {
    /// The room's query: the cursor names the group and the patient the page continues after.
    pub(crate) fn query(self) -> Result<PatientQuery, ApiError> {
        Ok(PatientQuery {
            name: self.name,
            birth_date: self.birth_date,
            phone: self.phone,
            chart: self.chart,
            status: self.status.map(|v| v.as_str().into()),
            after: cursor::position(List::PatientSearch, self.cursor.as_deref())?,
            per_page: self.limit.unwrap_or(25),
        })
    }
}

impl From<PatientSearchPage> for SearchJson {
    fn from(found: PatientSearchPage) -> Self {
        SearchJson {
            results: found.results.into_iter().map(SummaryJson::from).collect(),
            next: found.next.map(|at| cursor::next(List::PatientSearch, at)),
            total: found.total,
            total_capped: found.total_capped,
        }
    }
}
