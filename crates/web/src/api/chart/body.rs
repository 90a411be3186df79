//! The request bodies of the chart API, with the rules the document declares, and their
//! conversion to the room's drafts. Which of `tooth`, `surfaces`, `area` and `teeth` a
//! procedure needs depends on its code (stored data), so the document declares each member's
//! own shape and the room names what a code asks for.

use enamel_app::{AppError, ProcedureClaims, READ_ONLY};
use enamel_domain::FieldProblem;
use enamel_domain::clinical::ProcedureDraft;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::ApiError;

/// A status a procedure may be charted with.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChartedStatusJson {
    Planned,
    Completed,
    ExistingCurrent,
    ExistingOther,
    Referred,
    Condition,
}

impl ChartedStatusJson {
    fn as_str(self) -> &'static str {
        match self {
            ChartedStatusJson::Planned => "planned",
            ChartedStatusJson::Completed => "completed",
            ChartedStatusJson::ExistingCurrent => "existing_current",
            ChartedStatusJson::ExistingOther => "existing_other",
            ChartedStatusJson::Referred => "referred",
            ChartedStatusJson::Condition => "condition",
        }
    }
}

/// A procedure or condition to chart, or its corrected state. On `PUT`, what a `GET` answered
/// may be sent back whole: the read-only members are compared with the entry as you read it,
/// ignored when equal and refused by name when changed (`addenda` and `withheld` are ignored).
/// On `POST` they are refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProcedureBody {
    /// A code of the practice's list (`GET /api/v1/procedure-codes`).
    #[schema(pattern = r"^\s*[A-Za-z0-9](?:[A-Za-z0-9.-]{0,13}[A-Za-z0-9])?\s*$")]
    code: String,
    /// `planned` when left out. Entries reach `entered_in_error` only by invalidation.
    #[serde(default)]
    status: Option<ChartedStatusJson>,
    /// For tooth and surface codes.
    #[serde(default)]
    #[schema(
        pattern = r"^\s*(?:[1-9]|[12][0-9]|3[0-2]|5[1-9]|6[0-9]|7[0-9]|8[0-2]|[A-Ta-t][Ss]?)\s*$"
    )]
    tooth: Option<String>,
    /// For surface codes: letters among M, O, I, D, B, F, V, L (O and B on back teeth, I and F
    /// on front teeth), each once.
    #[serde(default)]
    #[schema(pattern = r"^\s*[MOIDBFVLmoidbfvl]{1,8}\s*$")]
    surfaces: Option<String>,
    /// For arch (`U`, `L`), quadrant (`UR`, `UL`, `LL`, `LR`) and sextant (`S1`–`S6`) codes.
    #[serde(default)]
    #[schema(pattern = r"^\s*(?:[UuLl]|[UuLl][RrLl]|[Ss][1-6])\s*$")]
    area: Option<String>,
    /// For tooth-range codes: 2 to 16 teeth of one arch.
    #[serde(default)]
    #[schema(min_items = 2, max_items = 16)]
    teeth: Option<Vec<ToothText>>,
    /// A staff account of the practice (blank: none).
    #[serde(default)]
    #[schema(
        pattern = r"^\s*(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})?\s*$"
    )]
    provider_id: Option<String>,
    /// The practice date it was planned or noted; today when left out. Never in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    planned_on: Option<String>,
    /// For completed and existing work; today for completed work when left out.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    completed_on: Option<String>,
    /// In cents; the code's default fee when left out.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 99_999_999)]
    fee: Option<i64>,
    /// ICD-10 codes, at most 4 (`K02.52`).
    #[serde(default)]
    #[schema(max_items = 4)]
    diagnosis_codes: Vec<DiagnosisText>,
    /// Clinical text; control characters other than line breaks and tabs are refused.
    #[serde(default)]
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    note: Option<String>,
    // Read-only members of a GET, accepted back: compared with the entry as the caller reads
    // it, ignored when equal, refused by name when not.
    #[serde(default)]
    #[schema(read_only)]
    id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    patient_id: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    row_version: Option<i64>,
    #[serde(default)]
    #[schema(read_only)]
    description: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    area_type: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    site: Option<String>,
    #[serde(default)]
    #[schema(read_only)]
    locked: Option<bool>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    locks_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "crate::api::body::present")]
    #[schema(read_only, value_type = Option<String>, format = DateTime)]
    completed_at: Option<Option<String>>,
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
    /// Read-only: addenda are added through their own route; ignored here.
    #[serde(default)]
    #[schema(read_only, value_type = Option<Vec<Object>>)]
    addenda: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    /// Read-only; ignored here.
    #[serde(default)]
    #[schema(read_only)]
    withheld: Option<Vec<String>>,
}

/// One tooth of a range.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^\s*(?:[1-9]|[12][0-9]|3[0-2]|5[1-9]|6[0-9]|7[0-9]|8[0-2]|[A-Ta-t][Ss]?)\s*$")]
pub(crate) struct ToothText(String);

