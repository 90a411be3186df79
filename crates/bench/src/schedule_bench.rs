//! `schedule`: the schedule room's server-side cost, in-process (no TLS, no HTTP). A practice
//! of 12 operatories, each with its own provider, and 150 appointments on one day (every
//! status the desk passes through); then
//! - the day view (all 12 columns, 150 blocks with patients' names), timed call by call beside
//!   the smallest audited read in the same run (one patient's demographics);
//! - bookings under contention: 64 clients at once, each booking random 30-minute slots of
//!   one busy day in random chairs (many collide and are refused by the database), beside the
//!   audited patient read with 64 clients at once in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{Context, Result};
use enamel_app::{AppError, DayFilter, Expected, NewPractice, RequestOrigin, SystemReason};
use enamel_domain::scheduling::{
    AppointmentDraft, AppointmentStatus, OperatoryDraft, ProviderDraft,
};
use enamel_domain::synthetic::SyntheticRng;
use enamel_domain::{PatientDraft, PatientId, PracticeDate, PracticeTz};

use crate::{bench_app, open};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// sqlite://FILE or postgres://…; migrated if needed. Each run adds a practice.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 12)]
    operatories: usize,
    #[arg(long, default_value_t = 150)]
    appointments: usize,
    /// Timed day views.
    #[arg(long, default_value_t = 300)]
    calls: usize,
    /// Concurrent clients booking.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Booking attempts per client.
    #[arg(long, default_value_t = 40)]
    attempts: usize,
}

fn pct(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
    v[rank.clamp(1, v.len()) - 1]
}

