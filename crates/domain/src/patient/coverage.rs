//! Dental insurance coverages: carrier, plan, group, subscriber and their relationship to the
//! patient, the order in which plans pay, and the dates a coverage is in force.

use serde::{Deserialize, Serialize};
use time::Date;

use super::names::{optional_name, optional_text};
use super::{Problems, blank_to_none, iso_date, parse_iso_date, past_date};
use crate::text_enum::text_enum;

redacted_debug!(CoverageDraft, Coverage);

text_enum!(
    /// Which plan pays first (coordination of benefits).
    CoveragePriority {
        Primary => "primary" ("Primary"),
        Secondary => "secondary" ("Secondary"),
        Tertiary => "tertiary" ("Tertiary"),
    }
);

text_enum!(
    /// The patient's relationship to the subscriber (the policy holder).
    SubscriberRelationship {
        SelfInsured => "self" ("Self"),
        Spouse => "spouse" ("Spouse"),
        Child => "child" ("Child"),
        Other => "other" ("Other"),
    }
);

#[derive(Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageDraft {
    /// `primary` for the first coverage and `secondary` for the second when left out.
    #[serde(default)]
    pub priority: Option<String>,
    pub carrier: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub group_number: Option<String>,
    /// The subscriber's member id or policy number.
    pub subscriber_id: String,
    /// `self` when left out.
    #[serde(default)]
    pub subscriber_relationship: Option<String>,
    /// Required unless the patient is the subscriber.
    #[serde(default)]
    pub subscriber_name: Option<String>,
    #[serde(default)]
    pub subscriber_birth_date: Option<String>,
    #[serde(default)]
    pub effective_from: Option<String>,
    #[serde(default)]
    pub effective_to: Option<String>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coverage {
    pub priority: String,
    pub carrier: String,
    pub plan: Option<String>,
    pub group_number: Option<String>,
    pub subscriber_id: String,
    pub subscriber_relationship: String,
    pub subscriber_name: Option<String>,
    pub subscriber_birth_date: Option<String>,
    pub effective_from: Option<String>,
    pub effective_to: Option<String>,
}

fn identifier(raw: &str, field: String, p: &mut Problems) -> Option<String> {
    let value = raw.trim();
    if value.is_empty() {
        p.add(field, "is required");
        return None;
    }
    if value.len() > 30
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ' ')
    {
        p.add(field, "must be up to 30 letters, digits, spaces or hyphens");
        return None;
    }
    Some(value.to_uppercase())
}

impl CoverageDraft {
    pub(crate) fn validate(&self, i: usize, today: Date, p: &mut Problems) -> Option<Coverage> {
        let field = |name: &str| format!("coverages[{i}].{name}");
        let priority = match blank_to_none(self.priority.as_deref()) {
            None => match i {
                0 => CoveragePriority::Primary,
                1 => CoveragePriority::Secondary,
                _ => CoveragePriority::Tertiary,
            },
            Some(v) => match CoveragePriority::parse(&v.to_lowercase()) {
                Some(v) => v,
                None => {
                    p.add(field("priority"), "must be primary, secondary or tertiary");
                    return None;
                }
            },
        };
        let carrier = optional_text(Some(&self.carrier), field("carrier"), 100, p);
        if self.carrier.trim().is_empty() {
            p.add(field("carrier"), "is required");
        }
        let plan = optional_text(self.plan.as_deref(), field("plan"), 100, p);
        let group_number = blank_to_none(self.group_number.as_deref())
            .and_then(|g| identifier(g, field("group_number"), p));
        let subscriber_id = identifier(&self.subscriber_id, field("subscriber_id"), p);
        let relationship = match blank_to_none(self.subscriber_relationship.as_deref()) {
            None => SubscriberRelationship::SelfInsured,
            Some(v) => match SubscriberRelationship::parse(&v.to_lowercase()) {
                Some(v) => v,
                None => {
                    p.add(
                        field("subscriber_relationship"),
                        "must be self, spouse, child or other",
                    );
                    return None;
                }
            },
        };
        let subscriber_name =
            optional_name(self.subscriber_name.as_deref(), field("subscriber_name"), p);
        if relationship != SubscriberRelationship::SelfInsured && subscriber_name.is_none() {
            p.add(
                field("subscriber_name"),
                "is required when the patient is not the subscriber",
            );
        }
        let subscriber_birth_date = blank_to_none(self.subscriber_birth_date.as_deref())
            .and_then(|d| past_date(d, field("subscriber_birth_date"), today, p))
            .map(iso_date);
        let from = self
            .effective_from
            .as_deref()
            .and_then(|d| dated(d, field("effective_from"), p));
        let to = self
            .effective_to
            .as_deref()
            .and_then(|d| dated(d, field("effective_to"), p));
        if let (Some(from), Some(to)) = (from, to)
            && to < from
        {
            p.add(field("effective_to"), "must not be before the start date");
        }
        Some(Coverage {
            priority: priority.as_str().into(),
            carrier: carrier?,
            plan,
            group_number,
            subscriber_id: subscriber_id?,
            subscriber_relationship: relationship.as_str().into(),
            subscriber_name,
            subscriber_birth_date,
            effective_from: from.map(iso_date),
            effective_to: to.map(iso_date),
        })
    }
}

fn dated(text: &str, field: String, p: &mut Problems) -> Option<Date> {
    if text.trim().is_empty() {
        return None;
    }
    let parsed = parse_iso_date(text);
    if parsed.is_none() {
        p.add(field, "must be a date written as YYYY-MM-DD");
    }
    parsed
}

/// One coverage per priority.
pub(crate) fn check_priorities(coverages: &[Coverage], p: &mut Problems) {
    for (i, c) in coverages.iter().enumerate() {
        if coverages[..i]
            .iter()
            .any(|earlier| earlier.priority == c.priority)
        {
            p.add(
                format!("coverages[{i}].priority"),
                "another coverage already has this priority",
            );
        }
    }
}
