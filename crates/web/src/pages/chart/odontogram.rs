//! The odontogram: every tooth drawn as five surface regions and a class V band, coloured by
//! what is charted there, with marks for work on the whole tooth. Pure: a chart in, the
//! shapes and words the template draws out (`templates/odontogram.html`).
//!
//! The chart is drawn as the dentist faces the patient: the patient's right on the left of
//! the screen, Universal 1–16 left to right along the top, 32–17 along the bottom. On each
//! tooth the region toward the lips or cheek is facial/buccal (above for upper teeth, below
//! for lower ones), the region toward the midline is mesial, the centre is occlusal or incisal,
//! and the class V band sits on the gum side.
//!
//! Colour is never the only sign: each status also has its own pattern (regions) and line
//! style (marks), and every tooth carries an `aria-label` that says what is charted on it.
//! A tooth's recorded state (missing, unerupted, impacted, an implant) is drawn in ink with a
//! shape of its own from the page's `<defs>` (`#m-<state>`), a short text mark where the shape
//! alone might be misread, and its label in the tooth's name.

use enamel_domain::clinical::{Numbering, ProcedureStatus, Site, Surfaces, Tooth, ToothState};

use super::labels::{status_words, surface_words, teeth_words};

/// Horizontal distance between neighbouring teeth, and the extra gap at the midline.
const PITCH: i32 = 44;
const MIDLINE_GAP: i32 = 10;
const LEFT: i32 = 24;
/// The top of the upper row's tooth squares, and of the lower row's.
const UPPER_Y: i32 = 34;
const LOWER_Y: i32 = 100;
/// The drawing's size (`viewBox`): 16 teeth, the midline gap and a margin either side.
pub(crate) const WIDTH: i32 = LEFT * 2 + 15 * PITCH + MIDLINE_GAP + 30;
pub(crate) const HEIGHT: i32 = 166;
/// The midline, halfway through its gap.
pub(crate) const MIDLINE_X: i32 = LEFT + 7 * PITCH + 30 + (PITCH - 30 + MIDLINE_GAP) / 2;

/// How a status is drawn: the key of its pattern (`#p-<key>`) and line style
/// (`.mark-<key>`). Existing work, here or elsewhere, is drawn alike; entered in error is not
/// drawn at all.
pub(crate) fn status_key(status: ProcedureStatus) -> Option<&'static str> {
    Some(match status {
        ProcedureStatus::Planned => "planned",
        ProcedureStatus::Completed => "completed",
        ProcedureStatus::ExistingCurrent | ProcedureStatus::ExistingOther => "existing",
        ProcedureStatus::Referred => "referred",
        ProcedureStatus::Condition => "condition",
        ProcedureStatus::EnteredInError => return None,
    })
}

/// What the chart says about one charted entry, as the odontogram needs it.
#[derive(Debug, Clone)]
pub(crate) struct Charted {
    pub status: ProcedureStatus,
    pub description: String,
    pub site: Site,
}

impl Charted {
    /// Tooth codes whose description says so take the tooth out (a cross; missing once done).
    /// The practice's codes carry no kind of their own, so the words decide.
    fn is_extraction(&self) -> bool {
        self.description.to_lowercase().contains("extract")
    }
}

/// One region of a tooth: which drawn shape, which surface letters it stands for, and the
/// key of what colours it (`None`: nothing charted there).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Region {
    /// `t`, `r`, `b`, `l`, `c` (the square's sides and centre), `vt`/`vb` (class V band above
    /// or below).
    pub shape: &'static str,
    /// The letter this region shows (`M`, `D`, `B` or `F`, `L`, `O` or `I`, `V`).
    pub surface: &'static str,
    pub status: Option<&'static str>,
}

/// A mark on the whole tooth: a ring (a crown, a root canal, a tooth-level condition) or a
/// cross (an extraction), in the style of its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mark {
    pub status: &'static str,
}

/// A tooth's recorded state as drawn: the key of its shape (`#m-<key>`), the short text mark
/// beside it (`U`, `Imp`), whether its surfaces are faded (not in the mouth), and its words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StateMark {
    pub key: &'static str,
    pub text: Option<&'static str>,
    pub faded: bool,
    pub label: &'static str,
}

