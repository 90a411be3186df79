//! Reads of the chart, all through the kernel's audited read: the entry is durable before
//! any value is opened, a miss is audited as `failed`. The chart can be read as it stands or
//! as it stood at the end of a chosen day (from the version history).

use std::collections::BTreeMap;

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::clinical::{Procedure, ProcedureStatus};
use enamel_domain::{AuditAction, Outcome, PatientId, PracticeDate, ProcedureId, RecordKind};
use enamel_store::{
    ProcedureAddendumRow, ProcedureRow, ProcedureVersionRow, StoreError, ToothStateRow,
};

use super::{AddendumView, Chart, ChartView, ProcedureView, Sight};
use super::{sealing, tooth_states};
use crate::AppError;

/// The stored rows a chart is made from.
struct ChartRows {
    patient: enamel_store::PatientRow,
    procedures: Vec<ProcedureRow>,
    addenda: Vec<ProcedureAddendumRow>,
    versions: Vec<ProcedureVersionRow>,
    tooth_states: Vec<ToothStateRow>,
}

impl Chart<'_> {
    /// A patient's chart (charting, view; billing sees completed work and fees only). With
    /// `as_of`, the chart as it stood at the end of that practice day: entries charted later
    /// are left out, and entries changed later show their state from then.
    pub async fn read(
        &self,
        patient: PatientId,
        as_of: Option<PracticeDate>,
    ) -> Result<ChartView, AppError> {
        let (access, sight) = self.sight(patient).await?;
        let practice = self.caller.practice_id();
        let settings = self.settings().await?;
        let as_of_ms = match as_of {
            Some(day) => {
                let tz = self.app.practice_time(practice).await?;
                tz.day(day).end.unix_ms() - 1
            }
            None => self.now_ms(),
        };
        let entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Chart, patient)
            .patient(patient);
        let db = self.app.db();
        let (p, i) = (practice.to_string(), patient.to_string());
        let names = self.may_name(patient).await?;
        let fetch = async {
            Ok(ChartRows {
                patient: db.patient(&p, &i).await?,
                procedures: db.procedures_of(&p, &i).await?,
                addenda: db.procedure_addenda_of(&p, &i).await?,
                versions: if as_of.is_some() {
                    db.procedure_versions_of(&p, &i).await?
                } else {
                    Vec::new()
                },
                tooth_states: db.tooth_states_of(&p, &i).await?,
            })
        };
        let (procedures, tooth_state_changes, who) = self
            .app
            .read_audited(practice, entry, fetch, |keys, rows| {
                let who = super::heading(keys, &rows.patient, names)?;
                let changes = rows
                    .tooth_states
                    .iter()
                    .filter(|row| row.created_ms <= as_of_ms)
                    .map(|row| tooth_states::open_change(keys, row))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((self.open_chart(keys, rows, sight, as_of_ms)?, changes, who))
            })
            .await?;
        Ok(ChartView {
            patient_id: patient,
            patient: who,
            numbering: settings.numbering,
            as_of_ms,
            procedures,
            teeth: tooth_states::fold(tooth_state_changes.clone()),
            tooth_state_changes,
            billing_view: sight == Sight::Billing,
        })
    }

    /// One procedure with its addenda (charting, view; billing sees it only when completed).
    pub async fn procedure(&self, id: ProcedureId) -> Result<ProcedureView, AppError> {
        let practice = self.caller.practice_id();
        let db = self.app.db();
        let row = match db.procedure(&practice.to_string(), &id.to_string()).await {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let patient: Option<PatientId> = row.as_ref().and_then(|r| r.patient_id.parse().ok());
        let (access, sight) = match patient {
            Some(p) => self.sight(p).await?,
            None => (
                self.access(
                    enamel_domain::Category::Charting,
                    enamel_domain::Action::View,
                    None,
                )
                .await?,
                Sight::Clinical,
            ),
        };
        let mut entry = access
            .audit(AuditAction::View, Outcome::Allowed)
            .about(RecordKind::Procedure, id);
        if let Some(p) = patient {
            entry = entry.patient(p);
        }
        let fetch = async {
            let row = row.ok_or(StoreError::NotFound)?;
            if sight == Sight::Billing && row.status != ProcedureStatus::Completed.as_str() {
                return Err(StoreError::NotFound);
            }
            let addenda = db
                .procedure_addenda(&practice.to_string(), &id.to_string())
                .await?;
            Ok((row, addenda))
        };
        self.app
            .read_audited(practice, entry, fetch, |keys, (row, addenda)| {
                let procedure = open_procedure(keys, row)?;
                let addenda = open_addenda(keys, addenda.iter(), sight)?;
                Ok(self.view_of(row, procedure, addenda, sight))
            })
            .await
    }

    fn open_chart(
        &self,
        keys: &PracticeKeys,
        rows: &ChartRows,
        sight: Sight,
        as_of_ms: i64,
    ) -> Result<Vec<ProcedureView>, CryptoError> {
        let now = self.now_ms();
        let mut addenda: BTreeMap<&str, Vec<&ProcedureAddendumRow>> = BTreeMap::new();
        for a in &rows.addenda {
            if a.created_ms <= as_of_ms {
                addenda.entry(a.procedure_id.as_str()).or_default().push(a);
            }
        }
        // The first change after `as_of` holds the state the entry had then.
        let mut earlier: BTreeMap<&str, &ProcedureVersionRow> = BTreeMap::new();
        if as_of_ms < now {
            for v in &rows.versions {
                if v.changed_ms > as_of_ms {
                    earlier.entry(v.procedure_id.as_str()).or_insert(v);
                }
            }
        }
        let mut out = Vec::new();
        for row in &rows.procedures {
            if row.created_ms > as_of_ms {
                continue;
            }
            let (row, procedure) = match earlier.get(row.id.as_str()) {
                Some(v) => {
                    let snapshot = sealing::open_snapshot(keys, &v.id, &v.snapshot)?;
                    let status = ProcedureStatus::parse(&snapshot.status)
                        .ok_or(CryptoError::Malformed("a stored procedure status"))?;
                    let then = ProcedureRow {
                        status: snapshot.status.clone(),
                        completed_ms: snapshot.completed_ms,
                        locks_at_ms: snapshot.locks_at_ms,
                        row_version: v.row_version,
                        ..row.clone()
                    };
                    (then, snapshot.details.to_procedure(status)?)
                }
                None => (row.clone(), open_procedure(keys, row)?),
            };
            if sight == Sight::Billing && procedure.status != ProcedureStatus::Completed {
                continue;
            }
            let own = addenda.get(row.id.as_str()).into_iter().flatten().copied();
            let opened = open_addenda(keys, own, sight)?;
            out.push(self.view_of(&row, procedure, opened, sight));
        }
        Ok(out)
    }

    /// The view of a row the caller may see as `sight`.
    pub(super) fn view_of(
        &self,
        row: &ProcedureRow,
        mut procedure: Procedure,
        addenda: Vec<AddendumView>,
        sight: Sight,
    ) -> ProcedureView {
        let mut withheld = Vec::new();
        if sight == Sight::Billing {
            procedure.note = None;
            withheld = vec!["note", "addenda"];
        }
        ProcedureView {
            id: row.id.parse().unwrap_or_default(),
            patient_id: row.patient_id.parse().unwrap_or_default(),
            procedure,
            completed_ms: row.completed_ms,
            locks_at_ms: row.locks_at_ms,
            locked: self.is_locked(row.locks_at_ms),
            addenda,
            withheld,
            created_ms: row.created_ms,
            created_by: row.created_by.clone(),
            updated_ms: row.updated_ms,
            updated_by: row.updated_by.clone(),
            row_version: row.row_version,
        }
    }
}

fn open_procedure(keys: &PracticeKeys, row: &ProcedureRow) -> Result<Procedure, CryptoError> {
    let status = ProcedureStatus::parse(&row.status)
        .ok_or(CryptoError::Malformed("a stored procedure status"))?;
    sealing::open_details(keys, &row.id, &row.details)?.to_procedure(status)
}

/// Opens addenda for a clinical reader; a billing reader gets none (they are clinical text).
fn open_addenda<'r>(
    keys: &PracticeKeys,
    rows: impl Iterator<Item = &'r ProcedureAddendumRow>,
    sight: Sight,
) -> Result<Vec<AddendumView>, CryptoError> {
    if sight == Sight::Billing {
        return Ok(Vec::new());
    }
    rows.map(|a| {
        Ok(AddendumView {
            id: a.id.clone(),
            kind: a.kind.clone(),
            body: sealing::open_body(keys, &a.id, &a.body)?,
            created_ms: a.created_ms,
            created_by: a.created_by.clone(),
        })
    })
    .collect()
}
