//! A booking as a client sends it, and the rules of its time: a start on a 5-minute mark of
//! the practice's clock, and a length given as a pattern, as minutes, or by its type.

use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, Time, UtcOffset};

use super::Pattern;
use crate::clinical::{free_text, optional_id, required_id};
use crate::patient::Problems;
use crate::{AppointmentTypeId, OperatoryId, ProviderId};
use crate::{FieldProblem, Instant, LocalTimeGap, PatientId, PracticeDate, PracticeTz};

/// The longest note on an appointment.
pub const MAX_APPOINTMENT_NOTE_CHARS: usize = 2000;

/// A booking as a client sends it (ids as text, the start as typed).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AppointmentDraft {
    pub patient_id: String,
    pub operatory_id: String,
    pub provider_id: String,
    pub hygienist_id: Option<String>,
    pub appointment_type_id: Option<String>,
    /// RFC 3339 with the practice's offset (`2027-03-09T09:00:00-05:00`), or the practice's
    /// local time without one (`2027-03-09T09:00`).
    pub start: String,
    pub duration_min: Option<i64>,
    pub pattern: Option<String>,
    pub note: Option<String>,
    /// The desk has seen the warnings (outside working hours, a blockout, a holiday) and books
    /// anyway; the override is audited.
    pub acknowledge_warnings: bool,
}

impl std::fmt::Debug for AppointmentDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The note may say anything about the patient.
        f.debug_struct("AppointmentDraft")
            .field("operatory_id", &self.operatory_id)
            .field("start", &self.start)
            .finish_non_exhaustive()
    }
}

/// A valid booking: who, where, with whom, when and for how long.
#[derive(Clone, PartialEq, Eq)]
pub struct Booking {
    pub patient_id: PatientId,
    pub operatory_id: OperatoryId,
    pub provider_id: ProviderId,
    pub hygienist_id: Option<ProviderId>,
    pub appointment_type_id: Option<AppointmentTypeId>,
    pub start: Instant,
    pub pattern: Pattern,
    pub note: Option<String>,
}

impl std::fmt::Debug for Booking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Booking")
            .field("operatory_id", &self.operatory_id)
            .field("start", &self.start)
            .field("pattern", &self.pattern)
            .finish_non_exhaustive()
    }
}

impl Booking {
    pub fn end(&self) -> Instant {
        self.pattern.end_from(self.start)
    }
}

impl AppointmentDraft {
    /// Every problem at once, named by field. `type_pattern` is the pattern of the named
    /// appointment type, which a booking without a pattern or a length takes.
    pub fn validate(
        &self,
        tz: &PracticeTz,
        type_pattern: Option<&Pattern>,
    ) -> Result<Booking, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let patient = required_id(&self.patient_id, "patient_id", "a patient", &mut p);
        let operatory = required_id(&self.operatory_id, "operatory_id", "an operatory", &mut p);
        let provider = required_id(&self.provider_id, "provider_id", "a provider", &mut p);
        let hygienist = optional_id(
            self.hygienist_id.as_deref(),
            "hygienist_id",
            "a provider",
            &mut p,
        );
        let kind = optional_id(
            self.appointment_type_id.as_deref(),
            "appointment_type_id",
            "an appointment type",
            &mut p,
        );
        let start = match parse_start(&self.start, tz) {
            Ok(at) => Some(at),
            Err(problem) => {
                p.add("start", problem);
                None
            }
        };
        let pattern = self.pattern(type_pattern, &mut p);
        let note = free_text(
            self.note.as_deref(),
            "note",
            MAX_APPOINTMENT_NOTE_CHARS,
            &mut p,
        );
        match (
            parse(patient),
            parse(operatory),
            parse(provider),
            start,
            pattern,
        ) {
            (
                Some(patient_id),
                Some(operatory_id),
                Some(provider_id),
                Some(start),
                Some(pattern),
            ) if p.is_empty() => Ok(Booking {
                patient_id,
                operatory_id,
                provider_id,
                hygienist_id: parse(hygienist),
                appointment_type_id: parse(kind),
                start,
                pattern,
                note,
            }),
            _ => Err(p.into_vec()),
        }
    }

    /// The pattern: as sent, or all provider time for `duration_min`, or the type's. When
    /// both a pattern and a length are sent they must agree.
    fn pattern(&self, type_pattern: Option<&Pattern>, p: &mut Problems) -> Option<Pattern> {
        let sent = self.pattern.as_deref().filter(|s| !s.trim().is_empty());
        match (sent, self.duration_min) {
            (Some(text), duration) => match Pattern::parse(text) {
                Ok(pattern) => {
                    if let Some(minutes) = duration
                        && minutes != pattern.minutes()
                    {
                        p.add(
                            "duration_min",
                            format!(
                                "must match the pattern ({} minutes), or be left out",
                                pattern.minutes()
                            ),
                        );
                    }
                    Some(pattern)
                }
                Err(problem) => {
                    p.add("pattern", problem);
                    None
                }
            },
            (None, Some(minutes)) => match Pattern::of_minutes(minutes) {
                Ok(pattern) => Some(pattern),
                Err(problem) => {
                    p.add("duration_min", problem);
                    None
                }
            },
            (None, None) => match type_pattern {
                Some(pattern) => Some(pattern.clone()),
                None => {
                    p.add(
                        "duration_min",
                        "is required (or a pattern, or an appointment type)",
                    );
                    None
                }
            },
        }
    }
}

