//! Practice time: instants are stored in UTC, and everything a person reads as a date or a
//! clock time ("today", ages, a birthday, a time on a page) is computed in the practice's IANA
//! time zone.
//!
//! - [`Instant`]: a moment, as unix milliseconds in UTC (what every `*_ms` column holds).
//! - [`PracticeTz`]: a validated IANA zone name with its rules. The rules come from the time
//!   zone database compiled into the binary (jiff's bundled copy), so a server computes the
//!   same dates whatever its host's `/usr/share/zoneinfo` holds, or whether it has one.
//! - [`PracticeDate`]: a civil date in the practice (a `time::Date` that knows where it came
//!   from, so a UTC date cannot be passed where the practice's is meant).
//! - [`LocalDateTime`]: an instant as the practice's wall clock showed it, with its offset and
//!   abbreviation.
//!
//! Every conversion is total. Instants beyond the years ±9999 (which nothing real produces)
//! are clamped to that range instead of failing. Local times that a daylight-saving change
//! skips or repeats resolve the way RFC 5545 calendars and ECMAScript's Temporal do
//! ("compatible"): a skipped time moves forward by the length of the gap, and a repeated time
//! means its first occurrence. See docs/design/practice-time.md.
//!
//! The rest of Enamel uses the `time` crate; jiff stays inside this module.

use std::fmt;

use jiff::civil;
use jiff::tz::TimeZone;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::FieldProblem;

/// A moment in time: unix milliseconds, UTC. Ordering is chronological.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(i64);

impl Instant {
    pub const fn from_unix_ms(ms: i64) -> Instant {
        Instant(ms)
    }

    pub const fn unix_ms(self) -> i64 {
        self.0
    }

    /// The instant as jiff sees it, clamped into the range jiff (and `time`) can show as a
    /// civil date in any zone.
    fn timestamp(self) -> jiff::Timestamp {
        let ms = self.0.clamp(
            jiff::Timestamp::MIN.as_millisecond(),
            jiff::Timestamp::MAX.as_millisecond(),
        );
        jiff::Timestamp::from_millisecond(ms).unwrap_or(if ms < 0 {
            jiff::Timestamp::MIN
        } else {
            jiff::Timestamp::MAX
        })
    }
}

/// The problem text for a zone name that is not in the time zone database.
const UNKNOWN_ZONE: &str =
    "Use a time zone name from the IANA list, such as America/New_York or Europe/London.";

/// Long enough for every name in the IANA database (the longest is about 32 characters).
const MAX_NAME_LEN: usize = 64;

/// A practice's time zone: a name from the IANA time zone database (`America/New_York`) and
/// its rules. Only names in the database are accepted; fixed offsets (`+05:00`), POSIX rule
/// strings and file paths are refused, so a practice always follows its region's real
/// daylight-saving rules.
#[derive(Clone)]
pub struct PracticeTz {
    tz: TimeZone,
}

