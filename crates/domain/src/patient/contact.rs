//! How to reach a patient: phones, e-mail, postal address, emergency contact.

use serde::{Deserialize, Serialize};

use super::names::{optional_name, optional_text};
use super::{Problems, blank_to_none};
use crate::text_enum::text_enum;

redacted_debug!(
    PhoneDraft,
    Phone,
    AddressDraft,
    Address,
    EmergencyContactDraft,
    EmergencyContact
);

text_enum!(
    PhoneKind {
        Mobile => "mobile" ("Mobile"),
        Home => "home" ("Home"),
        Work => "work" ("Work"),
    }
);

#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneDraft {
    /// `mobile` when left out.
    #[serde(default)]
    pub kind: Option<String>,
    pub number: String,
}

/// A phone number in E.164 form (`+15550100123`), whatever way it was typed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Phone {
    pub kind: String,
    pub number: String,
}

impl PhoneDraft {
    pub(crate) fn validate(&self, index: usize, p: &mut Problems) -> Option<Phone> {
        let kind = match blank_to_none(self.kind.as_deref()) {
            None => PhoneKind::Mobile,
            Some(k) => match PhoneKind::parse(&k.to_lowercase()) {
                Some(k) => k,
                None => {
                    p.add(
                        format!("phones[{index}].kind"),
                        "must be mobile, home or work",
                    );
                    return None;
                }
            },
        };
        match normalize_phone(&self.number) {
            Some(number) => Some(Phone {
                kind: kind.as_str().to_string(),
                number,
            }),
            None => {
                p.add(
                    format!("phones[{index}].number"),
                    "must be a phone number such as (555) 010-0123 or +44 20 7946 0000",
                );
                None
            }
        }
    }
}

/// Phone numbers as people write them: digits with spaces, dots, hyphens and parentheses, an
/// optional leading `+` (or `00`) for an international number. Ten digits without a country
/// code are taken as North American (`+1`). The result is E.164, or `None` if it cannot be one.
pub fn normalize_phone(typed: &str) -> Option<String> {
    // The length as written, surrounding spaces included (as the API's document declares it).
    if typed.len() > 40 {
        return None;
    }
    let typed = typed.trim();
    if typed.is_empty() {
        return None;
    }
    let (international, rest) = match typed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, typed),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return None;
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    let (international, digits) = match digits.strip_prefix("00") {
        Some(d) if !international => (true, d.to_string()),
        _ => (international, digits),
    };
    if international {
        return ((8..=15).contains(&digits.len()) && !digits.starts_with('0'))
            .then(|| format!("+{digits}"));
    }
    match digits.len() {
        10 => Some(format!("+1{digits}")),
        11 if digits.starts_with('1') => Some(format!("+{digits}")),
        _ => None,
    }
}

#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddressDraft {
    #[serde(default)]
    pub line1: Option<String>,
    #[serde(default)]
    pub line2: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
    /// State, province or region.
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2 (`US`); `US` when left out.
    #[serde(default)]
    pub country: Option<String>,
}

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub city: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
}

impl AddressDraft {
    pub(crate) fn validate(&self, p: &mut Problems) -> Option<Address> {
        let line1 = optional_text(self.line1.as_deref(), "address.line1", 200, p);
        let line2 = optional_text(self.line2.as_deref(), "address.line2", 200, p);
        let city = optional_text(self.city.as_deref(), "address.city", 100, p);
        let region = optional_text(self.region.as_deref(), "address.region", 100, p);
        let postal_code = match blank_to_none(self.postal_code.as_deref()) {
            None => None,
            Some(c)
                if c.len() <= 12
                    && c.chars()
                        .all(|ch| ch.is_ascii_alphanumeric() || ch == ' ' || ch == '-') =>
            {
                Some(c.to_uppercase())
            }
            Some(_) => {
                p.add(
                    "address.postal_code",
                    "must be a postal code such as 94110 or SW1A 1AA",
                );
                None
            }
        };
        let country = match blank_to_none(self.country.as_deref()) {
            None => "US".to_string(),
            Some(c) if c.len() == 2 && c.chars().all(|ch| ch.is_ascii_alphabetic()) => {
                c.to_uppercase()
            }
            Some(_) => {
                p.add(
                    "address.country",
                    "must be a two-letter country code such as US",
                );
                return None;
            }
        };
        if [&line1, &line2, &city, &region, &postal_code]
            .iter()
            .all(|v| v.is_none())
        {
            return None;
        }
        Some(Address {
            line1,
            line2,
            city,
            region,
            postal_code,
            country,
        })
    }
}

#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmergencyContactDraft {
    pub name: String,
    #[serde(default)]
    pub relationship: Option<String>,
    pub phone: String,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyContact {
    pub name: String,
    pub relationship: Option<String>,
    pub phone: String,
}

impl EmergencyContactDraft {
    pub(crate) fn validate(&self, p: &mut Problems) -> Option<EmergencyContact> {
        let name = optional_name(Some(&self.name), "emergency_contact.name", p);
        if name.is_none() && self.name.trim().is_empty() {
            p.add("emergency_contact.name", "is required");
        }
        let relationship = optional_text(
            self.relationship.as_deref(),
            "emergency_contact.relationship",
            50,
            p,
        );
        let phone = normalize_phone(&self.phone);
        if phone.is_none() {
            p.add(
                "emergency_contact.phone",
                "must be a phone number such as (555) 010-0123 or +44 20 7946 0000",
            );
        }
        Some(EmergencyContact {
            name: name?,
            relationship,
            phone: phone?,
        })
    }
}

/// One address with one `@`, a dot in the domain, no spaces; the domain in lower case.
pub(crate) fn email(raw: Option<&str>, p: &mut Problems) -> Option<String> {
    let raw = blank_to_none(raw)?;
    let valid = raw.len() <= 254
        && !raw.chars().any(|c| {
            c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ',' | ';' | '"')
        })
        && match raw.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && local.len() <= 64
                    && !domain.contains('@')
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains("..")
            }
            None => false,
        };
    if !valid {
        p.add(
            "email",
            "must be an e-mail address such as name@example.test",
        );
        return None;
    }
    let (local, domain) = raw.split_once('@')?;
    Some(format!("{local}@{}", domain.to_lowercase()))
}
