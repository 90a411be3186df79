//! The demo's schedule: two dentists and two hygienists (the demo dentist and hygienist
//! accounts are the first of each), four operatories, five appointment types, and the 21 days
//! around today (ten working days before it, today, ten working days after it) booked through
//! the schedule room, so every booking passes the same checks as a person's. The number of
//! appointments is the same on any day the demo starts; which of today's are done, in the
//! chair or still to come follows the clock.

use anyhow::Result;
use enamel_app::{Expected, Schedule};
use enamel_domain::scheduling::{
    AppointmentDraft, AppointmentStatus, AppointmentTypeDraft, ConfirmationChannel, OperatoryDraft,
    ProviderDraft,
};
use enamel_domain::synthetic::SyntheticRng;
use enamel_domain::{Instant, PracticeDate, ProviderId};
use time::{Date, Duration, Time, Weekday};

use crate::demo_chart::Providers;
use crate::demo_clinical::DemoPatient;

/// Working days booked on each side of today.
const DAYS_AROUND: usize = 10;
/// Visits each operatory sees in a day.
const VISITS_PER_CHAIR: usize = 4;
/// Appointments waiting on the ASAP list.
const ASAP: usize = 5;

/// What the demo books: (name, colour, pattern, for the hygiene chairs).
const TYPES: &[(&str, &str, &str, bool)] = &[
    ("Demo: exam", "#2a6fb0", "//XX//", false),
    ("Demo: filling", "#b0562a", "/XXXXXX/", false),
    (
        "Demo: crown preparation",
        "#7a2ab0",
        "//XXXXXXXXXX//",
        false,
    ),
    ("Demo: hygiene recall", "#2ab05f", "XXXXXXXXXX", true),
    (
        "Demo: periodontal maintenance",
        "#1f8a78",
        "XXXXXXXXXXXX",
        true,
    ),
];

/// A chair, its provider, and when its first visit starts.
struct Chair {
    id: String,
    provider: ProviderId,
    hygiene: bool,
    opens: Time,
}

