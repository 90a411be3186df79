//! The JSON answers of the chart API, made from the room's views.

use enamel_app::{AddendumView, ChartView, ProcedureView};
use enamel_domain::clinical::{Numbering, ProcedureCode, Site};
use enamel_domain::iso_date;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::NumberingJson;
use super::teeth::ToothStateChangeJson;
use crate::api::{instant, maybe_instant};

/// Money is in minor units of the practice's currency.
pub(crate) const CURRENCY: &str = "USD";

#[derive(Serialize, ToSchema)]
pub(crate) struct AddendumJson {
    id: String,
    /// `addendum`, or `invalidation` (why the entry was marked entered in error).
    kind: String,
    body: String,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: String,
}

impl From<AddendumView> for AddendumJson {
    fn from(a: AddendumView) -> Self {
        AddendumJson {
            id: a.id,
            kind: a.kind,
            body: a.body,
            created_at: instant(a.created_ms),
            created_by: a.created_by,
        }
    }
}

/// A charted procedure or condition. Members a caller's role may not see are left out and
/// named in `withheld` (billing sees completed work and fees, not notes or addenda).
#[derive(Serialize, ToSchema)]
pub(crate) struct ProcedureJson {
    id: String,
    patient_id: String,
    /// The `ETag`.
    row_version: i64,
    /// `planned`, `completed`, `existing_current`, `existing_other`, `referred`, `condition`
    /// or `entered_in_error`.
    status: String,
    code: String,
    /// The code's description when charted.
    description: String,
    /// `mouth`, `arch`, `quadrant`, `sextant`, `tooth`, `surface` or `tooth_range`.
    area_type: String,
    /// Universal numbering (the stored form).
    tooth: Option<String>,
    /// The tooth as the practice reads it (Universal or FDI).
    tooth_display: Option<String>,
    /// In canonical order (`MOD`).
    surfaces: Option<String>,
    area: Option<String>,
    teeth: Vec<String>,
    /// For people: `3 MO`, `UR`, `3,4,5`, `mouth`.
    site: String,
    provider_id: Option<String>,
    #[schema(format = Date)]
    planned_on: String,
    #[schema(format = Date)]
    completed_on: Option<String>,
    /// In minor units of `currency`.
    fee: i64,
    currency: &'static str,
    diagnosis_codes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// Completed work that can no longer change (only addenda and invalidation remain).
    locked: bool,
    #[schema(format = DateTime)]
    locks_at: Option<String>,
    #[schema(format = DateTime)]
    completed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    addenda: Option<Vec<AddendumJson>>,
    withheld: Vec<String>,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: String,
    #[schema(format = DateTime)]
    updated_at: String,
    updated_by: String,
}

impl ProcedureJson {
    pub(crate) fn of(v: ProcedureView, numbering: Numbering) -> ProcedureJson {
        let p = v.procedure;
        let withheld: Vec<String> = v.withheld.iter().map(|w| (*w).to_string()).collect();
        let addenda = (!v.withheld.contains(&"addenda"))
            .then(|| v.addenda.into_iter().map(AddendumJson::from).collect());
        ProcedureJson {
            id: v.id.to_string(),
            patient_id: v.patient_id.to_string(),
            row_version: v.row_version,
            status: p.status.as_str().to_string(),
            code: p.code,
            description: p.description,
            area_type: p.site.area_type().as_str().to_string(),
            tooth: p.site.tooth().map(|t| t.to_string()),
            tooth_display: p.site.tooth().map(|t| t.display(numbering)),
            surfaces: p.site.surfaces().map(|s| s.to_string()),
            area: p.site.area().map(str::to_string),
            teeth: match &p.site {
                Site::Teeth(teeth) => teeth.iter().map(ToString::to_string).collect(),
                _ => Vec::new(),
            },
            site: p.site.to_string(),
            provider_id: p.provider_id,
            planned_on: iso_date(p.planned_on),
            completed_on: p.completed_on.map(iso_date),
            fee: p.fee,
            currency: CURRENCY,
            diagnosis_codes: p.diagnosis_codes,
            note: p.note,
            locked: v.locked,
            locks_at: maybe_instant(v.locks_at_ms),
            completed_at: maybe_instant(v.completed_ms),
            addenda,
            withheld,
            created_at: instant(v.created_ms),
            created_by: v.created_by,
            updated_at: instant(v.updated_ms),
            updated_by: v.updated_by,
        }
    }
}

