#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The schedule through the app layer: providers, operatories and appointment types as the
//! practice's settings; booking with the database refusing double-booking (the chair, and the
//! provider's `X` time across chairs), also under 64 concurrent requests; starts on the
//! practice's clock across daylight-saving changes; statuses that release and re-claim time;
//! moves; practice isolation; the day view and one audit entry per request. Runs on the engine
//! `ENAMEL_TEST_DATABASE_URL` selects.

mod common;

use common::Fixture;
use enamel_app::{
    App, AppError, AppointmentClaims, AppointmentTypeView, AppointmentView, DayFilter, Expected,
    NewPractice, OperatoryView, ProviderView, RecordClaims, RequestOrigin, Schedule,
    ScheduleConflict, SystemReason,
};
use enamel_domain::scheduling::{
    AppointmentDraft, AppointmentStatus, AppointmentTypeDraft, ConfirmationChannel, OperatoryDraft,
    ProviderDraft,
};
use enamel_domain::{
    AppointmentId, Instant, PatientDraft, PatientId, PracticeDate, PracticeId, PracticeTz,
};
use enamel_store::{AuditQuery, Db};
use time::macros::{date, datetime};

/// A practice in New York (daylight saving: 2027-03-14 springs forward, 2027-11-07 falls
/// back) with two chairs, a dentist, a hygienist, a visit type and one patient. The fixture's
/// own practice (UTC) is the "other" practice of the isolation test.
struct Setup {
    f: Fixture,
    practice: PracticeId,
    dentist: ProviderView,
    hygienist: ProviderView,
    op1: OperatoryView,
    op2: OperatoryView,
    kind: AppointmentTypeView,
    patient: PatientId,
}

const PATIENT_FAMILY: &str = "Molar";
const PATIENT_GIVEN: &str = "Demo";

fn schedule_of(app: &App, practice: PracticeId) -> Schedule<'_> {
    app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::cli())
        .schedule()
}

/// An audit entry as (action, outcome, reason).
type Seen = (String, String, String);

impl Setup {
    fn schedule(&self) -> Schedule<'_> {
        schedule_of(&self.f.app, self.practice)
    }

    /// A booking of the patient with the dentist, `minutes` of provider time.
    fn draft(&self, op: &OperatoryView, start: &str, minutes: i64) -> AppointmentDraft {
        AppointmentDraft {
            patient_id: self.patient.to_string(),
            operatory_id: op.id.to_string(),
            provider_id: self.dentist.id.to_string(),
            start: start.into(),
            duration_min: Some(minutes),
            ..AppointmentDraft::default()
        }
    }

    /// A booking of the patient with the dentist, with a pattern and no length.
    fn patterned(&self, op: &OperatoryView, start: &str, pattern: &str) -> AppointmentDraft {
        AppointmentDraft {
            duration_min: None,
            pattern: Some(pattern.into()),
            ..self.draft(op, start, 5)
        }
    }

    async fn book(&self, draft: &AppointmentDraft) -> Result<AppointmentView, AppError> {
        self.schedule().book(draft).await
    }

    async fn set_status(
        &self,
        id: AppointmentId,
        to: AppointmentStatus,
    ) -> Result<AppointmentView, AppError> {
        self.schedule()
            .set_status(id, to, None, Expected::Any)
            .await
    }

    async fn day(&self, date: time::Date) -> Vec<AppointmentView> {
        self.schedule()
            .day(PracticeDate::new(date), DayFilter::default())
            .await
            .unwrap()
            .appointments
    }

    /// The practice's audit entries about `record_type` (of `patient`, when named).
    async fn entries(&self, patient: Option<PatientId>, record_type: &str) -> Vec<Seen> {
        self.f
            .t
            .db
            .audit_entries(&AuditQuery {
                practice_id: Some(self.practice.to_string()),
                patient_id: patient.map(|p| p.to_string()),
                limit: 1000,
                ..AuditQuery::default()
            })
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.record_type.as_deref() == Some(record_type))
            .map(|e| (e.action, e.outcome, e.reason.unwrap_or_default()))
            .collect()
    }

    /// How many chair slots and provider slots `id` holds, as the database has them.
    async fn slots_of(&self, id: AppointmentId) -> (i64, i64) {
        let mut out = [0i64; 2];
        for (i, table) in ["operatory_slots", "provider_slots"].iter().enumerate() {
            let sql = sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM {table} WHERE practice_id = '{}' AND appointment_id = '{id}'",
                self.practice
            ));
            let (n,): (i64,) = match &self.f.t.db {
                Db::Sqlite(pool, _) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
                Db::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await.unwrap(),
            };
            out[i] = n;
        }
        (out[0], out[1])
    }
}

/// (action, outcome) of each entry.
fn actions(entries: &[Seen]) -> Vec<(&str, &str)> {
    entries
        .iter()
        .map(|(a, o, _)| (a.as_str(), o.as_str()))
        .collect()
}

fn at(utc: time::PrimitiveDateTime) -> Instant {
    Instant::from_unix_ms(
        i64::try_from(utc.assume_utc().unix_timestamp_nanos() / 1_000_000).unwrap(),
    )
}

fn conflict(result: Result<AppointmentView, AppError>) -> ScheduleConflict {
    match result {
        Err(AppError::ScheduleConflict(c)) => *c,
        other => panic!("expected a schedule conflict, got {other:?}"),
    }
}

/// The field problems of a refusal, as (field, problem).
fn problems(result: Result<AppointmentView, AppError>) -> Vec<(String, String)> {
    match result {
        Err(AppError::Invalid(p)) => p
            .into_iter()
            .map(|p| (p.field.to_string(), p.problem.to_string()))
            .collect(),
        other => panic!("expected field problems, got {other:?}"),
    }
}

async fn new_york_practice(app: &App) -> PracticeId {
    app.create_practice(
        &NewPractice {
            display_name: "Demo Dental (synthetic)".into(),
            time_zone: PracticeTz::parse("America/New_York").unwrap(),
        },
        RequestOrigin::cli(),
    )
    .await
    .unwrap()
}

