//! The request bodies of the patient API: what a client sends to create or replace a
//! record, with the rules the document declares, and their conversion to the room's draft.

use enamel_app::{AppError, READ_ONLY, ReadOnlyClaims};
use enamel_domain::{
    AddressDraft, CoverageDraft, EmergencyContactDraft, FieldProblem, PatientDraft, PhoneDraft,
};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::ApiError;
use crate::api::body::{object, objects};

/// The API's closed lists: exactly these words, in lower case (the CSV import and the pages
/// are more forgiving; an integrator gets the list in the document instead).
macro_rules! api_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
        pub(crate) enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }
    };
}

api_enum!(PhoneKindJson { Mobile => "mobile", Home => "home", Work => "work" });
api_enum!(SexJson { Female => "female", Male => "male", Other => "other", Unknown => "unknown" });
api_enum!(StatusJson {
    Active => "active",
    Inactive => "inactive",
    Deceased => "deceased",
    Archived => "archived",
});
api_enum!(PriorityJson { Primary => "primary", Secondary => "secondary", Tertiary => "tertiary" });
api_enum!(RelationshipJson {
    OwnSelf => "self",
    Spouse => "spouse",
    Child => "child",
    Other => "other",
});

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PhoneBody {
    /// `mobile` (the default), `home` or `work`.
    #[serde(default)]
    kind: Option<PhoneKindJson>,
    /// As people write it: `(555) 010-0123`, `+44 20 7946 0000` (digits, spaces, dots,
    /// hyphens, parentheses, a leading `+`); stored as E.164.
    #[schema(
        pattern = r"^\s*(?:\+[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*0[ .()-]*0[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*(?:[1-9][ .()-]*[0-9]|0[ .()-]*[1-9])(?:[ .()-]*[0-9]){8}|[ .()-]*1(?:[ .()-]*[0-9]){10})[ .()-]*\s*$",
        max_length = 40
    )]
    number: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddressBody {
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 200)]
    line1: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 200)]
    line2: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 100)]
    city: Option<String>,
    /// State, province or region.
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 100)]
    region: Option<String>,
    /// Up to 12 letters, digits, spaces or hyphens.
    #[serde(default)]
    #[schema(pattern = r"^\s*[A-Za-z0-9 -]{0,12}\s*$")]
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2; `US` when left out.
    #[serde(default)]
    #[schema(pattern = r"^\s*([A-Za-z]{2})?\s*$")]
    country: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EmergencyContactBody {
    #[schema(
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 200
    )]
    name: String,
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 50)]
    relationship: Option<String>,
    #[schema(
        pattern = r"^\s*(?:\+[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*0[ .()-]*0[ .()-]*[1-9](?:[ .()-]*[0-9]){7,14}|[ .()-]*(?:[1-9][ .()-]*[0-9]|0[ .()-]*[1-9])(?:[ .()-]*[0-9]){8}|[ .()-]*1(?:[ .()-]*[0-9]){10})[ .()-]*\s*$",
        max_length = 40
    )]
    phone: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CoverageBody {
    /// `primary`, `secondary` or `tertiary`; by position when left out.
    #[serde(default)]
    priority: Option<PriorityJson>,
    #[schema(
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 100
    )]
    carrier: String,
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 100)]
    plan: Option<String>,
    /// Up to 30 letters, digits, spaces or hyphens.
    #[serde(default)]
    #[schema(pattern = r"^\s*[A-Za-z0-9 -]{0,30}\s*$")]
    group_number: Option<String>,
    /// The subscriber's member id or policy number: up to 30 letters, digits, spaces or
    /// hyphens.
    #[schema(pattern = r"^\s*[A-Za-z0-9-][A-Za-z0-9 -]{0,29}\s*$")]
    subscriber_id: String,
    /// `self` (the default), `spouse`, `child` or `other`.
    #[serde(default)]
    subscriber_relationship: Option<RelationshipJson>,
    /// Required unless the patient is the subscriber.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*$|^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 200
    )]
    subscriber_name: Option<String>,
    /// `YYYY-MM-DD`, not in the future; blank for none.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*$|^(18[89][0-9]|19[0-9]{2}|20[01][0-9]|202[0-5])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"
    )]
    subscriber_birth_date: Option<String>,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    #[schema(pattern = r"^\s*$|^(19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    effective_from: Option<String>,
    /// `YYYY-MM-DD`, not before `effective_from`.
    #[serde(default)]
    #[schema(pattern = r"^\s*$|^(19[0-9]{2}|20[0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$")]
    effective_to: Option<String>,
}

