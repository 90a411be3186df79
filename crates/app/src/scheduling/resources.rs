//! The schedule's resources: providers, operatories and appointment types. They are the
//! practice's settings (practice settings × edit to change, each change audited) and hold no
//! PHI, so reading them is not audited; anyone who may see the schedule or the settings may.

use enamel_domain::scheduling::{
    AppointmentType, AppointmentTypeDraft, Operatory, OperatoryDraft, Pattern, Provider,
    ProviderDraft, Specialty,
};
use enamel_domain::{
    Action, AppointmentTypeId, AuditAction, Category, OperatoryId, Outcome, ProviderId, RecordKind,
    iso_date, parse_iso_date,
};
use enamel_store::{AppointmentTypeRow, OperatoryRow, ProviderRow, Stamp, StoreError};

use super::{RecordClaims, RecordStamp, Schedule, invalid};
use crate::{AppError, Expected};

/// A provider with its id and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderView {
    pub id: ProviderId,
    pub provider: Provider,
    pub stamp: RecordStamp,
}

/// An operatory with its id and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatoryView {
    pub id: OperatoryId,
    pub operatory: Operatory,
    pub stamp: RecordStamp,
}

/// An appointment type with its id and version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentTypeView {
    pub id: AppointmentTypeId,
    pub appointment_type: AppointmentType,
    pub stamp: RecordStamp,
}

fn corrupt(what: &'static str) -> AppError {
    AppError::Internal(format!("a stored {what} is malformed"))
}

pub(super) fn provider_of(row: &ProviderRow) -> Result<ProviderView, AppError> {
    let bad = || corrupt("provider");
    let date = |d: &Option<String>| match d {
        Some(text) => parse_iso_date(text).map(Some).ok_or_else(bad),
        None => Ok(None),
    };
    Ok(ProviderView {
        id: row.id.parse().map_err(|_| bad())?,
        provider: Provider {
            family_name: row.family_name.clone(),
            given_name: row.given_name.clone(),
            abbreviation: row.abbreviation.clone(),
            colour: row.colour.clone(),
            npi: row.npi.clone(),
            specialty: Specialty::parse(&row.specialty).ok_or_else(bad)?,
            is_hygienist: row.is_hygienist,
            active_from: date(&row.active_from)?,
            active_to: date(&row.active_to)?,
            user_id: row.user_id.clone(),
            working_hours: enamel_domain::scheduling::hours_of(&row.working_hours)
                .ok_or_else(bad)?,
        },
        stamp: (&row.stamp).into(),
    })
}

pub(super) fn operatory_of(row: &OperatoryRow) -> Result<OperatoryView, AppError> {
    Ok(OperatoryView {
        id: row.id.parse().map_err(|_| corrupt("operatory"))?,
        operatory: Operatory {
            name: row.name.clone(),
            abbreviation: row.abbreviation.clone(),
            order: row.sort_order,
            default_dentist_id: row.default_dentist_id.clone(),
            default_hygienist_id: row.default_hygienist_id.clone(),
            is_hygiene: row.is_hygiene,
            hidden: row.hidden,
        },
        stamp: (&row.stamp).into(),
    })
}

pub(super) fn type_of(row: &AppointmentTypeRow) -> Result<AppointmentTypeView, AppError> {
    let bad = || corrupt("appointment type");
    Ok(AppointmentTypeView {
        id: row.id.parse().map_err(|_| bad())?,
        appointment_type: AppointmentType {
            name: row.name.clone(),
            colour: row.colour.clone(),
            pattern: Pattern::parse(&row.pattern).map_err(|_| bad())?,
            procedure_codes: row
                .procedure_codes
                .split_whitespace()
                .map(str::to_string)
                .collect(),
            hidden: row.hidden,
        },
        stamp: (&row.stamp).into(),
    })
}

/// The stamp of a change: a new record's, or the next version of `current`.
fn next_stamp(current: Option<&RecordStamp>, now: i64, by: String) -> Stamp {
    match current {
        Some(c) => Stamp {
            row_version: c.row_version + 1,
            created_ms: c.created_ms,
            created_by: c.created_by.clone(),
            updated_ms: now,
            updated_by: by,
        },
        None => Stamp {
            row_version: 1,
            created_ms: now,
            created_by: by.clone(),
            updated_ms: now,
            updated_by: by,
        },
    }
}