/// An ICD-10 code: a letter, a digit, a letter or digit, then optionally a dot and up to
/// four more.
#[derive(Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(pattern = r"^\s*[A-Za-z][0-9][A-Za-z0-9](?:\.?[A-Za-z0-9]{1,4})?\s*$")]
pub(crate) struct DiagnosisText(String);

impl ProcedureBody {
    /// The read-only members sent back on a replacement, with `id` checked against the path
    /// here.
    pub(crate) fn claims(&self, path_id: &str) -> Result<ProcedureClaims, ApiError> {
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
        let maybe_instant = |field: &'static str, value: &Option<Option<String>>| match value {
            None => Ok(None),
            Some(None) => Ok(Some(None)),
            Some(Some(text)) => crate::api::parse_instant(text)
                .map(|ms| Some(Some(ms)))
                .ok_or_else(|| refused(field)),
        };
        Ok(ProcedureClaims {
            patient_id: self.patient_id.clone(),
            row_version: self.row_version,
            description: self.description.clone(),
            area_type: self.area_type.clone(),
            site: self.site.clone(),
            locked: self.locked,
            locks_at_ms: maybe_instant("locks_at", &self.locks_at)?,
            completed_ms: maybe_instant("completed_at", &self.completed_at)?,
            created_ms: instant("created_at", &self.created_at)?,
            created_by: self.created_by.clone(),
            updated_ms: instant("updated_at", &self.updated_at)?,
            updated_by: self.updated_by.clone(),
        })
    }

    /// Refuses read-only members on a create: a new entry has none yet.
    pub(crate) fn refuse_read_only(&self) -> Result<(), ApiError> {
        let sent = [
            ("id", self.id.is_some()),
            ("patient_id", self.patient_id.is_some()),
            ("row_version", self.row_version.is_some()),
            ("description", self.description.is_some()),
            ("area_type", self.area_type.is_some()),
            ("site", self.site.is_some()),
            ("locked", self.locked.is_some()),
            ("locks_at", self.locks_at.is_some()),
            ("completed_at", self.completed_at.is_some()),
            ("addenda", self.addenda.is_some()),
            ("withheld", self.withheld.is_some()),
            ("created_at", self.created_at.is_some()),
            ("created_by", self.created_by.is_some()),
            ("updated_at", self.updated_at.is_some()),
            ("updated_by", self.updated_by.is_some()),
        ];
        match sent.iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(ApiError(AppError::Invalid(vec![FieldProblem::new(
                *field,
                "is set by the server: leave it out of a new entry",
            )]))),
            None => Ok(()),
        }
    }

    pub(crate) fn draft(self) -> Result<ProcedureDraft, ApiError> {
        strict_date("planned_on", self.planned_on.as_deref())?;
        strict_date("completed_on", self.completed_on.as_deref())?;
        Ok(ProcedureDraft {
            code: self.code,
            status: self.status.map(|s| s.as_str().to_string()),
            tooth: self.tooth,
            surfaces: self.surfaces,
            area: self.area,
            teeth: self.teeth.map(|t| t.into_iter().map(|t| t.0).collect()),
            provider_id: self.provider_id,
            planned_on: self.planned_on,
            completed_on: self.completed_on,
            fee: self.fee,
            diagnosis_codes: self.diagnosis_codes.into_iter().map(|d| d.0).collect(),
            note: self.note,
        })
    }
}

/// Marks planned work completed.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CompleteBody {
    /// The practice date the work was done; today when left out. Never in the future.
    #[serde(default)]
    #[schema(value_type = Option<String>, format = Date)]
    pub(crate) completed_on: Option<String>,
}

/// Why an entry is being marked entered in error (kept as an addendum).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct InvalidateBody {
    #[schema(
        min_length = 1,
        max_length = 500,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub(crate) reason: String,
}

/// An addendum to a procedure.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddendumBody {
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\s][^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub(crate) body: String,
}

/// Which day's chart.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ChartParams {
    /// A past practice date: the chart as it stood at the end of that day. Now when left out.
    #[param(value_type = Option<String>, format = Date)]
    pub(crate) as_of: Option<String>,
}

/// The practice's chart settings.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChartSettingsBody {
    /// `universal` (1–32, A–T) or `fdi` (ISO 3950). Storage is always Universal.
    pub(crate) tooth_numbering: NumberingJson,
    /// Hours after completion during which completed work may still be corrected (0 to 720).
    #[schema(minimum = 0, maximum = 720)]
    pub(crate) chart_lock_hours: i64,
}

#[derive(Debug, Clone, Copy, Deserialize, serde::Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NumberingJson {
    Universal,
    Fdi,
}

/// A date member as the document declares it (`format: date`, `YYYY-MM-DD` exactly): sent,
/// it must be one; the room then judges it against the practice's calendar.
pub(crate) fn strict_date(field: &'static str, text: Option<&str>) -> Result<(), ApiError> {
    let is_date = |t: &str| {
        t.len() == 10
            && time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
                .is_ok()
    };
    match text {
        Some(t) if !is_date(t) => Err(ApiError(AppError::Invalid(vec![FieldProblem::new(
            field,
            "must be a date written as YYYY-MM-DD",
        )]))),
        _ => Ok(()),
    }
}