/// A patient as submitted. Only `family_name`, `given_name` and `birth_date` are required. On
/// `PUT` the body replaces the record: a member left out is cleared, except the categories the
/// caller's role may not see (they keep their values and must be left out). A document read
/// with `GET` can be sent back as it is: its read-only members (`id`, `row_version`, the
/// times, `is_minor`, `household_id`, `withheld`, `emergency_access`) are ignored when they
/// are as read, and refused by name when changed. On `POST` they must be left out.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PatientBody {
    /// Read-only.
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    /// Read-only; the version is chosen by `If-Match`.
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    /// Read-only.
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    /// Read-only.
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
    /// Read-only: follows from `birth_date`.
    #[serde(default)]
    #[schema(read_only)]
    is_minor: Option<bool>,
    /// Read-only: follows from `guarantor_id`.
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>)]
    household_id: Option<Option<String>>,
    /// Read-only.
    #[serde(default)]
    #[schema(read_only)]
    withheld: Option<Vec<String>>,
    /// Read-only.
    #[serde(default)]
    #[schema(read_only)]
    emergency_access: Option<bool>,
    #[schema(
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 200
    )]
    family_name: String,
    #[schema(
        pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 200
    )]
    given_name: String,
    /// `YYYY-MM-DD`, not in the future.
    #[schema(pattern = r"^(18[89][0-9]|19[0-9]{2}|20[01][0-9]|202[0-5])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$", format = Date)]
    birth_date: String,
    #[serde(default)]
    #[schema(
        pattern = r"^\s*$|^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 200
    )]
    middle_name: Option<String>,
    #[serde(default)]
    #[schema(
        pattern = r"^\s*$|^[^<>{}\\;\x00-\x1f\x7f-\x9f]*[^\W\d_][^<>{}\\;\x00-\x1f\x7f-\x9f]*$",
        max_length = 200
    )]
    preferred_name: Option<String>,
    /// Administrative sex: `female`, `male`, `other` or `unknown`.
    #[serde(default)]
    sex: Option<SexJson>,
    #[serde(default)]
    #[schema(pattern = r"^[^<>{}\\;\x00-\x1f\x7f-\x9f]*$", max_length = 100)]
    gender_identity: Option<String>,
    /// A language tag: `en`, `es`, `pt-BR`.
    #[serde(default)]
    #[schema(
        pattern = r"^([A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3})?$",
        max_length = 35
    )]
    preferred_language: Option<String>,
    /// Up to 20 letters, digits or hyphens; unique in the practice.
    #[serde(default)]
    #[schema(pattern = r"^\s*[A-Za-z0-9-]{0,20}\s*$")]
    chart_number: Option<String>,
    /// `active` (the default), `inactive`, `deceased` or `archived`.
    #[serde(default)]
    status: Option<StatusJson>,
    /// One address with one `@` and a dot in the domain.
    #[serde(default)]
    #[schema(
        pattern = r#"^\s*$|^\s*[^\s<>,;"@\x00-\x1f\x7f-\x9f]{1,64}@[^\s<>,;"@.\x00-\x1f\x7f-\x9f]+(\.[^\s<>,;"@.\x00-\x1f\x7f-\x9f]+)+\s*$"#,
        max_length = 254
    )]
    email: Option<String>,
    /// At most 5.
    #[serde(default, deserialize_with = "objects")]
    #[schema(max_items = 5)]
    phones: Vec<PhoneBody>,
    #[serde(default, deserialize_with = "object")]
    address: Option<AddressBody>,
    #[serde(default, deserialize_with = "object")]
    emergency_contact: Option<EmergencyContactBody>,
    /// The patient who receives the household's statement; the patient themself when left out.
    #[serde(default)]
    guarantor_id: Option<String>,
    /// The adult responsible for a minor.
    #[serde(default)]
    responsible_party_id: Option<String>,
    /// At most 3.
    #[serde(default, deserialize_with = "objects")]
    #[schema(max_items = 3)]
    coverages: Vec<CoverageBody>,
}

