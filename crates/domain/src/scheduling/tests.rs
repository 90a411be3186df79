#![allow(clippy::unwrap_used)]

use super::*;
use crate::{Instant, PracticeTz};

fn new_york() -> PracticeTz {
    PracticeTz::parse("America/New_York").unwrap()
}

fn ms(rfc3339: &str) -> i64 {
    let t = time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn draft(start: &str) -> AppointmentDraft {
    AppointmentDraft {
        patient_id: crate::PatientId::new().to_string(),
        operatory_id: crate::OperatoryId::new().to_string(),
        provider_id: crate::ProviderId::new().to_string(),
        start: start.into(),
        duration_min: Some(60),
        ..AppointmentDraft::default()
    }
}

#[test]
fn a_local_start_is_the_practice_clock_across_the_spring_change() {
    let tz = new_york();
    // 2027-03-14 is the spring-forward day in New York; the day after is on daylight time.
    let before = parse_start("2027-03-13T09:00", &tz).unwrap();
    let after = parse_start("2027-03-15T09:00", &tz).unwrap();
    assert_eq!(before.unix_ms(), ms("2027-03-13T14:00:00Z"));
    assert_eq!(after.unix_ms(), ms("2027-03-15T13:00:00Z"));
    assert_eq!(start_text(&tz, after), "2027-03-15T09:00:00-04:00");
    assert_eq!(start_text(&tz, before), "2027-03-13T09:00:00-05:00");
}

#[test]
fn a_time_the_clocks_skip_or_repeat_is_refused_in_words() {
    let tz = new_york();
    let skipped = parse_start("2027-03-14T02:30", &tz).unwrap_err();
    assert!(
        skipped.contains("02:30 does not exist on 2027-03-14"),
        "{skipped}"
    );
    assert!(skipped.contains("clocks go forward"), "{skipped}");
    let repeated = parse_start("2027-11-07T01:30", &tz).unwrap_err();
    assert!(repeated.contains("happens twice"), "{repeated}");
    // With its offset, the repeated time names one instant and is taken.
    let second = parse_start("2027-11-07T01:30:00-05:00", &tz).unwrap();
    assert_eq!(second.unix_ms(), ms("2027-11-07T06:30:00Z"));
}

#[test]
fn an_offset_that_is_not_the_practices_is_refused() {
    let tz = new_york();
    // 02:30-05:00 on the spring-forward day is 03:30 daylight time: a client that thinks it
    // booked 02:30 is told, not moved.
    let problem = parse_start("2027-03-14T02:30:00-05:00", &tz).unwrap_err();
    assert!(
        problem.contains("-05:00") && problem.contains("-04:00"),
        "{problem}"
    );
    assert!(parse_start("2027-03-15T13:00:00Z", &tz).is_err());
    assert!(parse_start("2027-03-15T13:00:00Z", &PracticeTz::utc()).is_ok());
}

#[test]
fn a_start_off_the_five_minute_mark_or_malformed_is_refused() {
    let tz = new_york();
    for bad in [
        "2027-03-15T09:03",
        "2027-03-15T09:00:30",
        "2027-03-15T09:00:00.5-04:00",
        "2027-03-15",
        "09:00",
        "2027-02-30T09:00",
        "2027-03-15T24:00",
        "2027-03-15T9:00",
        "1850-01-01T09:00",
        "",
    ] {
        assert!(parse_start(bad, &tz).is_err(), "{bad}");
    }
    assert!(parse_start(" 2027-03-15 09:05 ", &tz).is_ok());
    assert!(parse_start("2027-03-15T09:05:00", &tz).is_ok());
}

#[test]
fn a_pattern_holds_the_chair_throughout_and_the_provider_for_x_only() {
    let p = Pattern::parse("//xX x//").unwrap();
    assert_eq!(p.as_str(), "//XXX//");
    assert_eq!(p.minutes(), 35);
    assert_eq!(p.provider_minutes(), 15);
    let start = Instant::from_unix_ms(UNIT_MS * 1000);
    assert_eq!(p.chair_slots(start), (1000..1007).collect::<Vec<_>>());
    assert_eq!(p.provider_slots(start), vec![1002, 1003, 1004]);
    assert_eq!(p.end_from(start).unix_ms(), UNIT_MS * 1007);
    assert!(Pattern::parse("").is_err());
    assert!(Pattern::parse("XO").is_err());
    assert!(Pattern::parse(&"X".repeat(MAX_UNITS + 1)).is_err());
    assert_eq!(Pattern::of_minutes(45).unwrap().as_str(), "XXXXXXXXX");
    assert!(Pattern::of_minutes(7).is_err());
    assert!(Pattern::of_minutes(0).is_err());
    assert!(Pattern::of_minutes(725).is_err());
}

#[test]
fn a_booking_takes_its_length_from_the_pattern_the_minutes_or_its_type() {
    let tz = new_york();
    let mut d = draft("2027-03-15T09:00");
    assert_eq!(d.validate(&tz, None).unwrap().pattern.minutes(), 60);
    d.pattern = Some("/XX/".into());
    let problems = d.validate(&tz, None).unwrap_err();
    assert_eq!(problems[0].field, "duration_min");
    d.duration_min = None;
    assert_eq!(d.validate(&tz, None).unwrap().pattern.as_str(), "/XX/");
    d.pattern = None;
    assert_eq!(d.validate(&tz, None).unwrap_err()[0].field, "duration_min");
    let typed = Pattern::parse("//XXXX//").unwrap();
    let booking = d.validate(&tz, Some(&typed)).unwrap();
    assert_eq!(booking.pattern, typed);
    assert_eq!(
        booking.end().unix_ms() - booking.start.unix_ms(),
        40 * 60_000
    );
}

#[test]
fn a_booking_names_every_problem_at_once() {
    let tz = new_york();
    let d = AppointmentDraft {
        patient_id: "not-an-id".into(),
        operatory_id: String::new(),
        provider_id: "x".into(),
        start: "2027-03-14T02:30".into(),
        duration_min: Some(3),
        note: Some("a\u{0}b".into()),
        ..AppointmentDraft::default()
    };
    let fields: Vec<String> = d
        .validate(&tz, None)
        .unwrap_err()
        .into_iter()
        .map(|p| p.field.to_string())
        .collect();
    for f in [
        "patient_id",
        "operatory_id",
        "provider_id",
        "start",
        "duration_min",
        "note",
    ] {
        assert!(fields.iter().any(|x| x == f), "{f} in {fields:?}");
    }
}

#[test]
fn statuses_move_forward_and_step_back_only_where_the_desk_clicks_too_soon() {
    use AppointmentStatus as S;
    assert!(S::Scheduled.can_become(S::Arrived));
    assert!(S::Arrived.can_become(S::Scheduled));
    assert!(S::InChair.can_become(S::Complete));
    assert!(!S::Complete.can_become(S::Scheduled));
    assert!(!S::Cancelled.can_become(S::Scheduled));
    assert!(!S::Scheduled.can_become(S::InChair));
    assert!(
        S::Complete
            .refusal(S::Scheduled)
            .contains("no longer changes")
    );
    assert!(
        S::Scheduled
            .refusal(S::InChair)
            .contains("can become confirmed")
    );
    for s in S::ALL {
        assert_eq!(
            s.holds_time(),
            !matches!(s, S::Broken | S::Cancelled | S::Asap),
            "{s}"
        );
        assert!(!s.can_become(*s), "{s} to itself");
    }
}

#[test]
fn the_desk_times_follow_the_status() {
    use AppointmentStatus as S;
    let s = Stamps::default().after(S::Arrived, 10);
    assert_eq!(s.arrived_ms, Some(10));
    let s = s.after(S::InChair, 20).after(S::Complete, 30);
    assert_eq!(
        (s.arrived_ms, s.seated_ms, s.dismissed_ms),
        (Some(10), Some(20), Some(30))
    );
    let back = Stamps::default()
        .after(S::Arrived, 10)
        .after(S::Scheduled, 11);
    assert_eq!(back.arrived_ms, None);
}

#[test]
fn providers_need_a_valid_npi_colour_and_dates() {
    assert!(is_valid_npi("1234567893"));
    assert!(!is_valid_npi("1234567890"));
    assert!(!is_valid_npi("123456789"));
    assert!(!is_valid_npi("12345678a3"));
    let good = ProviderDraft {
        family_name: "Example".into(),
        given_name: "Dana".into(),
        abbreviation: "DDS1".into(),
        colour: "#3366CC".into(),
        npi: Some("1234567893".into()),
        specialty: "general".into(),
        active_from: Some("2026-01-01".into()),
        ..ProviderDraft::default()
    };
    let provider = good.validate().unwrap();
    assert_eq!(provider.colour, "#3366cc");
    assert!(provider.is_active_on(time::macros::date!(2026 - 06 - 01)));
    assert!(!provider.is_active_on(time::macros::date!(2025 - 12 - 31)));
    let bad = ProviderDraft {
        npi: Some("1234567890".into()),
        colour: "blue".into(),
        specialty: "dermatology".into(),
        abbreviation: "<script>".into(),
        active_to: Some("2025-01-01".into()),
        ..good
    };
    let fields: Vec<String> = bad
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| p.field.to_string())
        .collect();
    assert_eq!(
        fields,
        ["abbreviation", "colour", "npi", "specialty", "active_to"]
    );
}