async fn add_provider(
    s: &Schedule<'_>,
    given: &str,
    abbreviation: &str,
    hygienist: bool,
) -> ProviderView {
    s.save_provider(
        None,
        &ProviderDraft {
            family_name: "Synthetic".into(),
            given_name: given.into(),
            abbreviation: abbreviation.into(),
            colour: "#3366cc".into(),
            specialty: if hygienist { "hygiene" } else { "general" }.into(),
            is_hygienist: hygienist,
            ..ProviderDraft::default()
        },
        Expected::Any,
        &RecordClaims::default(),
    )
    .await
    .unwrap()
}

async fn add_operatory(
    s: &Schedule<'_>,
    name: &str,
    abbreviation: &str,
    order: i64,
) -> OperatoryView {
    s.save_operatory(
        None,
        &OperatoryDraft {
            name: name.into(),
            abbreviation: abbreviation.into(),
            order,
            ..OperatoryDraft::default()
        },
        Expected::Any,
        &RecordClaims::default(),
    )
    .await
    .unwrap()
}

async fn add_patient(app: &App, practice: PracticeId, given: &str) -> PatientId {
    common::system_patients(app, practice)
        .create(&PatientDraft {
            family_name: PATIENT_FAMILY.into(),
            given_name: given.into(),
            birth_date: "1980-05-06".into(),
            ..PatientDraft::default()
        })
        .await
        .unwrap()
}

async fn setup() -> Setup {
    let f = common::fixture().await;
    let practice = new_york_practice(&f.app).await;
    assert_eq!(
        f.app.practice_time(practice).await.unwrap().name(),
        "America/New_York"
    );
    let s = schedule_of(&f.app, practice);
    let dentist = add_provider(&s, "Canine", "DDS1", false).await;
    let hygienist = add_provider(&s, "Premolar", "HYG1", true).await;
    let op1 = add_operatory(&s, "Chair Alpha", "OP1", 1).await;
    let op2 = add_operatory(&s, "Chair Beta", "OP2", 2).await;
    let kind = s
        .save_appointment_type(
            None,
            &AppointmentTypeDraft {
                name: "Demo recall".into(),
                colour: "#cc6633".into(),
                pattern: "//XXXX//".into(),
                ..AppointmentTypeDraft::default()
            },
            Expected::Any,
            &RecordClaims::default(),
        )
        .await
        .unwrap();
    let patient = add_patient(&f.app, practice, PATIENT_GIVEN).await;
    Setup {
        f,
        practice,
        dentist,
        hygienist,
        op1,
        op2,
        kind,
        patient,
    }
}

#[tokio::test]
async fn the_resources_are_saved_and_listed() {
    let s = setup().await;
    let room = s.schedule();
    assert_eq!(s.dentist.provider.specialty.as_str(), "general");
    assert_eq!(s.dentist.provider.colour, "#3366cc");
    assert!(s.hygienist.provider.is_hygienist);
    let ops: Vec<String> = room
        .operatories()
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.operatory.name)
        .collect();
    assert_eq!(ops, ["Chair Alpha", "Chair Beta"]);
    let providers: Vec<String> = room
        .providers()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.provider.abbreviation)
        .collect();
    assert_eq!(providers, ["DDS1", "HYG1"]);
    let kinds = room.appointment_types().await.unwrap();
    assert_eq!(kinds.len(), 1);
    assert_eq!(kinds[0].appointment_type.pattern.as_str(), "//XXXX//");
    // An abbreviation is unique in the practice.
    let again = room
        .save_operatory(
            None,
            &OperatoryDraft {
                name: "Chair Gamma".into(),
                abbreviation: "OP1".into(),
                ..OperatoryDraft::default()
            },
            Expected::Any,
            &RecordClaims::default(),
        )
        .await;
    assert!(
        matches!(&again, Err(AppError::Invalid(p)) if p[0].field == "abbreviation"),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_booking_reads_back_with_its_times_and_note_under_one_create_entry() {
    let s = setup().await;
    let draft = AppointmentDraft {
        hygienist_id: Some(s.hygienist.id.to_string()),
        note: Some("Demo: bring the night guard.".into()),
        ..s.draft(&s.op1, "2027-03-15T09:00", 60)
    };
    let booked = s.book(&draft).await.unwrap();
    assert_eq!(booked.status, AppointmentStatus::Scheduled);
    // 09:00 on the practice's clock, on daylight time (UTC-4) the day after the change.
    assert_eq!(booked.start, at(datetime!(2027-03-15 13:00)));
    assert_eq!(booked.end, at(datetime!(2027-03-15 14:00)));
    assert_eq!(booked.pattern.as_str(), "XXXXXXXXXXXX");
    assert_eq!(booked.patient_id, s.patient);
    assert_eq!(booked.operatory_id, s.op1.id);
    assert_eq!(booked.provider_id, s.dentist.id);
    assert_eq!(booked.hygienist_id, Some(s.hygienist.id));
    assert_eq!(booked.note.as_deref(), Some("Demo: bring the night guard."));
    assert_eq!(booked.stamp.row_version, 1);
    assert_eq!(s.slots_of(booked.id).await, (12, 12));
    let entries = s.entries(Some(s.patient), "appointment").await;
    assert_eq!(actions(&entries), [("create", "allowed")]);

    let read = s.schedule().read(booked.id).await.unwrap();
    assert_eq!(read.note, booked.note);
    assert_eq!((read.start, read.end), (booked.start, booked.end));
    assert_eq!(read.status, AppointmentStatus::Scheduled);
    let heading = read.patient.expect("the system may see the patient's name");
    assert_eq!(heading.family_name, PATIENT_FAMILY);
    let entries = s.entries(Some(s.patient), "appointment").await;
    assert_eq!(
        actions(&entries),
        [("create", "allowed"), ("view", "allowed")]
    );

    // A booking by its type alone takes the type's pattern: 40 minutes, 20 the dentist's.
    let by_type = s
        .book(&AppointmentDraft {
            appointment_type_id: Some(s.kind.id.to_string()),
            duration_min: None,
            ..s.draft(&s.op2, "2027-03-15T10:00", 0)
        })
        .await
        .unwrap();
    assert_eq!(by_type.pattern.as_str(), "//XXXX//");
    assert_eq!(by_type.start, at(datetime!(2027-03-15 14:00)));
    assert_eq!(by_type.end, at(datetime!(2027-03-15 14:40)));
    assert_eq!(by_type.appointment_type_id, Some(s.kind.id));
    assert_eq!(s.slots_of(by_type.id).await, (8, 4));
}

#[tokio::test]
async fn a_booking_without_a_length_or_for_an_unknown_patient_is_refused() {
    let s = setup().await;
    let found = problems(
        s.book(&AppointmentDraft {
            duration_min: None,
            ..s.draft(&s.op1, "2027-03-15T09:03", 0)
        })
        .await,
    );
    let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["start", "duration_min"], "{found:?}");
    let pattern = problems(
        s.book(&s.patterned(&s.op1, "2027-03-15T09:00", "XX-X"))
            .await,
    );
    assert_eq!(pattern[0].0, "pattern");
    let disagree = problems(
        s.book(&AppointmentDraft {
            duration_min: Some(30),
            ..s.patterned(&s.op1, "2027-03-15T09:00", "XXXX")
        })
        .await,
    );
    assert_eq!(disagree[0].0, "duration_min");
    // A dentist is not a hygienist.
    let hygienist = problems(
        s.book(&AppointmentDraft {
            hygienist_id: Some(s.dentist.id.to_string()),
            ..s.draft(&s.op1, "2027-03-15T09:00", 30)
        })
        .await,
    );
    assert_eq!(hygienist[0].0, "hygienist_id");
    let nobody = PatientId::new();
    let missing = s
        .book(&AppointmentDraft {
            patient_id: nobody.to_string(),
            ..s.draft(&s.op1, "2027-03-15T09:00", 30)
        })
        .await;
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
    assert!(s.day(date!(2027 - 03 - 15)).await.is_empty());
}

