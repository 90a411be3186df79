//! The schedule's resources over JSON: providers, operatories and appointment types, as the
//! API answers them and takes them back. What a `GET` answers, `PUT` accepts: the read-only
//! members are compared with the record inside the change.

use enamel_app::{
    AppError, AppointmentTypeView, OperatoryView, ProviderView, READ_ONLY, RecordClaims,
    RecordStamp,
};
use enamel_domain::scheduling::{
    AppointmentTypeDraft, OperatoryDraft, ProviderDraft, Specialty, clock_text, weekday_text,
};
use enamel_domain::{FieldProblem, iso_date};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ApiError;
use crate::api::instant;

/// The read-only members every schedule record answers, sent back on `PUT`.
#[derive(Deserialize, Default)]
pub(crate) struct ReadOnly {
    pub(crate) id: Option<String>,
    pub(crate) row_version: Option<i64>,
    pub(crate) created_at: Option<String>,
    pub(crate) created_by: Option<String>,
    pub(crate) updated_at: Option<String>,
    pub(crate) updated_by: Option<String>,
}

impl ReadOnly {
    /// The claims to compare in the room; `id` is checked against the path here.
    pub(crate) fn claims(&self, path_id: &str) -> Result<RecordClaims, ApiError> {
        let refused = |field: &'static str| {
            ApiError(AppError::Invalid(vec![FieldProblem::new(field, READ_ONLY)]))
        };
        if self.id.as_deref().is_some_and(|id| id != path_id) {
            return Err(refused("id"));
        }
        let instant = |field: &'static str, value: &Option<String>| match value {
            None => Ok(None),
            Some(text) => crate::api::parse_instant(text)
                .map(Some)
                .ok_or_else(|| refused(field)),
        };
        Ok(RecordClaims {
            row_version: self.row_version,
            created_ms: instant("created_at", &self.created_at)?,
            created_by: self.created_by.clone(),
            updated_ms: instant("updated_at", &self.updated_at)?,
            updated_by: self.updated_by.clone(),
        })
    }

    /// Refuses read-only members on a create.
    pub(crate) fn refuse(&self) -> Result<(), ApiError> {
        let sent = [
            ("id", self.id.is_some()),
            ("row_version", self.row_version.is_some()),
            ("created_at", self.created_at.is_some()),
            ("created_by", self.created_by.is_some()),
            ("updated_at", self.updated_at.is_some()),
            ("updated_by", self.updated_by.is_some()),
        ];
        let problems: Vec<FieldProblem> = sent
            .into_iter()
            .filter(|(_, s)| *s)
            .map(|(f, _)| FieldProblem::new(f, "is set by the server; leave it out"))
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError(AppError::Invalid(problems)))
        }
    }
}

/// Who changed a record and when, and its version.
#[derive(Serialize, ToSchema)]
pub(crate) struct StampJson {
    row_version: i64,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: String,
    #[schema(format = DateTime)]
    updated_at: String,
    updated_by: String,
}

impl From<&RecordStamp> for StampJson {
    fn from(s: &RecordStamp) -> Self {
        StampJson {
            row_version: s.row_version,
            created_at: instant(s.created_ms),
            created_by: s.created_by.clone(),
            updated_at: instant(s.updated_ms),
            updated_by: s.updated_by.clone(),
        }
    }
}

/// A provider's specialty.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SpecialtyJson {
    General,
    Endodontics,
    Orthodontics,
    Pediatric,
    Periodontics,
    Prosthodontics,
    OralSurgery,
    OralPathology,
    OralRadiology,
    OralMedicine,
    OrofacialPain,
    Anesthesiology,
    PublicHealth,
    Hygiene,
}

impl SpecialtyJson {
    fn of(s: Specialty) -> SpecialtyJson {
        serde_json::from_value(serde_json::Value::String(s.as_str().into()))
            .unwrap_or(SpecialtyJson::General)
    }

    fn text(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// A dentist or hygienist, to add or as it stands. On `PUT`, what a `GET` answered may be
/// sent back whole (read-only members are compared, refused by name when changed).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProviderBody {
    /// One line: tabs and line breaks are read as spaces.
    #[schema(
        max_length = 60,
        pattern = r"^[^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*$"
    )]
    family_name: String,
    /// One line: tabs and line breaks are read as spaces.
    #[schema(
        max_length = 60,
        pattern = r"^[^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*$"
    )]
    given_name: String,
    /// The provider's short name on the schedule, unique in the practice: 1 to 8 letters,
    /// digits, spaces, dots or hyphens.
    #[schema(pattern = r"^ *(?:[^\W_]|[.-])(?:(?:[^\W_]|[ .-]){0,6}(?:[^\W_]|[.-]))? *$")]
    abbreviation: String,
    /// `#rrggbb`.
    #[schema(pattern = r"^ *#[0-9A-Fa-f]{6} *$")]
    colour: String,
    /// The National Provider Identifier: 10 digits, the last a check digit.
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9]{10})? *$")]
    npi: Option<String>,
    specialty: SpecialtyJson,
    #[serde(default)]
    is_hygienist: bool,
    /// First day the provider may be booked (a practice date, `YYYY-MM-DD`; blank: none).
    #[serde(default)]
    #[schema(
        pattern = r"^ *(?:(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29))? *$"
    )]
    active_from: Option<String>,
    /// Last day the provider may be booked (`YYYY-MM-DD`; blank: none); not before
    /// `active_from`.
    #[serde(default)]
    #[schema(
        pattern = r"^ *(?:(?:[0-9]{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:[0-9]{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29))? *$"
    )]
    active_to: Option<String>,
    /// The week's working hours (empty: none kept, and bookings are not warned about them).
    #[serde(default)]
    #[schema(max_items = 21)]
    working_hours: Vec<HoursJson>,
    /// The provider's staff account, when they sign in.
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})? *$")]
    user_id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    created_by: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    updated_by: Option<String>,
}

