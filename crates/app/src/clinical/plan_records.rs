//! A treatment plan's stored form: the sealed document (phases, lines, the frozen copy and its
//! salt), the sealed acceptance, the bytes the practice's record-signature covers, and the
//! pure helpers the plan room uses.

use enamel_crypto::{CryptoError, PracticeKeys, sha256};
use enamel_domain::clinical::{
    Acceptance, AcceptanceChannel, AcceptedBy, FrozenLine, Plan, PlanStatus, PlannedProcedureFacts,
    ProcedureStatus, Signature, canonical_bytes, freeze,
};
use enamel_store::PlanRow;
use serde::{Deserialize, Serialize};

use super::note_records::SignatureCheck;
use super::plans::{ACCEPTANCE, AcceptanceView, DETAILS};
use super::sealing::StoredProcedure;
use crate::AppError;
use crate::kernel::seal;

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct StoredLine {
    pub(super) procedure_id: String,
    pub(super) insurance_estimate: Option<i64>,
    pub(super) patient_portion: Option<i64>,
}

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct StoredPhase {
    pub(super) name: String,
    pub(super) lines: Vec<StoredLine>,
}

#[derive(Serialize, Deserialize, Clone)]
pub(super) struct StoredFrozen {
    pub(super) phase: u8,
    pub(super) phase_name: String,
    pub(super) position: u16,
    pub(super) procedure_id: String,
    pub(super) code: String,
    pub(super) description: String,
    pub(super) site: String,
    pub(super) fee: i64,
    pub(super) insurance_estimate: i64,
    pub(super) patient_portion: i64,
}

/// The sealed document of one plan. Field names are stored: never rename them.
#[derive(Serialize, Deserialize, Clone)]
pub(super) struct StoredPlan {
    pub(super) title: String,
    pub(super) note: Option<String>,
    pub(super) phases: Vec<StoredPhase>,
    /// Set when presented: the lines as the patient was shown them.
    pub(super) frozen: Option<Vec<StoredFrozen>>,
    /// Set when presented: 32 random bytes (hex) hashed with the lines, so the plain hash
    /// cannot be matched against guessed plans (codes, fees and teeth are few).
    #[serde(default)]
    pub(super) salt: Option<String>,
}

#[derive(Serialize, Deserialize)]
pub(super) struct StoredAcceptance {
    pub(super) accepted_by: String,
    pub(super) signer_name: String,
    pub(super) channel: String,
    /// `typed` with `text`, or `drawn` with `strokes`.
    pub(super) kind: String,
    pub(super) text: Option<String>,
    pub(super) strokes: Option<Vec<Vec<(u16, u16)>>>,
    pub(super) accepted_ms: i64,
}

pub(super) fn stored_of(plan: &Plan) -> StoredPlan {
    StoredPlan {
        title: plan.title.clone(),
        note: plan.note.clone(),
        phases: plan
            .phases
            .iter()
            .map(|p| StoredPhase {
                name: p.name.clone(),
                lines: p
                    .lines
                    .iter()
                    .map(|l| StoredLine {
                        procedure_id: l.procedure_id.clone(),
                        insurance_estimate: l.insurance_estimate,
                        patient_portion: l.patient_portion,
                    })
                    .collect(),
            })
            .collect(),
        frozen: None,
        salt: None,
    }
}

pub(super) fn plan_of(stored: &StoredPlan) -> Plan {
    Plan {
        title: stored.title.clone(),
        note: stored.note.clone(),
        phases: stored
            .phases
            .iter()
            .map(|p| enamel_domain::clinical::Phase {
                name: p.name.clone(),
                lines: p
                    .lines
                    .iter()
                    .map(|l| enamel_domain::clinical::PlanLine {
                        procedure_id: l.procedure_id.clone(),
                        insurance_estimate: l.insurance_estimate,
                        patient_portion: l.patient_portion,
                    })
                    .collect(),
            })
            .collect(),
    }
}