/// Whose chart it is (for a caller who may see demographics).
#[derive(Serialize, ToSchema)]
pub(crate) struct ChartPatientJson {
    family_name: String,
    given_name: String,
    #[schema(format = Date)]
    birth_date: String,
}

/// A patient's chart: every procedure and condition the caller may see, oldest first.
#[derive(Serialize, ToSchema)]
pub(crate) struct ChartJson {
    patient_id: String,
    /// Whose chart it is, so nobody charts on the wrong patient; left out for a caller who
    /// may not see demographics.
    #[serde(skip_serializing_if = "Option::is_none")]
    patient: Option<ChartPatientJson>,
    tooth_numbering: NumberingJson,
    /// The moment the chart shows: now, or the end of the `as_of` day.
    #[schema(format = DateTime)]
    as_of: String,
    /// True when the caller sees completed work and fees only (billing).
    billing_view: bool,
    procedures: Vec<ProcedureJson>,
    /// The teeth that are not simply present (missing, unerupted, impacted, implants), in
    /// Universal order, each with the change that put it in its state. Billing sees them too:
    /// a claim names the missing teeth.
    teeth: Vec<ToothStateChangeJson>,
}

pub(crate) fn numbering_json(n: Numbering) -> NumberingJson {
    match n {
        Numbering::Universal => NumberingJson::Universal,
        Numbering::Fdi => NumberingJson::Fdi,
    }
}

impl From<ChartView> for ChartJson {
    fn from(c: ChartView) -> Self {
        ChartJson {
            patient_id: c.patient_id.to_string(),
            patient: c.patient.map(|p| ChartPatientJson {
                family_name: p.family_name,
                given_name: p.given_name,
                birth_date: p.birth_date,
            }),
            tooth_numbering: numbering_json(c.numbering),
            as_of: instant(c.as_of_ms),
            billing_view: c.billing_view,
            procedures: c
                .procedures
                .into_iter()
                .map(|p| ProcedureJson::of(p, c.numbering))
                .collect(),
            teeth: c
                .teeth
                .into_iter()
                .map(|t| ToothStateChangeJson::of(t, c.numbering))
                .collect(),
        }
    }
}

/// One page of a patient's procedures.
#[derive(Serialize, ToSchema)]
pub(crate) struct ProceduresJson {
    items: Vec<ProcedureJson>,
    /// The cursor of the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    next: Option<String>,
}

impl ProceduresJson {
    pub(crate) fn new(items: Vec<ProcedureJson>, next: Option<String>) -> Self {
        ProceduresJson { items, next }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub(crate) struct ProcedurePageParams {
    /// The `next` of the previous page; leave out for the first.
    #[param(pattern = "^[A-Za-z0-9_-]{0,200}$")]
    pub(crate) cursor: Option<String>,
    /// Items per page, 1 to 500 (100 if left out).
    #[param(minimum = 1, maximum = 500)]
    pub(crate) limit: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProcedureCodeJson {
    code: String,
    description: String,
    area_type: String,
    /// In minor units of `currency`.
    default_fee: i64,
    currency: &'static str,
}

impl From<ProcedureCode> for ProcedureCodeJson {
    fn from(c: ProcedureCode) -> Self {
        ProcedureCodeJson {
            code: c.code,
            description: c.description,
            area_type: c.area_type.as_str().to_string(),
            default_fee: c.default_fee,
            currency: CURRENCY,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ProcedureCodesJson {
    items: Vec<ProcedureCodeJson>,
}

impl ProcedureCodesJson {
    pub(crate) fn new(items: Vec<ProcedureCodeJson>) -> Self {
        ProcedureCodesJson { items }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct ChartSettingsJson {
    tooth_numbering: NumberingJson,
    chart_lock_hours: i64,
}

impl ChartSettingsJson {
    pub(crate) fn new(numbering: Numbering, lock_hours: i64) -> Self {
        ChartSettingsJson {
            tooth_numbering: numbering_json(numbering),
            chart_lock_hours: lock_hours,
        }
    }
}