pub async fn run(o: Options) -> Result<String> {
    let db = open(&o.database_url).await?;
    let app = Arc::new(bench_app(db)?);
    let practice = app
        .create_practice(
            &NewPractice {
                display_name: "Bench Synthetic Schedule Dental".into(),
                time_zone: PracticeTz::parse("America/New_York")
                    .map_err(|p| anyhow::anyhow!("{}", p.problem))?,
            },
            RequestOrigin::job(),
        )
        .await?;
    let system = app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
    let schedule = system.schedule();
    let mut chairs = Vec::new();
    for i in 0..o.operatories {
        let provider = schedule
            .save_provider(
                None,
                &ProviderDraft {
                    family_name: "Bench".into(),
                    given_name: format!("Provider {i}"),
                    abbreviation: format!("P{i}"),
                    colour: "#3366cc".into(),
                    specialty: "general".into(),
                    ..Default::default()
                },
                Expected::Any,
                &Default::default(),
            )
            .await?;
        let operatory = schedule
            .save_operatory(
                None,
                &OperatoryDraft {
                    name: format!("Bench chair {i}"),
                    abbreviation: format!("OP{i}"),
                    order: i as i64,
                    ..Default::default()
                },
                Expected::Any,
                &Default::default(),
            )
            .await?;
        chairs.push((operatory.id.to_string(), provider.id.to_string()));
    }
    let mut patients: Vec<PatientId> = Vec::new();
    for i in 0..o.appointments.max(1) {
        patients.push(
            system
                .patients()
                .create(&PatientDraft {
                    family_name: format!("Benchmark{i}"),
                    given_name: "Synthetic".into(),
                    birth_date: "1970-01-01".into(),
                    ..Default::default()
                })
                .await?,
        );
    }
    // The measured day: each chair booked back to back from 07:00, 30 minutes a visit.
    let day = "2027-03-15";
    let per_chair = o.appointments.div_ceil(o.operatories);
    let statuses = [
        vec![],
        vec![AppointmentStatus::Confirmed],
        vec![AppointmentStatus::Arrived],
        vec![AppointmentStatus::Arrived, AppointmentStatus::InChair],
        vec![
            AppointmentStatus::Arrived,
            AppointmentStatus::InChair,
            AppointmentStatus::Complete,
        ],
        vec![AppointmentStatus::Broken],
    ];
    for n in 0..o.appointments {
        let (chair, slot) = (n / per_chair, n % per_chair);
        let minutes = 7 * 60 + 30 * slot;
        let view = schedule
            .book(&AppointmentDraft {
                patient_id: patients[n].to_string(),
                operatory_id: chairs[chair].0.clone(),
                provider_id: chairs[chair].1.clone(),
                start: format!("{day}T{:02}:{:02}", minutes / 60, minutes % 60),
                duration_min: Some(30),
                note: (n % 5 == 0).then(|| "Bench: synthetic note.".into()),
                ..Default::default()
            })
            .await
            .context("booking the measured day")?;
        for to in &statuses[n % statuses.len()] {
            schedule
                .set_status(view.id, *to, None, Expected::Any)
                .await?;
        }
    }
    let date = PracticeDate::new(enamel_domain::parse_iso_date(day).context("the bench's day")?);
    let patients_room = system.patients();
    let (mut reference, mut days) = (Vec::new(), Vec::new());
    for _round in 0..3 {
        for _ in 0..o.calls / 3 {
            let started = Instant::now();
            patients_room.read(patients[0]).await?;
            reference.push(started.elapsed().as_secs_f64() * 1e3);
            let started = Instant::now();
            let view = schedule.day(date, DayFilter::default()).await?;
            days.push(started.elapsed().as_secs_f64() * 1e3);
            anyhow::ensure!(view.appointments.len() == o.appointments);
        }
    }

    // Contention: a busy day (2027-03-16) of 07:00–17:00 in every chair, 30-minute visits at
    // random 5-minute marks: a booking collides with anything overlapping its chair.
    let booked = Arc::new(AtomicUsize::new(0));
    let clashed = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..o.clients {
        let (app, chairs, patients) = (app.clone(), chairs.clone(), patients.clone());
        let (booked, clashed) = (booked.clone(), clashed.clone());
        let attempts = o.attempts;
        tasks.push(tokio::spawn(async move {
            let system =
                app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
            let schedule = system.schedule();
            let mut rng = SyntheticRng::new(0xb00c + client as u64);
            let mut latencies = Vec::with_capacity(attempts);
            for _ in 0..attempts {
                let (operatory, provider) = &chairs[rng.below(chairs.len() as u64) as usize];
                let minutes = 7 * 60 + 5 * rng.below(114) as usize;
                let draft = AppointmentDraft {
                    patient_id: patients[rng.below(patients.len() as u64) as usize].to_string(),
                    operatory_id: operatory.clone(),
                    provider_id: provider.clone(),
                    start: format!("2027-03-16T{:02}:{:02}", minutes / 60, minutes % 60),
                    duration_min: Some(30),
                    ..Default::default()
                };
                let t = Instant::now();
                match schedule.book(&draft).await {
                    Ok(_) => booked.fetch_add(1, Ordering::Relaxed),
                    Err(AppError::ScheduleConflict(_)) => clashed.fetch_add(1, Ordering::Relaxed),
                    Err(e) => return Err(anyhow::anyhow!("a booking failed: {e}")),
                };
                latencies.push(t.elapsed().as_secs_f64() * 1e3);
            }
            Ok::<_, anyhow::Error>(latencies)
        }));
    }
    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await??);
    }
    let booking_secs = started.elapsed().as_secs_f64();
    // The reference: the audited patient read with as many clients, as many calls.
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..o.clients {
        let (app, patients) = (app.clone(), patients.clone());
        let attempts = o.attempts;
        tasks.push(tokio::spawn(async move {
            let system =
                app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
            let room = system.patients();
            for i in 0..attempts {
                room.read(patients[(client + i) % patients.len()]).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    let read_secs = started.elapsed().as_secs_f64();
    let total = o.clients * o.attempts;
    let (ok, clash) = (
        booked.load(Ordering::Relaxed),
        clashed.load(Ordering::Relaxed),
    );
    let base = pct(&mut reference, 50.0);
    let mut out = format!(
        "schedule bench: {} operatories, {} appointments on the day, {} timed day views; {} clients × {} booking attempts\n",
        o.operatories,
        o.appointments,
        days.len(),
        o.clients,
        o.attempts
    );
    out.push_str("| figure | p50 ms | p99 ms | p50 as a multiple of the patient read |\n|---|---:|---:|---:|\n");
    out.push_str(&format!(
        "| audited read of a patient (reference) | {:.2} | {:.2} | 1.0× |\n",
        base,
        pct(&mut reference, 99.0)
    ));
    out.push_str(&format!(
        "| day view ({} columns, {} appointments) | {:.2} | {:.2} | {:.1}× |\n",
        o.operatories,
        o.appointments,
        pct(&mut days, 50.0),
        pct(&mut days, 99.0),
        pct(&mut days, 50.0) / base
    ));
    out.push_str(&format!(
        "\nbookings under contention: {total} attempts in {booking_secs:.2} s = {:.0}/s ({ok} booked, {clash} refused as clashes), p50 {:.2} ms, p99 {:.2} ms\n",
        total as f64 / booking_secs,
        pct(&mut latencies, 50.0),
        pct(&mut latencies, 99.0)
    ));
    out.push_str(&format!(
        "audited patient reads, same clients: {total} in {read_secs:.2} s = {:.0}/s; bookings are {:.0} % of that\n",
        total as f64 / read_secs,
        100.0 * (total as f64 / booking_secs) / (total as f64 / read_secs)
    ));
    Ok(out)
}

#[derive(Debug, clap::Args)]
pub struct RaceOptions {
    /// sqlite://FILE or postgres://…; migrated if needed.
    #[arg(long)]
    database_url: String,
    /// Makes a practice with one operatory, provider and patient and prints their ids as JSON
    /// (`{"practice": …, "patient": …}`) instead of racing.
    #[arg(long)]
    setup: bool,
    #[arg(long)]
    practice: Option<String>,
    #[arg(long)]
    patient: Option<String>,
    /// Concurrent bookings in this process.
    #[arg(long, default_value_t = 32)]
    clients: usize,
}

/// `book-race`: CLIENTS bookings at once of hours that all overlap (09:00 to 09:55 starts,
/// an hour each) in the practice's one operatory; prints how many were booked and how many
/// refused as clashes. Run in two processes at once against one database, exactly one booking
/// of all of them may succeed (`tests/two_processes.rs`).
pub async fn race(o: RaceOptions) -> Result<String> {
    let db = open(&o.database_url).await?;
    let app = Arc::new(bench_app(db)?);
    if o.setup {
        let practice = app
            .create_practice(
                &NewPractice {
                    display_name: "Bench Synthetic Race Dental".into(),
                    time_zone: PracticeTz::utc(),
                },
                RequestOrigin::job(),
            )
            .await?;
        let system =
            app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
        let schedule = system.schedule();
        schedule
            .save_provider(
                None,
                &ProviderDraft {
                    family_name: "Bench".into(),
                    given_name: "Racer".into(),
                    abbreviation: "RACE".into(),
                    colour: "#3366cc".into(),
                    specialty: "general".into(),
                    ..Default::default()
                },
                Expected::Any,
                &Default::default(),
            )
            .await?;
        schedule
            .save_operatory(
                None,
                &OperatoryDraft {
                    name: "Bench race chair".into(),
                    abbreviation: "RACE".into(),
                    ..Default::default()
                },
                Expected::Any,
                &Default::default(),
            )
            .await?;
        let patient = system
            .patients()
            .create(&PatientDraft {
                family_name: "Benchmark".into(),
                given_name: "Racer".into(),
                birth_date: "1970-01-01".into(),
                ..Default::default()
            })
            .await?;
        return Ok(serde_json::json!({
            "practice": practice.to_string(),
            "patient": patient.to_string(),
        })
        .to_string());
    }
    let practice: enamel_domain::PracticeId = o
        .practice
        .as_deref()
        .context("--practice")?
        .parse()
        .map_err(|_| anyhow::anyhow!("--practice is not an id"))?;
    let patient = o.patient.context("--patient")?;
    let system = app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
    let schedule = system.schedule();
    let operatory = schedule.operatories().await?[0].id.to_string();
    let provider = schedule.providers().await?[0].id.to_string();
    let mut tasks = Vec::new();
    for client in 0..o.clients {
        let (app, operatory, provider, patient) = (
            app.clone(),
            operatory.clone(),
            provider.clone(),
            patient.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let system =
                app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
            let draft = AppointmentDraft {
                patient_id: patient,
                operatory_id: operatory,
                provider_id: provider,
                start: format!("2027-03-15T09:{:02}", 5 * (client % 12)),
                duration_min: Some(60),
                ..Default::default()
            };
            system.schedule().book(&draft).await
        }));
    }
    let (mut booked, mut clashed) = (0, 0);
    for task in tasks {
        match task.await? {
            Ok(_) => booked += 1,
            Err(AppError::ScheduleConflict(_)) => clashed += 1,
            Err(e) => anyhow::bail!("a booking failed: {e}"),
        }
    }
    Ok(format!("booked {booked} clashed {clashed}"))
}