impl PracticeTz {
    /// Checks a zone name. Letter case is forgiven (`america/new_york`); the stored
    /// [`name`](Self::name) is the database's own spelling.
    pub fn parse(name: &str) -> Result<PracticeTz, FieldProblem> {
        let name = name.trim();
        let plausible = !name.is_empty()
            && name.len() <= MAX_NAME_LEN
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '_' | '-' | '+'));
        if !plausible {
            return Err(FieldProblem::new("time_zone", UNKNOWN_ZONE));
        }
        match TimeZone::get(name) {
            // A zone without an IANA name (jiff's "unknown" zone) would not survive a round
            // trip through the database column.
            Ok(tz) if tz.iana_name().is_some() => Ok(PracticeTz { tz }),
            _ => Err(FieldProblem::new("time_zone", UNKNOWN_ZONE)),
        }
    }

    /// The names a settings screen offers: every region name in the bundled database
    /// (`Area/Location`, such as `America/Denver`) and `UTC`, sorted. Older aliases
    /// (`US/Eastern`) and the `Etc/` offsets are still accepted by [`parse`](Self::parse) but
    /// not offered, so people pick the name of a place.
    pub fn offered_names() -> &'static [String] {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| {
            const AREAS: [&str; 10] = [
                "Africa",
                "America",
                "Antarctica",
                "Arctic",
                "Asia",
                "Atlantic",
                "Australia",
                "Europe",
                "Indian",
                "Pacific",
            ];
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|n| n.as_str().to_string())
                .filter(|n| {
                    n.split_once('/')
                        .is_some_and(|(area, _)| AREAS.contains(&area))
                })
                .collect();
            names.push("UTC".into());
            names.sort();
            names.dedup();
            names
        })
    }

    /// Every name [`parse`](Self::parse) takes, in the bundled database's own spelling
    /// (region names, older aliases, `Etc/` offsets, `UTC`), sorted.
    pub fn all_names() -> &'static [String] {
        static NAMES: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
        NAMES.get_or_init(|| {
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|n| n.as_str().to_string())
                .filter(|n| PracticeTz::parse(n).is_ok_and(|tz| tz.name() == n))
                .collect();
            names.sort();
            names.dedup();
            names
        })
    }

    /// UTC: where practices created before time zones existed stay until someone sets theirs.
    pub fn utc() -> PracticeTz {
        PracticeTz { tz: TimeZone::UTC }
    }

    /// The IANA name, as stored in `practices.time_zone`.
    pub fn name(&self) -> &str {
        self.tz.iana_name().unwrap_or("UTC")
    }

    /// The civil date in the practice at `at`.
    pub fn date_of(&self, at: Instant) -> PracticeDate {
        self.local(at).date()
    }

    /// "Today" in the practice when the clock reads `now`. The same as [`date_of`](Self::date_of);
    /// the name says what the caller means.
    pub fn today(&self, now: Instant) -> PracticeDate {
        self.date_of(now)
    }

    /// `at` as the practice's wall clock showed it.
    pub fn local(&self, at: Instant) -> LocalDateTime {
        let ts = at.timestamp();
        let info = self.tz.to_offset_info(ts);
        LocalDateTime {
            at: offset_datetime(ts.as_millisecond(), info.offset().seconds()),
            abbreviation: info.abbreviation().to_string(),
        }
    }

    /// The instants of the practice's day `date`: from its first instant (normally local
    /// midnight; 01:00 where a daylight-saving change skips midnight) up to the first instant
    /// of the next day. Such a day lasts 23, 24 or 25 hours, or another length where a zone
    /// changed its offset by other amounts.
    pub fn day(&self, date: PracticeDate) -> DayRange {
        let day = jiff_date(date.0);
        let start = self.start_of(day);
        let end = match day.tomorrow() {
            Ok(next) => self.start_of(next),
            Err(_) => Instant::from_unix_ms(jiff::Timestamp::MAX.as_millisecond()),
        };
        DayRange { start, end }
    }

    /// The instant the practice's clock shows `time` on `date`. A time that a daylight-saving
    /// change skips (02:30 on the spring-forward night in New York) moves forward by the gap
    /// (03:30 daylight time); a time it repeats (01:30 on the fall-back night) means the first
    /// occurrence (01:30 daylight time). This is the rule RFC 5545 gives for calendar events.
    pub fn instant_at(&self, date: PracticeDate, time: Time) -> Instant {
        let (h, m, s, ns) = time.as_hms_nano();
        let clock = civil::Time::new(
            i8::try_from(h).unwrap_or(0),
            i8::try_from(m).unwrap_or(0),
            i8::try_from(s).unwrap_or(0),
            i32::try_from(ns).unwrap_or(0),
        )
        .unwrap_or(civil::Time::midnight());
        self.resolve(jiff_date(date.0).to_datetime(clock))
    }

    /// The one instant the practice's clock shows `time` on `date`, for a booking: unlike
    /// [`instant_at`](Self::instant_at), a time that a daylight-saving change skips or
    /// repeats is refused, because an appointment at a time that never comes (or comes twice)
    /// must be asked about, not moved.
    pub fn exact_instant(&self, date: PracticeDate, time: Time) -> Result<Instant, LocalTimeGap> {
        let (h, m, s, _) = time.as_hms_nano();
        let clock = civil::Time::new(
            i8::try_from(h).unwrap_or(0),
            i8::try_from(m).unwrap_or(0),
            i8::try_from(s).unwrap_or(0),
            0,
        )
        .unwrap_or(civil::Time::midnight());
        let local = jiff_date(date.0).to_datetime(clock);
        let ambiguous = self.tz.to_ambiguous_timestamp(local);
        match ambiguous.offset() {
            jiff::tz::AmbiguousOffset::Unambiguous { .. } => Ok(self.resolve(local)),
            jiff::tz::AmbiguousOffset::Gap { .. } => Err(LocalTimeGap::Skipped),
            jiff::tz::AmbiguousOffset::Fold { .. } => Err(LocalTimeGap::Repeated),
        }
    }

    fn start_of(&self, day: civil::Date) -> Instant {
        self.resolve(day.to_datetime(civil::Time::midnight()))
    }

    fn resolve(&self, local: civil::DateTime) -> Instant {
        match self.tz.to_ambiguous_timestamp(local).compatible() {
            Ok(ts) => Instant::from_unix_ms(ts.as_millisecond()),
            // Only at the ends of the supported range.
            Err(_) if local.year() < 0 => {
                Instant::from_unix_ms(jiff::Timestamp::MIN.as_millisecond())
            }
            Err(_) => Instant::from_unix_ms(jiff::Timestamp::MAX.as_millisecond()),
        }
    }
}