impl StateMark {
    /// How a state is drawn; a present tooth has no mark.
    pub(crate) fn of(state: ToothState) -> Option<StateMark> {
        let (text, faded) = match state {
            ToothState::Present => return None,
            ToothState::Missing => (None, true),
            ToothState::Unerupted => (Some("U"), true),
            ToothState::Impacted => (Some("Imp"), true),
            ToothState::Implant => (None, false),
        };
        Some(StateMark {
            key: state.as_str(),
            text,
            faded,
            label: state.label(),
        })
    }
}

/// One tooth as drawn.
#[derive(Debug, Clone)]
pub(crate) struct ToothMark {
    /// The Universal number, for the form and the script (`data-tooth`).
    pub universal: String,
    /// The number as the practice reads it.
    pub label: String,
    /// What a screen reader says: "tooth 3, mesial and occlusal: planned Demo: filling, two
    /// surfaces".
    pub aria: String,
    pub x: i32,
    pub y: i32,
    pub upper: bool,
    /// Position for arrow keys: row 0 upper, 1 lower; column on the screen.
    pub row: u8,
    pub col: u8,
    pub regions: Vec<Region>,
    pub ring: Option<Mark>,
    pub cross: Option<Mark>,
    /// Its recorded state, when it is not simply present.
    pub state: Option<StateMark>,
    /// Not in the mouth: recorded missing, or extracted (an extraction completed here or
    /// elsewhere) with no state recorded.
    pub missing: bool,
    /// Anything charted on it.
    pub charted: bool,
    /// The tooth the charting form holds.
    pub selected: bool,
}

/// One dentition's drawing.
#[derive(Debug, Clone)]
pub(crate) struct Dentition {
    /// `permanent` or `primary`.
    pub id: &'static str,
    pub title: &'static str,
    pub teeth: Vec<ToothMark>,
    /// Anything charted on any of its teeth.
    pub charted: bool,
}

/// Work on more than one tooth or on an area, listed under the drawing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AreaWork {
    pub place: String,
    pub status: &'static str,
    pub status_label: &'static str,
    pub description: String,
}

/// The permanent and primary dentitions, and the work on areas and ranges.
#[derive(Debug, Clone)]
pub(crate) struct Odontogram {
    pub permanent: Dentition,
    pub primary: Dentition,
    pub areas: Vec<AreaWork>,
}

/// Draws the chart. `charted` in chart order (oldest first): where two entries cover the same
/// surface, the later one is shown, and both are named in the tooth's label. `states`: the
/// teeth that are not simply present (a supernumerary tooth's state is not drawn on its
/// neighbour; the page lists it).
pub(crate) fn draw(
    charted: &[Charted],
    states: &[(Tooth, ToothState)],
    numbering: Numbering,
    selected: Option<Tooth>,
) -> Odontogram {
    let live: Vec<&Charted> = charted
        .iter()
        .filter(|c| status_key(c.status).is_some())
        .collect();
    let mark = |t: Tooth| {
        let state = states.iter().find(|(s, _)| *s == t).map(|(_, s)| *s);
        tooth_mark(t, &live, state, numbering, selected)
    };
    let permanent: Vec<ToothMark> = Tooth::permanent_dentition().map(mark).collect();
    let primary: Vec<ToothMark> = Tooth::primary_dentition().map(mark).collect();
    let areas = live
        .iter()
        .filter_map(|c| {
            let place = match &c.site {
                Site::Tooth(_) | Site::Surfaces(..) => return None,
                Site::Teeth(teeth) => format!("Teeth {}", teeth_words(teeth, numbering)),
                Site::Mouth => "Whole mouth".to_string(),
                Site::Arch(a) => a.label().to_string(),
                Site::Quadrant(q) => format!("{} quadrant", q.label()),
                Site::Sextant(s) => s.label().to_string(),
            };
            Some(AreaWork {
                place,
                status: status_key(c.status)?,
                status_label: c.status.label(),
                description: c.description.clone(),
            })
        })
        .collect();
    Odontogram {
        permanent: Dentition {
            id: "permanent",
            title: "Permanent teeth",
            charted: permanent.iter().any(|t| t.charted),
            teeth: permanent,
        },
        primary: Dentition {
            id: "primary",
            title: "Primary teeth",
            charted: primary.iter().any(|t| t.charted),
            teeth: primary,
        },
        areas,
    }
}

