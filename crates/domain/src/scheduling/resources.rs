//! What the schedule is made of: providers (dentists and hygienists), operatories (chairs)
//! and appointment types. None of it is PHI: these are the practice's own people and rooms.

use time::Date;

use super::Pattern;
use crate::FieldProblem;
use crate::clinical::{optional_id, required_line};
use crate::patient::{Problems, blank_to_none};
use crate::text_enum::text_enum;

text_enum!(
    /// A provider's specialty, as the ADA recognises them (plus hygiene).
    Specialty {
        General => "general" ("General dentistry"),
        Endodontics => "endodontics" ("Endodontics"),
        Orthodontics => "orthodontics" ("Orthodontics"),
        Pediatric => "pediatric" ("Pediatric dentistry"),
        Periodontics => "periodontics" ("Periodontics"),
        Prosthodontics => "prosthodontics" ("Prosthodontics"),
        OralSurgery => "oral_surgery" ("Oral and maxillofacial surgery"),
        OralPathology => "oral_pathology" ("Oral and maxillofacial pathology"),
        OralRadiology => "oral_radiology" ("Oral and maxillofacial radiology"),
        OralMedicine => "oral_medicine" ("Oral medicine"),
        OrofacialPain => "orofacial_pain" ("Orofacial pain"),
        Anesthesiology => "anesthesiology" ("Dental anesthesiology"),
        PublicHealth => "public_health" ("Dental public health"),
        Hygiene => "hygiene" ("Dental hygiene"),
    }
);

/// A provider as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderDraft {
    pub family_name: String,
    pub given_name: String,
    /// Short name on the schedule (`DDS1`, `HYG2`): unique in the practice.
    pub abbreviation: String,
    /// `#rrggbb`: the provider's colour on the schedule.
    pub colour: String,
    /// The National Provider Identifier (10 digits), when the provider has one.
    pub npi: Option<String>,
    pub specialty: String,
    pub is_hygienist: bool,
    /// `YYYY-MM-DD`: first and last day the provider may be booked.
    pub active_from: Option<String>,
    pub active_to: Option<String>,
    /// The staff account of this provider, when they sign in.
    pub user_id: Option<String>,
    /// The week's working hours: (weekday, start, end), such as ("monday", "08:00", "17:00").
    /// None: the provider is not warned about (no hours kept).
    pub working_hours: Vec<(String, String, String)>,
}

/// A valid provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub family_name: String,
    pub given_name: String,
    pub abbreviation: String,
    pub colour: String,
    pub npi: Option<String>,
    pub specialty: Specialty,
    pub is_hygienist: bool,
    pub active_from: Option<Date>,
    pub active_to: Option<Date>,
    pub user_id: Option<String>,
    pub working_hours: Vec<super::WorkingHours>,
}

impl Provider {
    /// Whether the provider may be booked on `date`.
    pub fn is_active_on(&self, date: Date) -> bool {
        self.active_from.is_none_or(|from| from <= date)
            && self.active_to.is_none_or(|to| date <= to)
    }
}

impl ProviderDraft {
    /// Every problem at once, named by field.
    pub fn validate(&self) -> Result<Provider, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let family_name = required_line(&self.family_name, "family_name", 60, &mut p);
        let given_name = required_line(&self.given_name, "given_name", 60, &mut p);
        let abbreviation = abbreviation(&self.abbreviation, &mut p);
        let colour = colour(&self.colour, &mut p);
        let npi = match blank_to_none(self.npi.as_deref()) {
            Some(npi) if is_valid_npi(npi) => Some(npi.to_string()),
            Some(_) => {
                p.add(
                    "npi",
                    "must be a National Provider Identifier: 10 digits, the last a check digit",
                );
                None
            }
            None => None,
        };
        let specialty = Specialty::parse(self.specialty.trim());
        if specialty.is_none() {
            let names: Vec<&str> = Specialty::ALL.iter().map(|s| s.as_str()).collect();
            p.add("specialty", format!("must be one of {}", names.join(", ")));
        }
        let active_from = optional_date(self.active_from.as_deref(), "active_from", &mut p);
        let active_to = optional_date(self.active_to.as_deref(), "active_to", &mut p);
        if let (Some(from), Some(to)) = (active_from, active_to)
            && to < from
        {
            p.add("active_to", "must not be before active_from");
        }
        let user_id = optional_id(self.user_id.as_deref(), "user_id", "a user", &mut p);
        let working_hours = match super::parse_hours(&self.working_hours) {
            Ok(hours) => hours,
            Err(problems) => {
                for problem in problems {
                    p.add(problem.field, problem.problem);
                }
                Vec::new()
            }
        };
        match (family_name, given_name, abbreviation, colour, specialty) {
            (Some(family_name), Some(given_name), Some(abbreviation), Some(colour), Some(s))
                if p.is_empty() =>
            {
                Ok(Provider {
                    family_name,
                    given_name,
                    abbreviation,
                    colour,
                    npi,
                    specialty: s,
                    is_hygienist: self.is_hygienist,
                    active_from,
                    active_to,
                    user_id,
                    working_hours,
                })
            }
            _ => Err(p.into_vec()),
        }
    }
}

/// An operatory (a chair, a room) as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OperatoryDraft {
    pub name: String,
    pub abbreviation: String,
    /// Where its column stands on the schedule, left to right (0 to 999).
    pub order: i64,
    pub default_dentist_id: Option<String>,
    pub default_hygienist_id: Option<String>,
    pub is_hygiene: bool,
    /// Hidden from the schedule; an operatory is never deleted (its appointments name it).
    pub hidden: bool,
}

