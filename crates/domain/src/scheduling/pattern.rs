//! An appointment's length as a pattern of 5-minute units: `X` is provider time (the dentist
//! or hygienist is at the chair), `/` is assistant time (an assistant works, the provider is
//! free to be in another chair). `//XXXX//` is forty minutes, twenty of them the provider's.

use crate::Instant;

/// One unit of the schedule, in minutes.
pub const UNIT_MINUTES: i64 = 5;
/// One unit of the schedule, in milliseconds.
pub const UNIT_MS: i64 = UNIT_MINUTES * 60_000;
/// The longest appointment: 12 hours.
pub const MAX_UNITS: usize = 144;

/// A valid pattern: 1 to [`MAX_UNITS`] units, each `X` or `/`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pattern(String);

impl Pattern {
    /// Reads a pattern as typed (`x` counts as `X`; spaces are ignored). The problem is in
    /// plain words; a pattern reveals nothing about a patient, so it may be quoted.
    pub fn parse(raw: &str) -> Result<Pattern, String> {
        let units: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| if c == 'x' { 'X' } else { c })
            .collect();
        if units.is_empty() {
            return Err("is required: X for provider time, / for assistant time".into());
        }
        if units.chars().any(|c| c != 'X' && c != '/') {
            return Err(
                "may hold only X (provider time) and / (assistant time), one per 5 minutes".into(),
            );
        }
        if units.len() > MAX_UNITS {
            return Err(format!(
                "is too long (at most {MAX_UNITS} units of 5 minutes: 12 hours)"
            ));
        }
        Ok(Pattern(units))
    }

    /// `minutes` of provider time throughout: what a booking by length alone means (the
    /// provider is held for all of it, which can only refuse too much, never double-book).
    pub fn of_minutes(minutes: i64) -> Result<Pattern, String> {
        let max = MAX_UNITS as i64 * UNIT_MINUTES;
        if !(UNIT_MINUTES..=max).contains(&minutes) {
            return Err(format!("must be {UNIT_MINUTES} to {max} minutes"));
        }
        if minutes % UNIT_MINUTES != 0 {
            return Err(format!("must be a multiple of {UNIT_MINUTES} minutes"));
        }
        Ok(Pattern("X".repeat((minutes / UNIT_MINUTES) as usize)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn units(&self) -> usize {
        self.0.len()
    }

    pub fn minutes(&self) -> i64 {
        self.0.len() as i64 * UNIT_MINUTES
    }

    /// Minutes of provider time.
    pub fn provider_minutes(&self) -> i64 {
        self.0.bytes().filter(|b| *b == b'X').count() as i64 * UNIT_MINUTES
    }

    /// The instant an appointment with this pattern starting at `start` ends.
    pub fn end_from(&self, start: Instant) -> Instant {
        Instant::from_unix_ms(start.unix_ms() + self.minutes() * 60_000)
    }

    /// The schedule slots (see [`slot_of`]) the chair is held for, from `start`.
    pub fn chair_slots(&self, start: Instant) -> Vec<i64> {
        let first = slot_of(start);
        (0..self.units() as i64).map(|i| first + i).collect()
    }

    /// The slots the provider is held for: the `X` units only.
    pub fn provider_slots(&self, start: Instant) -> Vec<i64> {
        let first = slot_of(start);
        self.0
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'X')
            .map(|(i, _)| first + i as i64)
            .collect()
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The number of the 5-minute slot that begins at `at` (unix time divided into units). Every
/// time zone in use is a whole number of 5-minute units from UTC, so a start on a local
/// 5-minute mark is on a slot's beginning.
pub fn slot_of(at: Instant) -> i64 {
    at.unix_ms().div_euclid(UNIT_MS)
}
