//! `chart`: the clinical chart's server-side cost, in-process (no TLS, no HTTP: what the room
//! does for a request). One patient with 200 procedures (every status, addenda, some marked
//! entered in error) and 10 closed full-mouth perio exams; each figure is calls timed one by
//! one, beside the audited read of the same patient's demographics in the same run (the
//! smallest audited read there is), so the chart's cost is a multiple of that.

use std::time::Instant;

use anyhow::{Context, Result};
use enamel_app::{Expected, NewPractice, PerioClaims, RequestOrigin, SystemReason};
use enamel_domain::clinical::{PerioExamDraft, PerioToothDraft, ProcedureDraft, demo_codes};
use enamel_domain::{PatientDraft, PracticeTz};

use crate::{bench_app, open};

#[derive(Debug, clap::Args)]
pub struct Options {
    /// sqlite://FILE or postgres://…; migrated if needed. Each run adds a practice.
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 200)]
    procedures: usize,
    #[arg(long, default_value_t = 10)]
    perio_exams: usize,
    /// Timed calls per figure.
    #[arg(long, default_value_t = 300)]
    calls: usize,
}

/// Nearest-rank percentiles of the timed calls, in milliseconds.
struct Timings(Vec<f64>);

impl Timings {
    fn pct(&mut self, p: f64) -> f64 {
        self.0.sort_by(f64::total_cmp);
        let rank = ((p / 100.0) * self.0.len() as f64).ceil() as usize;
        self.0[rank.clamp(1, self.0.len()) - 1]
    }
}

async fn time<F, Fut>(calls: usize, mut f: F) -> Result<Timings>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let mut out = Vec::with_capacity(calls);
    for i in 0..calls {
        let started = Instant::now();
        f(i).await?;
        out.push(started.elapsed().as_secs_f64() * 1e3);
    }
    Ok(Timings(out))
}

/// A full-mouth exam: all 32 teeth, six sites each (192 sites), depths, margins and flags.
fn full_mouth(date: &str, shift: i64) -> PerioExamDraft {
    let teeth = (1..=32)
        .map(|t: i64| PerioToothDraft {
            tooth: t.to_string(),
            depth: Some((0..6).map(|s| Some(2 + (t + s + shift) % 4)).collect()),
            margin: Some((0..6).map(|s| Some((t + s) % 3 - 1)).collect()),
            bleeding: Some((0..6).map(|s| (t + s + shift) % 5 == 0).collect()),
            plaque: Some((0..6).map(|s| (t * s) % 7 == 0).collect()),
            mobility: Some(t % 2),
            ..Default::default()
        })
        .collect();
    PerioExamDraft {
        exam_date: Some(date.into()),
        note: Some("Bench: synthetic perio exam.".into()),
        teeth,
        ..Default::default()
    }
}

pub async fn run(o: Options) -> Result<String> {
    let db = open(&o.database_url).await?;
    let app = bench_app(db)?;
    let practice = app
        .create_practice(
            &NewPractice {
                display_name: "Bench Synthetic Chart Dental".into(),
                time_zone: PracticeTz::utc(),
            },
            RequestOrigin::job(),
        )
        .await?;
    let system = app.system_bypassing_policy(practice, SystemReason::Import, RequestOrigin::job());
    let chart = system.chart();
    chart.import_codes(&demo_codes(), false).await?;
    let patient = system
        .patients()
        .create(&PatientDraft {
            family_name: "Benchmark".into(),
            given_name: "Synthetic".into(),
            birth_date: "1960-01-01".into(),
            ..Default::default()
        })
        .await?;
    let teeth = [
        "2", "3", "4", "5", "12", "13", "14", "15", "18", "19", "20", "29", "30", "31",
    ];
    for i in 0..o.procedures {
        let tooth = teeth[i % teeth.len()];
        let status = ["planned", "completed", "existing_current", "condition"][i % 4];
        let code = if status == "condition" {
            "X9110"
        } else {
            "X2120"
        };
        let view = chart
            .create(
                patient,
                &ProcedureDraft {
                    code: code.into(),
                    tooth: Some(tooth.into()),
                    surfaces: Some(["MO", "DO", "OL", "MOD"][i % 4].into()),
                    status: Some(status.into()),
                    note: Some(format!("Bench: synthetic note {i}.")),
                    ..Default::default()
                },
            )
            .await?;
        if i % 10 == 0 {
            chart
                .add_addendum(view.id, "Bench: synthetic addendum.")
                .await?;
        }
        if i % 50 == 7 {
            chart
                .invalidate(view.id, "Bench: charted twice.", Expected::Any)
                .await?;
        }
    }
    for e in 0..o.perio_exams {
        let exam = chart
            .start_perio(
                patient,
                &full_mouth(&format!("2025-{:02}-01", e + 1), e as i64),
            )
            .await?;
        chart.close_perio(exam.id, Expected::Any).await?;
    }
    let draft = chart
        .start_perio(patient, &full_mouth("2026-01-02", 0))
        .await?;
    let patients = system.patients();

    // Interleaved rounds, so warm-up and drift fall on every figure alike.
    let rounds = 3;
    let per = (o.calls / rounds).max(1);
    let (mut reference, mut reads, mut exams, mut saves) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for round in 0..rounds {
        reference.extend(
            time(per, |_| async {
                patients.read(patient).await.context("patient read")?;
                Ok(())
            })
            .await?
            .0,
        );
        reads.extend(
            time(per, |_| async {
                let view = chart.read(patient, None).await.context("chart read")?;
                anyhow::ensure!(view.procedures.len() == o.procedures);
                Ok(())
            })
            .await?
            .0,
        );
        exams.extend(
            time(per, |_| async {
                let list = chart.perio_exams(patient).await.context("perio list")?;
                anyhow::ensure!(list.records.len() == o.perio_exams + 1);
                Ok(())
            })
            .await?
            .0,
        );
        saves.extend(
            time(per, |i| {
                let chart = &chart;
                let id = draft.id;
                async move {
                    let shift = (round * per + i) as i64;
                    chart
                        .save_perio(
                            id,
                            &full_mouth("2026-01-02", shift),
                            Expected::Any,
                            &PerioClaims::default(),
                        )
                        .await
                        .context("perio save")?;
                    Ok(())
                }
            })
            .await?
            .0,
        );
    }
    let (mut reference, mut reads, mut exams, mut saves) = (
        Timings(reference),
        Timings(reads),
        Timings(exams),
        Timings(saves),
    );
    let base = reference.pct(50.0);
    let mut out = format!(
        "chart bench: {} procedures, {} closed perio exams (32 teeth, 192 sites each), {} calls per figure, one at a time\n",
        o.procedures,
        o.perio_exams,
        rounds * per
    );
    out.push_str("| figure | p50 ms | p99 ms | p50 as a multiple of the patient read |\n|---|---:|---:|---:|\n");
    for (name, t) in [
        ("audited read of the patient (reference)", &mut reference),
        ("chart (200 procedures, addenda)", &mut reads),
        ("perio exams of the patient (11)", &mut exams),
        ("perio draft save (192 sites)", &mut saves),
    ] {
        let (p50, p99) = (t.pct(50.0), t.pct(99.0));
        out.push_str(&format!(
            "| {name} | {p50:.2} | {p99:.2} | {:.1}× |\n",
            p50 / base
        ));
    }
    Ok(out)
}
