//! When a booking deserves a second look: outside its provider's working hours, in a blockout
//! of its operatory, or on a practice holiday. These are warnings, not rules: the desk may book
//! anyway (a patient in pain at 07:30), and the override is audited.

use time::{Time, Weekday};

use super::Booking;
use crate::patient::Problems;
use crate::text_enum::text_enum;
use crate::{FieldProblem, Instant, PracticeTz};

/// One day's working hours of a provider: from `start` to `end` on the practice's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingHours {
    pub weekday: Weekday,
    pub start: Time,
    pub end: Time,
}

/// The most spans of hours a provider's week holds (a split day counts twice).
pub const MAX_HOURS: usize = 21;

/// The weekday's lower-case English name, as stored and sent (`monday`).
pub fn weekday_text(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

fn weekday_of(text: &str) -> Option<Weekday> {
    [
        Weekday::Monday,
        Weekday::Tuesday,
        Weekday::Wednesday,
        Weekday::Thursday,
        Weekday::Friday,
        Weekday::Saturday,
        Weekday::Sunday,
    ]
    .into_iter()
    .find(|d| weekday_text(*d) == text)
}

/// `HH:MM` on a 5-minute mark.
fn clock(text: &str) -> Option<Time> {
    let (h, m) = text.trim().split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let time = Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()?;
    time.minute().is_multiple_of(5).then_some(time)
}

/// `HH:MM`.
pub fn clock_text(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// A week's hours as sent: (weekday, start, end) texts. Every problem at once, named by its
/// place (`working_hours[2].end`); spans of one day must not overlap.
pub fn parse_hours(
    spans: &[(String, String, String)],
) -> Result<Vec<WorkingHours>, Vec<FieldProblem>> {
    let mut p = Problems::default();
    if spans.len() > MAX_HOURS {
        p.add(
            "working_hours",
            format!("may hold at most {MAX_HOURS} spans"),
        );
        return Err(p.into_vec());
    }
    let mut out: Vec<WorkingHours> = Vec::new();
    for (i, (day, start, end)) in spans.iter().enumerate() {
        let weekday = weekday_of(day.trim());
        if weekday.is_none() {
            p.add(
                format!("working_hours[{i}].weekday"),
                "must be a day of the week, such as monday",
            );
        }
        let (s, e) = (clock(start), clock(end));
        if s.is_none() {
            p.add(
                format!("working_hours[{i}].start"),
                "must be a time as HH:MM on a 5-minute mark",
            );
        }
        if e.is_none() {
            p.add(
                format!("working_hours[{i}].end"),
                "must be a time as HH:MM on a 5-minute mark",
            );
        }
        if let (Some(weekday), Some(start), Some(end)) = (weekday, s, e) {
            if end <= start {
                p.add(format!("working_hours[{i}].end"), "must be after the start");
            } else if out
                .iter()
                .any(|h| h.weekday == weekday && h.start < end && start < h.end)
            {
                p.add(
                    format!("working_hours[{i}]"),
                    "overlaps another span of the same day",
                );
            } else {
                out.push(WorkingHours {
                    weekday,
                    start,
                    end,
                });
            }
        }
    }
    if p.is_empty() {
        Ok(out)
    } else {
        Err(p.into_vec())
    }
}

/// Stored form: `monday 08:00-12:00,monday 13:00-17:00`.
pub fn hours_text(hours: &[WorkingHours]) -> String {
    hours
        .iter()
        .map(|h| {
            format!(
                "{} {}-{}",
                weekday_text(h.weekday),
                clock_text(h.start),
                clock_text(h.end)
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads the stored form back; `None` when it is not in that form.
pub fn hours_of(text: &str) -> Option<Vec<WorkingHours>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',')
        .map(|span| {
            let (day, times) = span.split_once(' ')?;
            let (start, end) = times.split_once('-')?;
            Some(WorkingHours {
                weekday: weekday_of(day)?,
                start: clock(start)?,
                end: clock(end)?,
            })
        })
        .collect()
}

text_enum!(
    /// A dated block of the schedule: a blockout keeps one operatory (or every one) free for
    /// a while (a meeting, a repair, lunch); a holiday closes the practice for the day.
    BlockKind {
        Blockout => "blockout" ("Blockout"),
        Holiday => "holiday" ("Practice holiday"),
    }
);

/// A dated block as the warnings need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    pub kind: BlockKind,
    /// `None`: every operatory.
    pub operatory_id: Option<String>,
    pub start: Instant,
    pub end: Instant,
    pub label: String,
}

/// One thing a booking is warned about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// `outside_hours`, `blockout` or `holiday`: what an audit entry may say of it.
    pub kind: &'static str,
    /// The sentence for the desk.
    pub text: String,
}

/// What a booking should be warned about: the provider's hours (when the provider has any set),
/// blocks that overlap it in its operatory or in all of them.
pub fn warnings(
    booking: &Booking,
    tz: &PracticeTz,
    provider_name: &str,
    hours: &[WorkingHours],
    blocks: &[Block],
) -> Vec<Warning> {
    let mut out = Vec::new();
    let (start, end) = (booking.start, booking.end());
    let local = tz.local(start);
    let day = local.date().date();
    if !hours.is_empty() {
        let of_day: Vec<&WorkingHours> = hours
            .iter()
            .filter(|h| h.weekday == day.weekday())
            .collect();
        let end_local = tz.local(end);
        let within = of_day.iter().any(|h| {
            local.time() >= h.start && end_local.date() == local.date() && end_local.time() <= h.end
        });
        if of_day.is_empty() {
            out.push(Warning {
                kind: "outside_hours",
                text: format!("{provider_name} does not work on {}s.", day.weekday()),
            });
        } else if !within {
            let spans: Vec<String> = of_day
                .iter()
                .map(|h| format!("{}–{}", clock_text(h.start), clock_text(h.end)))
                .collect();
            out.push(Warning {
                kind: "outside_hours",
                text: format!(
                    "This is outside {provider_name}'s working hours on {}s ({}).",
                    day.weekday(),
                    spans.join(", ")
                ),
            });
        }
    }
    for b in blocks {
        let here = b
            .operatory_id
            .as_ref()
            .is_none_or(|o| *o == booking.operatory_id.to_string());
        if !(here && b.start < end && start < b.end) {
            continue;
        }
        let text = match b.kind {
            BlockKind::Holiday => format!(
                "{} is a practice holiday ({}).",
                tz.date_of(b.start),
                b.label
            ),
            BlockKind::Blockout => format!(
                "The time is blocked out from {} to {} ({}).",
                clock_text(tz.local(b.start).time()),
                clock_text(tz.local(b.end).time()),
                b.label
            ),
        };
        out.push(Warning {
            kind: b.kind.as_str(),
            text,
        });
    }
    out
}

/// A dated block as a client sends it: a blockout from `start` to `end` (like a booking's
/// start: the practice's clock, on 5-minute marks) in one operatory or all; or a holiday on
/// `date`, for the whole practice.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockDraft {
    pub kind: String,
    pub operatory_id: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub date: Option<String>,
    pub label: String,
}

/// The longest blockout: a week.
const MAX_BLOCK_MS: i64 = 7 * 24 * 3_600_000;

impl BlockDraft {
    pub fn validate(&self, tz: &PracticeTz) -> Result<Block, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let kind = BlockKind::parse(self.kind.trim());
        if kind.is_none() {
            p.add("kind", "must be blockout or holiday");
        }
        let label = crate::clinical::required_line(&self.label, "label", 60, &mut p);
        let operatory_id = crate::clinical::optional_id(
            self.operatory_id.as_deref(),
            "operatory_id",
            "an operatory",
            &mut p,
        );
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|s| s.trim().is_empty());
        let mut range = None;
        match kind {
            Some(BlockKind::Blockout) => {
                let mut at = |field: &'static str, raw: &Option<String>| match raw {
                    Some(text) if !text.trim().is_empty() => match super::parse_start(text, tz) {
                        Ok(at) => Some(at),
                        Err(problem) => {
                            p.add(field, problem);
                            None
                        }
                    },
                    _ => {
                        p.add(field, "is required for a blockout");
                        None
                    }
                };
                let (start, end) = (at("start", &self.start), at("end", &self.end));
                if !blank(&self.date) {
                    p.add(
                        "date",
                        "is for a holiday; a blockout has a start and an end",
                    );
                }
                if let (Some(s), Some(e)) = (start, end) {
                    if e <= s {
                        p.add("end", "must be after the start");
                    } else if e.unix_ms() - s.unix_ms() > MAX_BLOCK_MS {
                        p.add("end", "must be at most a week after the start");
                    } else {
                        range = Some((s, e));
                    }
                }
            }
            Some(BlockKind::Holiday) => {
                if operatory_id.is_some() {
                    p.add(
                        "operatory_id",
                        "is for a blockout; a holiday closes the practice",
                    );
                }
                if !blank(&self.start) || !blank(&self.end) {
                    p.add("start", "is for a blockout; a holiday has a date");
                }
                match self
                    .date
                    .as_deref()
                    .map(str::trim)
                    .and_then(crate::parse_iso_date)
                {
                    Some(d) => {
                        let day = tz.day(crate::PracticeDate::new(d));
                        range = Some((day.start, day.end));
                    }
                    None => p.add("date", "must be a date as YYYY-MM-DD"),
                }
            }
            None => {}
        }
        match (kind, label, range) {
            (Some(kind), Some(label), Some((start, end))) if p.is_empty() => Ok(Block {
                kind,
                operatory_id,
                start,
                end,
                label,
            }),
            _ => Err(p.into_vec()),
        }
    }
}
