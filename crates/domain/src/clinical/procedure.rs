//! Conditions and procedures: one timeline per patient, whose statuses are the chart.
//!
//! A procedure is planned, done (here or elsewhere), referred out, or a condition found; it
//! ends as entered in error when it should never have been charted. Completed work locks when
//! the practice's lock window has passed: after that it can only gain addenda or be marked
//! entered in error, with a reason.

use serde::Deserialize;
use time::Date;

use super::area::{Arch, AreaType, Sextant, Site};
use super::codes::{MAX_FEE_MINOR, ProcedureCode};
use super::teeth::{Quadrant, Surfaces, Tooth};
use crate::patient::{FieldProblem, Problems, blank_to_none, past_date};
use crate::text_enum::text_enum;

text_enum!(
    /// Where a charted procedure stands (Open Dental's TP, C, EC, EO, R, Cn and D).
    ProcedureStatus {
        Planned => "planned" ("Planned"),
        Completed => "completed" ("Completed"),
        ExistingCurrent => "existing_current" ("Existing, this office"),
        ExistingOther => "existing_other" ("Existing, elsewhere"),
        Referred => "referred" ("Referred out"),
        Condition => "condition" ("Condition"),
        EnteredInError => "entered_in_error" ("Entered in error"),
    }
);

impl ProcedureStatus {
    /// The statuses a new entry may have: "entered in error" is reached only by invalidating.
    pub fn may_be_charted(self) -> bool {
        self != ProcedureStatus::EnteredInError
    }

    /// Work that exists in the mouth (done here or elsewhere).
    pub fn is_done(self) -> bool {
        matches!(
            self,
            ProcedureStatus::Completed
                | ProcedureStatus::ExistingCurrent
                | ProcedureStatus::ExistingOther
        )
    }
}

/// At most this many diagnosis codes per procedure (a dental claim carries four).
pub const MAX_DIAGNOSES: usize = 4;
/// A procedure's note and an addendum: a few paragraphs.
pub const MAX_NOTE_CHARS: usize = 4_000;
/// A reason for marking a procedure entered in error.
pub const MAX_REASON_CHARS: usize = 500;

/// A procedure or condition as submitted. Which of `tooth`, `surfaces`, `area` and `teeth`
/// it needs depends on its code's area type.
#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProcedureDraft {
    pub code: String,
    /// `planned` when left out.
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub tooth: Option<String>,
    #[serde(default)]
    pub surfaces: Option<String>,
    /// `U`/`L` for an arch, `UR`/`UL`/`LL`/`LR` for a quadrant, `S1`–`S6` for a sextant.
    #[serde(default)]
    pub area: Option<String>,
    /// For a tooth range: two or more teeth of one arch.
    #[serde(default)]
    pub teeth: Option<Vec<String>>,
    #[serde(default)]
    pub provider_id: Option<String>,
    #[serde(default)]
    pub planned_on: Option<String>,
    #[serde(default)]
    pub completed_on: Option<String>,
    /// Minor units; the code's default fee when left out.
    #[serde(default)]
    pub fee: Option<i64>,
    #[serde(default)]
    pub diagnosis_codes: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

impl std::fmt::Debug for ProcedureDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProcedureDraft { .. }")
    }
}

/// A validated procedure, ready to be sealed.
#[derive(Clone, PartialEq, Eq)]
pub struct Procedure {
    pub code: String,
    /// The code's description when charted: kept with the procedure, so a later change to
    /// the practice's list does not rewrite the record.
    pub description: String,
    pub status: ProcedureStatus,
    pub site: Site,
    /// A staff account's id, checked against the practice by the caller.
    pub provider_id: Option<String>,
    pub planned_on: Date,
    pub completed_on: Option<Date>,
    pub fee: i64,
    pub diagnosis_codes: Vec<String>,
    pub note: Option<String>,
}

impl std::fmt::Debug for Procedure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Procedure")
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

