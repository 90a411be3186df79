//! The demo's perio exams: two closed exams a year apart per adult, shaped by the patient's
//! gums (healthy, gingivitis, periodontitis that may be getting worse), made up from the
//! patient's seed so every run writes the same exams.

use enamel_domain::clinical::{PerioExamDraft, PerioToothDraft};
use enamel_domain::synthetic::SyntheticRng;
use time::{Date, Duration};

use crate::demo_chart::Providers;
use crate::demo_clinical::{chance, iso, pick};

/// The teeth a perio exam charts: every permanent tooth but the wisdom teeth.
const PERIO_TEETH: &[u8] = &[
    2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
    30, 31,
];
const MOLARS: &[u8] = &[2, 3, 14, 15, 18, 19, 30, 31];
const PREMOLARS: &[u8] = &[4, 5, 12, 13, 20, 21, 28, 29];
/// Sites between teeth (MB, DB, ML, DL), where pockets deepen first.
const INTERPROXIMAL: &[usize] = &[0, 2, 3, 5];

/// The patient's gums, which shape both perio exams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gums {
    Healthy,
    Gingivitis,
    /// A few pockets of 4–6 mm; when progressing, some are 2 mm deeper a year later.
    Periodontitis {
        progressing: bool,
    },
}

impl Gums {
    pub(crate) fn pick(rng: &mut SyntheticRng) -> Gums {
        match rng.below(10) {
            0..=4 => Gums::Healthy,
            5 | 6 => Gums::Gingivitis,
            _ => Gums::Periodontitis {
                progressing: chance(rng, 1, 2),
            },
        }
    }

    /// How often, in percent, a site bleeds on probing.
    fn bleeding(self, deep: bool) -> u64 {
        match (self, deep) {
            (Gums::Healthy, _) => 4,
            (Gums::Gingivitis, _) => 25,
            (Gums::Periodontitis { .. }, false) => 12,
            (Gums::Periodontitis { .. }, true) => 70,
        }
    }
}

/// One tooth's measurements, before they become a draft.
#[derive(Debug, Clone, Copy, Default)]
struct Probed {
    depth: [i64; 6],
    margin: [i64; 6],
    bleeding: [bool; 6],
    suppuration: [bool; 6],
    plaque: [bool; 6],
    mobility: Option<i64>,
    furcation: [Option<i64>; 6],
}

/// The sites of a molar where a furcation is probed: buccal, mesial and distal from the
/// palate on an upper molar (B, ML, DL); buccal and lingual on a lower one (B, L).
fn furcation_sites(tooth: u8) -> &'static [usize] {
    if tooth <= 16 { &[1, 3, 5] } else { &[1, 4] }
}