#[test]
fn operatories_and_types_are_checked() {
    let op = OperatoryDraft {
        name: "Operatory 1".into(),
        abbreviation: "OP1".into(),
        order: 1,
        ..OperatoryDraft::default()
    };
    assert!(op.validate().is_ok());
    let bad = OperatoryDraft {
        order: 1000,
        default_dentist_id: Some("nope".into()),
        ..op
    };
    assert_eq!(bad.validate().unwrap_err().len(), 2);
    let kind = AppointmentTypeDraft {
        name: "Recall".into(),
        colour: "#00aa00".into(),
        pattern: "//XX//".into(),
        procedure_codes: vec!["T0120".into(), "T0120".into()],
        hidden: false,
        duration_min: Some(35),
    };
    let problems = kind.validate().unwrap_err();
    assert_eq!(problems[0].field, "duration_min");
    assert_eq!(problems[1].field, "procedure_codes[1]");
}

fn hours(spans: &[(&str, &str, &str)]) -> Vec<WorkingHours> {
    let owned: Vec<(String, String, String)> = spans
        .iter()
        .map(|(d, s, e)| (d.to_string(), s.to_string(), e.to_string()))
        .collect();
    parse_hours(&owned).unwrap()
}

#[test]
fn working_hours_are_checked_stored_and_read_back() {
    let week = hours(&[("monday", "08:00", "12:00"), ("monday", "13:00", "17:00")]);
    let text = hours_text(&week);
    assert_eq!(text, "monday 08:00-12:00,monday 13:00-17:00");
    assert_eq!(hours_of(&text).unwrap(), week);
    assert_eq!(hours_of("").unwrap(), Vec::new());
    let bad: Vec<(String, String, String)> = [
        ("funday", "08:00", "12:00"),
        ("monday", "08:03", "12:00"),
        ("monday", "12:00", "08:00"),
        ("tuesday", "08:00", "12:00"),
        ("tuesday", "11:00", "13:00"),
    ]
    .iter()
    .map(|(d, s, e)| (d.to_string(), s.to_string(), e.to_string()))
    .collect();
    let fields: Vec<String> = parse_hours(&bad)
        .unwrap_err()
        .into_iter()
        .map(|p| p.field.to_string())
        .collect();
    assert_eq!(
        fields,
        [
            "working_hours[0].weekday",
            "working_hours[1].start",
            "working_hours[2].end",
            "working_hours[4]"
        ]
    );
}