impl Schedule<'_> {
    /// Reading the resources: the schedule's viewers and the settings' (not audited: no PHI).
    pub(super) async fn may_read_resources(&self) -> Result<(), AppError> {
        if self.may(Category::Schedule, Action::View, None).await?
            || self
                .may(Category::PracticeSettings, Action::View, None)
                .await?
        {
            return Ok(());
        }
        self.access(Category::Schedule, Action::View, None)
            .await
            .map(|_| ())
    }

    /// The practice's providers, by abbreviation.
    pub async fn providers(&self) -> Result<Vec<ProviderView>, AppError> {
        self.may_read_resources().await?;
        let rows = self.app.db().providers(&self.practice()).await?;
        rows.iter().map(provider_of).collect()
    }

    /// The practice's operatories in schedule order, hidden ones included.
    pub async fn operatories(&self) -> Result<Vec<OperatoryView>, AppError> {
        self.may_read_resources().await?;
        let rows = self.app.db().operatories(&self.practice()).await?;
        rows.iter().map(operatory_of).collect()
    }

    /// The practice's appointment types, by name.
    pub async fn appointment_types(&self) -> Result<Vec<AppointmentTypeView>, AppError> {
        self.may_read_resources().await?;
        let rows = self.app.db().appointment_types(&self.practice()).await?;
        rows.iter().map(type_of).collect()
    }

    /// Adds a provider (`id` `None`) or replaces one (practice settings × edit).
    pub async fn save_provider(
        &self,
        id: Option<ProviderId>,
        draft: &ProviderDraft,
        expected: Expected,
        claims: &RecordClaims,
    ) -> Result<ProviderView, AppError> {
        let access = self
            .access(Category::PracticeSettings, Action::Edit, None)
            .await?;
        let current = match id {
            Some(id) => Some(
                self.find(
                    self.providers().await?,
                    |p| p.id == id,
                    RecordKind::Provider,
                    id,
                    &access,
                )
                .await?,
            ),
            None => None,
        };
        let provider = draft.validate().map_err(AppError::Invalid)?;
        if let Some(user) = &provider.user_id
            && matches!(
                self.app.db().user(&self.practice(), user).await,
                Err(StoreError::NotFound)
            )
        {
            return Err(invalid("user_id", "is not a user of this practice"));
        }
        let id = id.unwrap_or_default();
        let row = ProviderRow {
            practice_id: self.practice(),
            id: id.to_string(),
            family_name: provider.family_name.clone(),
            given_name: provider.given_name.clone(),
            abbreviation: provider.abbreviation.clone(),
            colour: provider.colour.clone(),
            npi: provider.npi.clone(),
            specialty: provider.specialty.as_str().to_string(),
            is_hygienist: provider.is_hygienist,
            active_from: provider.active_from.map(iso_date),
            active_to: provider.active_to.map(iso_date),
            user_id: provider.user_id.clone(),
            working_hours: enamel_domain::scheduling::hours_text(&provider.working_hours),
            stamp: next_stamp(
                current.as_ref().map(|c| &c.stamp),
                self.now_ms(),
                self.actor().audit_id(),
            ),
        };
        let entry = self
            .change_entry(
                &access,
                RecordKind::Provider,
                id,
                current.as_ref().map(|c| &c.stamp),
                expected,
                claims,
            )
            .await?;
        let mut tx = self.app.begin_write().await?;
        match tx
            .save_provider(&row, current.as_ref().map(|c| c.stamp.row_version))
            .await
        {
            Err(StoreError::Duplicate) => {
                return Err(invalid(
                    "abbreviation",
                    "is already used by another provider",
                ));
            }
            other => other?,
        }
        tx.commit(entry.into()).await?;
        provider_of(&row)
    }

    /// Adds an operatory (`id` `None`) or replaces one (practice settings × edit). Its default
    /// dentist and hygienist must be providers of the practice.
    pub async fn save_operatory(
        &self,
        id: Option<OperatoryId>,
        draft: &OperatoryDraft,
        expected: Expected,
        claims: &RecordClaims,
    ) -> Result<OperatoryView, AppError> {
        let access = self
            .access(Category::PracticeSettings, Action::Edit, None)
            .await?;
        let current = match id {
            Some(id) => Some(
                self.find(
                    self.operatories().await?,
                    |o| o.id == id,
                    RecordKind::Operatory,
                    id,
                    &access,
                )
                .await?,
            ),
            None => None,
        };
        let operatory = draft.validate().map_err(AppError::Invalid)?;
        let providers = self.providers().await?;
        let known = |id: &Option<String>| {
            id.as_ref()
                .is_none_or(|id| providers.iter().any(|p| p.id.to_string() == *id))
        };
        let mut problems = Vec::new();
        if !known(&operatory.default_dentist_id) {
            problems.push(enamel_domain::FieldProblem::new(
                "default_dentist_id",
                "is not a provider of this practice",
            ));
        }
        if !known(&operatory.default_hygienist_id) {
            problems.push(enamel_domain::FieldProblem::new(
                "default_hygienist_id",
                "is not a provider of this practice",
            ));
        }
        if !problems.is_empty() {
            return Err(AppError::Invalid(problems));
        }
        let id = id.unwrap_or_default();
        let row = OperatoryRow {
            practice_id: self.practice(),
            id: id.to_string(),
            name: operatory.name.clone(),
            abbreviation: operatory.abbreviation.clone(),
            sort_order: operatory.order,
            default_dentist_id: operatory.default_dentist_id.clone(),
            default_hygienist_id: operatory.default_hygienist_id.clone(),
            is_hygiene: operatory.is_hygiene,
            hidden: operatory.hidden,
            stamp: next_stamp(
                current.as_ref().map(|c| &c.stamp),
                self.now_ms(),
                self.actor().audit_id(),
            ),
        };
        let entry = self
            .change_entry(
                &access,
                RecordKind::Operatory,
                id,
                current.as_ref().map(|c| &c.stamp),
                expected,
                claims,
            )
            .await?;
        let mut tx = self.app.begin_write().await?;
        match tx
            .save_operatory(&row, current.as_ref().map(|c| c.stamp.row_version))
            .await
        {
            Err(StoreError::Duplicate) => {
                return Err(invalid(
                    "abbreviation",
                    "is already used by another operatory",
                ));
            }
            other => other?,
        }
        tx.commit(entry.into()).await?;
        operatory_of(&row)
    }

    /// Adds an appointment type (`id` `None`) or replaces one (practice settings × edit). Its
    /// codes must be on the practice's list.
    pub async fn save_appointment_type(
        &self,
        id: Option<AppointmentTypeId>,
        draft: &AppointmentTypeDraft,
        expected: Expected,
        claims: &RecordClaims,
    ) -> Result<AppointmentTypeView, AppError> {
        let access = self
            .access(Category::PracticeSettings, Action::Edit, None)
            .await?;
        let current = match id {
            Some(id) => Some(
                self.find(
                    self.appointment_types().await?,
                    |t| t.id == id,
                    RecordKind::AppointmentType,
                    id,
                    &access,
                )
                .await?,
            ),
            None => None,
        };
        let kind = draft.validate().map_err(AppError::Invalid)?;
        if !kind.procedure_codes.is_empty() {
            let codes = self.app.db().procedure_codes(&self.practice()).await?;
            let problems: Vec<_> = kind
                .procedure_codes
                .iter()
                .enumerate()
                .filter(|(_, c)| !codes.iter().any(|known| known.code == **c))
                .map(|(i, _)| {
                    enamel_domain::FieldProblem::new(
                        format!("procedure_codes[{i}]"),
                        "is not on the practice's list of procedure codes",
                    )
                })
                .collect();
            if !problems.is_empty() {
                return Err(AppError::Invalid(problems));
            }
        }
        let id = id.unwrap_or_default();
        let row = AppointmentTypeRow {
            practice_id: self.practice(),
            id: id.to_string(),
            name: kind.name.clone(),
            colour: kind.colour.clone(),
            pattern: kind.pattern.as_str().to_string(),
            procedure_codes: kind.procedure_codes.join(" "),
            hidden: kind.hidden,
            stamp: next_stamp(
                current.as_ref().map(|c| &c.stamp),
                self.now_ms(),
                self.actor().audit_id(),
            ),
        };
        let entry = self
            .change_entry(
                &access,
                RecordKind::AppointmentType,
                id,
                current.as_ref().map(|c| &c.stamp),
                expected,
                claims,
            )
            .await?;
        let mut tx = self.app.begin_write().await?;
        match tx
            .save_appointment_type(&row, current.as_ref().map(|c| c.stamp.row_version))
            .await
        {
            Err(StoreError::Duplicate) => {
                return Err(invalid(
                    "name",
                    "is already the name of another appointment type",
                ));
            }
            other => other?,
        }
        tx.commit(entry.into()).await?;
        type_of(&row)
    }

    /// The entry of a change to a resource: `create`, or `update` of `current` once the
    /// version it expects and the read-only members sent back agree with it (a stale version
    /// is audited as not made).
    async fn change_entry(
        &self,
        access: &crate::access::Access,
        kind: RecordKind,
        id: impl ToString,
        current: Option<&RecordStamp>,
        expected: Expected,
        claims: &RecordClaims,
    ) -> Result<crate::AuditDraft, AppError> {
        let action = match current {
            Some(_) => AuditAction::Update,
            None => AuditAction::Create,
        };
        let entry = access
            .audit(action, Outcome::Allowed)
            .about(kind, id.to_string());
        if let Some(stamp) = current {
            if let Err(e) = expected.check(stamp.row_version) {
                return self.not_made(entry, e).await;
            }
            let differences = claims.differences(stamp);
            if !differences.is_empty() {
                return Err(AppError::Invalid(differences));
            }
        }
        Ok(entry)
    }

    /// The resource `matches` picks out of `all`, or the miss audited and `NotFound`.
    async fn find<V>(
        &self,
        all: Vec<V>,
        matches: impl Fn(&V) -> bool,
        kind: RecordKind,
        id: impl ToString,
        access: &crate::access::Access,
    ) -> Result<V, AppError> {
        match all.into_iter().find(|v| matches(v)) {
            Some(found) => Ok(found),
            None => {
                let entry = access
                    .audit(AuditAction::Update, Outcome::Allowed)
                    .about(kind, id.to_string());
                self.not_made(entry, AppError::NotFound).await
            }
        }
    }
}
