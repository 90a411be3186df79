#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use time::macros::{date, datetime, time};

use super::*;

const HOUR: i64 = 3_600_000;

fn tz(name: &str) -> PracticeTz {
    match PracticeTz::parse(name) {
        Ok(tz) => tz,
        Err(p) => panic!("{name}: {}", p.problem),
    }
}

/// The instant of a UTC date-time written as a `time` literal.
fn at(utc: time::PrimitiveDateTime) -> Instant {
    let ms = utc.assume_utc().unix_timestamp_nanos() / 1_000_000;
    Instant::from_unix_ms(i64::try_from(ms).unwrap_or(i64::MAX))
}

fn day(d: Date) -> PracticeDate {
    PracticeDate::new(d)
}

#[test]
fn accepts_iana_names_and_keeps_the_database_spelling() {
    assert_eq!(tz("America/New_York").name(), "America/New_York");
    assert_eq!(tz("  america/new_YORK ").name(), "America/New_York");
    assert_eq!(tz("Pacific/Auckland").name(), "Pacific/Auckland");
    assert_eq!(tz("UTC").name(), "UTC");
    assert_eq!(tz("Etc/UTC").name(), "Etc/UTC");
    assert_eq!(PracticeTz::utc().name(), "UTC");
    assert_eq!(PracticeTz::default(), PracticeTz::utc());
    assert_eq!(
        format!("{:?}", tz("Asia/Tokyo")),
        "PracticeTz(\"Asia/Tokyo\")"
    );
}

#[test]
fn refuses_unknown_names_offsets_rules_and_paths() {
    for bad in [
        "",
        "   ",
        "Mars/Olympus_Mons",
        "America/New York",
        "+05:00",
        "UTC+5",
        "EST5EDT,M3.2.0,M11.1.0",
        "/usr/share/zoneinfo/America/New_York",
        "../../etc/passwd",
        "America/New\nYork",
        "America/New_York\u{0}",
        "Amérique/Montréal",
        &"A".repeat(65),
        &format!("America/{}", "x".repeat(200)),
    ] {
        let problem = PracticeTz::parse(bad).err();
        assert!(problem.is_some(), "{bad:?} was accepted");
        if let Some(p) = problem {
            assert_eq!(p.field, "time_zone");
            assert!(!p.problem.contains(bad.trim()) || bad.trim().is_empty());
        }
    }
}

#[test]
fn spring_forward_day_in_new_york_has_23_hours() {
    let ny = tz("America/New_York");
    let range = ny.day(day(date!(2026 - 03 - 08)));
    assert_eq!(range.start, at(datetime!(2026-03-08 05:00)));
    assert_eq!(range.end, at(datetime!(2026-03-09 04:00)));
    assert_eq!(range.len_ms(), 23 * HOUR);
}

#[test]
fn fall_back_day_in_new_york_has_25_hours() {
    let ny = tz("America/New_York");
    let range = ny.day(day(date!(2026 - 11 - 01)));
    assert_eq!(range.start, at(datetime!(2026-11-01 04:00)));
    assert_eq!(range.end, at(datetime!(2026-11-02 05:00)));
    assert_eq!(range.len_ms(), 25 * HOUR);
    assert_eq!(ny.day(day(date!(2026 - 11 - 02))).len_ms(), 24 * HOUR);
}

#[test]
fn a_day_whose_midnight_was_skipped_starts_at_one() {
    // Brazil moved its clocks from 00:00 to 01:00 on 2018-11-04.
    let sp = tz("America/Sao_Paulo");
    let range = sp.day(day(date!(2018 - 11 - 04)));
    assert_eq!(range.start, at(datetime!(2018-11-04 03:00)));
    assert_eq!(range.len_ms(), 23 * HOUR);
    assert_eq!(sp.day(day(date!(2018 - 11 - 03))).end, range.start);
    assert_eq!(sp.local(range.start).time(), time!(01:00));
}

#[test]
fn the_date_changes_at_local_midnight_not_at_utc_midnight() {
    let ny = tz("America/New_York");
    let midnight = at(datetime!(2026-12-01 05:00));
    let before = Instant::from_unix_ms(midnight.unix_ms() - 1);
    assert_eq!(ny.date_of(before), day(date!(2026 - 11 - 30)));
    assert_eq!(ny.date_of(midnight), day(date!(2026 - 12 - 01)));
    // UTC has long been on 1 December by then.
    assert_eq!(
        PracticeTz::utc().date_of(before),
        day(date!(2026 - 12 - 01))
    );
    assert_eq!(ny.local(before).to_minute_string(), "2026-11-30 23:59 EST");
}

