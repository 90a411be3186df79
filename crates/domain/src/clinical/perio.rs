//! Periodontal exams: six sites per tooth on the permanent teeth 1–32, probing depths,
//! gingival margins, bleeding, suppuration, plaque, calculus, furcations and mobility.
//!
//! An exam is submitted tooth by tooth with per-site arrays in the fixed order of
//! [`PerioSite::ALL`] (MB, B, DB, ML, L, DL), `null` where a site was not measured.
//! Clinical attachment loss is computed from depth and margin, never stored.

use std::collections::BTreeMap;

use serde::Deserialize;
use time::Date;

use super::procedure::{free_text, not_a_tooth};
use super::teeth::Tooth;
use crate::patient::{FieldProblem, Problems, blank_to_none, past_date};
use crate::text_enum::text_enum;

text_enum!(
    /// One of the six probing sites of a tooth. `ALL` is the order of every per-site array
    /// (index 0 to 5).
    PerioSite {
        MesioBuccal => "mb" ("Mesio-buccal"),
        Buccal => "b" ("Buccal"),
        DistoBuccal => "db" ("Disto-buccal"),
        MesioLingual => "ml" ("Mesio-lingual"),
        Lingual => "l" ("Lingual"),
        DistoLingual => "dl" ("Disto-lingual"),
    }
);

impl PerioSite {
    /// The site's index in the per-site arrays.
    pub fn index(self) -> usize {
        match self {
            PerioSite::MesioBuccal => 0,
            PerioSite::Buccal => 1,
            PerioSite::DistoBuccal => 2,
            PerioSite::MesioLingual => 3,
            PerioSite::Lingual => 4,
            PerioSite::DistoLingual => 5,
        }
    }

    /// Buccal (facial) side: MB, B, DB.
    pub fn is_facial(self) -> bool {
        self.index() < 3
    }
}

/// Probing depth and gingival margin: at most this many millimetres either way.
pub const MAX_PERIO_MM: i8 = 19;
/// Furcation grade (Glickman 0–3) and tooth mobility (Miller 0–3).
pub const MAX_PERIO_GRADE: u8 = 3;
/// The exam's note.
pub const MAX_PERIO_NOTE_CHARS: usize = 2_000;
/// A site has worsened when its probing depth or attachment loss grew by this much.
pub const WORSENING_MM: i8 = 2;

const SITES_HINT: &str =
    "must list 6 sites in the order MB, B, DB, ML, L, DL (null where not measured)";

/// A perio exam as submitted.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerioExamDraft {
    /// `YYYY-MM-DD`; today when left out, never in the future.
    #[serde(default)]
    pub exam_date: Option<String>,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
    /// At most 32 teeth, each once; a tooth left out was not charted.
    #[serde(default)]
    pub teeth: Vec<PerioToothDraft>,
}

/// One tooth of a submitted exam. Every array has 6 entries, MB, B, DB, ML, L, DL.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerioToothDraft {
    /// Universal number, `1` to `32`.
    pub tooth: String,
    /// Missing: charted, but carries no measurement.
    #[serde(default)]
    pub skipped: bool,
    #[serde(default)]
    pub implant: bool,
    /// Miller 0–3.
    #[serde(default)]
    pub mobility: Option<i64>,
    /// Probing depth, 0–19 mm.
    #[serde(default)]
    pub depth: Option<Vec<Option<i64>>>,
    /// Gingival margin, −19 to 19 mm: positive is recession, negative overgrowth above the
    /// cemento-enamel junction.
    #[serde(default)]
    pub margin: Option<Vec<Option<i64>>>,
    #[serde(default)]
    pub bleeding: Option<Vec<bool>>,
    #[serde(default)]
    pub suppuration: Option<Vec<bool>>,
    #[serde(default)]
    pub plaque: Option<Vec<bool>>,
    #[serde(default)]
    pub calculus: Option<Vec<bool>>,
    /// Furcation grade 0–3, back teeth only.
    #[serde(default)]
    pub furcation: Option<Vec<Option<i64>>>,
}

redacted_debug!(PerioExamDraft, PerioToothDraft);

/// A validated perio exam.
#[derive(Clone, PartialEq, Eq)]
pub struct PerioExam {
    pub exam_date: Date,
    /// A staff account's id, checked against the practice by the caller.
    pub provider_id: Option<String>,
    pub note: Option<String>,
    /// The charted teeth in Universal order.
    pub teeth: BTreeMap<Tooth, PerioTooth>,
}

