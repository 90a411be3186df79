//! The practice's own list of procedure codes.
//!
//! Enamel ships no CDT code or nomenclature (the ADA's licence forbids redistributing them,
//! even inside seeds and tests): a practice imports the list it is licensed to use. The demo
//! and the tests use neutral codes that are obviously not CDT (`X1110 "Demo: periodic exam"`).

use serde::Deserialize;

use super::area::AreaType;
use crate::patient::{FieldProblem, Problems};

/// Letters and digits (and `.` or `-` inside), at most this long: CDT's `D0120`, local codes,
/// Open Dental's `N4101`.
pub const MAX_CODE_CHARS: usize = 15;
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// A fee's ceiling in minor units (999,999.99): a typo, not a dental fee, above it.
pub const MAX_FEE_MINOR: i64 = 99_999_999;

/// A code as submitted (a CSV row, an API body).
#[derive(Clone, Default, PartialEq, Eq, Deserialize, Debug)]
#[serde(deny_unknown_fields)]
pub struct ProcedureCodeDraft {
    pub code: String,
    pub description: String,
    pub area_type: String,
    /// Minor units (cents), or a decimal such as `125.00` from a file.
    #[serde(default)]
    pub default_fee: Option<String>,
}

/// A validated procedure code. Not PHI: the practice's price list.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ProcedureCode {
    pub code: String,
    pub description: String,
    pub area_type: AreaType,
    pub default_fee: i64,
}

/// The stored spelling of a code: upper case, no spaces around.
pub fn canonical_code(text: &str) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    let bytes = code.as_bytes();
    let ok = !bytes.is_empty()
        && bytes.len() <= MAX_CODE_CHARS
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'.' || *b == b'-');
    ok.then_some(code)
}

/// A money amount written as people write it (`125`, `125.5`, `125.00`, `1,250.00`) in
/// minor units. `None` for anything else, negative amounts included.
pub fn parse_decimal_money(text: &str) -> Option<i64> {
    let t = text.trim().replace(',', "");
    let t = t.strip_prefix('$').unwrap_or(&t);
    let (whole, fraction) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
        || fraction.len() > 2
        || whole.len() > 9
    {
        return None;
    }
    let whole: i64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let cents: i64 = match fraction.len() {
        0 => 0,
        1 => fraction.parse::<i64>().ok()? * 10,
        _ => fraction.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

impl ProcedureCodeDraft {
    pub fn validate(&self) -> Result<ProcedureCode, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let code = canonical_code(&self.code);
        if code.is_none() {
            p.add(
                "code",
                "must be 1 to 15 letters or digits (a dot or hyphen may separate them)",
            );
        }
        // Licensed lists write descriptions with semicolons, slashes and brackets: only
        // control characters are refused (every page escapes what it shows).
        let description = self
            .description
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let description = if description.is_empty() {
            p.add("description", "is required");
            None
        } else if description.chars().count() > MAX_DESCRIPTION_CHARS {
            p.add("description", "is too long (at most 200 characters)");
            None
        } else if description.chars().any(char::is_control) {
            p.add(
                "description",
                "contains characters that are not allowed in text",
            );
            None
        } else {
            Some(description)
        };
        let area_type = AreaType::parse(self.area_type.trim().to_ascii_lowercase().as_str());
        if area_type.is_none() {
            p.add(
                "area_type",
                "must be mouth, arch, quadrant, sextant, tooth, surface or tooth_range",
            );
        }
        let default_fee = match self.default_fee.as_deref().map(str::trim) {
            None | Some("") => Some(0),
            Some(text) => match parse_decimal_money(text) {
                Some(fee) if fee <= MAX_FEE_MINOR => Some(fee),
                _ => {
                    p.add(
                        "default_fee",
                        "must be an amount such as 125.00, at most 999999.99",
                    );
                    None
                }
            },
        };
        match (code, description, area_type, default_fee) {
            (Some(code), Some(description), Some(area_type), Some(default_fee)) if p.is_empty() => {
                Ok(ProcedureCode {
                    code,
                    description,
                    area_type,
                    default_fee,
                })
            }
            _ => Err(p.into_vec()),
        }
    }
}

/// The neutral codes of the demo and the tests: `X` and four digits, described as "Demo: …",
/// so nobody can mistake them for CDT.
pub fn demo_codes() -> Vec<ProcedureCode> {
    let rows: &[(&str, &str, AreaType, i64)] = &[
        ("X1110", "Demo: periodic exam", AreaType::Mouth, 6_500),
        ("X1120", "Demo: comprehensive exam", AreaType::Mouth, 11_000),
        (
            "X1210",
            "Demo: bitewing images, four",
            AreaType::Mouth,
            7_500,
        ),
        ("X1310", "Demo: adult cleaning", AreaType::Mouth, 12_000),
        (
            "X1410",
            "Demo: scaling and root planing",
            AreaType::Quadrant,
            24_000,
        ),
        (
            "X2110",
            "Demo: filling, one surface",
            AreaType::Surface,
            15_000,
        ),
        (
            "X2120",
            "Demo: filling, two surfaces",
            AreaType::Surface,
            19_500,
        ),
        (
            "X2130",
            "Demo: filling, three surfaces",
            AreaType::Surface,
            23_500,
        ),
        ("X2710", "Demo: crown", AreaType::Tooth, 120_000),
        ("X3310", "Demo: root canal, molar", AreaType::Tooth, 110_000),
        ("X6210", "Demo: bridge", AreaType::ToothRange, 310_000),
        ("X7110", "Demo: extraction", AreaType::Tooth, 18_000),
        ("X5110", "Demo: partial denture", AreaType::Arch, 160_000),
        (
            "X4910",
            "Demo: periodontal maintenance",
            AreaType::Sextant,
            9_000,
        ),
        ("X9110", "Demo: caries (condition)", AreaType::Surface, 0),
        (
            "X9120",
            "Demo: fractured tooth (condition)",
            AreaType::Tooth,
            0,
        ),
    ];
    rows.iter()
        .map(|(code, description, area_type, fee)| ProcedureCode {
            code: (*code).to_string(),
            description: (*description).to_string(),
            area_type: *area_type,
            default_fee: *fee,
        })
        .collect()
}