/// Sets up the providers, chairs and types, then books the days around `today`.
pub async fn fill(
    schedule: &Schedule<'_>,
    accounts: &Providers,
    patients: &[DemoPatient],
    today: PracticeDate,
    now: Instant,
) -> Result<usize> {
    let providers = [
        (
            "Example",
            "Dana",
            "DDS1",
            "#2a6fb0",
            "general",
            false,
            accounts.dentist.clone(),
        ),
        ("Sample", "Robin", "DDS2", "#b02a4f", "general", false, None),
        (
            "Placeholder",
            "Kim",
            "HYG1",
            "#2ab05f",
            "hygiene",
            true,
            accounts.hygienist.clone(),
        ),
        ("Mock", "Lee", "HYG2", "#b0a02a", "hygiene", true, None),
    ];
    let mut ids = Vec::new();
    for (family, given, abbreviation, colour, specialty, hygienist, user) in providers {
        let draft = ProviderDraft {
            family_name: family.into(),
            given_name: given.into(),
            abbreviation: abbreviation.into(),
            colour: colour.into(),
            specialty: specialty.into(),
            is_hygienist: hygienist,
            user_id: user,
            ..ProviderDraft::default()
        };
        let saved = schedule
            .save_provider(None, &draft, Expected::Any, &Default::default())
            .await?;
        ids.push(saved.id);
    }
    let mut chairs = Vec::new();
    for (order, (name, abbreviation, hygiene)) in [
        ("Operatory 1", "OP1", false),
        ("Operatory 2", "OP2", false),
        ("Hygiene 1", "HYG1", true),
        ("Hygiene 2", "HYG2", true),
    ]
    .into_iter()
    .enumerate()
    {
        let provider = ids[order];
        let draft = OperatoryDraft {
            name: name.into(),
            abbreviation: abbreviation.into(),
            order: order as i64,
            default_dentist_id: (!hygiene).then(|| provider.to_string()),
            default_hygienist_id: hygiene.then(|| provider.to_string()),
            is_hygiene: hygiene,
            hidden: false,
        };
        let saved = schedule
            .save_operatory(None, &draft, Expected::Any, &Default::default())
            .await?;
        chairs.push(Chair {
            id: saved.id.to_string(),
            provider,
            hygiene,
            opens: Time::from_hms(if order % 2 == 0 { 8 } else { 9 }, 0, 0)?,
        });
    }
    let mut types = Vec::new();
    for (name, colour, pattern, hygiene) in TYPES {
        let draft = AppointmentTypeDraft {
            name: (*name).into(),
            colour: (*colour).into(),
            pattern: (*pattern).into(),
            ..AppointmentTypeDraft::default()
        };
        let saved = schedule
            .save_appointment_type(None, &draft, Expected::Any, &Default::default())
            .await?;
        types.push((
            saved.id.to_string(),
            *hygiene,
            saved.appointment_type.pattern.minutes(),
        ));
    }
    let mut rng = SyntheticRng::new(0x5c4e_d01e);
    let mut booked = 0;
    let mut next_patient = 0;
    for date in days_around(today.date()) {
        for chair in &chairs {
            let mut at = chair.opens;
            for visit in 0..VISITS_PER_CHAIR {
                let kinds: Vec<&(String, bool, i64)> =
                    types.iter().filter(|t| t.1 == chair.hygiene).collect();
                let (type_id, _, minutes) = kinds[(visit + booked) % kinds.len()];
                let patient = &patients[next_patient % patients.len()];
                next_patient += 7;
                let draft = AppointmentDraft {
                    patient_id: patient.id.to_string(),
                    operatory_id: chair.id.clone(),
                    provider_id: chair.provider.to_string(),
                    appointment_type_id: Some(type_id.clone()),
                    start: format!(
                        "{}T{:02}:{:02}",
                        PracticeDate::new(date),
                        at.hour(),
                        at.minute()
                    ),
                    note: (rng.below(6) == 0)
                        .then(|| "Synthetic note: prefers a morning call the day before.".into()),
                    ..AppointmentDraft::default()
                };
                let view = schedule.book(&draft).await?;
                booked += 1;
                let plan = statuses(date, today.date(), view.start, view.end, now, &mut rng);
                for (to, via) in plan {
                    schedule.set_status(view.id, to, via, Expected::Any).await?;
                }
                // The next visit after this one and a gap of 10 to 30 minutes.
                let gap = 10 + 10 * i64::try_from(rng.below(3)).unwrap_or(0);
                at += Duration::minutes(minutes + gap);
            }
        }
    }
    // A few patients waiting for an earlier opening: booked later, then put on the list.
    let last = *days_around(today.date()).last().unwrap_or(&today.date());
    for i in 0..ASAP {
        let chair = &chairs[i % chairs.len()];
        let kinds: Vec<&(String, bool, i64)> =
            types.iter().filter(|t| t.1 == chair.hygiene).collect();
        let patient = &patients[(next_patient + i * 11) % patients.len()];
        let draft = AppointmentDraft {
            patient_id: patient.id.to_string(),
            operatory_id: chair.id.clone(),
            provider_id: chair.provider.to_string(),
            appointment_type_id: Some(kinds[0].0.clone()),
            start: format!("{}T16:{:02}", PracticeDate::new(last), 10 * i),
            ..AppointmentDraft::default()
        };
        let view = schedule.book(&draft).await?;
        schedule
            .set_status(view.id, AppointmentStatus::Asap, None, Expected::Any)
            .await?;
        booked += 1;
    }
    Ok(booked)
}

/// Today and the working days on each side of it, in order.
fn days_around(today: Date) -> Vec<Date> {
    let working = |d: &Date| !matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday);
    let mut before: Vec<Date> = std::iter::successors(today.previous_day(), |d| d.previous_day())
        .filter(working)
        .take(DAYS_AROUND)
        .collect();
    before.reverse();
    let after = std::iter::successors(today.next_day(), |d| d.next_day())
        .filter(working)
        .take(DAYS_AROUND);
    before.into_iter().chain([today]).chain(after).collect()
}

/// The statuses a demo visit goes through after booking: done (or broken, or cancelled) in
/// the past; on today's schedule as the clock says; confirmed now and then in the future.
fn statuses(
    date: Date,
    today: Date,
    start: Instant,
    end: Instant,
    now: Instant,
    rng: &mut SyntheticRng,
) -> Vec<(AppointmentStatus, Option<ConfirmationChannel>)> {
    use AppointmentStatus as S;
    let confirmed = (S::Confirmed, Some(ConfirmationChannel::Phone));
    // Two writes for a past visit (the times in between are not what a demo shows).
    let done = vec![(S::Arrived, None), (S::Complete, None)];
    if date < today || (date == today && end <= now) {
        match rng.below(14) {
            0 => vec![(S::Broken, None)],
            1 => vec![(S::Cancelled, None)],
            _ => done,
        }
    } else if date == today && start <= now {
        vec![confirmed, (S::Arrived, None), (S::InChair, None)]
    } else if date == today && start.unix_ms() - now.unix_ms() <= 30 * 60_000 {
        vec![confirmed, (S::Arrived, None)]
    } else if rng.below(2) == 0 {
        vec![confirmed]
    } else {
        Vec::new()
    }
}