/// One charted tooth. Arrays are indexed by [`PerioSite::index`]; `None` is not measured.
/// A skipped tooth has no value at all.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct PerioTooth {
    pub skipped: bool,
    pub implant: bool,
    pub mobility: Option<u8>,
    pub depth: [Option<i8>; 6],
    pub margin: [Option<i8>; 6],
    /// `None` when the flag was not recorded on this tooth at all.
    pub bleeding: Option<[bool; 6]>,
    pub suppuration: Option<[bool; 6]>,
    pub plaque: Option<[bool; 6]>,
    pub calculus: Option<[bool; 6]>,
    pub furcation: [Option<u8>; 6],
}

redacted_debug!(PerioExam, PerioTooth);

impl PerioTooth {
    pub fn depth_at(&self, site: PerioSite) -> Option<i8> {
        self.depth[site.index()]
    }

    pub fn margin_at(&self, site: PerioSite) -> Option<i8> {
        self.margin[site.index()]
    }

    /// Clinical attachment loss: probing depth plus gingival margin, when both were measured.
    pub fn attachment_loss(&self, site: PerioSite) -> Option<i8> {
        Some(self.depth_at(site)? + self.margin_at(site)?)
    }

    /// Whether a bleeding flag was recorded at `site` and is set.
    pub fn bleeds_at(&self, site: PerioSite) -> bool {
        self.bleeding.is_some_and(|b| b[site.index()])
    }
}