/// The screen column (0 at the left) and whether the tooth is in the upper row. Primary
/// teeth sit under the permanent teeth they precede (columns 3–12).
fn place(tooth: Tooth) -> (u8, bool) {
    let (half, offset) = if tooth.is_primary() { (5, 3) } else { (8, 0) };
    let order = Tooth::permanent_dentition()
        .chain(Tooth::primary_dentition())
        .filter(|t| t.is_primary() == tooth.is_primary())
        .position(|t| t == tooth.base())
        .and_then(|p| u8::try_from(p).ok())
        .unwrap_or(0);
    let per_arch = half * 2;
    if order < per_arch {
        (order + offset, true)
    } else {
        // The lower arch is numbered from the patient's left: reversed on the screen.
        (per_arch * 2 - 1 - order + offset, false)
    }
}

fn tooth_mark(
    tooth: Tooth,
    live: &[&Charted],
    state: Option<ToothState>,
    numbering: Numbering,
    selected: Option<Tooth>,
) -> ToothMark {
    let (col, upper) = place(tooth);
    let midline_col = 8;
    let x = LEFT + i32::from(col) * PITCH + if col >= midline_col { MIDLINE_GAP } else { 0 };
    let y = if upper { UPPER_Y } else { LOWER_Y };
    // Teeth left of the midline on the screen (the patient's right) face it with their right
    // side.
    let mesial_right = col < midline_col;
    let (facial, lingual) = if upper { ("t", "b") } else { ("b", "t") };
    let (mesial, distal) = if mesial_right { ("r", "l") } else { ("l", "r") };
    let center_letters = if tooth.is_anterior() { "I" } else { "O" };
    let facial_letters = if tooth.is_anterior() { "F" } else { "B" };
    let mut regions = vec![
        Region {
            shape: mesial,
            surface: "M",
            status: None,
        },
        Region {
            shape: distal,
            surface: "D",
            status: None,
        },
        Region {
            shape: facial,
            surface: facial_letters,
            status: None,
        },
        Region {
            shape: lingual,
            surface: "L",
            status: None,
        },
        Region {
            shape: "c",
            surface: center_letters,
            status: None,
        },
        Region {
            shape: if upper { "vt" } else { "vb" },
            surface: "V",
            status: None,
        },
    ];
    let mut ring = None;
    let mut cross = None;
    let mut missing = false;
    let mut said = Vec::new();
    for c in live {
        let Some(key) = status_key(c.status) else {
            continue;
        };
        let what = format!("{} {}", status_words(c.status), c.description);
        match &c.site {
            Site::Surfaces(t, surfaces) if *t == tooth => {
                for region in &mut regions {
                    if covers(region, *surfaces) {
                        region.status = Some(key);
                    }
                }
                said.push(format!("{}: {what}", surface_words(*surfaces)));
            }
            Site::Tooth(t) if *t == tooth => {
                if c.is_extraction() {
                    cross = Some(Mark { status: key });
                    missing = c.status.is_done();
                } else {
                    ring = Some(Mark { status: key });
                }
                said.push(format!("whole tooth: {what}"));
            }
            Site::Teeth(teeth) if teeth.contains(&tooth) => {
                said.push(format!(
                    "with teeth {}: {what}",
                    teeth_words(teeth, numbering)
                ));
            }
            _ => {}
        }
    }
    // A recorded state is the last word on what the tooth is (an implant where a tooth was
    // extracted is no longer missing); the extraction stays drawn as charted work.
    let state = state.and_then(StateMark::of);
    if let Some(s) = state {
        missing = s.key == "missing";
    }
    let label = tooth.display(numbering);
    let mut aria = format!("tooth {label}");
    match state {
        Some(s) => {
            aria.push_str(", ");
            aria.push_str(s.label);
        }
        None if missing => aria.push_str(", missing"),
        None => {}
    }
    if said.is_empty() {
        aria.push_str(", nothing charted");
    } else {
        aria.push_str(", ");
        aria.push_str(&said.join("; "));
    }
    ToothMark {
        universal: tooth.to_string(),
        label,
        aria,
        x,
        y,
        upper,
        row: u8::from(!upper),
        col,
        charted: !said.is_empty(),
        regions,
        ring,
        cross,
        state,
        missing,
        selected: selected == Some(tooth),
    }
}

