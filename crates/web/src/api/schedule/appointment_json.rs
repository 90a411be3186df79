//! Appointments over JSON. Times are RFC 3339 with the practice's offset (`start`, `end`),
//! the desk's times (`*_at`) in UTC like every other instant of the API.

use enamel_app::{AppError, AppointmentClaims, AppointmentView, READ_ONLY};
use enamel_domain::scheduling::{
    AppointmentDraft, AppointmentStatus, ConfirmationChannel, start_text,
};
use enamel_domain::{FieldProblem, PracticeTz};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::resource_json::StampJson;
use crate::ApiError;
use crate::api::{maybe_instant, parse_instant};

/// Where an appointment stands.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
// Named apart in the document: the patients' `StatusJson` has the same Rust name, and of two
// schemas with one name the document keeps only the last (the patients' status was documented
// as an appointment's, and their search refused with 400 what the document offered).
#[schema(as = AppointmentStatusJson)]
pub(crate) enum StatusJson {
    Scheduled,
    Confirmed,
    Arrived,
    InChair,
    Complete,
    /// Broken: the patient did not come.
    Broken,
    Cancelled,
    /// On the ASAP list: waiting for an earlier opening, holding no time.
    Asap,
}

impl StatusJson {
    pub(crate) fn of(s: AppointmentStatus) -> StatusJson {
        use AppointmentStatus as S;
        match s {
            S::Scheduled => StatusJson::Scheduled,
            S::Confirmed => StatusJson::Confirmed,
            S::Arrived => StatusJson::Arrived,
            S::InChair => StatusJson::InChair,
            S::Complete => StatusJson::Complete,
            S::Broken => StatusJson::Broken,
            S::Cancelled => StatusJson::Cancelled,
            S::Asap => StatusJson::Asap,
        }
    }

    pub(crate) fn domain(self) -> AppointmentStatus {
        use AppointmentStatus as S;
        match self {
            StatusJson::Scheduled => S::Scheduled,
            StatusJson::Confirmed => S::Confirmed,
            StatusJson::Arrived => S::Arrived,
            StatusJson::InChair => S::InChair,
            StatusJson::Complete => S::Complete,
            StatusJson::Broken => S::Broken,
            StatusJson::Cancelled => S::Cancelled,
            StatusJson::Asap => S::Asap,
        }
    }
}

/// How the patient confirmed.
#[derive(Deserialize, Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ViaJson {
    InPerson,
    Phone,
    Email,
    Sms,
    Link,
    Portal,
}

impl ViaJson {
    pub(crate) fn of(c: ConfirmationChannel) -> ViaJson {
        use ConfirmationChannel as C;
        match c {
            C::InPerson => ViaJson::InPerson,
            C::Phone => ViaJson::Phone,
            C::Email => ViaJson::Email,
            C::Sms => ViaJson::Sms,
            C::Link => ViaJson::Link,
            C::Portal => ViaJson::Portal,
        }
    }

    pub(crate) fn domain(self) -> ConfirmationChannel {
        use ConfirmationChannel as C;
        match self {
            ViaJson::InPerson => C::InPerson,
            ViaJson::Phone => C::Phone,
            ViaJson::Email => C::Email,
            ViaJson::Sms => C::Sms,
            ViaJson::Link => C::Link,
            ViaJson::Portal => C::Portal,
        }
    }
}