impl PerioExamDraft {
    /// Validates against the practice's `today`; every problem at once, by field path
    /// (`teeth[3].depth[2]`), never repeating a submitted value.
    pub fn validate(&self, today: Date) -> Result<PerioExam, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let exam_date = match blank_to_none(self.exam_date.as_deref()) {
            None => Some(today),
            Some(text) => past_date(text, "exam_date", today, &mut p),
        };
        let provider_id = blank_to_none(self.provider_id.as_deref()).map(str::to_string);
        let note = free_text(self.note.as_deref(), "note", MAX_PERIO_NOTE_CHARS, &mut p);
        if self.teeth.len() > 32 {
            p.add("teeth", "at most 32 teeth (each permanent tooth once)");
        }
        let mut teeth = BTreeMap::new();
        for (i, draft) in self.teeth.iter().take(32).enumerate() {
            let (tooth, chart) = draft.validate(i, &mut p);
            let Some(tooth) = tooth else { continue };
            if teeth.contains_key(&tooth) {
                p.add(
                    format!("teeth[{i}].tooth"),
                    format!("tooth {tooth} is charted twice"),
                );
            }
            teeth.insert(tooth, chart.unwrap_or_default());
        }
        match exam_date {
            Some(exam_date) if p.is_empty() => Ok(PerioExam {
                exam_date,
                provider_id,
                note,
                teeth,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

impl PerioToothDraft {
    /// The tooth when it is one perio charts (so a repeat can be found even when the rest is
    /// refused), and its chart when everything is valid.
    fn validate(&self, i: usize, p: &mut Problems) -> (Option<Tooth>, Option<PerioTooth>) {
        let at = |field: &str| format!("teeth[{i}].{field}");
        let tooth = match Tooth::parse(&self.tooth) {
            None => {
                p.add(at("tooth"), not_a_tooth(&self.tooth));
                None
            }
            Some(t) if t.is_primary() || t.is_supernumerary() => {
                let kind = if t.is_primary() {
                    "a primary"
                } else {
                    "a supernumerary"
                };
                p.add(
                    at("tooth"),
                    format!("perio charts permanent teeth 1–32; tooth {t} is {kind} tooth"),
                );
                None
            }
            Some(t) => Some(t),
        };
        let mobility = match self.mobility {
            None => None,
            Some(m) => {
                let grade = u8::try_from(m).ok().filter(|g| *g <= MAX_PERIO_GRADE);
                if grade.is_none() {
                    p.add(at("mobility"), "must be 0 to 3 (Miller)");
                }
                grade
            }
        };
        let depth = numbers(
            &self.depth,
            &at("depth"),
            0,
            MAX_PERIO_MM,
            p,
            "must be 0 to 19 mm",
        );
        let margin = numbers(
            &self.margin,
            &at("margin"),
            -MAX_PERIO_MM,
            MAX_PERIO_MM,
            p,
            "must be −19 to 19 mm (negative above the cemento-enamel junction)",
        );
        let furcation = numbers(
            &self.furcation,
            &at("furcation"),
            0,
            3,
            p,
            "must be grade 0 to 3",
        )
        .map(|grades| grades.map(|g| g.and_then(|g| u8::try_from(g).ok())));
        let bleeding = flags(&self.bleeding, &at("bleeding"), p);
        let suppuration = flags(&self.suppuration, &at("suppuration"), p);
        let plaque = flags(&self.plaque, &at("plaque"), p);
        let calculus = flags(&self.calculus, &at("calculus"), p);
        let given =
            |values: &Option<Vec<Option<i64>>>| values.iter().flatten().any(Option::is_some);
        let set = |values: &Option<Vec<bool>>| values.iter().flatten().any(|b| *b);
        if let Some(tooth) = tooth {
            if self.skipped {
                let mut refuse = |field: &str, given: bool| {
                    if given {
                        p.add(
                            at(field),
                            format!(
                                "tooth {tooth} is skipped (missing): it carries no measurement"
                            ),
                        );
                    }
                };
                refuse("implant", self.implant);
                refuse("mobility", self.mobility.is_some());
                refuse("depth", given(&self.depth));
                refuse("margin", given(&self.margin));
                refuse("furcation", given(&self.furcation));
                refuse("bleeding", set(&self.bleeding));
                refuse("suppuration", set(&self.suppuration));
                refuse("plaque", set(&self.plaque));
                refuse("calculus", set(&self.calculus));
            } else if given(&self.furcation) && tooth.is_anterior() {
                p.add(
                    at("furcation"),
                    format!(
                        "tooth {tooth} is a front tooth: furcations are charted on back teeth only"
                    ),
                );
            } else if given(&self.furcation) && self.implant {
                p.add(
                    at("furcation"),
                    format!("tooth {tooth} is an implant: an implant has no furcation"),
                );
            }
        }
        let chart = || -> Option<PerioTooth> {
            if self.skipped {
                // Arrays of nulls and `false` are accepted on a missing tooth and not kept.
                let skipped = PerioTooth {
                    skipped: true,
                    ..PerioTooth::default()
                };
                return Some(skipped);
            }
            let (depth, margin, furcation) = (depth?, margin?, furcation?);
            let (bleeding, suppuration, plaque, calculus) =
                (bleeding?, suppuration?, plaque?, calculus?);
            Some(PerioTooth {
                skipped: false,
                implant: self.implant,
                mobility,
                depth,
                margin,
                bleeding,
                suppuration,
                plaque,
                calculus,
                furcation,
            })
        };
        (tooth, chart())
    }
}

/// Six optional numbers in `min..=max`; `Some([None; 6])` when the array was left out.
/// `None` when there was a problem (already added).
fn numbers(
    raw: &Option<Vec<Option<i64>>>,
    field: &str,
    min: i8,
    max: i8,
    p: &mut Problems,
    rule: &'static str,
) -> Option<[Option<i8>; 6]> {
    let mut out = [None; 6];
    let Some(values) = raw else {
        return Some(out);
    };
    if values.len() != 6 {
        p.add(field.to_string(), SITES_HINT);
        return None;
    }
    let mut ok = true;
    for (k, value) in values.iter().enumerate() {
        let Some(v) = value else { continue };
        match i8::try_from(*v).ok().filter(|v| (min..=max).contains(v)) {
            Some(v) => out[k] = Some(v),
            None => {
                p.add(format!("{field}[{k}]"), rule);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Six flags; `Some(None)` when left out, `None` when the array has the wrong length.
fn flags(raw: &Option<Vec<bool>>, field: &str, p: &mut Problems) -> Option<Option<[bool; 6]>> {
    let Some(values) = raw else {
        return Some(None);
    };
    match <[bool; 6]>::try_from(values.as_slice()) {
        Ok(set) => Some(Some(set)),
        Err(_) => {
            p.add(
                field.to_string(),
                "must list 6 sites in the order MB, B, DB, ML, L, DL (true or false)",
            );
            None
        }
    }
}

/// The order in which a hygienist calls out the numbers and the chart's cursor advances:
/// upper facial 1→16, upper lingual 16→1, lower lingual 17→32, lower facial 32→17; within
/// a tooth, its three sites of that side in the direction of travel (tooth 3 facial: DB, B,
/// MB; tooth 14 facial: MB, B, DB). All 192 sites, each once.
pub fn entry_order() -> Vec<(Tooth, PerioSite)> {
    use PerioSite::{Buccal, DistoBuccal, DistoLingual, Lingual, MesioBuccal, MesioLingual};
    let facial = [MesioBuccal, Buccal, DistoBuccal];
    let lingual = [MesioLingual, Lingual, DistoLingual];
    let passes: [(Vec<u8>, [PerioSite; 3]); 4] = [
        ((1..=16).collect(), facial),
        ((1..=16).rev().collect(), lingual),
        ((17..=32).collect(), lingual),
        ((17..=32).rev().collect(), facial),
    ];
    let mut order = Vec::with_capacity(192);
    for (teeth, [mesial, middle, distal]) in passes {
        let ascending = teeth.first() < teeth.last();
        for n in teeth {
            // Universal numbers run toward the midline in 1–8 and 17–24, away from it after.
            let rising_toward_midline = n <= 8 || (17..=24).contains(&n);
            let sites = if ascending == rising_toward_midline {
                [distal, middle, mesial]
            } else {
                [mesial, middle, distal]
            };
            order.extend(sites.map(|s| (Tooth::permanent(n), s)));
        }
    }
    order
}

impl PerioExam {
    /// [`entry_order`] without the skipped teeth: where the cursor goes on this exam.
    pub fn entry_order(&self) -> Vec<(Tooth, PerioSite)> {
        entry_order()
            .into_iter()
            .filter(|(t, _)| !self.teeth.get(t).is_some_and(|c| c.skipped))
            .collect()
    }

    fn sites(&self) -> impl Iterator<Item = (Tooth, &PerioTooth, PerioSite)> {
        self.teeth
            .iter()
            .filter(|(_, c)| !c.skipped)
            .flat_map(|(t, c)| PerioSite::ALL.iter().map(move |s| (*t, c, *s)))
    }
}

/// One site measured in two exams.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SiteChange {
    pub tooth: Tooth,
    pub site: PerioSite,
    pub depth_before: i8,
    pub depth_after: i8,
    /// `None` where the margin was not measured in that exam.
    pub cal_before: Option<i8>,
    pub cal_after: Option<i8>,
    /// Probing depth, or attachment loss where both exams have it, grew by
    /// [`WORSENING_MM`] or more.
    pub worsened: bool,
}

redacted_debug!(SiteChange);

/// Every site whose probing depth was measured in both exams, in tooth then site order.
pub fn compare(older: &PerioExam, newer: &PerioExam) -> Vec<SiteChange> {
    let mut changes = Vec::new();
    for (tooth, after, site) in newer.sites() {
        let Some(before) = older.teeth.get(&tooth).filter(|c| !c.skipped) else {
            continue;
        };
        let (Some(depth_before), Some(depth_after)) = (before.depth_at(site), after.depth_at(site))
        else {
            continue;
        };
        let cal_before = before.attachment_loss(site);
        let cal_after = after.attachment_loss(site);
        let cal_worse =
            matches!((cal_before, cal_after), (Some(b), Some(a)) if a - b >= WORSENING_MM);
        changes.push(SiteChange {
            tooth,
            site,
            depth_before,
            depth_after,
            cal_before,
            cal_after,
            worsened: depth_after - depth_before >= WORSENING_MM || cal_worse,
        });
    }
    changes
}

/// The share of sites that bled, in whole percent (rounded half up), among the sites of
/// charted, non-skipped teeth where bleeding was recorded; `None` when it was recorded
/// nowhere.
pub fn bleeding_percentage(exam: &PerioExam) -> Option<u8> {
    let recorded: Vec<bool> = exam
        .sites()
        .filter_map(|(_, c, s)| c.bleeding.map(|b| b[s.index()]))
        .collect();
    let total = recorded.len();
    if total == 0 {
        return None;
    }
    let bleeding = recorded.iter().filter(|b| **b).count();
    u8::try_from((bleeding * 100 + total / 2) / total).ok()
}

/// How many sites were probed `mm` deep or deeper.
pub fn sites_with_depth_at_least(exam: &PerioExam, mm: i8) -> usize {
    exam.sites()
        .filter(|(_, c, s)| c.depth_at(*s).is_some_and(|d| d >= mm))
        .count()
}

/// The figures at the top of a chart.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PerioSummary {
    /// Sites with a probing depth.
    pub probed_sites: usize,
    pub bleeding_percentage: Option<u8>,
    pub sites_4mm_or_more: usize,
    pub sites_6mm_or_more: usize,
}

redacted_debug!(PerioSummary);

pub fn summarize(exam: &PerioExam) -> PerioSummary {
    PerioSummary {
        probed_sites: sites_with_depth_at_least(exam, 0),
        bleeding_percentage: bleeding_percentage(exam),
        sites_4mm_or_more: sites_with_depth_at_least(exam, 4),
        sites_6mm_or_more: sites_with_depth_at_least(exam, 6),
    }
}
