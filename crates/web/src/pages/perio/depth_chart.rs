//! The depth chart under the sheet: one bar per probed site, side by side as on the sheet,
//! drawn on the server as inline SVG. Readable without colour: a pocket of 4–5 mm is a
//! striped bar and 6 mm or more a cross-hatched one with a heavier outline, each with its
//! number above it; the 4 and 6 mm lines are drawn and labelled, a bleeding site has a
//! ring under its bar, and each panel says in words how many sites reach 4 and 6 mm.

use enamel_domain::clinical::{Numbering, PerioExam, PerioSite, Tooth};

/// Pixels per millimetre, and the deepest pocket drawn to scale (deeper ones are clipped at
/// the top and still labelled with their number).
const MM: i32 = 6;
const SCALE_MM: i32 = 12;
const PITCH: i32 = 14;
const TOOTH_GAP: i32 = 6;
const LEFT: i32 = 36;
const TOP: i32 = 16;
const BASE: i32 = TOP + SCALE_MM * MM;
pub(super) const WIDTH: i32 = LEFT + 16 * (3 * PITCH + TOOTH_GAP) + 8;
pub(super) const HEIGHT: i32 = BASE + 34;

#[derive(Debug)]
pub(super) struct Bar {
    pub x: i32,
    pub y: i32,
    pub height: i32,
    /// `shallow`, `deep4` or `deep6`.
    pub class: &'static str,
    /// The depth written above a bar of 4 mm or more.
    pub label: Option<String>,
    pub bleeding: bool,
}

#[derive(Debug)]
pub(super) struct ToothMark {
    pub x: i32,
    pub label: String,
}

/// One side of one arch.
#[derive(Debug)]
pub(super) struct Panel {
    pub description: String,
    pub bars: Vec<Bar>,
    pub teeth: Vec<ToothMark>,
}

pub(super) struct Guides {
    pub base: i32,
    pub at4: i32,
    pub at6: i32,
    pub width: i32,
    pub height: i32,
    pub left: i32,
}

pub(super) const GUIDES: Guides = Guides {
    base: BASE,
    at4: BASE - 4 * MM,
    at6: BASE - 6 * MM,
    width: WIDTH,
    height: HEIGHT,
    left: LEFT,
};

fn sites_on_screen(tooth: u8, facial: bool) -> [PerioSite; 3] {
    use PerioSite::{Buccal, DistoBuccal, DistoLingual, Lingual, MesioBuccal, MesioLingual};
    let [mesial, middle, distal] = if facial {
        [MesioBuccal, Buccal, DistoBuccal]
    } else {
        [MesioLingual, Lingual, DistoLingual]
    };
    if tooth <= 8 || tooth >= 25 {
        [distal, middle, mesial]
    } else {
        [mesial, middle, distal]
    }
}

fn count_words(n: usize) -> String {
    match n {
        0 => "no site".into(),
        1 => "1 site".into(),
        n => format!("{n} sites"),
    }
}

/// The four panels: upper facial, upper lingual, lower lingual, lower facial.
pub(super) fn panels(exam: &PerioExam, numbering: Numbering) -> Vec<Panel> {
    let arches: [(bool, bool, &str); 4] = [
        (true, true, "Upper facial"),
        (true, false, "Upper lingual"),
        (false, false, "Lower lingual"),
        (false, true, "Lower facial"),
    ];
    arches
        .iter()
        .map(|(upper, facial, title)| {
            let teeth: Vec<u8> = if *upper {
                (1..=16).collect()
            } else {
                (17..=32).rev().collect()
            };
            let mut bars = Vec::new();
            let mut marks = Vec::new();
            let (mut four, mut six) = (0, 0);
            for (i, n) in teeth.iter().enumerate() {
                let x0 = LEFT + i32::try_from(i).unwrap_or(0) * (3 * PITCH + TOOTH_GAP);
                let tooth = Tooth::permanent(*n);
                marks.push(ToothMark {
                    x: x0 + 3 * PITCH / 2,
                    label: tooth.display(numbering),
                });
                let Some(chart) = exam.teeth.get(&tooth).filter(|c| !c.skipped) else {
                    continue;
                };
                for (j, site) in sites_on_screen(*n, *facial).into_iter().enumerate() {
                    let Some(depth) = chart.depth_at(site) else {
                        continue;
                    };
                    let depth = i32::from(depth);
                    let shown = depth.min(SCALE_MM);
                    let class = match depth {
                        d if d >= 6 => {
                            six += 1;
                            four += 1;
                            "deep6"
                        }
                        d if d >= 4 => {
                            four += 1;
                            "deep4"
                        }
                        _ => "shallow",
                    };
                    bars.push(Bar {
                        x: x0 + i32::try_from(j).unwrap_or(0) * PITCH + 2,
                        y: BASE - shown * MM,
                        height: shown * MM,
                        class,
                        label: (depth >= 4).then(|| depth.to_string()),
                        bleeding: chart.bleeds_at(site),
                    });
                }
            }
            Panel {
                description: format!(
                    "{title} probing depths: {} of 4 mm or more, {} of 6 mm or more.",
                    count_words(four),
                    count_words(six)
                ),
                bars,
                teeth: marks,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use enamel_domain::clinical::{PerioExamDraft, PerioToothDraft};

    use super::*;

    #[test]
    fn deep_pockets_are_told_by_pattern_number_and_words() {
        let exam = PerioExamDraft {
            teeth: vec![PerioToothDraft {
                tooth: "3".into(),
                depth: Some(vec![Some(7), Some(4), Some(2), None, None, None]),
                bleeding: Some(vec![true, false, false, false, false, false]),
                ..Default::default()
            }],
            ..Default::default()
        }
        .validate(time::macros::date!(2026 - 03 - 01))
        .unwrap();
        let panels = panels(&exam, Numbering::Universal);
        let facial = &panels[0];
        assert_eq!(
            facial.description,
            "Upper facial probing depths: 2 sites of 4 mm or more, 1 site of 6 mm or more."
        );
        let classes: Vec<&str> = facial.bars.iter().map(|b| b.class).collect();
        // Tooth 3 is on the patient's right: DB, B, MB left to right.
        assert_eq!(classes, ["shallow", "deep4", "deep6"]);
        assert_eq!(facial.bars[2].label.as_deref(), Some("7"));
        assert!(facial.bars[2].bleeding && !facial.bars[0].bleeding);
        assert!(panels[1].bars.is_empty());
    }
}
