//! The JSON answers of the treatment plan API, made from the room's views.

use enamel_app::{PlanView, SignatureCheck};
use enamel_domain::clinical::{PlanTotals, Signature};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::CURRENCY;
use super::notes::SignatureCheckJson;
use crate::api::{instant, maybe_instant};

#[derive(Serialize, ToSchema)]
pub(crate) struct PlanLineJson {
    phase: u8,
    phase_name: String,
    position: u16,
    procedure_id: String,
    code: String,
    description: String,
    site: String,
    fee: i64,
    insurance_estimate: i64,
    patient_portion: i64,
    write_off: i64,
}

/// A line of the plan as drafted: what `PUT` takes back.
#[derive(Serialize, ToSchema)]
pub(crate) struct DraftLineJson {
    procedure_id: String,
    insurance_estimate: i64,
    patient_portion: i64,
}

/// A phase of the plan as drafted: what `PUT` takes back.
#[derive(Serialize, ToSchema)]
pub(crate) struct DraftPhaseJson {
    name: String,
    lines: Vec<DraftLineJson>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct TotalsJson {
    fee: i64,
    insurance_estimate: i64,
    patient_portion: i64,
    write_off: i64,
}

impl From<PlanTotals> for TotalsJson {
    fn from(t: PlanTotals) -> Self {
        TotalsJson {
            fee: t.fee,
            insurance_estimate: t.insurance_estimate,
            patient_portion: t.patient_portion,
            write_off: t.write_off(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PhaseTotalsJson {
    phase: u8,
    /// Left out for a reader who sees totals only.
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    totals: TotalsJson,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlanTotalsJson {
    overall: TotalsJson,
    phases: Vec<PhaseTotalsJson>,
}

#[derive(Serialize, ToSchema)]
pub(crate) struct AcceptanceJson {
    /// `patient` or `responsible_party`.
    accepted_by: String,
    signer_name: String,
    /// `in_office` or `portal`.
    channel: String,
    /// `typed` or `drawn`.
    signature_kind: String,
    /// The typed name, for a typed signature.
    signature_text: Option<String>,
    #[schema(format = DateTime)]
    accepted_at: String,
    /// The staff member who recorded it.
    recorded_by: String,
}

/// A treatment plan. For a reader who sees totals only (`totals_only`), the title, note, lines
/// and acceptance are left out.
#[derive(Serialize, ToSchema)]
pub(crate) struct PlanJson {
    id: String,
    patient_id: String,
    /// `draft`, `presented`, `accepted`, `declined` or `superseded`.
    status: String,
    row_version: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<String>,
    /// A draft's lines as they would freeze now; a presented plan's, as frozen.
    /// The plan as drafted, phase by phase (what `PUT` takes back); left out for a reader of
    /// totals only.
    #[serde(skip_serializing_if = "Option::is_none")]
    phases: Option<Vec<DraftPhaseJson>>,
    lines: Vec<PlanLineJson>,
    totals: PlanTotalsJson,
    currency: &'static str,
    #[schema(format = DateTime)]
    presented_at: Option<String>,
    presented_by: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acceptance: Option<AcceptanceJson>,
    /// Whether the frozen lines still hash to what was presented and the acceptance's
    /// record-signature holds: `unsigned` before acceptance, `valid`, or `invalid`.
    acceptance_check: SignatureCheckJson,
    #[schema(format = DateTime)]
    decided_at: Option<String>,
    decided_by: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    created_by: String,
    #[schema(format = DateTime)]
    updated_at: String,
    totals_only: bool,
}

impl From<PlanView> for PlanJson {
    fn from(v: PlanView) -> Self {
        let totals_only = v.totals_only;
        let phases = (!totals_only).then(|| drafted_phases(&v));
        PlanJson {
            id: v.id.to_string(),
            patient_id: v.patient_id.to_string(),
            status: v.status.as_str().into(),
            row_version: v.row_version,
            title: v.title,
            note: v.note,
            phases,
            lines: v
                .lines
                .iter()
                .map(|l| PlanLineJson {
                    phase: l.phase,
                    phase_name: l.phase_name.clone(),
                    position: l.position,
                    procedure_id: l.procedure_id.clone(),
                    code: l.code.clone(),
                    description: l.description.clone(),
                    site: l.site.clone(),
                    fee: l.fee,
                    insurance_estimate: l.insurance_estimate,
                    patient_portion: l.patient_portion,
                    write_off: l.write_off(),
                })
                .collect(),
            totals: PlanTotalsJson {
                overall: v.totals.overall.into(),
                phases: v
                    .totals
                    .phases
                    .into_iter()
                    .map(|p| PhaseTotalsJson {
                        phase: p.phase,
                        name: (!totals_only).then_some(p.phase_name),
                        totals: p.totals.into(),
                    })
                    .collect(),
            },
            currency: CURRENCY,
            presented_at: maybe_instant(v.presented_ms),
            presented_by: v.presented_by,
            acceptance: v.acceptance.map(|a| AcceptanceJson {
                accepted_by: a.acceptance.accepted_by.as_str().into(),
                signer_name: a.acceptance.signer_name.clone(),
                channel: a.acceptance.channel.as_str().into(),
                signature_kind: a.acceptance.signature.kind().into(),
                signature_text: match &a.acceptance.signature {
                    Signature::Typed(t) => Some(t.clone()),
                    Signature::Drawn(_) => None,
                },
                accepted_at: instant(a.accepted_ms),
                recorded_by: a.recorded_by,
            }),
            acceptance_check: match v.acceptance_check {
                SignatureCheck::Unsigned => SignatureCheckJson::Unsigned,
                SignatureCheck::Valid => SignatureCheckJson::Valid,
                SignatureCheck::Invalid => SignatureCheckJson::Invalid,
            },
            decided_at: maybe_instant(v.decided_ms),
            decided_by: v.decided_by,
            created_at: instant(v.created_ms),
            created_by: v.created_by,
            updated_at: instant(v.updated_ms),
            totals_only,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub(crate) struct PlansJson {
    pub(super) items: Vec<PlanJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) next: Option<String>,
}

/// The plan's lines grouped back into its phases, in order.
fn drafted_phases(v: &PlanView) -> Vec<DraftPhaseJson> {
    let mut phases: Vec<(u8, DraftPhaseJson)> = Vec::new();
    for l in &v.lines {
        let line = DraftLineJson {
            procedure_id: l.procedure_id.clone(),
            insurance_estimate: l.insurance_estimate,
            patient_portion: l.patient_portion,
        };
        match phases.last_mut() {
            Some((phase, p)) if *phase == l.phase => p.lines.push(line),
            _ => phases.push((
                l.phase,
                DraftPhaseJson {
                    name: l.phase_name.clone(),
                    lines: vec![line],
                },
            )),
        }
    }
    phases.into_iter().map(|(_, p)| p).collect()
}