#[tokio::test]
async fn a_second_booking_of_a_taken_chair_is_refused_naming_the_time_but_not_the_patient() {
    let s = setup().await;
    let other = add_patient(&s.f.app, s.practice, "Sample").await;
    let first = s
        .book(&s.draft(&s.op1, "2027-03-15T09:00", 60))
        .await
        .unwrap();
    let overlapping = AppointmentDraft {
        patient_id: other.to_string(),
        ..s.draft(&s.op1, "2027-03-15T09:30", 60)
    };
    let result = s.book(&overlapping).await;
    let shown = format!("{}", result.as_ref().unwrap_err());
    let c = conflict(result);
    assert!(c.chair, "{c:?}");
    assert_eq!(c.appointment_id, Some(first.id));
    assert_eq!(c.operatory_id, Some(s.op1.id));
    assert_eq!(c.start.as_deref(), Some("2027-03-15T09:00:00-04:00"));
    assert_eq!(c.end.as_deref(), Some("2027-03-15T10:00:00-04:00"));
    assert!(c.message.contains("Chair Alpha"), "{}", c.message);
    assert!(
        c.message.contains("from 09:00 to 10:00 on 2027-03-15"),
        "{}",
        c.message
    );
    assert_eq!(shown, c.message);
    for name in [PATIENT_FAMILY, PATIENT_GIVEN, "Sample"] {
        assert!(
            !c.message.to_lowercase().contains(&name.to_lowercase()),
            "the clash names a patient: {}",
            c.message
        );
    }
    // Nothing was written; the refusal is one failed entry of the patient who asked.
    let day = s.day(date!(2027 - 03 - 15)).await;
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].id, first.id);
    let entries = s.entries(Some(other), "appointment").await;
    assert_eq!(actions(&entries), [("create", "failed")]);
    assert!(entries[0].2.contains("schedule_conflict"), "{entries:?}");
    assert_eq!(s.slots_of(first.id).await, (12, 12));

    // The same time exactly, and one ending a unit into the first, are refused too.
    for (start, minutes) in [("2027-03-15T09:00", 60), ("2027-03-15T08:30", 35)] {
        let c = conflict(s.book(&s.draft(&s.op1, start, minutes)).await);
        assert_eq!(c.appointment_id, Some(first.id), "{start}");
    }
    // Back to back is not a clash: one ending at 09:00, one starting at 10:00.
    let before = s
        .book(&s.draft(&s.op1, "2027-03-15T08:30", 30))
        .await
        .unwrap();
    let after = s
        .book(&s.draft(&s.op1, "2027-03-15T10:00", 30))
        .await
        .unwrap();
    assert_eq!(before.end, first.start);
    assert_eq!(after.start, first.end);
    // Another chair with another provider at the same time is free.
    s.book(&AppointmentDraft {
        provider_id: s.hygienist.id.to_string(),
        ..s.draft(&s.op2, "2027-03-15T09:00", 60)
    })
    .await
    .unwrap();
    assert_eq!(s.day(date!(2027 - 03 - 15)).await.len(), 4);
}