#[test]
fn a_booking_outside_hours_in_a_blockout_or_on_a_holiday_is_warned_about() {
    let tz = new_york();
    let week = hours(&[("monday", "08:00", "12:00")]);
    let booking = draft("2027-03-15T11:30").validate(&tz, None).unwrap(); // a Monday, 11:30–12:30
    let w = warnings(&booking, &tz, "Dana Example (DDS1)", &week, &[]);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, "outside_hours");
    assert!(
        w[0].text
            .contains("outside Dana Example (DDS1)'s working hours on Mondays (08:00–12:00)"),
        "{w:?}"
    );
    let inside = draft("2027-03-15T09:00").validate(&tz, None).unwrap();
    assert!(warnings(&inside, &tz, "D", &week, &[]).is_empty());
    assert!(
        warnings(&inside, &tz, "D", &[], &[]).is_empty(),
        "no hours kept: no warning"
    );
    let tuesday = draft("2027-03-16T09:00").validate(&tz, None).unwrap();
    assert!(
        warnings(&tuesday, &tz, "D", &week, &[])[0]
            .text
            .contains("does not work on Tuesdays")
    );
    let lunch = BlockDraft {
        kind: "blockout".into(),
        start: Some("2027-03-15T09:30".into()),
        end: Some("2027-03-15T10:30".into()),
        label: "Staff meeting".into(),
        ..BlockDraft::default()
    }
    .validate(&tz)
    .unwrap();
    let w = warnings(&inside, &tz, "D", &[], std::slice::from_ref(&lunch));
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].kind, "blockout");
    assert_eq!(
        w[0].text,
        "The time is blocked out from 09:30 to 10:30 (Staff meeting)."
    );
    let elsewhere = Block {
        operatory_id: Some(crate::OperatoryId::new().to_string()),
        ..lunch.clone()
    };
    assert!(warnings(&inside, &tz, "D", &[], &[elsewhere]).is_empty());
    let holiday = BlockDraft {
        kind: "holiday".into(),
        date: Some("2027-03-15".into()),
        label: "Synthetic holiday".into(),
        ..BlockDraft::default()
    }
    .validate(&tz)
    .unwrap();
    assert_eq!(
        holiday.end.unix_ms() - holiday.start.unix_ms(),
        24 * 3_600_000
    );
    assert!(
        warnings(&inside, &tz, "D", &[], &[holiday])[0]
            .text
            .contains("2027-03-15 is a practice holiday")
    );
}

#[test]
fn a_block_names_its_problems() {
    let tz = new_york();
    let fields = |d: BlockDraft| -> Vec<String> {
        d.validate(&tz)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field.to_string())
            .collect()
    };
    assert_eq!(
        fields(BlockDraft {
            kind: "blockout".into(),
            start: Some("2027-03-15T10:00".into()),
            end: Some("2027-03-15T09:00".into()),
            label: "".into(),
            ..BlockDraft::default()
        }),
        ["label", "end"]
    );
    assert_eq!(
        fields(BlockDraft {
            kind: "holiday".into(),
            operatory_id: Some(crate::OperatoryId::new().to_string()),
            label: "Closed".into(),
            ..BlockDraft::default()
        }),
        ["operatory_id", "date"]
    );
    assert_eq!(
        fields(BlockDraft {
            kind: "nap".into(),
            label: "x".into(),
            ..BlockDraft::default()
        }),
        ["kind"]
    );
}