#[test]
fn zones_ahead_of_utc_reach_tomorrow_first() {
    let tokyo = tz("Asia/Tokyo");
    let akl = tz("Pacific/Auckland");
    let utc = PracticeTz::utc();
    let t = at(datetime!(2026-12-01 15:00));
    assert_eq!(utc.today(t), day(date!(2026 - 12 - 01)));
    assert_eq!(tokyo.today(t), day(date!(2026 - 12 - 02)));
    assert_eq!(tokyo.local(t).to_minute_string(), "2026-12-02 00:00 JST");
    // Auckland is on daylight time (+13) in December.
    let akl_midnight = at(datetime!(2026-12-01 11:00));
    assert_eq!(akl.today(akl_midnight), day(date!(2026 - 12 - 02)));
    assert_eq!(
        akl.today(Instant::from_unix_ms(akl_midnight.unix_ms() - 1)),
        day(date!(2026 - 12 - 01))
    );
    assert_eq!(akl.local(akl_midnight).offset().whole_hours(), 13);
}

#[test]
fn skipped_local_times_move_forward_and_repeated_ones_mean_the_first() {
    let ny = tz("America/New_York");
    // 02:30 does not exist on 2026-03-08: it becomes 03:30 daylight time.
    let gap = ny.instant_at(day(date!(2026 - 03 - 08)), time!(02:30));
    assert_eq!(gap, at(datetime!(2026-03-08 07:30)));
    assert_eq!(ny.local(gap).to_minute_string(), "2026-03-08 03:30 EDT");
    // 01:30 happens twice on 2026-11-01: the first one, still daylight time.
    let fold = ny.instant_at(day(date!(2026 - 11 - 01)), time!(01:30));
    assert_eq!(fold, at(datetime!(2026-11-01 05:30)));
    assert_eq!(ny.local(fold).to_minute_string(), "2026-11-01 01:30 EDT");
    let second = Instant::from_unix_ms(fold.unix_ms() + HOUR);
    assert_eq!(ny.local(second).to_minute_string(), "2026-11-01 01:30 EST");
    // An ordinary time is exact.
    assert_eq!(
        ny.instant_at(day(date!(2026 - 12 - 01)), time!(09:15)),
        at(datetime!(2026-12-01 14:15))
    );
}

#[test]
fn date_of_and_day_agree_hour_by_hour_across_both_changes() {
    let ny = tz("America/New_York");
    for (first, days) in [(date!(2026 - 03 - 05), 6), (date!(2026 - 10 - 29), 6)] {
        let start = ny.day(day(first)).start;
        let mut t = start.unix_ms();
        let mut d = first;
        for _ in 0..days {
            let range = ny.day(day(d));
            assert_eq!(
                range.start.unix_ms(),
                t,
                "{d} starts where the day before ended"
            );
            while t < range.end.unix_ms() {
                assert_eq!(ny.date_of(Instant::from_unix_ms(t)), day(d));
                t += HOUR / 4;
            }
            assert_eq!(t, range.end.unix_ms());
            d = d.next_day().unwrap_or(d);
        }
    }
}

#[test]
fn an_eighteenth_birthday_follows_the_practice_zone() {
    let birth = date!(2008 - 12 - 02);
    // 23:30 on 1 December in New York, already 2 December in UTC.
    let evening = at(datetime!(2026-12-02 04:30));
    let ny_today = tz("America/New_York").today(evening);
    assert_eq!(ny_today.age_of(birth), 17);
    assert!(ny_today.is_minor(birth));
    assert!(!PracticeTz::utc().today(evening).is_minor(birth));
    // 01:00 on 2 December in Tokyo, still 1 December in UTC.
    let night = at(datetime!(2026-12-01 16:00));
    assert!(!tz("Asia/Tokyo").today(night).is_minor(birth));
    assert!(PracticeTz::utc().today(night).is_minor(birth));
}

#[test]
fn exports_carry_the_local_offset() {
    let ny = tz("America/New_York");
    let local = ny.local(at(datetime!(2026-03-08 06:59)));
    assert_eq!(local.to_rfc3339(), "2026-03-08T01:59:00-05:00");
    assert_eq!(local.abbreviation(), "EST");
    assert_eq!(local.date().to_string(), "2026-03-08");
}

#[test]
fn extremes_are_clamped_not_panics() {
    for name in ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago"] {
        let zone = tz(name);
        for ms in [i64::MIN, i64::MAX, 0, -1] {
            let _ = zone.local(Instant::from_unix_ms(ms)).to_minute_string();
        }
        for d in [Date::MIN, Date::MAX] {
            let range = zone.day(day(d));
            assert!(range.start <= range.end, "{name} {d}");
            let _ = zone.instant_at(day(d), time!(23:59));
        }
    }
}

#[test]
fn offered_names_are_places_that_parse() {
    let names = PracticeTz::offered_names();
    assert!(names.len() > 300, "{}", names.len());
    for must in ["America/New_York", "Europe/London", "Asia/Tokyo", "UTC"] {
        assert!(names.iter().any(|n| n == must), "{must}");
    }
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("US/") || n.starts_with("Etc/"))
    );
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    for n in names {
        assert_eq!(tz(n).name(), n);
    }
}