/// A valid operatory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operatory {
    pub name: String,
    pub abbreviation: String,
    pub order: i64,
    pub default_dentist_id: Option<String>,
    pub default_hygienist_id: Option<String>,
    pub is_hygiene: bool,
    pub hidden: bool,
}

impl OperatoryDraft {
    pub fn validate(&self) -> Result<Operatory, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let name = required_line(&self.name, "name", 40, &mut p);
        let abbreviation = abbreviation(&self.abbreviation, &mut p);
        if !(0..=999).contains(&self.order) {
            p.add("order", "must be 0 to 999");
        }
        let dentist = optional_id(
            self.default_dentist_id.as_deref(),
            "default_dentist_id",
            "a provider",
            &mut p,
        );
        let hygienist = optional_id(
            self.default_hygienist_id.as_deref(),
            "default_hygienist_id",
            "a provider",
            &mut p,
        );
        match (name, abbreviation) {
            (Some(name), Some(abbreviation)) if p.is_empty() => Ok(Operatory {
                name,
                abbreviation,
                order: self.order,
                default_dentist_id: dentist,
                default_hygienist_id: hygienist,
                is_hygiene: self.is_hygiene,
                hidden: self.hidden,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

/// A kind of visit as a client sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppointmentTypeDraft {
    pub name: String,
    pub colour: String,
    /// The default time pattern of a visit of this type.
    pub pattern: String,
    /// Codes from the practice's own list, added to a visit of this type.
    pub procedure_codes: Vec<String>,
    pub hidden: bool,
    /// The pattern's length, as a `GET` answered it: when sent, it must match.
    pub duration_min: Option<i64>,
}

/// A valid appointment type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppointmentType {
    pub name: String,
    pub colour: String,
    pub pattern: Pattern,
    pub procedure_codes: Vec<String>,
    pub hidden: bool,
}

/// The most procedure codes one appointment type adds.
const MAX_TYPE_CODES: usize = 20;

impl AppointmentTypeDraft {
    /// Every problem at once. Whether the codes are on the practice's list is for the caller
    /// to check (the list lives in the database).
    pub fn validate(&self) -> Result<AppointmentType, Vec<FieldProblem>> {
        let mut p = Problems::default();
        let name = required_line(&self.name, "name", 60, &mut p);
        let colour = colour(&self.colour, &mut p);
        let pattern = match Pattern::parse(&self.pattern) {
            Ok(pattern) => Some(pattern),
            Err(problem) => {
                p.add("pattern", problem);
                None
            }
        };
        if let (Some(pattern), Some(minutes)) = (&pattern, self.duration_min)
            && pattern.minutes() != minutes
        {
            p.add(
                "duration_min",
                format!(
                    "must match the pattern ({} minutes), or be left out",
                    pattern.minutes()
                ),
            );
        }
        if self.procedure_codes.len() > MAX_TYPE_CODES {
            p.add("procedure_codes", "may hold at most 20 codes");
        }
        let mut codes: Vec<String> = Vec::new();
        for (i, code) in self.procedure_codes.iter().enumerate() {
            let code = code.trim();
            if code.is_empty() || code.chars().count() > 15 || code.chars().any(char::is_control) {
                p.add(
                    format!("procedure_codes[{i}]"),
                    "must be a code from the practice's list",
                );
            } else if codes.iter().any(|c| c == code) {
                p.add(format!("procedure_codes[{i}]"), "is named twice");
            } else {
                codes.push(code.to_string());
            }
        }
        match (name, colour, pattern) {
            (Some(name), Some(colour), Some(pattern)) if p.is_empty() => Ok(AppointmentType {
                name,
                colour,
                pattern,
                procedure_codes: codes,
                hidden: self.hidden,
            }),
            _ => Err(p.into_vec()),
        }
    }
}

/// A short name for a column or a block: 1 to 8 letters, digits, spaces, `.` or `-`.
fn abbreviation(raw: &str, p: &mut Problems) -> Option<String> {
    let text = raw.trim();
    let ok = !text.is_empty()
        && text.chars().count() <= 8
        && text
            .chars()
            .all(|c| c.is_alphanumeric() || c == ' ' || c == '.' || c == '-');
    if ok {
        Some(text.to_string())
    } else {
        p.add(
            "abbreviation",
            "must be 1 to 8 letters, digits, spaces, dots or hyphens",
        );
        None
    }
}

/// `#rrggbb`, stored in lower case.
fn colour(raw: &str, p: &mut Problems) -> Option<String> {
    let text = raw.trim();
    let ok = text.len() == 7
        && text.starts_with('#')
        && text[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Some(text.to_ascii_lowercase())
    } else {
        p.add("colour", "must be a colour as #rrggbb (such as #3366cc)");
        None
    }
}

fn optional_date(raw: Option<&str>, field: &'static str, p: &mut Problems) -> Option<Date> {
    let text = blank_to_none(raw)?;
    let date = crate::parse_iso_date(text);
    if date.is_none() {
        p.add(field, "must be a date as YYYY-MM-DD");
    }
    date
}

/// Whether `npi` is a National Provider Identifier: ten digits whose last is the Luhn check
/// digit of the other nine prefixed with 80840 (the card issuer prefix NPIs are defined by).
pub fn is_valid_npi(npi: &str) -> bool {
    if npi.len() != 10 || !npi.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits: Vec<u32> = "80840"
        .bytes()
        .chain(npi.bytes())
        .map(|b| u32::from(b - b'0'))
        .collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                *d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}