/// Reads a booking's start: RFC 3339 whose offset is the practice's at that instant, or the
/// practice's local time without an offset (`2027-03-09T09:00`). A local time that the clocks
/// skip or pass twice that night is refused with words saying so; either way the start must
/// fall on a 5-minute mark.
pub fn parse_start(raw: &str, tz: &PracticeTz) -> Result<Instant, String> {
    const SHAPE: &str = "must be a date and time such as 2027-03-09T09:00 (the practice's clock) or 2027-03-09T09:00:00-05:00";
    let text = raw.trim();
    if text.is_empty() {
        return Err("is required".into());
    }
    if text.len() > 40 {
        return Err(SHAPE.into());
    }
    if let Ok(sent) = OffsetDateTime::parse(text, &Rfc3339) {
        check_year(sent.year())?;
        let at = Instant::from_unix_ms(
            i64::try_from(sent.unix_timestamp_nanos() / 1_000_000).map_err(|_| SHAPE)?,
        );
        let local = tz.local(at);
        if local.offset() != sent.offset() {
            return Err(format!(
                "has the offset {}, but the practice's clock ({}) is at {} then: send the practice's offset, or its local time without an offset",
                offset_text(sent.offset()),
                tz.name(),
                offset_text(local.offset())
            ));
        }
        check_mark(sent.time())?;
        return Ok(at);
    }
    let (date, clock) = text
        .split_once(['T', 't', ' '])
        .ok_or_else(|| SHAPE.to_string())?;
    let date = crate::parse_iso_date(date).ok_or_else(|| SHAPE.to_string())?;
    check_year(date.year())?;
    let time = local_clock(clock).ok_or_else(|| SHAPE.to_string())?;
    check_mark(time)?;
    let hm = format!("{:02}:{:02}", time.hour(), time.minute());
    tz.exact_instant(PracticeDate::new(date), time)
        .map_err(|gap| match gap {
            LocalTimeGap::Skipped => format!(
                "{hm} does not exist on {} in {}: the clocks go forward that night; choose another time",
                crate::iso_date(date),
                tz.name()
            ),
            LocalTimeGap::Repeated => format!(
                "{hm} happens twice on {} in {}: the clocks go back that night; send the time with its offset to say which",
                crate::iso_date(date),
                tz.name()
            ),
        })
}

/// An id already checked for its spelling, as its type.
fn parse<T: std::str::FromStr>(id: Option<String>) -> Option<T> {
    id.and_then(|id| id.parse().ok())
}

/// `HH:MM` or `HH:MM:SS`.
fn local_clock(text: &str) -> Option<Time> {
    let mut parts = text.split(':');
    let number = |part: Option<&str>| -> Option<u8> {
        let part = part?;
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let hour = number(parts.next())?;
    let minute = number(parts.next())?;
    let second = match parts.next() {
        Some(s) => number(Some(s))?,
        None => 0,
    };
    if parts.next().is_some() {
        return None;
    }
    Time::from_hms(hour, minute, second).ok()
}

fn check_mark(time: Time) -> Result<(), String> {
    if !time.minute().is_multiple_of(5) || time.second() != 0 || time.nanosecond() != 0 {
        return Err("must be on a 5-minute mark (such as 09:00, 09:05 or 09:10)".into());
    }
    Ok(())
}

fn check_year(year: i32) -> Result<(), String> {
    if (1900..=2199).contains(&year) {
        Ok(())
    } else {
        Err("must be a date between the years 1900 and 2199".into())
    }
}

fn offset_text(offset: UtcOffset) -> String {
    let (h, m, _) = offset.as_hms();
    let sign = if offset.is_negative() { '-' } else { '+' };
    format!("{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
}

/// A start as the API sends it back: RFC 3339 with the practice's offset at that instant.
pub fn start_text(tz: &PracticeTz, at: Instant) -> String {
    tz.local(at).to_rfc3339()
}