#[tokio::test]
async fn a_provider_is_refused_in_another_chair_during_provider_time_but_not_assistant_time() {
    let s = setup().await;
    // 09:00-09:40: assistant 09:00-09:10, the dentist 09:10-09:30, assistant 09:30-09:40.
    let first = s
        .book(&s.patterned(&s.op1, "2027-03-15T09:00", "//XXXX//"))
        .await
        .unwrap();
    assert_eq!(s.slots_of(first.id).await, (8, 4));

    let c = conflict(s.book(&s.draft(&s.op2, "2027-03-15T09:15", 10)).await);
    assert!(!c.chair, "{c:?}");
    assert_eq!(c.appointment_id, Some(first.id));
    assert_eq!(c.operatory_id, Some(s.op1.id));
    assert!(
        c.message
            .contains("Canine Synthetic (DDS1) is already booked in Chair Alpha"),
        "{}",
        c.message
    );
    assert!(
        c.message.contains("from 09:00 to 09:40 on 2027-03-15"),
        "{}",
        c.message
    );
    // One unit of the dentist's time at its last X unit is enough to clash.
    conflict(s.book(&s.draft(&s.op2, "2027-03-15T09:25", 5)).await);

    // The leading and trailing assistant time leave the dentist free for another chair.
    let leading = s
        .book(&s.draft(&s.op2, "2027-03-15T09:00", 10))
        .await
        .unwrap();
    let trailing = s
        .book(&s.draft(&s.op2, "2027-03-15T09:30", 10))
        .await
        .unwrap();
    // Assistant time of one's own needs no provider at all, whatever the dentist is doing.
    let assistant_only = s
        .book(&s.patterned(&s.op2, "2027-03-15T09:10", "////"))
        .await
        .unwrap();
    assert_eq!(s.slots_of(assistant_only.id).await, (4, 0));
    let day = s.day(date!(2027 - 03 - 15)).await;
    let ids: Vec<AppointmentId> = day.iter().map(|a| a.id).collect();
    for id in [first.id, leading.id, trailing.id, assistant_only.id] {
        assert!(ids.contains(&id));
    }
    assert_eq!(day.len(), 4);
    let failed = s
        .entries(Some(s.patient), "appointment")
        .await
        .into_iter()
        .filter(|(_, o, _)| o == "failed")
        .count();
    assert_eq!(failed, 2);
}

/// `n` concurrent bookings, each from its own task with its own clone of the app.
async fn book_concurrently(
    s: &Setup,
    drafts: Vec<AppointmentDraft>,
) -> Vec<Result<AppointmentView, AppError>> {
    let mut tasks = tokio::task::JoinSet::new();
    let gate = std::sync::Arc::new(tokio::sync::Barrier::new(drafts.len()));
    for draft in drafts {
        let app = s.f.app.clone();
        let practice = s.practice;
        let gate = gate.clone();
        tasks.spawn(async move {
            gate.wait().await;
            schedule_of(&app, practice).book(&draft).await
        });
    }
    let mut out = Vec::new();
    while let Some(done) = tasks.join_next().await {
        out.push(done.unwrap());
    }
    out
}