impl ProviderBody {
    pub(crate) fn draft(&self) -> ProviderDraft {
        ProviderDraft {
            family_name: self.family_name.clone(),
            given_name: self.given_name.clone(),
            abbreviation: self.abbreviation.clone(),
            colour: self.colour.clone(),
            npi: self.npi.clone(),
            specialty: self.specialty.text(),
            is_hygienist: self.is_hygienist,
            active_from: self.active_from.clone(),
            active_to: self.active_to.clone(),
            user_id: self.user_id.clone(),
            working_hours: self
                .working_hours
                .iter()
                .map(|h| (h.weekday.clone(), h.start.clone(), h.end.clone()))
                .collect(),
        }
    }

    pub(crate) fn read_only(&self) -> ReadOnly {
        ReadOnly {
            id: self.id.clone(),
            row_version: self.row_version,
            created_at: self.created_at.clone(),
            created_by: self.created_by.clone(),
            updated_at: self.updated_at.clone(),
            updated_by: self.updated_by.clone(),
        }
    }
}

/// One span of a provider's working week, on the practice's clock:
/// `{"weekday": "monday", "start": "08:00", "end": "12:00"}`. Spans of one day must not
/// overlap; the end is after the start.
#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HoursJson {
    #[schema(pattern = "^(monday|tuesday|wednesday|thursday|friday|saturday|sunday)$")]
    weekday: String,
    /// `HH:MM` on a 5-minute mark.
    #[schema(pattern = "^ *(?:[01][0-9]|2[0-3]):[0-5][05] *$")]
    start: String,
    #[schema(pattern = "^ *(?:[01][0-9]|2[0-3]):[0-5][05] *$")]
    end: String,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProviderJson {
    id: String,
    family_name: String,
    given_name: String,
    abbreviation: String,
    colour: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    npi: Option<String>,
    specialty: SpecialtyJson,
    is_hygienist: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    active_from: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    active_to: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    working_hours: Vec<HoursJson>,
    #[serde(flatten)]
    stamp: StampJson,
}

impl From<&ProviderView> for ProviderJson {
    fn from(v: &ProviderView) -> Self {
        let p = &v.provider;
        ProviderJson {
            id: v.id.to_string(),
            family_name: p.family_name.clone(),
            given_name: p.given_name.clone(),
            abbreviation: p.abbreviation.clone(),
            colour: p.colour.clone(),
            npi: p.npi.clone(),
            specialty: SpecialtyJson::of(p.specialty),
            is_hygienist: p.is_hygienist,
            active_from: p.active_from.map(iso_date),
            active_to: p.active_to.map(iso_date),
            user_id: p.user_id.clone(),
            working_hours: p
                .working_hours
                .iter()
                .map(|h| HoursJson {
                    weekday: weekday_text(h.weekday).into(),
                    start: clock_text(h.start),
                    end: clock_text(h.end),
                })
                .collect(),
            stamp: (&v.stamp).into(),
        }
    }
}

/// An operatory (a chair, a room: a column of the schedule), to add or as it stands.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OperatoryBody {
    /// One line: tabs and line breaks are read as spaces.
    #[schema(
        max_length = 40,
        pattern = r"^[^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*$"
    )]
    name: String,
    /// Unique among the practice's operatories: 1 to 8 letters, digits, spaces, dots or
    /// hyphens.
    #[schema(pattern = r"^ *(?:[^\W_]|[.-])(?:(?:[^\W_]|[ .-]){0,6}(?:[^\W_]|[.-]))? *$")]
    abbreviation: String,
    /// Its column's place on the schedule, left to right.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 999)]
    order: i64,
    /// A provider of the practice.
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})? *$")]
    default_dentist_id: Option<String>,
    /// A provider of the practice.
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})? *$")]
    default_hygienist_id: Option<String>,
    #[serde(default)]
    is_hygiene: bool,
    /// Hidden from the schedule. Operatories are never deleted: their appointments name them.
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    created_by: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    updated_by: Option<String>,
}