impl PatientBody {
    /// The read-only members sent back: checked against the record as the caller reads it
    /// (`PUT`), or refused outright (`POST`). `id` is checked here, against the path.
    pub(crate) fn read_only_claims(
        &self,
        path_id: Option<&str>,
    ) -> Result<ReadOnlyClaims, ApiError> {
        let refused = |field: &'static str| {
            ApiError(AppError::Invalid(vec![FieldProblem::new(field, READ_ONLY)]))
        };
        let instant = |field: &'static str, value: &Option<String>| match value {
            None => Ok(None),
            Some(text) => crate::api::parse_instant(text)
                .map(Some)
                .ok_or_else(|| refused(field)),
        };
        if let Some(id) = &self.id
            && path_id != Some(id.as_str())
        {
            return Err(refused("id"));
        }
        let claims = ReadOnlyClaims {
            row_version: self.row_version,
            created_ms: instant("created_at", &self.created_at)?,
            updated_ms: instant("updated_at", &self.updated_at)?,
            is_minor: self.is_minor,
            household_id: self.household_id.clone(),
            withheld: self.withheld.clone(),
            emergency_access: self.emergency_access,
        };
        if path_id.is_none() && (self.id.is_some() || claims != ReadOnlyClaims::default()) {
            // A new record has no read-only members yet: name the first one sent.
            let sent = [
                ("id", self.id.is_some()),
                ("row_version", claims.row_version.is_some()),
                ("created_at", claims.created_ms.is_some()),
                ("updated_at", claims.updated_ms.is_some()),
                ("is_minor", claims.is_minor.is_some()),
                ("household_id", claims.household_id.is_some()),
                ("withheld", claims.withheld.is_some()),
                ("emergency_access", claims.emergency_access.is_some()),
            ];
            let problems = sent
                .into_iter()
                .filter(|(_, is_sent)| *is_sent)
                .map(|(field, _)| FieldProblem::new(field, "is set by the server; leave it out"))
                .collect();
            return Err(ApiError(AppError::Invalid(problems)));
        }
        Ok(claims)
    }
}

impl From<PatientBody> for PatientDraft {
    fn from(b: PatientBody) -> Self {
        PatientDraft {
            family_name: b.family_name,
            given_name: b.given_name,
            birth_date: b.birth_date,
            middle_name: b.middle_name,
            preferred_name: b.preferred_name,
            sex: b.sex.map(|v| v.as_str().into()),
            gender_identity: b.gender_identity,
            preferred_language: b.preferred_language,
            chart_number: b.chart_number,
            status: b.status.map(|v| v.as_str().into()),
            email: b.email,
            phones: b
                .phones
                .into_iter()
                .map(|p| PhoneDraft {
                    kind: p.kind.map(|v| v.as_str().into()),
                    number: p.number,
                })
                .collect(),
            address: b.address.map(|a| AddressDraft {
                line1: a.line1,
                line2: a.line2,
                city: a.city,
                region: a.region,
                postal_code: a.postal_code,
                country: a.country,
            }),
            emergency_contact: b.emergency_contact.map(|e| EmergencyContactDraft {
                name: e.name,
                relationship: e.relationship,
                phone: e.phone,
            }),
            guarantor_id: b.guarantor_id,
            responsible_party_id: b.responsible_party_id,
            coverages: b
                .coverages
                .into_iter()
                .map(|c| CoverageDraft {
                    priority: c.priority.map(|v| v.as_str().into()),
                    carrier: c.carrier,
                    plan: c.plan,
                    group_number: c.group_number,
                    subscriber_id: c.subscriber_id,
                    subscriber_relationship: c.subscriber_relationship.map(|v| v.as_str().into()),
                    subscriber_name: c.subscriber_name,
                    subscriber_birth_date: c.subscriber_birth_date,
                    effective_from: c.effective_from,
                    effective_to: c.effective_to,
                })
                .collect(),
        }
    }
}