impl ProcedureDraft {
    /// Validates against the code it names (looked up by the caller; `None` when the practice
    /// has no such code) and the practice's `today`. Every problem is reported at once.
    pub fn validate(
        &self,
        code: Option<&ProcedureCode>,
        today: Date,
    ) -> Result<Procedure, Vec<FieldProblem>> {
        let mut p = Problems::default();
        if code.is_none() {
            p.add(
                "code",
                "is not in this practice's procedure codes (import them with enamel import procedure-codes)",
            );
        }
        let status = match blank_to_none(self.status.as_deref()) {
            None => Some(ProcedureStatus::Planned),
            Some(s) => match ProcedureStatus::parse(&s.to_ascii_lowercase()) {
                Some(status) if status.may_be_charted() => Some(status),
                Some(_) => {
                    p.add(
                        "status",
                        "cannot be entered_in_error on a new entry (invalidate the entry instead)",
                    );
                    None
                }
                None => {
                    p.add(
                        "status",
                        "must be planned, completed, existing_current, existing_other, referred or condition",
                    );
                    None
                }
            },
        };
        let site = code.and_then(|c| self.site(c.area_type, &mut p));
        let planned_on = match blank_to_none(self.planned_on.as_deref()) {
            None => Some(today),
            Some(text) => past_date(text, "planned_on", today, &mut p),
        };
        let completed_on = match (status, blank_to_none(self.completed_on.as_deref())) {
            (Some(ProcedureStatus::Completed), None) => Some(today),
            (Some(s), Some(text)) if s.is_done() => past_date(text, "completed_on", today, &mut p),
            (_, None) => None,
            (Some(_), Some(_)) => {
                p.add("completed_on", "is only for completed or existing work");
                None
            }
            (None, Some(_)) => None,
        };
        let fee = match (self.fee, code) {
            (Some(fee), _) if (0..=MAX_FEE_MINOR).contains(&fee) => Some(fee),
            (Some(_), _) => {
                p.add("fee", "must be 0 to 99999999 (minor units, cents)");
                None
            }
            (None, Some(code)) => Some(code.default_fee),
            (None, None) => None,
        };
        let diagnosis_codes = diagnosis_codes(&self.diagnosis_codes, &mut p);
        let note = free_text(self.note.as_deref(), "note", MAX_NOTE_CHARS, &mut p);
        let provider_id = blank_to_none(self.provider_id.as_deref()).map(str::to_string);
        match (code, status, site, planned_on, fee) {
            (Some(code), Some(status), Some(site), Some(planned_on), Some(fee)) if p.is_empty() => {
                Ok(Procedure {
                    code: code.code.clone(),
                    description: code.description.clone(),
                    status,
                    site,
                    provider_id,
                    planned_on,
                    completed_on,
                    fee,
                    diagnosis_codes,
                    note,
                })
            }
            _ => Err(p.into_vec()),
        }
    }

    /// The site the code's area type asks for; fields it does not use must be left out.
    fn site(&self, area_type: AreaType, p: &mut Problems) -> Option<Site> {
        let tooth_text = blank_to_none(self.tooth.as_deref());
        let surfaces_text = blank_to_none(self.surfaces.as_deref());
        let area_text = blank_to_none(self.area.as_deref());
        let teeth = self.teeth.as_deref().filter(|t| !t.is_empty());
        let wants_tooth = matches!(area_type, AreaType::Tooth | AreaType::Surface);
        let mut unused = |field: &'static str, given: bool| {
            if given {
                p.add(
                    field,
                    format!(
                        "is not used by a code done on: {}",
                        area_type.label().to_lowercase()
                    ),
                );
            }
        };
        unused("tooth", tooth_text.is_some() && !wants_tooth);
        unused(
            "surfaces",
            surfaces_text.is_some() && area_type != AreaType::Surface,
        );
        unused(
            "area",
            area_text.is_some()
                && !matches!(
                    area_type,
                    AreaType::Arch | AreaType::Quadrant | AreaType::Sextant
                ),
        );
        unused(
            "teeth",
            teeth.is_some() && area_type != AreaType::ToothRange,
        );
        let tooth = if wants_tooth {
            match tooth_text {
                None => {
                    p.add("tooth", "is required for this code");
                    None
                }
                Some(text) => {
                    let tooth = Tooth::parse(text);
                    if tooth.is_none() {
                        p.add("tooth", not_a_tooth(text));
                    }
                    tooth
                }
            }
        } else {
            None
        };
        let area = |p: &mut Problems, kind: &'static str, parsed: Option<Site>| match area_text {
            None => {
                p.add("area", format!("is required for this code (the {kind})"));
                None
            }
            Some(_) if parsed.is_none() => {
                p.add("area", area_hint(kind));
                None
            }
            Some(_) => parsed,
        };
        let upper = area_text.map(str::to_ascii_uppercase);
        let upper = upper.as_deref().unwrap_or_default();
        match area_type {
            AreaType::Mouth => Some(Site::Mouth),
            AreaType::Arch => area(p, "arch", Arch::parse(upper).map(Site::Arch)),
            AreaType::Quadrant => area(p, "quadrant", Quadrant::parse(upper).map(Site::Quadrant)),
            AreaType::Sextant => area(p, "sextant", Sextant::parse(upper).map(Site::Sextant)),
            AreaType::Tooth => tooth.map(Site::Tooth),
            AreaType::Surface => {
                let tooth = tooth?;
                match surfaces_text {
                    None => {
                        p.add("surfaces", "are required for this code");
                        None
                    }
                    Some(text) => match Surfaces::parse_for(text, tooth) {
                        Ok(s) => Some(Site::Surfaces(tooth, s)),
                        Err(problem) => {
                            p.add("surfaces", problem.to_string());
                            None
                        }
                    },
                }
            }
            AreaType::ToothRange => tooth_range(teeth.unwrap_or_default(), p).map(Site::Teeth),
        }
    }
}

fn area_hint(kind: &str) -> &'static str {
    match kind {
        "arch" => "must be U (upper) or L (lower)",
        "quadrant" => "must be UR, UL, LL or LR",
        _ => "must be S1 to S6",
    }
}

