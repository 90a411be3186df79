//! Where in the mouth a procedure is done: the whole mouth, an arch, a quadrant, a sextant,
//! one tooth (with or without surfaces) or a range of teeth. Which of these a procedure needs
//! is decided by its code's area type.

use std::fmt;

use super::teeth::{Quadrant, Surfaces, Tooth};
use crate::text_enum::text_enum;

text_enum!(
    /// What a procedure code is done on (Open Dental's treatment area).
    AreaType {
        Mouth => "mouth" ("Whole mouth"),
        Arch => "arch" ("Arch"),
        Quadrant => "quadrant" ("Quadrant"),
        Sextant => "sextant" ("Sextant"),
        Tooth => "tooth" ("Tooth"),
        Surface => "surface" ("Tooth surfaces"),
        ToothRange => "tooth_range" ("Range of teeth"),
    }
);

text_enum!(
    /// The upper or the lower jaw.
    Arch {
        Upper => "U" ("Upper arch"),
        Lower => "L" ("Lower arch"),
    }
);

text_enum!(
    /// A sixth of the mouth, in Universal order: upper right back teeth (1–5), upper front
    /// (6–11), upper left back (12–16), lower left back (17–21), lower front (22–27), lower
    /// right back (28–32).
    Sextant {
        S1 => "S1" ("Upper right sextant"),
        S2 => "S2" ("Upper front sextant"),
        S3 => "S3" ("Upper left sextant"),
        S4 => "S4" ("Lower left sextant"),
        S5 => "S5" ("Lower front sextant"),
        S6 => "S6" ("Lower right sextant"),
    }
);

/// The site of one procedure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    Mouth,
    Arch(Arch),
    Quadrant(Quadrant),
    Sextant(Sextant),
    Tooth(Tooth),
    Surfaces(Tooth, Surfaces),
    /// Two or more teeth of one arch (a bridge, a partial denture), in Universal order.
    Teeth(Vec<Tooth>),
}

impl Site {
    /// The tooth the site is on, if it is on one tooth.
    pub fn tooth(&self) -> Option<Tooth> {
        match self {
            Site::Tooth(t) | Site::Surfaces(t, _) => Some(*t),
            _ => None,
        }
    }

    pub fn surfaces(&self) -> Option<Surfaces> {
        match self {
            Site::Surfaces(_, s) => Some(*s),
            _ => None,
        }
    }

    /// Every tooth the site names (one, several, or none for an area).
    pub fn teeth(&self) -> Vec<Tooth> {
        match self {
            Site::Tooth(t) | Site::Surfaces(t, _) => vec![*t],
            Site::Teeth(teeth) => teeth.clone(),
            _ => Vec::new(),
        }
    }

    /// The area's text (`U`, `UR`, `S2`), for arch, quadrant and sextant sites.
    pub fn area(&self) -> Option<&'static str> {
        match self {
            Site::Arch(a) => Some(a.as_str()),
            Site::Quadrant(q) => Some(q.as_str()),
            Site::Sextant(s) => Some(s.as_str()),
            _ => None,
        }
    }

    /// Rebuilds a site from its stored parts (each in canonical form); `None` when they do not
    /// make one, which for a stored value means it was damaged.
    pub fn from_parts(
        area_type: AreaType,
        tooth: Option<&str>,
        surfaces: Option<&str>,
        area: Option<&str>,
        teeth: &[String],
    ) -> Option<Site> {
        Some(match area_type {
            AreaType::Mouth => Site::Mouth,
            AreaType::Arch => Site::Arch(Arch::parse(area?)?),
            AreaType::Quadrant => Site::Quadrant(Quadrant::parse(area?)?),
            AreaType::Sextant => Site::Sextant(Sextant::parse(area?)?),
            AreaType::Tooth => Site::Tooth(Tooth::parse(tooth?)?),
            AreaType::Surface => {
                let tooth = Tooth::parse(tooth?)?;
                Site::Surfaces(tooth, Surfaces::parse_for(surfaces?, tooth).ok()?)
            }
            AreaType::ToothRange => Site::Teeth(
                teeth
                    .iter()
                    .map(|t| Tooth::parse(t))
                    .collect::<Option<Vec<_>>>()?,
            ),
        })
    }

    pub fn area_type(&self) -> AreaType {
        match self {
            Site::Mouth => AreaType::Mouth,
            Site::Arch(_) => AreaType::Arch,
            Site::Quadrant(_) => AreaType::Quadrant,
            Site::Sextant(_) => AreaType::Sextant,
            Site::Tooth(_) => AreaType::Tooth,
            Site::Surfaces(..) => AreaType::Surface,
            Site::Teeth(_) => AreaType::ToothRange,
        }
    }
}

/// How people read a site: `3 MO`, `UR`, `6–11`, `mouth`.
impl fmt::Display for Site {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Site::Mouth => f.write_str("mouth"),
            Site::Tooth(t) => write!(f, "{t}"),
            Site::Surfaces(t, s) => write!(f, "{t} {s}"),
            Site::Teeth(teeth) => {
                let names: Vec<String> = teeth.iter().map(Tooth::to_string).collect();
                f.write_str(&names.join(","))
            }
            other => f.write_str(other.area().unwrap_or_default()),
        }
    }
}