pub(super) fn frozen_of(lines: &[FrozenLine]) -> Vec<StoredFrozen> {
    lines
        .iter()
        .map(|l| StoredFrozen {
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
        })
        .collect()
}

pub(super) fn lines_of(stored: &[StoredFrozen]) -> Vec<FrozenLine> {
    stored
        .iter()
        .map(|l| FrozenLine {
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
        })
        .collect()
}

/// The hash a plan's acceptance is bound to: SHA-256 of its salt and its canonical bytes.
pub(super) fn lines_hash(row: &PlanRow, plan: &Plan, lines: &[FrozenLine], salt: &str) -> [u8; 32] {
    let mut bytes = salt.as_bytes().to_vec();
    bytes.extend_from_slice(&canonical_bytes(
        &row.id,
        &row.patient_id,
        &plan.title,
        plan.note.as_deref(),
        lines,
    ));
    sha256(&bytes)
}

pub(super) fn new_salt() -> Result<String, AppError> {
    let secret = enamel_crypto::SecretKey32::generate()?;
    Ok(secret
        .expose_secret_danger()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

pub(super) fn json<T: Serialize>(value: &T) -> Result<Vec<u8>, CryptoError> {
    serde_json::to_vec(value).map_err(|_| CryptoError::Malformed("a record could not be encoded"))
}

pub(super) fn open_plan(keys: &PracticeKeys, row: &PlanRow) -> Result<StoredPlan, CryptoError> {
    let bytes = seal::open(keys, DETAILS, &row.id, &row.details)?;
    serde_json::from_slice(&bytes).map_err(|_| CryptoError::Malformed("a stored plan"))
}

/// What the practice's record-signature over an acceptance covers: the frozen lines' hash and
/// everything recorded about the acceptance, each length-prefixed after a version tag.
pub(super) fn acceptance_bytes(
    lines_hash: &[u8],
    acceptance: &Acceptance,
    accepted_ms: i64,
) -> Vec<u8> {
    let mut out = Vec::new();
    let mut field = |bytes: &[u8]| {
        out.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(bytes);
    };
    field(b"enamel-plan-acceptance-v1");
    field(lines_hash);
    field(acceptance.accepted_by.as_str().as_bytes());
    field(acceptance.signer_name.as_bytes());
    field(acceptance.channel.as_str().as_bytes());
    field(&acceptance.signature.canonical_bytes());
    field(&accepted_ms.to_be_bytes());
    out
}

pub(super) fn open_acceptance(
    keys: &PracticeKeys,
    row: &PlanRow,
) -> Result<Option<AcceptanceView>, CryptoError> {
    let Some(sealed) = &row.acceptance else {
        return Ok(None);
    };
    let bad = || CryptoError::Malformed("a stored acceptance");
    let bytes = seal::open(keys, ACCEPTANCE, &row.id, sealed)?;
    let s: StoredAcceptance = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let signature = match (s.kind.as_str(), s.text, s.strokes) {
        ("typed", Some(text), _) => Signature::Typed(text),
        ("drawn", _, Some(strokes)) => Signature::Drawn(strokes),
        _ => return Err(bad()),
    };
    Ok(Some(AcceptanceView {
        acceptance: Acceptance {
            accepted_by: AcceptedBy::parse(&s.accepted_by).ok_or_else(bad)?,
            signer_name: s.signer_name,
            channel: AcceptanceChannel::parse(&s.channel).ok_or_else(bad)?,
            signature,
        },
        accepted_ms: s.accepted_ms,
        recorded_by: row.decided_by.clone().unwrap_or_default(),
    }))
}

/// The planned procedures among `rows`, opened as a plan shows them.
pub(super) fn facts_from(
    keys: &PracticeKeys,
    rows: &[enamel_store::ProcedureRow],
) -> Result<Vec<PlannedProcedureFacts>, CryptoError> {
    let mut out = Vec::new();
    for row in rows
        .iter()
        .filter(|r| r.status == ProcedureStatus::Planned.as_str())
    {
        let stored: StoredProcedure = super::sealing::open_details(keys, &row.id, &row.details)?;
        let procedure = stored.to_procedure(ProcedureStatus::Planned)?;
        out.push(PlannedProcedureFacts {
            id: row.id.clone(),
            code: procedure.code,
            description: procedure.description,
            site: procedure.site.to_string(),
            fee: procedure.fee,
        });
    }
    Ok(out)
}

pub(super) fn status_of(row: &PlanRow) -> Result<PlanStatus, CryptoError> {
    PlanStatus::parse(&row.status).ok_or(CryptoError::Malformed("a stored plan status"))
}

/// A draft's lines as they would freeze now, leaving out procedures that are no longer planned
/// (presenting names those).
pub(super) fn lenient_lines(plan: &Plan, facts: &[PlannedProcedureFacts]) -> Vec<FrozenLine> {
    let known: Vec<&str> = facts.iter().map(|f| f.id.as_str()).collect();
    let mut kept = plan.clone();
    for phase in &mut kept.phases {
        phase
            .lines
            .retain(|l| known.contains(&l.procedure_id.as_str()));
    }
    kept.phases.retain(|p| !p.lines.is_empty());
    freeze(&kept, facts).unwrap_or_default()
}

pub(super) fn frozen_refusal() -> AppError {
    AppError::Refused(
        "This plan was presented and its lines are frozen: draft a new plan instead.".into(),
    )
}

pub(super) fn undecidable(status: &str) -> AppError {
    AppError::Refused(format!(
        "This plan is {status}: only a presented plan is accepted or declined, and a decided plan never changes."
    ))
}

/// Read-only members a client sent back with a draft plan's new phases (what a `GET`
/// showed): compared with the draft as stored, ignored when equal and refused by name when
/// not. The lines and totals are computed from the phases, and ignored. `None`: not sent;
/// `Some(None)`: sent as `null`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanClaims {
    pub id: Option<String>,
    pub patient_id: Option<String>,
    pub status: Option<String>,
    pub row_version: Option<i64>,
    pub acceptance_check: Option<SignatureCheck>,
    pub totals_only: Option<bool>,
    pub presented_ms: Option<Option<i64>>,
    pub presented_by: Option<Option<String>>,
    /// Only whether one was sent, and whether as `null`: a draft has no acceptance.
    pub acceptance: Option<bool>,
    pub decided_ms: Option<Option<i64>>,
    pub decided_by: Option<Option<String>>,
    pub created_ms: Option<i64>,
    pub created_by: Option<String>,
    pub updated_ms: Option<i64>,
}

impl PlanClaims {
    /// Each member whose claim differs from the draft as stored, read by someone who may
    /// change it (so with every line, unsigned). The currency is the API's to compare.
    pub(super) fn differences(&self, row: &PlanRow) -> Vec<enamel_domain::FieldProblem> {
        use crate::claims::differs;
        crate::claims::refused([
            ("id", differs(&self.id, &row.id)),
            ("patient_id", differs(&self.patient_id, &row.patient_id)),
            ("status", differs(&self.status, &row.status)),
            ("row_version", differs(&self.row_version, &row.row_version)),
            (
                "acceptance_check",
                differs(&self.acceptance_check, &SignatureCheck::Unsigned),
            ),
            ("totals_only", differs(&self.totals_only, &false)),
            (
                "presented_at",
                differs(&self.presented_ms, &row.presented_ms),
            ),
            (
                "presented_by",
                differs(&self.presented_by, &row.presented_by),
            ),
            (
                "acceptance",
                differs(&self.acceptance, &row.acceptance.is_some()),
            ),
            ("decided_at", differs(&self.decided_ms, &row.decided_ms)),
            ("decided_by", differs(&self.decided_by, &row.decided_by)),
            ("created_at", differs(&self.created_ms, &row.created_ms)),
            ("created_by", differs(&self.created_by, &row.created_by)),
            ("updated_at", differs(&self.updated_ms, &row.updated_ms)),
        ])
    }
}