/// Names the refused text when it is short and plain (a tooth number says nothing about who
/// the patient is); otherwise only says what a tooth looks like.
pub(super) fn not_a_tooth(text: &str) -> String {
    const RULE: &str = "teeth are 1–32, A–T, 51–82 or AS–TS (Universal numbering)";
    if text.len() <= 4 && text.chars().all(|c| c.is_ascii_alphanumeric()) {
        format!("tooth {} does not exist: {RULE}", text.to_ascii_uppercase())
    } else {
        format!("is not a tooth: {RULE}")
    }
}

/// Two to sixteen regular teeth of one arch and one dentition, each once; kept in Universal
/// order.
fn tooth_range(texts: &[String], p: &mut Problems) -> Option<Vec<Tooth>> {
    if texts.len() < 2 || texts.len() > 16 {
        p.add("teeth", "must name 2 to 16 teeth");
        return None;
    }
    let mut teeth = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        match Tooth::parse(text) {
            Some(t) if t.is_supernumerary() => {
                p.add(
                    format!("teeth[{i}]"),
                    "a range cannot hold a supernumerary tooth",
                );
                return None;
            }
            Some(t) => teeth.push(t),
            None => {
                p.add(format!("teeth[{i}]"), not_a_tooth(text));
                return None;
            }
        }
    }
    teeth.sort();
    teeth.dedup();
    if teeth.len() != texts.len() {
        p.add("teeth", "names a tooth twice");
        return None;
    }
    let first = teeth[0];
    if teeth
        .iter()
        .any(|t| t.is_upper() != first.is_upper() || t.is_primary() != first.is_primary())
    {
        p.add("teeth", "must all be in one arch and one dentition");
        return None;
    }
    Some(teeth)
}

/// ICD-10 codes as text (`K02.52`): a letter, two characters, then optionally a dot and up to
/// four more. Stored upper case with the dot.
fn diagnosis_codes(codes: &[String], p: &mut Problems) -> Vec<String> {
    if codes.len() > MAX_DIAGNOSES {
        p.add("diagnosis_codes", "holds at most 4 codes");
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, raw) in codes.iter().enumerate() {
        match icd10(raw) {
            Some(code) if !out.contains(&code) => out.push(code),
            Some(_) => p.add(format!("diagnosis_codes[{i}]"), "is named twice"),
            None => p.add(
                format!("diagnosis_codes[{i}]"),
                "must be an ICD-10 code such as K02.52",
            ),
        }
    }
    out
}

fn icd10(raw: &str) -> Option<String> {
    let compact: String = raw.trim().to_ascii_uppercase().replace('.', "");
    let b = compact.as_bytes();
    let ok = (3..=7).contains(&b.len())
        && b[0].is_ascii_uppercase()
        && b[1].is_ascii_digit()
        && b[2].is_ascii_alphanumeric()
        && b[3..].iter().all(u8::is_ascii_alphanumeric);
    if !ok {
        return None;
    }
    Some(if b.len() > 3 {
        format!("{}.{}", &compact[..3], &compact[3..])
    } else {
        compact
    })
}

/// Clinical free text: paragraphs allowed, control characters other than line breaks and
/// tabs refused, at most `max` characters; blank is `None`.
pub(crate) fn free_text(
    raw: Option<&str>,
    field: &'static str,
    max: usize,
    p: &mut Problems,
) -> Option<String> {
    let raw = raw?;
    // Counted as sent (an API document's maxLength), before spaces are trimmed.
    if raw.chars().count() > max {
        p.add(field, format!("is too long (at most {max} characters)"));
        return None;
    }
    let text = raw.trim();
    if text.is_empty() {
        return None;
    }
    // Browsers send a textarea's line breaks as CR LF; old systems as CR alone.
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        p.add(field, "contains characters that are not allowed in text");
        return None;
    }
    Some(text)
}

/// A required clinical text (an addendum, a reason).
pub fn required_text(
    raw: &str,
    field: &'static str,
    max: usize,
) -> Result<String, Vec<FieldProblem>> {
    let mut p = Problems::default();
    match free_text(Some(raw), field, max, &mut p) {
        Some(text) => Ok(text),
        None if p.is_empty() => Err(vec![FieldProblem::new(field, "is required")]),
        None => Err(p.into_vec()),
    }
}

/// A completion date: today when left out, never in the future.
pub fn completion_date(raw: Option<&str>, today: Date) -> Result<Date, Vec<FieldProblem>> {
    let mut p = Problems::default();
    match blank_to_none(raw) {
        None => Ok(today),
        Some(text) => past_date(text, "completed_on", today, &mut p).ok_or_else(|| p.into_vec()),
    }
}

/// Whether completed work is locked at `now_ms`: its lock instant (completion plus the
/// practice's window) has come.
pub fn is_locked(locks_at_ms: Option<i64>, now_ms: i64) -> bool {
    locks_at_ms.is_some_and(|at| at <= now_ms)
}
