//! What a booking is checked against: the practice's chairs and providers (references that
//! name nothing usable are refused by field), the warnings a desk may override (outside the
//! provider's hours, a blockout, a holiday), and the words of a clash.

use enamel_domain::scheduling::{Booking, start_text, warnings};
use enamel_domain::{FieldProblem, Instant, PracticeTz};
use enamel_store::{AppointmentRow, SlotClash, StoreError};

use super::resources::{OperatoryView, ProviderView};
use super::{Schedule, ScheduleConflict};
use crate::{AppError, AuditDraft};

/// The chairs and providers a booking is checked against.
pub(super) struct Resources {
    pub(super) operatories: Vec<OperatoryView>,
    pub(super) providers: Vec<ProviderView>,
}

impl Resources {
    /// Every reference of `booking` that names nothing usable, by field.
    pub(super) fn problems(&self, booking: &Booking, tz: &PracticeTz) -> Vec<FieldProblem> {
        let mut problems = Vec::new();
        match self
            .operatories
            .iter()
            .find(|o| o.id == booking.operatory_id)
        {
            None => problems.push(FieldProblem::new(
                "operatory_id",
                "is not an operatory of this practice",
            )),
            Some(o) if o.operatory.hidden => problems.push(FieldProblem::new(
                "operatory_id",
                "is hidden from the schedule; show it again in the settings first",
            )),
            Some(_) => {}
        }
        let day = tz.date_of(booking.start).date();
        match self.providers.iter().find(|p| p.id == booking.provider_id) {
            None => problems.push(FieldProblem::new(
                "provider_id",
                "is not a provider of this practice",
            )),
            Some(p) if !p.provider.is_active_on(day) => problems.push(FieldProblem::new(
                "provider_id",
                "is not active on that day",
            )),
            Some(_) => {}
        }
        if let Some(h) = booking.hygienist_id {
            match self.providers.iter().find(|p| p.id == h) {
                Some(p) if p.provider.is_hygienist && p.provider.is_active_on(day) => {}
                Some(_) => problems.push(FieldProblem::new(
                    "hygienist_id",
                    "must be a hygienist who is active on that day",
                )),
                None => problems.push(FieldProblem::new(
                    "hygienist_id",
                    "is not a provider of this practice",
                )),
            }
        }
        problems
    }

    fn operatory_name(&self, id: &str) -> String {
        self.operatories
            .iter()
            .find(|o| o.id.to_string() == id)
            .map(|o| o.operatory.name.clone())
            .unwrap_or_else(|| "another operatory".into())
    }

    pub(super) fn provider_name(&self, id: &str) -> String {
        self.providers
            .iter()
            .find(|p| p.id.to_string() == id)
            .map(|p| {
                format!(
                    "{} {} ({})",
                    p.provider.given_name, p.provider.family_name, p.provider.abbreviation
                )
            })
            .unwrap_or_else(|| "The provider".into())
    }
}

fn hh_mm(tz: &PracticeTz, at: Instant) -> String {
    let t = tz.local(at).time();
    format!("{:02}:{:02}", t.hour(), t.minute())
}

impl Schedule<'_> {
    /// `entry`, once the booking's warnings (outside its provider's hours, in a blockout, on a
    /// holiday) are heeded: none, or acknowledged (the entry says which kinds were overridden);
    /// otherwise the warnings, refused and audited.
    pub(super) async fn heeded(
        &self,
        mut entry: AuditDraft,
        booking: &Booking,
        tz: &PracticeTz,
        resources: &Resources,
        acknowledged: bool,
    ) -> Result<AuditDraft, AppError> {
        let provider = resources
            .providers
            .iter()
            .find(|p| p.id == booking.provider_id);
        let hours = provider
            .map(|p| p.provider.working_hours.clone())
            .unwrap_or_default();
        let name = resources.provider_name(&booking.provider_id.to_string());
        let blocks: Vec<_> = self
            .blocks(booking.start, booking.end())
            .await?
            .into_iter()
            .map(|b| b.block)
            .collect();
        let warned = warnings(booking, tz, &name, &hours, &blocks);
        if warned.is_empty() {
            return Ok(entry);
        }
        if !acknowledged {
            let sentences = warned.into_iter().map(|w| w.text).collect();
            return self
                .not_made(entry, AppError::ScheduleWarning(sentences))
                .await;
        }
        let mut kinds: Vec<&str> = warned.iter().map(|w| w.kind).collect();
        kinds.dedup();
        crate::clinical::add_reason(
            &mut entry,
            &format!("warnings overridden: {}", kinds.join(", ")),
        );
        Ok(entry)
    }
    /// What a clash was with, in words (the other appointment's time and chair, never its
    /// patient).
    pub(super) async fn describe(
        &self,
        clash: &SlotClash,
        wanted: &AppointmentRow,
        resources: &Resources,
        tz: &PracticeTz,
    ) -> Result<ScheduleConflict, AppError> {
        let other = match self
            .app
            .db()
            .appointment(&self.practice(), &clash.appointment_id)
            .await
        {
            Ok(row) => Some(row),
            Err(StoreError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let Some(other) = other else {
            return Ok(ScheduleConflict {
                appointment_id: None,
                chair: clash.chair,
                start: None,
                end: None,
                operatory_id: None,
                message: "That time was taken by another booking just now. Reload the schedule and choose another time.".into(),
            });
        };
        let (start, end) = (
            Instant::from_unix_ms(other.start_ms),
            Instant::from_unix_ms(other.end_ms),
        );
        let when = format!(
            "from {} to {} on {}",
            hh_mm(tz, start),
            hh_mm(tz, end),
            tz.date_of(start)
        );
        let chair = resources.operatory_name(&other.operatory_id);
        let message = if clash.chair {
            format!("{chair} is already booked {when}. Choose another time or operatory.")
        } else {
            format!(
                "{} is already booked in {chair} {when}. Choose another time or provider.",
                resources.provider_name(&wanted.provider_id)
            )
        };
        Ok(ScheduleConflict {
            appointment_id: other.id.parse().ok(),
            chair: clash.chair,
            start: Some(start_text(tz, start)),
            end: Some(start_text(tz, end)),
            operatory_id: other.operatory_id.parse().ok(),
            message,
        })
    }
}
