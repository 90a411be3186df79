//! The practice's procedure codes (its licensed list and price list; not PHI) and its chart
//! settings.

use std::collections::BTreeSet;

use enamel_domain::clinical::{AreaType, ProcedureCode};
use enamel_domain::{Action, AuditAction, Category, FieldProblem, Outcome, RecordKind};
use enamel_store::{ChartSettingsRow, ProcedureCodeRow};

use super::{Chart, ChartSettings, MAX_CHART_LOCK_HOURS};
use crate::AppError;
use crate::kernel::Caller;

/// What an import of codes did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CodeImport {
    pub added: usize,
    pub replaced: usize,
}

/// At most this many codes in one import (a full licensed list is under a thousand).
pub const MAX_CODES_PER_IMPORT: usize = 10_000;

pub(super) fn code_of(row: &ProcedureCodeRow) -> Result<ProcedureCode, AppError> {
    let area_type = AreaType::parse(&row.area_type)
        .ok_or_else(|| AppError::Internal("a stored procedure code has no area type".into()))?;
    Ok(ProcedureCode {
        code: row.code.clone(),
        description: row.description.clone(),
        area_type,
        default_fee: row.default_fee,
    })
}

impl Chart<'_> {
    /// The practice's codes, in code order. Anyone who may see charts, plans or billing may
    /// read the list (it holds no PHI, so reading it is not audited).
    pub async fn codes(&self) -> Result<Vec<ProcedureCode>, AppError> {
        let mut allowed = false;
        for category in [
            Category::Charting,
            Category::TreatmentPlans,
            Category::Billing,
        ] {
            allowed = allowed || self.may(category, Action::View, None).await?;
        }
        if !allowed {
            self.access(Category::Charting, Action::View, None).await?;
        }
        let rows = self
            .app
            .db()
            .procedure_codes(&self.caller.practice_id().to_string())
            .await?;
        rows.iter().map(code_of).collect()
    }

    /// Adds codes to the practice's list, replacing the description, area type and fee of the
    /// codes it already has (practice settings, edit). All or nothing; a code named twice is
    /// refused by its position. Charted procedures keep the description they were charted
    /// with. With `dry_run`, counts and saves nothing.
    pub async fn import_codes(
        &self,
        codes: &[ProcedureCode],
        dry_run: bool,
    ) -> Result<CodeImport, AppError> {
        let access = self
            .access(Category::PracticeSettings, Action::Edit, None)
            .await?;
        if codes.is_empty() || codes.len() > MAX_CODES_PER_IMPORT {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "codes",
                "must hold 1 to 10000 codes",
            )]));
        }
        let mut seen = BTreeSet::new();
        let problems: Vec<FieldProblem> = codes
            .iter()
            .enumerate()
            .filter(|(_, c)| !seen.insert(c.code.as_str()))
            .map(|(i, _)| FieldProblem::new(format!("codes[{i}].code"), "is named twice"))
            .collect();
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let practice = self.caller.practice_id().to_string();
        let existing: BTreeSet<String> = self
            .app
            .db()
            .procedure_codes(&practice)
            .await?
            .into_iter()
            .map(|c| c.code)
            .collect();
        let replaced = codes.iter().filter(|c| existing.contains(&c.code)).count();
        let report = CodeImport {
            added: codes.len() - replaced,
            replaced,
        };
        if dry_run {
            return Ok(report);
        }
        let now = self.now_ms();
        let rows: Vec<ProcedureCodeRow> = codes
            .iter()
            .map(|c| ProcedureCodeRow {
                code: c.code.clone(),
                description: c.description.clone(),
                area_type: c.area_type.as_str().to_string(),
                default_fee: c.default_fee,
                updated_ms: now,
            })
            .collect();
        let mut tx = self.app.begin_write().await?;
        tx.upsert_procedure_codes(&practice, &rows).await?;
        let mut entry = access
            .audit(AuditAction::Import, Outcome::Allowed)
            .about(RecordKind::ProcedureCodes, &practice);
        super::add_reason(
            &mut entry,
            &format!("added {} replaced {}", report.added, replaced),
        );
        tx.commit(entry.into()).await?;
        Ok(report)
    }

    /// Sets the practice's tooth numbering and lock window (practice settings, edit, with a
    /// fresh second factor for a person). Returns the settings it replaced.
    pub async fn set_settings(&self, settings: ChartSettings) -> Result<ChartSettings, AppError> {
        let access = self
            .access(Category::PracticeSettings, Action::Edit, None)
            .await?;
        if let Caller::Person(actor) = &self.caller {
            self.app.require_fresh_mfa(actor)?;
        }
        if !(0..=MAX_CHART_LOCK_HOURS).contains(&settings.lock_hours) {
            return Err(AppError::Invalid(vec![FieldProblem::new(
                "chart_lock_hours",
                "must be 0 to 720 hours",
            )]));
        }
        let practice = self.caller.practice_id().to_string();
        let mut tx = self.app.begin_write().await?;
        let before = tx
            .set_chart_settings(
                &practice,
                &ChartSettingsRow {
                    tooth_numbering: settings.numbering.as_str().to_string(),
                    chart_lock_hours: settings.lock_hours,
                },
            )
            .await?;
        let mut entry = access
            .audit(AuditAction::Update, Outcome::Allowed)
            .about(RecordKind::PracticeSettings, &practice);
        let change = format!(
            "tooth_numbering {} -> {}; chart_lock_hours {} -> {}",
            before.tooth_numbering,
            settings.numbering.as_str(),
            before.chart_lock_hours,
            settings.lock_hours
        );
        super::add_reason(&mut entry, &change);
        tx.commit(entry.into()).await?;
        Ok(ChartSettings {
            numbering: enamel_domain::clinical::Numbering::parse(&before.tooth_numbering)
                .unwrap_or_default(),
            lock_hours: before.chart_lock_hours,
        })
    }
}