impl OperatoryBody {
    pub(crate) fn draft(&self) -> OperatoryDraft {
        OperatoryDraft {
            name: self.name.clone(),
            abbreviation: self.abbreviation.clone(),
            order: self.order,
            default_dentist_id: self.default_dentist_id.clone(),
            default_hygienist_id: self.default_hygienist_id.clone(),
            is_hygiene: self.is_hygiene,
            hidden: self.hidden,
        }
    }

    pub(crate) fn read_only(&self) -> ReadOnly {
        ReadOnly {
            id: self.id.clone(),
            row_version: self.row_version,
            created_at: self.created_at.clone(),
            created_by: self.created_by.clone(),
            updated_at: self.updated_at.clone(),
            updated_by: self.updated_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct OperatoryJson {
    id: String,
    name: String,
    abbreviation: String,
    order: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_dentist_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    default_hygienist_id: Option<String>,
    is_hygiene: bool,
    hidden: bool,
    #[serde(flatten)]
    stamp: StampJson,
}

impl From<&OperatoryView> for OperatoryJson {
    fn from(v: &OperatoryView) -> Self {
        let o = &v.operatory;
        OperatoryJson {
            id: v.id.to_string(),
            name: o.name.clone(),
            abbreviation: o.abbreviation.clone(),
            order: o.order,
            default_dentist_id: o.default_dentist_id.clone(),
            default_hygienist_id: o.default_hygienist_id.clone(),
            is_hygiene: o.is_hygiene,
            hidden: o.hidden,
            stamp: (&v.stamp).into(),
        }
    }
}

/// A kind of visit and its default time pattern, to add or as it stands.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppointmentTypeBody {
    /// Unique among the practice's appointment types; one line: tabs and line breaks are read
    /// as spaces.
    #[schema(
        max_length = 60,
        pattern = r"^[^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*[^\s<>{}\\;\x00-\x1f\x7f-\x9f][^<>{}\\;\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]*$"
    )]
    name: String,
    #[schema(pattern = r"^ *#[0-9A-Fa-f]{6} *$")]
    colour: String,
    /// One character per 5 minutes: `X` provider time, `/` assistant time (`//XXXX//`); at
    /// most 144 (12 hours), spaces ignored.
    #[schema(pattern = r"^ *(?:[Xx/] *){1,144}$")]
    pattern: String,
    /// Codes from the practice's list (`GET /api/v1/procedure-codes`), each once.
    #[serde(default)]
    #[schema(max_items = 20)]
    procedure_codes: Vec<CodeText>,
    #[serde(default)]
    hidden: bool,
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    created_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    created_by: Option<String>,
    #[serde(default)]
    #[schema(read_only, format = DateTime)]
    updated_at: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    updated_by: Option<String>,
    /// The pattern's length in minutes, as a `GET` answers it: when sent, it must match.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 720, multiple_of = 5)]
    duration_min: Option<i64>,
}

/// A procedure code of the practice's list.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^ *[A-Za-z0-9](?:[A-Za-z0-9.-]{0,13}[A-Za-z0-9])? *$")]
pub(crate) struct CodeText(String);

impl AppointmentTypeBody {
    pub(crate) fn draft(&self) -> AppointmentTypeDraft {
        AppointmentTypeDraft {
            name: self.name.clone(),
            colour: self.colour.clone(),
            pattern: self.pattern.clone(),
            procedure_codes: self.procedure_codes.iter().map(|c| c.0.clone()).collect(),
            hidden: self.hidden,
            duration_min: self.duration_min,
        }
    }

    pub(crate) fn read_only(&self) -> ReadOnly {
        ReadOnly {
            id: self.id.clone(),
            row_version: self.row_version,
            created_at: self.created_at.clone(),
            created_by: self.created_by.clone(),
            updated_at: self.updated_at.clone(),
            updated_by: self.updated_by.clone(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AppointmentTypeJson {
    id: String,
    name: String,
    colour: String,
    pattern: String,
    duration_min: i64,
    procedure_codes: Vec<String>,
    hidden: bool,
    #[serde(flatten)]
    stamp: StampJson,
}

impl From<&AppointmentTypeView> for AppointmentTypeJson {
    fn from(v: &AppointmentTypeView) -> Self {
        let t = &v.appointment_type;
        AppointmentTypeJson {
            id: v.id.to_string(),
            name: t.name.clone(),
            colour: t.colour.clone(),
            pattern: t.pattern.as_str().to_string(),
            duration_min: t.pattern.minutes(),
            procedure_codes: t.procedure_codes.clone(),
            hidden: t.hidden,
            stamp: (&v.stamp).into(),
        }
    }
}

/// The practice's providers.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProvidersJson {
    pub(crate) items: Vec<ProviderJson>,
}

/// The practice's operatories, in schedule order (hidden ones included).
#[derive(Serialize, ToSchema)]
pub(crate) struct OperatoriesJson {
    pub(crate) items: Vec<OperatoryJson>,
}

/// The practice's appointment types.
#[derive(Serialize, ToSchema)]
pub(crate) struct AppointmentTypesJson {
    pub(crate) items: Vec<AppointmentTypeJson>,
}
