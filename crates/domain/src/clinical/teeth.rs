//! Teeth and their surfaces, stored in US Universal numbering and shown in FDI (ISO 3950)
//! where a practice prefers it.
//!
//! Universal: permanent teeth `1`–`32` (upper right third molar round to lower right third
//! molar), primary teeth `A`–`T` in the same order, supernumerary teeth as the neighbouring
//! tooth plus 50 (`51`–`82`) or with an `S` (`AS`–`TS`). One spelling per tooth, upper case.

use std::fmt;

use crate::text_enum::text_enum;

/// One tooth, in canonical Universal form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tooth {
    /// The position in the arch order of its dentition: 1–32 permanent, 1–20 primary.
    position: u8,
    primary: bool,
    supernumerary: bool,
}

/// How a practice reads tooth numbers on its screens; storage is always Universal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Numbering {
    #[default]
    Universal,
    /// FDI World Dental Federation / ISO 3950: quadrant digit then tooth digit (`18`, `55`).
    Fdi,
}

impl Numbering {
    pub const ALL: &'static [Numbering] = &[Numbering::Universal, Numbering::Fdi];

    pub fn as_str(self) -> &'static str {
        match self {
            Numbering::Universal => "universal",
            Numbering::Fdi => "fdi",
        }
    }

    pub fn parse(text: &str) -> Option<Numbering> {
        Numbering::ALL.iter().copied().find(|n| n.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Numbering::Universal => "Universal (1–32, A–T)",
            Numbering::Fdi => "FDI / ISO 3950 (11–48, 51–85)",
        }
    }
}

const PRIMARY_LETTERS: &[u8; 20] = b"ABCDEFGHIJKLMNOPQRST";

impl Tooth {
    /// Parses a Universal tooth number. Leading and trailing spaces and lower-case letters
    /// are accepted; anything else that is not a tooth is `None`.
    pub fn parse(text: &str) -> Option<Tooth> {
        let t = text.trim().to_ascii_uppercase();
        let bytes = t.as_bytes();
        match bytes {
            [letter] | [letter, b'S'] if letter.is_ascii_uppercase() => {
                let index = PRIMARY_LETTERS.iter().position(|l| l == letter)?;
                Some(Tooth {
                    position: u8::try_from(index + 1).ok()?,
                    primary: true,
                    supernumerary: bytes.len() == 2,
                })
            }
            _ if !bytes.is_empty()
                && bytes.len() <= 2
                && bytes.iter().all(u8::is_ascii_digit)
                && bytes[0] != b'0' =>
            {
                let n: u8 = t.parse().ok()?;
                match n {
                    1..=32 => Some(Tooth::permanent(n)),
                    51..=82 => Some(Tooth {
                        position: n - 50,
                        primary: false,
                        supernumerary: true,
                    }),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// Permanent tooth `n` (1–32). Panics on anything else: for constants and tests.
    #[allow(clippy::panic)]
    pub const fn permanent(n: u8) -> Tooth {
        if n < 1 || n > 32 {
            panic!("a permanent tooth is numbered 1 to 32");
        }
        Tooth {
            position: n,
            primary: false,
            supernumerary: false,
        }
    }

    /// The 32 permanent teeth in Universal order.
    pub fn permanent_dentition() -> impl Iterator<Item = Tooth> {
        (1..=32).map(Tooth::permanent)
    }

    /// The 20 primary teeth in Universal order.
    pub fn primary_dentition() -> impl Iterator<Item = Tooth> {
        (1..=20).map(|position| Tooth {
            position,
            primary: true,
            supernumerary: false,
        })
    }

    pub fn is_primary(self) -> bool {
        self.primary
    }

    pub fn is_supernumerary(self) -> bool {
        self.supernumerary
    }

    /// The regular tooth a supernumerary one sits beside (itself otherwise).
    pub fn base(self) -> Tooth {
        Tooth {
            supernumerary: false,
            ..self
        }
    }

    /// Upper arch: Universal 1–16 and A–J.
    pub fn is_upper(self) -> bool {
        self.position <= if self.primary { 10 } else { 16 }
    }

    /// Incisors and canines: 6–11 and 22–27; C–H and M–R. Only these have incisal (I) and
    /// facial (F) surfaces; the others have occlusal (O) and buccal (B).
    pub fn is_anterior(self) -> bool {
        let p = self.position;
        if self.primary {
            (3..=8).contains(&p) || (13..=18).contains(&p)
        } else {
            (6..=11).contains(&p) || (22..=27).contains(&p)
        }
    }

    pub fn is_posterior(self) -> bool {
        !self.is_anterior()
    }

    /// The quadrant: upper right, upper left, lower left, lower right (Universal order).
    pub fn quadrant(self) -> Quadrant {
        let half = if self.primary { 5 } else { 8 };
        match (self.position - 1) / half {
            0 => Quadrant::UpperRight,
            1 => Quadrant::UpperLeft,
            2 => Quadrant::LowerLeft,
            _ => Quadrant::LowerRight,
        }
    }

    /// The FDI (ISO 3950) two-digit designation: `18`–`11`, `21`–`28`, `38`–`31`, `41`–`48`
    /// for permanent teeth, `55`–`85` for primary ones. A supernumerary tooth is its
    /// neighbour's number with `s` (ISO 3950 itself numbers none).
    pub fn fdi(self) -> String {
        let half = if self.primary { 5 } else { 8 };
        let quadrant = self.quadrant();
        let index = (self.position - 1) % half; // 0 = the tooth nearest the arch's start
        let digit = match quadrant {
            // Universal runs from the distal end on the right, from the midline on the left.
            Quadrant::UpperRight | Quadrant::LowerLeft => half - index,
            Quadrant::UpperLeft | Quadrant::LowerRight => index + 1,
        };
        let quadrant_digit = match (quadrant, self.primary) {
            (Quadrant::UpperRight, false) => 1,
            (Quadrant::UpperLeft, false) => 2,
            (Quadrant::LowerLeft, false) => 3,
            (Quadrant::LowerRight, false) => 4,
            (Quadrant::UpperRight, true) => 5,
            (Quadrant::UpperLeft, true) => 6,
            (Quadrant::LowerLeft, true) => 7,
            (Quadrant::LowerRight, true) => 8,
        };
        let suffix = if self.supernumerary { "s" } else { "" };
        format!("{quadrant_digit}{digit}{suffix}")
    }

    /// The number as the practice reads it.
    pub fn display(self, numbering: Numbering) -> String {
        match numbering {
            Numbering::Universal => self.to_string(),
            Numbering::Fdi => self.fdi(),
        }
    }
}

/// The canonical Universal spelling, which is also the stored form.
impl fmt::Display for Tooth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.primary {
            let letter = char::from(PRIMARY_LETTERS[usize::from(self.position - 1)]);
            let s = if self.supernumerary { "S" } else { "" };
            write!(f, "{letter}{s}")
        } else if self.supernumerary {
            write!(f, "{}", self.position + 50)
        } else {
            write!(f, "{}", self.position)
        }
    }
}

text_enum!(
    /// A quarter of the mouth, in Universal order.
    Quadrant {
        UpperRight => "UR" ("Upper right"),
        UpperLeft => "UL" ("Upper left"),
        LowerLeft => "LL" ("Lower left"),
        LowerRight => "LR" ("Lower right"),
    }
);

text_enum!(
    /// A surface of a tooth. The canonical order (`ALL`) is M O I D B F V L, the order claims
    /// and charts write them in.
    Surface {
        Mesial => "M" ("Mesial"),
        Occlusal => "O" ("Occlusal"),
        Incisal => "I" ("Incisal"),
        Distal => "D" ("Distal"),
        Buccal => "B" ("Buccal"),
        Facial => "F" ("Facial"),
        ClassV => "V" ("Class V (cervical)"),
        Lingual => "L" ("Lingual"),
    }
);

/// A set of surfaces of one tooth, kept in canonical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Surfaces(u8);

/// Why a surface text was refused; the message names the letter and the tooth, which say
/// nothing about who the patient is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SurfaceProblem {
    Empty,
    NotASurface(char),
    Repeated(char),
    WrongForTooth { surface: Surface, tooth: Tooth },
}

impl fmt::Display for SurfaceProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SurfaceProblem::Empty => {
                f.write_str("name at least one surface (M, O, I, D, B, F, V or L)")
            }
            SurfaceProblem::NotASurface(c) if c.is_ascii_graphic() => {
                write!(f, "{c} is not a surface: use M, O, I, D, B, F, V or L")
            }
            SurfaceProblem::NotASurface(_) => {
                f.write_str("surfaces are letters among M, O, I, D, B, F, V and L")
            }
            SurfaceProblem::Repeated(c) => write!(f, "surface {c} is named twice"),
            SurfaceProblem::WrongForTooth { surface, tooth } => {
                let which = if tooth.is_anterior() {
                    "a front tooth (use I or F there)"
                } else {
                    "a back tooth (use O or B there)"
                };
                write!(
                    f,
                    "surface {surface} on tooth {tooth}: tooth {tooth} is {which}"
                )
            }
        }
    }
}