/// Whether a region shows one of the surfaces.
fn covers(region: &Region, surfaces: Surfaces) -> bool {
    surfaces.iter().any(|s| region.surface.contains(s.as_str()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn filling(tooth: u8, surfaces: &str, status: ProcedureStatus) -> Charted {
        let t = Tooth::permanent(tooth);
        Charted {
            status,
            description: "Demo: filling, two surfaces".into(),
            site: Site::Surfaces(t, Surfaces::parse_for(surfaces, t).unwrap()),
        }
    }

    fn tooth_of(o: &Odontogram, universal: &str) -> ToothMark {
        o.permanent
            .teeth
            .iter()
            .chain(&o.primary.teeth)
            .find(|t| t.universal == universal)
            .unwrap()
            .clone()
    }

    fn shown(t: &ToothMark) -> Vec<(&'static str, &'static str)> {
        t.regions
            .iter()
            .filter_map(|r| r.status.map(|s| (r.surface, s)))
            .collect()
    }

    #[test]
    fn the_rows_run_as_the_dentist_faces_the_patient() {
        let o = draw(&[], &[], Numbering::Universal, None);
        let row = |upper: bool, d: &Dentition| -> Vec<String> {
            let mut teeth: Vec<&ToothMark> = d.teeth.iter().filter(|t| t.upper == upper).collect();
            teeth.sort_by_key(|t| t.col);
            teeth.iter().map(|t| t.universal.clone()).collect()
        };
        let upper: Vec<String> = (1..=16).map(|n| n.to_string()).collect();
        let lower: Vec<String> = (17..=32).rev().map(|n| n.to_string()).collect();
        assert_eq!(row(true, &o.permanent), upper);
        assert_eq!(row(false, &o.permanent), lower);
        assert_eq!(row(true, &o.primary).concat(), "ABCDEFGHIJ");
        assert_eq!(row(false, &o.primary).concat(), "TSRQPONMLK");
        // A primary tooth sits under the permanent tooth that replaces it.
        assert_eq!(tooth_of(&o, "A").col, tooth_of(&o, "4").col);
        assert_eq!(tooth_of(&o, "T").col, tooth_of(&o, "29").col);
        assert!(tooth_of(&o, "16").x + 30 < WIDTH);
        assert!(tooth_of(&o, "8").x + 30 < MIDLINE_X && MIDLINE_X < tooth_of(&o, "9").x);
    }

    #[test]
    fn surfaces_land_on_their_side_of_the_tooth() {
        let o = draw(
            &[
                filling(3, "MO", ProcedureStatus::Planned),
                filling(14, "DB", ProcedureStatus::Completed),
                filling(30, "LV", ProcedureStatus::Condition),
            ],
            &[],
            Numbering::Universal,
            None,
        );
        let t3 = tooth_of(&o, "3");
        assert_eq!(shown(&t3), [("M", "planned"), ("O", "planned")]);
        // Tooth 3 is left of the midline on the screen: mesial is its right side.
        assert_eq!(t3.regions[0].shape, "r");
        assert_eq!(
            t3.aria,
            "tooth 3, mesial and occlusal: planned Demo: filling, two surfaces"
        );
        let t14 = tooth_of(&o, "14");
        assert_eq!(shown(&t14), [("D", "completed"), ("B", "completed")]);
        assert_eq!((t14.regions[1].shape, t14.regions[2].shape), ("r", "t"));
        let t30 = tooth_of(&o, "30");
        assert_eq!(shown(&t30), [("L", "condition"), ("V", "condition")]);
        assert_eq!((t30.regions[3].shape, t30.regions[5].shape), ("t", "vb"));
        assert_eq!(tooth_of(&o, "8").regions[4].surface, "I");
        assert_eq!(tooth_of(&o, "4").aria, "tooth 4, nothing charted");
    }

    #[test]
    fn the_later_entry_shows_and_entered_in_error_is_not_drawn() {
        let o = draw(
            &[
                filling(3, "MO", ProcedureStatus::ExistingOther),
                filling(3, "O", ProcedureStatus::Planned),
                filling(3, "MOD", ProcedureStatus::EnteredInError),
            ],
            &[],
            Numbering::Universal,
            None,
        );
        let t3 = tooth_of(&o, "3");
        assert_eq!(shown(&t3), [("M", "existing"), ("O", "planned")]);
        assert_eq!(
            t3.aria,
            "tooth 3, mesial and occlusal: existing, elsewhere Demo: filling, two surfaces; occlusal: planned Demo: filling, two surfaces"
        );
    }

    #[test]
    fn whole_tooth_work_is_a_ring_and_extractions_a_cross() {
        let tooth = |n: u8, description: &str, status| Charted {
            status,
            description: description.into(),
            site: Site::Tooth(Tooth::permanent(n)),
        };
        let o = draw(
            &[
                tooth(3, "Demo: crown", ProcedureStatus::Planned),
                tooth(17, "Demo: extraction", ProcedureStatus::Completed),
                tooth(1, "Demo: extraction", ProcedureStatus::Planned),
                Charted {
                    status: ProcedureStatus::Planned,
                    description: "Demo: bridge".into(),
                    site: Site::Teeth(vec![
                        Tooth::permanent(3),
                        Tooth::permanent(4),
                        Tooth::permanent(5),
                    ]),
                },
            ],
            &[],
            Numbering::Fdi,
            Some(Tooth::permanent(3)),
        );
        let t3 = tooth_of(&o, "3");
        assert_eq!(t3.ring, Some(Mark { status: "planned" }));
        assert!(t3.selected && !tooth_of(&o, "4").selected);
        assert_eq!(t3.label, "16");
        assert_eq!(
            t3.aria,
            "tooth 16, whole tooth: planned Demo: crown; with teeth 16 to 14: planned Demo: bridge"
        );
        let t17 = tooth_of(&o, "17");
        assert!(t17.missing);
        assert_eq!(
            t17.cross,
            Some(Mark {
                status: "completed"
            })
        );
        assert_eq!(
            t17.aria,
            "tooth 38, missing, whole tooth: completed Demo: extraction"
        );
        let t1 = tooth_of(&o, "1");
        assert!(
            !t1.missing,
            "a planned extraction leaves the tooth in place"
        );
        assert_eq!(t1.cross, Some(Mark { status: "planned" }));
        assert_eq!(
            o.areas,
            [AreaWork {
                place: "Teeth 16 to 14".into(),
                status: "planned",
                status_label: "Planned",
                description: "Demo: bridge".into(),
            }]
        );
    }

    #[test]
    fn a_recorded_state_is_drawn_and_said_and_outranks_an_extraction() {
        let tooth = |t: &str| Tooth::parse(t).unwrap();
        let extraction = Charted {
            status: ProcedureStatus::Completed,
            description: "Demo: extraction".into(),
            site: Site::Tooth(tooth("17")),
        };
        let o = draw(
            &[extraction],
            &[
                (tooth("1"), ToothState::Missing),
                (tooth("17"), ToothState::Implant),
                (tooth("A"), ToothState::Unerupted),
                (tooth("32"), ToothState::Impacted),
                (tooth("52"), ToothState::Missing),
            ],
            Numbering::Fdi,
            None,
        );
        let t1 = tooth_of(&o, "1");
        assert_eq!(t1.state.map(|s| (s.key, s.text)), Some(("missing", None)));
        assert!(t1.missing);
        assert_eq!(t1.aria, "tooth 18, Missing, nothing charted");
        let t17 = tooth_of(&o, "17");
        assert_eq!(t17.state.map(|s| s.key), Some("implant"));
        assert!(!t17.missing, "an implant where a tooth was extracted");
        assert!(t17.cross.is_some(), "the extraction is still drawn");
        assert_eq!(
            t17.aria,
            "tooth 38, Implant, whole tooth: completed Demo: extraction"
        );
        let a = tooth_of(&o, "A");
        assert_eq!(a.state.map(|s| (s.text, s.faded)), Some((Some("U"), true)));
        assert_eq!(a.aria, "tooth 55, Unerupted, nothing charted");
        assert_eq!(tooth_of(&o, "32").state.and_then(|s| s.text), Some("Imp"));
        assert!(
            tooth_of(&o, "2").state.is_none(),
            "a supernumerary tooth's state is not its neighbour's"
        );
        assert_eq!(StateMark::of(ToothState::Present), None);
    }
}