/// A booking, or an appointment's new chair, providers, time, pattern and note. The smallest:
/// `{"patient_id", "operatory_id", "provider_id", "start", "duration_min"}`. On `PUT`, what a
/// `GET` answered may be sent back whole: the read-only members are compared with the
/// appointment, ignored when equal and refused by name when changed (`patient` is ignored).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AppointmentBody {
    #[schema(pattern = r"^ *[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} *$")]
    patient_id: String,
    #[schema(pattern = r"^ *[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} *$")]
    operatory_id: String,
    /// The provider whose time the `X` units of the pattern hold.
    #[schema(pattern = r"^ *[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} *$")]
    provider_id: String,
    /// A hygienist of the practice who also sees the patient.
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})? *$")]
    hygienist_id: Option<String>,
    #[serde(default)]
    #[schema(pattern = r"^ *(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})? *$")]
    appointment_type_id: Option<String>,
    /// On a 5-minute mark of the practice's clock, in the years 1900 to 2199: RFC 3339 with the
    /// practice's offset (`2027-03-09T09:00:00-05:00`, seconds `00`), or the practice's local
    /// time without an offset (`2027-03-09T09:00`). An offset other than the practice's at that
    /// time, or a local time the clocks skip or repeat that night, is refused (the pattern
    /// cannot know the practice's time zone).
    #[schema(
        pattern = r"^ *(?:(?:19[0-9]{2}|2[01][0-9]{2})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))|(?:(?:19|21)(?:0[48]|[2468][048]|[13579][26])|20(?:[02468][048]|[13579][26]))-02-29)[Tt ](?:[01][0-9]|2[0-3]):[0-5][05](?::00(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])?)? *$"
    )]
    start: String,
    /// Minutes, all of them provider time; or give `pattern`, or an appointment type.
    #[serde(default)]
    #[schema(minimum = 5, maximum = 720, multiple_of = 5)]
    duration_min: Option<i64>,
    /// One character per 5 minutes: `X` provider time, `/` assistant time; at most 144 (12
    /// hours), spaces ignored. Blank: none.
    #[serde(default)]
    #[schema(pattern = r"^ *(?:(?:[Xx/] *){1,144})?$")]
    pattern: Option<String>,
    /// For the front desk (sealed when stored). Tabs and line breaks are kept; other control
    /// characters are refused, except among the spaces trimmed from either end.
    #[serde(default)]
    #[schema(
        max_length = 2000,
        pattern = r"^[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[\t\n\x0b\x0c\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*$"
    )]
    note: Option<String>,
    /// Book anyway when the time is outside the provider's working hours, in a blockout or on
    /// a practice holiday (answered `409 schedule_warning` otherwise); the override is audited.
    #[serde(default)]
    acknowledge_warnings: bool,
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    status: Option<StatusJson>,
    #[serde(default)]
    #[schema(read_only)]
    source: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    end: Option<String>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>)]
    confirmed_via: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    confirmed_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    arrived_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    seated_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    dismissed_at: Option<Option<String>>,
    #[serde(default)]
    #[schema(schema_with = read_only_patient)]
    patient: Option<serde_json::Map<String, serde_json::Value>>,
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

/// `patient` in a body: read-only like the other members a `GET` answers. (utoipa drops
/// `read_only` from a member declared `value_type = Object`, which left it documented as one a
/// booking may send, and a booking refuses it.)
fn read_only_patient() -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Object, Type::Null]))
        .read_only(true)
        .description(Some(
            "Read-only: refused on a booking, ignored on a replacement.",
        ))
        .build()
}

impl AppointmentBody {
    pub(crate) fn draft(&self) -> AppointmentDraft {
        AppointmentDraft {
            patient_id: self.patient_id.clone(),
            operatory_id: self.operatory_id.clone(),
            provider_id: self.provider_id.clone(),
            hygienist_id: self.hygienist_id.clone(),
            appointment_type_id: self.appointment_type_id.clone(),
            start: self.start.clone(),
            duration_min: self.duration_min,
            pattern: self.pattern.clone(),
            note: self.note.clone(),
            acknowledge_warnings: self.acknowledge_warnings,
        }
    }

    /// Refuses read-only members on a booking.
    pub(crate) fn refuse_read_only(&self) -> Result<(), ApiError> {
        let sent = [
            ("id", self.id.is_some()),
            ("status", self.status.is_some()),
            ("source", self.source.is_some()),
            ("end", self.end.is_some()),
            ("confirmed_via", self.confirmed_via.is_some()),
            ("confirmed_at", self.confirmed_at.is_some()),
            ("arrived_at", self.arrived_at.is_some()),
            ("seated_at", self.seated_at.is_some()),
            ("dismissed_at", self.dismissed_at.is_some()),
            ("patient", self.patient.is_some()),
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

    /// The read-only members sent back on a replacement; `id` is checked against the path
    /// here, the others in the room.
    pub(crate) fn claims(&self, path_id: &str) -> Result<AppointmentClaims, ApiError> {
        let refused = |field: &'static str| {
            ApiError(AppError::Invalid(vec![FieldProblem::new(field, READ_ONLY)]))
        };
        if self.id.as_deref().is_some_and(|id| id != path_id) {
            return Err(refused("id"));
        }
        let instant = |field: &'static str, value: &Option<String>| match value {
            None => Ok(None),
            Some(text) => parse_instant(text).map(Some).ok_or_else(|| refused(field)),
        };
        let maybe_instant = |field: &'static str, value: &Option<Option<String>>| match value {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(text)) => parse_instant(text)
                .map(|ms| Some(Some(ms)))
                .ok_or_else(|| refused(field)),
        };
        let end_ms = match &self.end {
            None => None,
            Some(text) => Some(parse_instant(text).ok_or_else(|| refused("end"))?),
        };
        Ok(AppointmentClaims {
            status: self.status.map(|s| s.domain().as_str().to_string()),
            source: self.source.clone(),
            end_ms,
            confirmed_via: self.confirmed_via.clone(),
            confirmed_ms: maybe_instant("confirmed_at", &self.confirmed_at)?,
            arrived_ms: maybe_instant("arrived_at", &self.arrived_at)?,
            seated_ms: maybe_instant("seated_at", &self.seated_at)?,
            dismissed_ms: maybe_instant("dismissed_at", &self.dismissed_at)?,
            record: enamel_app::RecordClaims {
                row_version: self.row_version,
                created_ms: instant("created_at", &self.created_at)?,
                created_by: self.created_by.clone(),
                updated_ms: instant("updated_at", &self.updated_at)?,
                updated_by: self.updated_by.clone(),
            },
        })
    }
}