impl Surfaces {
    /// Parses letters such as `MOD` (any order, either case) and checks them against the
    /// tooth: O and B only on back teeth, I and F only on front teeth; V (class V) and M, D, L
    /// on any.
    pub fn parse_for(text: &str, tooth: Tooth) -> Result<Surfaces, SurfaceProblem> {
        let mut set = Surfaces::default();
        for c in text.trim().chars() {
            let surface = Surface::parse(&c.to_ascii_uppercase().to_string())
                .ok_or(SurfaceProblem::NotASurface(c))?;
            if set.contains(surface) {
                return Err(SurfaceProblem::Repeated(c.to_ascii_uppercase()));
            }
            let fits = match surface {
                Surface::Occlusal | Surface::Buccal => tooth.is_posterior(),
                Surface::Incisal | Surface::Facial => tooth.is_anterior(),
                _ => true,
            };
            if !fits {
                return Err(SurfaceProblem::WrongForTooth { surface, tooth });
            }
            set.0 |= 1 << surface_bit(surface);
        }
        if set.is_empty() {
            return Err(SurfaceProblem::Empty);
        }
        Ok(set)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, surface: Surface) -> bool {
        self.0 & (1 << surface_bit(surface)) != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Surface> {
        Surface::ALL
            .iter()
            .copied()
            .filter(move |s| self.contains(*s))
    }

    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
}

fn surface_bit(surface: Surface) -> u8 {
    // `ALL` is the canonical order, so a set prints in that order.
    Surface::ALL
        .iter()
        .position(|s| *s == surface)
        .and_then(|i| u8::try_from(i).ok())
        .unwrap_or(0)
}

/// The canonical spelling: `MOD`, `DL`, `V`.
impl fmt::Display for Surfaces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.iter() {
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

text_enum!(
    /// What a tooth is: simply there (`present`, what every tooth is until charted otherwise),
    /// or not (missing, unerupted, impacted), or replaced by an implant.
    ToothState {
        Present => "present" ("Present"),
        Missing => "missing" ("Missing"),
        Unerupted => "unerupted" ("Unerupted"),
        Impacted => "impacted" ("Impacted"),
        Implant => "implant" ("Implant"),
    }
);