impl fmt::Debug for PracticeTz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PracticeTz").field(&self.name()).finish()
    }
}

impl fmt::Display for PracticeTz {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for PracticeTz {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for PracticeTz {}

impl Default for PracticeTz {
    fn default() -> Self {
        PracticeTz::utc()
    }
}

/// Why a wall-clock time names no single instant in the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalTimeGap {
    /// The clocks jump over it (spring forward): it never happens that day.
    Skipped,
    /// The clocks pass it twice (fall back).
    Repeated,
}

/// A civil date in the practice's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PracticeDate(Date);

impl PracticeDate {
    /// A date the practice already means (typed into a form, read from a record).
    pub const fn new(date: Date) -> PracticeDate {
        PracticeDate(date)
    }

    /// The date for code that takes a plain `time::Date`.
    pub const fn date(self) -> Date {
        self.0
    }

    /// Whole years from `birth` to this date: the age someone born on `birth` has on this
    /// day in the practice.
    pub fn age_of(self, birth: Date) -> i32 {
        crate::age_on(birth, self.0)
    }

    /// Under 18 on this day in the practice (someone turns 18 on their birthday).
    pub fn is_minor(self, birth: Date) -> bool {
        self.age_of(birth) < 18
    }
}

impl From<PracticeDate> for Date {
    fn from(d: PracticeDate) -> Date {
        d.0
    }
}

impl fmt::Display for PracticeDate {
    /// `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::iso_date(self.0))
    }
}

/// The half-open range of instants `[start, end)` of one day in the practice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub start: Instant,
    pub end: Instant,
}

impl DayRange {
    pub fn contains(&self, at: Instant) -> bool {
        self.start <= at && at < self.end
    }

    /// The day's length in milliseconds (86,400,000 on most days).
    pub fn len_ms(&self) -> i64 {
        self.end.0.saturating_sub(self.start.0)
    }
}

/// An instant as the practice's wall clock showed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalDateTime {
    at: OffsetDateTime,
    abbreviation: String,
}

impl LocalDateTime {
    pub fn date(&self) -> PracticeDate {
        PracticeDate(self.at.date())
    }

    pub fn time(&self) -> Time {
        self.at.time()
    }

    /// The offset from UTC in force at that instant.
    pub fn offset(&self) -> UtcOffset {
        self.at.offset()
    }

    /// The zone's abbreviation at that instant (`EST`, `EDT`, `JST`, or `+13` where the
    /// database has no letters for it).
    pub fn abbreviation(&self) -> &str {
        &self.abbreviation
    }

    /// As a `time` value with the local offset, for code that formats its own way.
    pub fn offset_datetime(&self) -> OffsetDateTime {
        self.at
    }

    /// `2026-03-08 01:59 EST`: for pages. The abbreviation tells apart the two 01:30s of a
    /// fall-back night.
    pub fn to_minute_string(&self) -> String {
        let (h, m, _) = self.at.time().as_hms();
        format!(
            "{} {h:02}:{m:02} {}",
            crate::iso_date(self.at.date()),
            self.abbreviation
        )
    }

    /// RFC 3339 with the local offset (`2026-03-08T01:59:00-05:00`): for exports, where a
    /// machine must read it back without knowing the zone.
    pub fn to_rfc3339(&self) -> String {
        self.at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default()
    }
}

impl fmt::Display for LocalDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_minute_string())
    }
}

/// `ms` (already within jiff's range) at `offset_secs` east of UTC, as a `time` value.
fn offset_datetime(ms: i64, offset_secs: i32) -> OffsetDateTime {
    let offset = UtcOffset::from_whole_seconds(offset_secs).unwrap_or(UtcOffset::UTC);
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.checked_to_offset(offset))
        .unwrap_or_else(|| {
            if ms < 0 {
                PrimitiveDateTime::MIN.assume_utc()
            } else {
                PrimitiveDateTime::MAX.assume_utc()
            }
        })
}

/// A `time::Date` as jiff's civil date. Both libraries cover the years -9999 to 9999, so the
/// fallbacks are never reached; they keep the conversion total.
fn jiff_date(d: Date) -> civil::Date {
    let year = i16::try_from(d.year()).unwrap_or(if d.year() < 0 { -9999 } else { 9999 });
    let month = i8::try_from(u8::from(d.month())).unwrap_or(1);
    let day = i8::try_from(d.day()).unwrap_or(1);
    civil::Date::new(year, month, day).unwrap_or(if year < 0 {
        civil::Date::MIN
    } else {
        civil::Date::MAX
    })
}

#[cfg(test)]
mod tests;