/// Exactly one of `results` is a booking; every other is a clash with it.
fn one_winner(
    results: Vec<Result<AppointmentView, AppError>>,
) -> (AppointmentView, Vec<ScheduleConflict>) {
    let mut won = Vec::new();
    let mut lost = Vec::new();
    for r in results {
        match r {
            Ok(v) => won.push(v),
            Err(AppError::ScheduleConflict(c)) => lost.push(*c),
            Err(other) => panic!("neither a booking nor a clash: {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "{} bookings of one time succeeded", won.len());
    let winner = won.remove(0);
    for c in &lost {
        assert_eq!(c.appointment_id, Some(winner.id), "{c:?}");
    }
    (winner, lost)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_64_concurrent_bookings_of_one_chair_exactly_one_succeeds() {
    let s = setup().await;
    // Starts from 09:00 to 09:25, an hour each: every two of them overlap. Half are with the
    // dentist, half with the hygienist, so between those only the chair decides.
    let drafts: Vec<AppointmentDraft> = (0..64)
        .map(|i| {
            let provider = if i % 2 == 0 { &s.dentist } else { &s.hygienist };
            AppointmentDraft {
                provider_id: provider.id.to_string(),
                ..s.draft(&s.op1, &format!("2027-03-15T09:{:02}", (i % 6) * 5), 60)
            }
        })
        .collect();
    let (winner, lost) = one_winner(book_concurrently(&s, drafts).await);
    assert_eq!(lost.len(), 63);
    assert!(
        lost.iter().all(|c| c.chair),
        "a clash in one chair is the chair's"
    );
    assert_eq!(s.slots_of(winner.id).await, (12, 12));
    let day = s.day(date!(2027 - 03 - 15)).await;
    assert_eq!(day.len(), 1);
    assert_eq!(day[0].id, winner.id);
    let entries = s.entries(Some(s.patient), "appointment").await;
    let allowed = entries.iter().filter(|(_, o, _)| o == "allowed").count();
    let failed = entries.iter().filter(|(_, o, _)| o == "failed").count();
    assert_eq!((allowed, failed), (1, 63));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn of_64_concurrent_bookings_of_one_provider_across_two_chairs_exactly_one_succeeds() {
    let s = setup().await;
    let drafts: Vec<AppointmentDraft> = (0..64)
        .map(|i| {
            let op = if i % 2 == 0 { &s.op1 } else { &s.op2 };
            s.draft(op, &format!("2027-03-15T09:{:02}", (i % 4) * 5), 30)
        })
        .collect();
    let (winner, lost) = one_winner(book_concurrently(&s, drafts).await);
    assert_eq!(lost.len(), 63);
    // The winner's own chair refuses those in it; the other chair's are the dentist's clash.
    let by_provider = lost.iter().filter(|c| !c.chair).count();
    assert_eq!(
        by_provider, 32,
        "the other chair's 32 clash on the dentist's time"
    );
    assert_eq!(s.slots_of(winner.id).await, (6, 6));
    assert_eq!(s.day(date!(2027 - 03 - 15)).await.len(), 1);
}

#[tokio::test]
async fn starts_are_read_on_the_practice_clock_and_times_the_clocks_skip_or_repeat_are_refused() {
    let s = setup().await;
    let march = s
        .book(&s.draft(&s.op1, "2027-03-15T09:00", 30))
        .await
        .unwrap();
    assert_eq!(march.start, at(datetime!(2027-03-15 13:00)));
    // The day before the change, 09:00 is standard time (UTC-5).
    let before = s
        .book(&s.draft(&s.op1, "2027-03-13T09:00", 30))
        .await
        .unwrap();
    assert_eq!(before.start, at(datetime!(2027-03-13 14:00)));

    let skipped = problems(s.book(&s.draft(&s.op1, "2027-03-14T02:30", 30)).await);
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "start");
    assert!(skipped[0].1.contains("does not exist"), "{skipped:?}");
    assert!(skipped[0].1.contains("02:30"), "{skipped:?}");

    let repeated = problems(s.book(&s.draft(&s.op1, "2027-11-07T01:30", 30)).await);
    assert_eq!(repeated[0].0, "start");
    assert!(repeated[0].1.contains("happens twice"), "{repeated:?}");

    // An offset that is not the practice's at that instant is refused, not converted.
    let wrong = problems(
        s.book(&s.draft(&s.op1, "2027-03-15T09:00:00-05:00", 30))
            .await,
    );
    assert_eq!(wrong[0].0, "start");

    // With its offset, each 01:30 of the fall-back night is its own instant: one chair holds
    // both, an hour apart.
    let first = s
        .book(&s.draft(&s.op1, "2027-11-07T01:30:00-04:00", 30))
        .await
        .unwrap();
    let second = s
        .book(&s.draft(&s.op1, "2027-11-07T01:30:00-05:00", 30))
        .await
        .unwrap();
    assert_eq!(first.start, at(datetime!(2027-11-07 05:30)));
    assert_eq!(second.start, at(datetime!(2027-11-07 06:30)));
    // A 90-minute visit from 01:00 daylight time runs into the repeated hour and clashes.
    let c = conflict(
        s.book(&s.draft(&s.op1, "2027-11-07T01:00:00-04:00", 90))
            .await,
    );
    assert_eq!(c.appointment_id, Some(first.id));
    let fall = s.day(date!(2027 - 11 - 07)).await;
    assert_eq!(fall.len(), 2);
    // A visit across the spring change lasts its real length: 01:30 EST + 60 min = 03:30 EDT.
    let across = s
        .book(&s.draft(&s.op2, "2027-03-14T01:30", 60))
        .await
        .unwrap();
    assert_eq!(across.start, at(datetime!(2027-03-14 06:30)));
    assert_eq!(across.end, at(datetime!(2027-03-14 07:30)));
    let c = conflict(s.book(&s.draft(&s.op2, "2027-03-14T03:00", 30)).await);
    assert!(
        c.message.contains("from 01:30 to 03:30 on 2027-03-14"),
        "{}",
        c.message
    );
}

#[tokio::test]
async fn statuses_set_their_stamps_and_release_or_reclaim_the_time() {
    let s = setup().await;
    let a = s
        .book(&s.draft(&s.op1, "2027-03-15T09:00", 60))
        .await
        .unwrap();
    let room = s.schedule();
    let stale = room
        .set_status(a.id, AppointmentStatus::Arrived, None, Expected::Version(7))
        .await;
    assert!(matches!(stale, Err(AppError::Conflict)), "{stale:?}");
    let arrived = room
        .set_status(a.id, AppointmentStatus::Arrived, None, Expected::Version(1))
        .await
        .unwrap();
    assert_eq!(arrived.status, AppointmentStatus::Arrived);
    assert!(arrived.stamps.arrived_ms.is_some());
    assert!(arrived.stamps.seated_ms.is_none());
    assert_eq!(arrived.stamp.row_version, 2);
    let seated = s
        .set_status(a.id, AppointmentStatus::InChair)
        .await
        .unwrap();
    assert_eq!(seated.status, AppointmentStatus::InChair);
    assert_eq!(seated.stamps.arrived_ms, arrived.stamps.arrived_ms);
    assert!(seated.stamps.seated_ms.is_some());
    let done = s
        .set_status(a.id, AppointmentStatus::Complete)
        .await
        .unwrap();
    assert_eq!(done.status, AppointmentStatus::Complete);
    assert_eq!(done.stamps.arrived_ms, arrived.stamps.arrived_ms);
    assert_eq!(done.stamps.seated_ms, seated.stamps.seated_ms);
    assert!(done.stamps.dismissed_ms.is_some());
    assert_eq!(done.stamp.row_version, 4);
    // Still holding its time, and its status no longer changes.
    assert_eq!(s.slots_of(a.id).await, (12, 12));
    let back = s.set_status(a.id, AppointmentStatus::Scheduled).await;
    assert!(
        matches!(&back, Err(AppError::Refused(m)) if m.contains("complete")),
        "{back:?}"
    );
    let read = s.schedule().read(a.id).await.unwrap();
    assert_eq!(read.status, AppointmentStatus::Complete);
    assert_eq!(read.stamp.row_version, 4);
    let c = conflict(s.book(&s.draft(&s.op1, "2027-03-15T09:00", 30)).await);
    assert_eq!(c.appointment_id, Some(a.id));

    // A confirmation says how; a channel is only for a confirmation.
    let b = s
        .book(&s.draft(&s.op2, "2027-03-15T11:00", 30))
        .await
        .unwrap();
    let confirmed = s
        .schedule()
        .set_status(
            b.id,
            AppointmentStatus::Confirmed,
            Some(ConfirmationChannel::Phone),
            Expected::Any,
        )
        .await
        .unwrap();
    assert_eq!(confirmed.confirmed_via, Some(ConfirmationChannel::Phone));
    assert!(confirmed.stamps.confirmed_ms.is_some());
    let via = s
        .schedule()
        .set_status(
            b.id,
            AppointmentStatus::Arrived,
            Some(ConfirmationChannel::Sms),
            Expected::Any,
        )
        .await;
    assert!(matches!(via, Err(AppError::Invalid(_))), "{via:?}");

    // Cancelling releases the time; cancelled is final.
    let cancelled = s
        .set_status(b.id, AppointmentStatus::Cancelled)
        .await
        .unwrap();
    assert_eq!(cancelled.status, AppointmentStatus::Cancelled);
    assert_eq!(s.slots_of(b.id).await, (0, 0));
    let c2 = s
        .book(&s.draft(&s.op2, "2027-03-15T11:00", 30))
        .await
        .unwrap();
    let again = s.set_status(b.id, AppointmentStatus::Scheduled).await;
    assert!(matches!(again, Err(AppError::Refused(_))), "{again:?}");
    assert_eq!(s.slots_of(b.id).await, (0, 0));
    assert_eq!(s.slots_of(c2.id).await, (6, 6));

    // A broken appointment frees its time; brought back, it claims it again, or clashes with
    // whoever took it meanwhile and stays broken.
    let d = s
        .book(&s.draft(&s.op1, "2027-03-15T13:00", 30))
        .await
        .unwrap();
    s.set_status(d.id, AppointmentStatus::Broken).await.unwrap();
    assert_eq!(s.slots_of(d.id).await, (0, 0));
    let e = s
        .book(&s.draft(&s.op1, "2027-03-15T13:00", 30))
        .await
        .unwrap();
    let c = conflict(s.set_status(d.id, AppointmentStatus::Scheduled).await);
    assert_eq!(c.appointment_id, Some(e.id));
    assert!(c.chair);
    let read = s.schedule().read(d.id).await.unwrap();
    assert_eq!(read.status, AppointmentStatus::Broken);
    assert_eq!(s.slots_of(d.id).await, (0, 0));
    assert_eq!(s.slots_of(e.id).await, (6, 6));
    s.set_status(e.id, AppointmentStatus::Cancelled)
        .await
        .unwrap();
    let back = s
        .set_status(d.id, AppointmentStatus::Scheduled)
        .await
        .unwrap();
    assert_eq!(back.status, AppointmentStatus::Scheduled);
    assert_eq!(s.slots_of(d.id).await, (6, 6));
    conflict(s.book(&s.draft(&s.op1, "2027-03-15T13:00", 30)).await);

    // The ASAP list frees the time too, and lists the appointment.
    s.set_status(d.id, AppointmentStatus::Asap).await.unwrap();
    assert_eq!(s.slots_of(d.id).await, (0, 0));
    let asap = s.schedule().asap_list().await.unwrap();
    assert_eq!(asap.iter().map(|a| a.id).collect::<Vec<_>>(), [d.id]);

    // Each refused status change is one failed entry naming the change.
    let failed: Vec<Seen> = s
        .entries(Some(s.patient), "appointment")
        .await
        .into_iter()
        .filter(|(a, o, _)| a == "update" && o == "failed")
        .collect();
    assert_eq!(failed.len(), 4, "{failed:?}");
    assert!(failed[0].2.contains("stale_version"), "{failed:?}");
    assert!(failed[1].2.contains("complete -> scheduled"), "{failed:?}");
    assert!(failed[3].2.contains("schedule_conflict"), "{failed:?}");
}

#[tokio::test]
async fn moving_an_appointment_frees_its_old_time_and_a_refused_move_keeps_it() {
    let s = setup().await;
    let a = s
        .book(&AppointmentDraft {
            note: Some("Demo move".into()),
            ..s.draft(&s.op1, "2027-03-15T09:00", 60)
        })
        .await
        .unwrap();
    let room = s.schedule();
    let to_eleven = AppointmentDraft {
        note: Some("Demo moved".into()),
        ..s.draft(&s.op1, "2027-03-15T11:00", 60)
    };
    let moved = room
        .replace(
            a.id,
            &to_eleven,
            Expected::Version(a.stamp.row_version),
            &AppointmentClaims::default(),
        )
        .await
        .unwrap();
    assert_eq!(moved.start, at(datetime!(2027-03-15 15:00)));
    assert_eq!(moved.note.as_deref(), Some("Demo moved"));
    assert_eq!(moved.stamp.row_version, 2);
    assert_eq!(s.slots_of(a.id).await, (12, 12));
    // The old time is free again.
    let b = s
        .book(&s.draft(&s.op1, "2027-03-15T09:00", 60))
        .await
        .unwrap();

    // Onto b's time: refused, and a keeps its time, its slots and its version.
    let onto_b = s.draft(&s.op1, "2027-03-15T09:30", 60);
    let c = conflict(
        room.replace(a.id, &onto_b, Expected::Any, &AppointmentClaims::default())
            .await,
    );
    assert_eq!(c.appointment_id, Some(b.id));
    let read = room.read(a.id).await.unwrap();
    assert_eq!(read.start, moved.start);
    assert_eq!(read.stamp.row_version, 2);
    assert_eq!(read.note.as_deref(), Some("Demo moved"));
    assert_eq!(s.slots_of(a.id).await, (12, 12));
    let held = conflict(s.book(&s.draft(&s.op1, "2027-03-15T11:00", 30)).await);
    assert_eq!(held.appointment_id, Some(a.id));

    // A stale version, a changed patient and a claim that differs are refused.
    let stale = room
        .replace(
            a.id,
            &to_eleven,
            Expected::Version(1),
            &AppointmentClaims::default(),
        )
        .await;
    assert!(matches!(stale, Err(AppError::Conflict)), "{stale:?}");
    let other = add_patient(&s.f.app, s.practice, "Sample").await;
    let someone_else = AppointmentDraft {
        patient_id: other.to_string(),
        ..to_eleven.clone()
    };
    let changed = problems(
        room.replace(
            a.id,
            &someone_else,
            Expected::Any,
            &AppointmentClaims::default(),
        )
        .await,
    );
    assert_eq!(changed[0].0, "patient_id", "{changed:?}");
    let claimed = problems(
        room.replace(
            a.id,
            &to_eleven,
            Expected::Any,
            &AppointmentClaims {
                status: Some("cancelled".into()),
                ..AppointmentClaims::default()
            },
        )
        .await,
    );
    assert_eq!(claimed[0].0, "status", "{claimed:?}");
    assert_eq!(room.read(a.id).await.unwrap().stamp.row_version, 2);

    // Into the other chair at the same time: the first chair's 11:00 is free, the dentist's
    // time moves with it (the same instants, so no clash with itself).
    let chair_two = room
        .replace(
            a.id,
            &s.draft(&s.op2, "2027-03-15T11:00", 60),
            Expected::Version(2),
            &AppointmentClaims::default(),
        )
        .await
        .unwrap();
    assert_eq!(chair_two.operatory_id, s.op2.id);
    assert_eq!(
        chair_two.note, None,
        "a replacement without a note clears it"
    );
    s.book(&AppointmentDraft {
        provider_id: s.hygienist.id.to_string(),
        ..s.draft(&s.op1, "2027-03-15T11:00", 60)
    })
    .await
    .unwrap();
    let entries = s.entries(Some(s.patient), "appointment").await;
    let updates: Vec<&str> = entries
        .iter()
        .filter(|(a, _, _)| a == "update")
        .map(|(_, o, _)| o.as_str())
        .collect();
    assert_eq!(updates, ["allowed", "failed", "failed", "allowed"]);
}

#[tokio::test]
async fn another_practice_sees_none_of_the_schedule() {
    let s = setup().await;
    let a = s
        .book(&s.draft(&s.op1, "2027-03-15T09:00", 60))
        .await
        .unwrap();
    let other = s.f.practice;
    let theirs = schedule_of(&s.f.app, other);
    assert!(matches!(theirs.read(a.id).await, Err(AppError::NotFound)));
    assert!(theirs.operatories().await.unwrap().is_empty());
    assert!(theirs.providers().await.unwrap().is_empty());
    assert!(theirs.appointment_types().await.unwrap().is_empty());
    let cancel = theirs
        .set_status(a.id, AppointmentStatus::Cancelled, None, Expected::Any)
        .await;
    assert!(matches!(cancel, Err(AppError::NotFound)), "{cancel:?}");
    let moved = theirs
        .replace(
            a.id,
            &s.draft(&s.op1, "2027-03-15T11:00", 60),
            Expected::Any,
            &AppointmentClaims::default(),
        )
        .await;
    assert!(matches!(moved, Err(AppError::NotFound)), "{moved:?}");
    // Booking with the first practice's chair, provider and patient names none of its own.
    let borrowed = problems(theirs.book(&s.draft(&s.op1, "2027-03-15T11:00", 60)).await);
    let fields: Vec<&str> = borrowed.iter().map(|(f, _)| f.as_str()).collect();
    assert!(fields.contains(&"operatory_id"), "{borrowed:?}");
    assert!(fields.contains(&"provider_id"), "{borrowed:?}");
    assert!(
        theirs
            .day(
                PracticeDate::new(date!(2027 - 03 - 15)),
                DayFilter::default()
            )
            .await
            .unwrap()
            .appointments
            .is_empty()
    );
    // Its own chair and dentist (same abbreviations) at the same instants are free.
    let dentist = add_provider(&theirs, "Canine", "DDS1", false).await;
    let chair = add_operatory(&theirs, "Chair Alpha", "OP1", 1).await;
    let patient = add_patient(&s.f.app, other, PATIENT_GIVEN).await;
    theirs
        .book(&AppointmentDraft {
            patient_id: patient.to_string(),
            operatory_id: chair.id.to_string(),
            provider_id: dentist.id.to_string(),
            start: "2027-03-15T13:00".into(),
            duration_min: Some(60),
            ..AppointmentDraft::default()
        })
        .await
        .unwrap();
    // The first practice's appointment is untouched.
    let read = s.schedule().read(a.id).await.unwrap();
    assert_eq!(read.status, AppointmentStatus::Scheduled);
    assert_eq!(read.start, a.start);
}

#[tokio::test]
async fn the_day_is_the_practices_day_with_one_view_entry() {
    let s = setup().await;
    // 2027-03-14 springs forward: the practice's day runs from 05:00Z to 04:00Z (23 hours).
    let eve = s
        .book(&s.draft(&s.op1, "2027-03-13T23:30", 30))
        .await
        .unwrap();
    let early = s
        .book(&s.draft(&s.op1, "2027-03-14T01:30", 30))
        .await
        .unwrap();
    let late = s
        .book(&s.draft(&s.op1, "2027-03-14T23:30", 30))
        .await
        .unwrap();
    let next = s
        .book(&s.draft(&s.op1, "2027-03-15T00:00", 30))
        .await
        .unwrap();
    // One that starts the evening before and runs past midnight overlaps the day.
    let spill = s
        .book(&AppointmentDraft {
            provider_id: s.hygienist.id.to_string(),
            ..s.draft(&s.op2, "2027-03-13T23:45", 30)
        })
        .await
        .unwrap();
    let broken = s
        .book(&s.draft(&s.op2, "2027-03-14T10:00", 30))
        .await
        .unwrap();
    s.set_status(broken.id, AppointmentStatus::Broken)
        .await
        .unwrap();
    let views_before = s.entries(None, "schedule").await.len();

    let day = s.day(date!(2027 - 03 - 14)).await;
    let ids: Vec<AppointmentId> = day.iter().map(|a| a.id).collect();
    assert_eq!(ids, [spill.id, early.id, broken.id, late.id], "{day:?}");
    assert!(!ids.contains(&eve.id) && !ids.contains(&next.id));
    assert!(day.iter().all(|a| a.patient.is_some()));
    let views = s.entries(None, "schedule").await;
    assert_eq!(views.len(), views_before + 1, "{views:?}");
    let (action, outcome, reason) = views.last().unwrap();
    assert_eq!((action.as_str(), outcome.as_str()), ("view", "allowed"));
    assert!(reason.contains("appointments 4"), "{reason}");

    // The day before and the day after, each its own.
    let before: Vec<AppointmentId> = s
        .day(date!(2027 - 03 - 13))
        .await
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(before, [eve.id, spill.id]);
    let after: Vec<AppointmentId> = s
        .day(date!(2027 - 03 - 15))
        .await
        .iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(after, [next.id]);

    // A filter by chair or by provider.
    let room = s.schedule();
    let chair = room
        .day(
            PracticeDate::new(date!(2027 - 03 - 14)),
            DayFilter {
                operatory: Some(s.op2.id),
                provider: None,
            },
        )
        .await
        .unwrap();
    let ids: Vec<AppointmentId> = chair.appointments.iter().map(|a| a.id).collect();
    assert_eq!(ids, [spill.id, broken.id]);
    assert_eq!(chair.operatories.len(), 2);
    assert_eq!(chair.tz.name(), "America/New_York");
    let hygienist = room
        .day(
            PracticeDate::new(date!(2027 - 03 - 14)),
            DayFilter {
                operatory: None,
                provider: Some(s.hygienist.id),
            },
        )
        .await
        .unwrap();
    let ids: Vec<AppointmentId> = hygienist.appointments.iter().map(|a| a.id).collect();
    assert_eq!(ids, [spill.id]);
    // Reading the day wrote no entry about any one appointment.
    let reads = s
        .entries(Some(s.patient), "appointment")
        .await
        .into_iter()
        .filter(|(a, _, _)| a == "view")
        .count();
    assert_eq!(reads, 0);
}

/// A move racing an overlapping booking of the same chair. The appointment at 10:00-11:00
/// moves to 09:00-10:00 while another books 09:30-10:30, which overlaps both the old and the
/// new time: whichever commits first, the booking is refused as a clash with the moved
/// appointment and the move goes through. Neither may end in an internal error.
///
/// On PostgreSQL the move deletes its old slots and then inserts its new ones in one
/// transaction, while the booking inserts its slots in ascending order: the booking holds
/// 09:30-09:55 and waits for the move's deleted 10:00, the move waits for the booking's 09:30,
/// and the database breaks the deadlock by aborting one of them (`40P01`), which the room
/// reports as `AppError::Internal`. Many rounds, so that the interleaving occurs.
#[tokio::test(flavor = "multi_thread", worker_threads = 8)]
async fn a_move_racing_an_overlapping_booking_is_a_move_and_a_clash_never_an_error() {
    let s = setup().await;
    let other = add_patient(&s.f.app, s.practice, "Sample").await;
    let mut wrong = Vec::new();
    for round in 0..40u32 {
        let day = date!(2027 - 04 - 01)
            .checked_add(time::Duration::days(i64::from(round)))
            .unwrap();
        let a = s
            .book(&s.draft(&s.op1, &format!("{day}T10:00"), 60))
            .await
            .unwrap();
        let earlier = s.draft(&s.op1, &format!("{day}T09:00"), 60);
        let overlapping = AppointmentDraft {
            patient_id: other.to_string(),
            provider_id: s.hygienist.id.to_string(),
            ..s.draft(&s.op1, &format!("{day}T09:30"), 60)
        };
        let gate = std::sync::Arc::new(tokio::sync::Barrier::new(2));
        let (app, practice, g) = (s.f.app.clone(), s.practice, gate.clone());
        let mover = tokio::spawn(async move {
            g.wait().await;
            schedule_of(&app, practice)
                .replace(a.id, &earlier, Expected::Any, &AppointmentClaims::default())
                .await
        });
        let (app, g) = (s.f.app.clone(), gate.clone());
        let booker = tokio::spawn(async move {
            g.wait().await;
            schedule_of(&app, practice).book(&overlapping).await
        });
        let moved = mover.await.unwrap();
        let booked = booker.await.unwrap();
        match &moved {
            Ok(v) if v.start == s.book_start(&format!("{day}T09:00")) => {}
            other => wrong.push(format!("{day}: the move answered {other:?}")),
        }
        match &booked {
            Err(AppError::ScheduleConflict(c)) if c.appointment_id == Some(a.id) => {}
            other => wrong.push(format!("{day}: the booking answered {other:?}")),
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of 80 requests went wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

impl Setup {
    /// The instant a local start means in the practice.
    fn book_start(&self, local: &str) -> Instant {
        let tz = PracticeTz::parse("America/New_York").unwrap();
        enamel_domain::scheduling::parse_start(local, &tz).unwrap()
    }
}

/// A patient created in error may be deleted, but one who has an appointment is still named
/// by it (the database refuses the delete). The refusal must say why, not blame a guarantor
/// link the patient does not have; or, if such a patient may be deleted, no appointment may
/// be left naming nobody.
#[tokio::test]
async fn deleting_a_patient_with_an_appointment_gives_the_true_reason_or_leaves_no_orphan() {
    let s = setup().await;
    let a = s
        .book(&s.draft(&s.op1, "2027-03-15T09:00", 60))
        .await
        .unwrap();
    let deleted = common::system_patients(&s.f.app, s.practice)
        .delete(s.patient, Expected::Any, enamel_app::DELETE_REASON)
        .await;
    match deleted {
        Err(AppError::Refused(why)) => {
            assert!(
                !why.contains("pays for or is responsible for another patient"),
                "the patient guarantees nobody, yet the refusal says: {why}"
            );
            let read = s.schedule().read(a.id).await.unwrap();
            assert_eq!(read.status, AppointmentStatus::Scheduled);
        }
        Ok(()) => {
            assert!(matches!(
                s.schedule().read(a.id).await,
                Err(AppError::NotFound)
            ));
            assert!(s.day(date!(2027 - 03 - 15)).await.is_empty());
            assert_eq!(s.slots_of(a.id).await, (0, 0));
        }
        Err(other) => panic!("neither a refusal nor a delete: {other:?}"),
    }
}