/// Whose appointment it is, for a caller who may see demographics.
#[derive(Serialize, ToSchema)]
pub(crate) struct PatientNameJson {
    family_name: String,
    given_name: String,
    #[schema(format = Date)]
    birth_date: String,
}

/// An appointment as the caller may see it.
#[derive(Serialize, ToSchema)]
pub(crate) struct AppointmentJson {
    id: String,
    patient_id: String,
    /// Absent for a caller who may not see the patient's demographics.
    #[serde(skip_serializing_if = "Option::is_none")]
    patient: Option<PatientNameJson>,
    operatory_id: String,
    provider_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    hygienist_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    appointment_type_id: Option<String>,
    /// RFC 3339 with the practice's offset.
    start: String,
    end: String,
    duration_min: i64,
    pattern: String,
    status: StatusJson,
    /// `staff`, `portal` or `api`.
    source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed_via: Option<ViaJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    confirmed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    arrived_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    seated_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    dismissed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    #[serde(flatten)]
    stamp: StampJson,
}

impl AppointmentJson {
    pub(crate) fn of(v: &AppointmentView, tz: &PracticeTz) -> AppointmentJson {
        AppointmentJson {
            id: v.id.to_string(),
            patient_id: v.patient_id.to_string(),
            patient: v.patient.as_ref().map(|p| PatientNameJson {
                family_name: p.family_name.clone(),
                given_name: p.given_name.clone(),
                birth_date: p.birth_date.clone(),
            }),
            operatory_id: v.operatory_id.to_string(),
            provider_id: v.provider_id.to_string(),
            hygienist_id: v.hygienist_id.map(|h| h.to_string()),
            appointment_type_id: v.appointment_type_id.map(|t| t.to_string()),
            start: start_text(tz, v.start),
            end: start_text(tz, v.end),
            duration_min: v.pattern.minutes(),
            pattern: v.pattern.as_str().to_string(),
            status: StatusJson::of(v.status),
            source: v.source.as_str().to_string(),
            confirmed_via: v.confirmed_via.map(ViaJson::of),
            confirmed_at: maybe_instant(v.stamps.confirmed_ms),
            arrived_at: maybe_instant(v.stamps.arrived_ms),
            seated_at: maybe_instant(v.stamps.seated_ms),
            dismissed_at: maybe_instant(v.stamps.dismissed_ms),
            note: v.note.clone(),
            stamp: (&v.stamp).into(),
        }
    }
}

/// A day of the schedule.
#[derive(Serialize, ToSchema)]
pub(crate) struct DayJson {
    #[schema(format = Date)]
    date: String,
    /// The practice's IANA time zone, which `start` and `end` are given in.
    time_zone: String,
    /// Every appointment that overlaps the day, cancelled and broken ones included, by start.
    items: Vec<AppointmentJson>,
}

impl DayJson {
    pub(crate) fn new(date: String, time_zone: String, items: Vec<AppointmentJson>) -> Self {
        DayJson {
            date,
            time_zone,
            items,
        }
    }
}

/// The ASAP list: appointments waiting for an earlier opening.
#[derive(Serialize, ToSchema)]
pub(crate) struct AsapJson {
    pub(crate) items: Vec<AppointmentJson>,
}

/// Which day, and optionally which chair or provider.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct DayParams {
    /// A practice date, `YYYY-MM-DD`.
    #[param(value_type = String, format = Date)]
    pub(crate) date: String,
    /// An operatory's id: only its column.
    #[param(pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub(crate) operatory: Option<String>,
    /// A provider's id: only their appointments (as provider or hygienist).
    #[param(pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    pub(crate) provider: Option<String>,
}

/// A new status: `{"status": "arrived"}`, or `{"status": "confirmed", "via": "phone"}`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct StatusBody {
    pub(crate) status: StatusJson,
    /// Only with `confirmed`: how the patient confirmed.
    #[serde(default)]
    pub(crate) via: Option<ViaJson>,
}