/// Two exams, the later one within the last month and the earlier about a year before it.
pub(crate) fn perio_exams(
    rng: &mut SyntheticRng,
    gums: Gums,
    missing: &[u8],
    providers: &Providers,
    today: Date,
) -> Vec<PerioExamDraft> {
    let later = today - Duration::days(i64::try_from(1 + rng.below(28)).unwrap_or(1));
    let earlier = later - Duration::days(i64::try_from(358 + rng.below(15)).unwrap_or(365));
    let present: Vec<u8> = PERIO_TEETH
        .iter()
        .copied()
        .filter(|t| !missing.contains(t))
        .collect();
    // Where the pockets are: a few back teeth, one to three sites between teeth on each.
    let mut deep: Vec<(u8, usize)> = Vec::new();
    if let Gums::Periodontitis { .. } = gums {
        let back: Vec<u8> = MOLARS
            .iter()
            .chain(PREMOLARS)
            .copied()
            .filter(|t| present.contains(t))
            .collect();
        for _ in 0..2 + rng.below(3) {
            let tooth = *pick(rng, &back);
            for _ in 0..1 + rng.below(3) {
                let site = *pick(rng, INTERPROXIMAL);
                if !deep.contains(&(tooth, site)) {
                    deep.push((tooth, site));
                }
            }
        }
    }

    let mut first = Vec::new();
    for &tooth in &present {
        let mut p = Probed::default();
        for site in 0..6 {
            let between = INTERPROXIMAL.contains(&site);
            let is_deep = deep.contains(&(tooth, site));
            p.depth[site] = if is_deep {
                4 + i64::try_from(rng.below(3)).unwrap_or(0)
            } else {
                match (between, rng.below(20)) {
                    (_, 0) => 1,
                    (false, 1..=13) | (true, 1..=5) => 2,
                    (_, 19) if gums != Gums::Healthy => 4,
                    _ => 3,
                }
            };
            if is_deep && chance(rng, 1, 2) {
                p.margin[site] = 1 + i64::try_from(rng.below(2)).unwrap_or(0);
            }
            p.bleeding[site] = chance(rng, gums.bleeding(is_deep), 100);
            p.suppuration[site] = is_deep && p.depth[site] >= 6 && chance(rng, 1, 4);
            p.plaque[site] = chance(rng, if gums == Gums::Healthy { 5 } else { 20 }, 100);
        }
        let pockets = deep.iter().any(|(t, _)| *t == tooth);
        if pockets && MOLARS.contains(&tooth) {
            if chance(rng, 1, 3) {
                p.mobility = Some(1 + i64::from(chance(rng, 1, 5)));
            }
            for &site in furcation_sites(tooth) {
                if chance(rng, 1, 2) {
                    p.furcation[site] = Some(1 + i64::from(chance(rng, 1, 4)));
                }
            }
        }
        first.push((tooth, p));
    }

    // A year later: the same mouth, bleeding where it bleeds that day; a shallow site may read
    // a millimetre either way, and when the disease is progressing some pockets are 2 mm
    // deeper.
    let worse: Vec<(u8, usize)> = match gums {
        Gums::Periodontitis { progressing: true } => {
            deep.iter().copied().filter(|_| chance(rng, 2, 3)).collect()
        }
        _ => Vec::new(),
    };
    let mut second = Vec::new();
    for &(tooth, before) in &first {
        let mut p = before;
        for site in 0..6 {
            let is_deep = deep.contains(&(tooth, site));
            if worse.contains(&(tooth, site)) {
                p.depth[site] += 2;
                p.bleeding[site] = true;
            } else {
                if !is_deep && chance(rng, 1, 15) {
                    p.depth[site] =
                        (p.depth[site] + if chance(rng, 1, 2) { 1 } else { -1 }).clamp(1, 3);
                }
                p.bleeding[site] = chance(rng, gums.bleeding(is_deep), 100);
            }
            p.suppuration[site] = p.suppuration[site] && chance(rng, 1, 2);
            p.plaque[site] = chance(rng, if gums == Gums::Healthy { 5 } else { 20 }, 100);
        }
        second.push((tooth, p));
    }

    let note = |text: &str| Some(format!("Demo perio note (synthetic data): {text}"));
    let later_note = if worse.is_empty() {
        "full mouth probed; similar to last year."
    } else {
        "full mouth probed; some pockets 2 mm deeper than last year, re-evaluate in three months."
    };
    vec![
        exam(
            earlier,
            &first,
            missing,
            providers,
            note("full mouth probed, six sites per tooth."),
        ),
        exam(later, &second, missing, providers, note(later_note)),
    ]
}

fn exam(
    on: Date,
    teeth: &[(u8, Probed)],
    missing: &[u8],
    providers: &Providers,
    note: Option<String>,
) -> PerioExamDraft {
    let mut drafts: Vec<PerioToothDraft> = teeth
        .iter()
        .map(|(tooth, p)| PerioToothDraft {
            tooth: tooth.to_string(),
            mobility: p.mobility,
            depth: Some(p.depth.iter().map(|d| Some(*d)).collect()),
            margin: Some(p.margin.iter().map(|m| Some(*m)).collect()),
            bleeding: Some(p.bleeding.to_vec()),
            suppuration: Some(p.suppuration.to_vec()),
            plaque: Some(p.plaque.to_vec()),
            furcation: p
                .furcation
                .iter()
                .any(Option::is_some)
                .then(|| p.furcation.to_vec()),
            ..PerioToothDraft::default()
        })
        .collect();
    drafts.extend(missing.iter().map(|tooth| PerioToothDraft {
        tooth: tooth.to_string(),
        skipped: true,
        ..PerioToothDraft::default()
    }));
    drafts.sort_by_key(|d| d.tooth.parse::<u8>().unwrap_or(0));
    PerioExamDraft {
        exam_date: Some(iso(on)),
        provider_id: providers.hygienist.clone(),
        note,
        teeth: drafts,
    }
}
