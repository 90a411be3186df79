//! The form's values by input name, and their two directions: from a record (for changes)
//! or a post, into the draft the app validates; and the app's field names back to inputs.

use std::collections::BTreeMap;

use enamel_app::PatientView;
use enamel_domain::{
    AddressDraft, CoverageDraft, CoveragePriority, EmergencyContactDraft, PatientDraft, PhoneDraft,
};

use crate::pages::patients::display_phone;

/// The record's own limits (the app refuses more); an existing record with more phones or
/// coverages than the form's default shows them all, so that saving never drops one.
const MAX_PHONES: usize = 5;
const MAX_COVERAGES: usize = 3;
const PHONE_SLOTS: usize = 2;
const COVERAGE_SLOTS: usize = 2;

/// The inputs of a coverage that make it "filled in" (the two choices have defaults).
const COVERAGE_TEXT: [&str; 8] = [
    "carrier",
    "plan",
    "group_number",
    "subscriber_id",
    "subscriber_name",
    "subscriber_birth_date",
    "effective_from",
    "effective_to",
];

/// The values of the form's inputs, by input name, and its shape. Its `Debug` shows the shape
/// only: the values are the patient's details.
#[derive(Clone, Default)]
pub(super) struct PatientForm {
    values: BTreeMap<String, String>,
    /// Editing an existing record (the status can be changed).
    pub(super) edit: bool,
    pub(super) contact: bool,
    pub(super) insurance: bool,
    pub(super) phone_slots: usize,
    pub(super) coverage_slots: usize,
}

impl std::fmt::Debug for PatientForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PatientForm")
            .field("filled_inputs", &self.values.len())
            .field("edit", &self.edit)
            .field("contact", &self.contact)
            .field("insurance", &self.insurance)
            .field("phone_slots", &self.phone_slots)
            .field("coverage_slots", &self.coverage_slots)
            .finish()
    }
}

/// Where each phone and coverage of a draft came from: `phones[i]` is slot `phones[i]`.
#[derive(Debug, Default)]
pub(super) struct Slots {
    pub(super) phones: Vec<usize>,
    pub(super) coverages: Vec<usize>,
}

pub(super) fn priority_for(slot: usize) -> &'static str {
    match slot {
        1 => CoveragePriority::Primary.as_str(),
        2 => CoveragePriority::Secondary.as_str(),
        _ => CoveragePriority::Tertiary.as_str(),
    }
}

impl PatientForm {
    pub(super) fn get(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }

    /// The trimmed value, `None` when blank.
    fn opt(&self, key: &str) -> Option<String> {
        let v = self.get(key).trim();
        (!v.is_empty()).then(|| v.to_string())
    }

    fn any(&self, keys: &[String]) -> bool {
        keys.iter().any(|k| !self.get(k).trim().is_empty())
    }

    pub(super) fn set(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.values.insert(key.into(), value.into());
    }

    pub(super) fn empty(contact: bool, insurance: bool) -> PatientForm {
        PatientForm {
            contact,
            insurance,
            phone_slots: PHONE_SLOTS,
            coverage_slots: COVERAGE_SLOTS,
            ..PatientForm::default()
        }
    }

    /// What was posted. The sections and slots are the ones the page showed.
    pub(super) fn submitted(pairs: Vec<(String, String)>, edit: bool) -> PatientForm {
        let values: BTreeMap<String, String> = pairs.into_iter().collect();
        let highest = |prefix: &str, suffix: &str, max: usize| {
            (1..=max)
                .rev()
                .find(|n| values.contains_key(&format!("{prefix}{n}{suffix}")))
                .unwrap_or(0)
        };
        PatientForm {
            edit,
            contact: values.contains_key("show_contact"),
            insurance: values.contains_key("show_insurance"),
            phone_slots: highest("phone", "_number", MAX_PHONES).max(PHONE_SLOTS),
            coverage_slots: highest("cov", "_carrier", MAX_COVERAGES).max(COVERAGE_SLOTS),
            values,
        }
    }

    /// The record as the form shows it, for changes.
    pub(super) fn from_view(view: &PatientView) -> PatientForm {
        let mut f = PatientForm::empty(view.contact.is_some(), view.coverages.is_some());
        f.edit = true;
        let own = view.id.to_string();
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        f.set("family_name", view.family_name.clone());
        f.set("given_name", view.given_name.clone());
        f.set("middle_name", text(&view.middle_name));
        f.set("preferred_name", text(&view.preferred_name));
        f.set("birth_date", view.birth_date.clone());
        f.set("sex", text(&view.sex));
        f.set("gender_identity", text(&view.gender_identity));
        f.set("preferred_language", text(&view.preferred_language));
        f.set("chart_number", text(&view.chart_number));
        f.set("status", view.status.clone());
        // The patient themself is the default guarantor: shown as empty.
        f.set(
            "guarantor_id",
            view.guarantor_id
                .clone()
                .filter(|g| *g != own)
                .unwrap_or_default(),
        );
        f.set("responsible_party_id", text(&view.responsible_party_id));
        if let Some(c) = &view.contact {
            f.set("email", text(&c.email));
            f.phone_slots = c.phones.len().clamp(PHONE_SLOTS, MAX_PHONES);
            for (i, p) in c.phones.iter().take(MAX_PHONES).enumerate() {
                f.set(format!("phone{}_kind", i + 1), p.kind.clone());
                f.set(format!("phone{}_number", i + 1), display_phone(&p.number));
            }
            if let Some(a) = &c.address {
                f.set("addr_line1", text(&a.line1));
                f.set("addr_line2", text(&a.line2));
                f.set("addr_city", text(&a.city));
                f.set("addr_region", text(&a.region));
                f.set("addr_postal_code", text(&a.postal_code));
                f.set("addr_country", a.country.clone());
            }
            if let Some(e) = &c.emergency_contact {
                f.set("ec_name", e.name.clone());
                f.set("ec_relationship", text(&e.relationship));
                f.set("ec_phone", display_phone(&e.phone));
            }
        }
        if let Some(cs) = &view.coverages {
            f.coverage_slots = cs.len().clamp(COVERAGE_SLOTS, MAX_COVERAGES);
            for (i, c) in cs.iter().take(MAX_COVERAGES).enumerate() {
                let key = |name: &str| format!("cov{}_{name}", i + 1);
                f.set(key("priority"), c.priority.clone());
                f.set(key("carrier"), c.carrier.clone());
                f.set(key("plan"), text(&c.plan));
                f.set(key("group_number"), text(&c.group_number));
                f.set(key("subscriber_id"), c.subscriber_id.clone());
                f.set(
                    key("subscriber_relationship"),
                    c.subscriber_relationship.clone(),
                );
                f.set(key("subscriber_name"), text(&c.subscriber_name));
                f.set(key("subscriber_birth_date"), text(&c.subscriber_birth_date));
                f.set(key("effective_from"), text(&c.effective_from));
                f.set(key("effective_to"), text(&c.effective_to));
            }
        }
        f
    }

    /// The draft the app validates, and where its phones and coverages came from. Blank
    /// slots are left out; sections the page did not show are left out entirely.
    pub(super) fn draft(&self) -> (PatientDraft, Slots) {
        let mut slots = Slots::default();
        let mut d = PatientDraft {
            family_name: self.get("family_name").to_string(),
            given_name: self.get("given_name").to_string(),
            birth_date: self.get("birth_date").to_string(),
            middle_name: self.opt("middle_name"),
            preferred_name: self.opt("preferred_name"),
            sex: self.opt("sex"),
            gender_identity: self.opt("gender_identity"),
            preferred_language: self.opt("preferred_language"),
            chart_number: self.opt("chart_number"),
            status: if self.edit { self.opt("status") } else { None },
            guarantor_id: self.opt("guarantor_id"),
            responsible_party_id: self.opt("responsible_party_id"),
            ..PatientDraft::default()
        };
        if self.contact {
            d.email = self.opt("email");
            for slot in 1..=self.phone_slots {
                let number = self.get(&format!("phone{slot}_number"));
                if number.trim().is_empty() {
                    continue;
                }
                slots.phones.push(slot);
                d.phones.push(PhoneDraft {
                    kind: self.opt(&format!("phone{slot}_kind")),
                    number: number.to_string(),
                });
            }
            let address =
                ["line1", "line2", "city", "region", "postal_code"].map(|k| format!("addr_{k}"));
            if self.any(&address) {
                d.address = Some(AddressDraft {
                    line1: self.opt("addr_line1"),
                    line2: self.opt("addr_line2"),
                    city: self.opt("addr_city"),
                    region: self.opt("addr_region"),
                    postal_code: self.opt("addr_postal_code"),
                    country: self.opt("addr_country"),
                });
            }
            let emergency = ["name", "relationship", "phone"].map(|k| format!("ec_{k}"));
            if self.any(&emergency) {
                d.emergency_contact = Some(EmergencyContactDraft {
                    name: self.get("ec_name").to_string(),
                    relationship: self.opt("ec_relationship"),
                    phone: self.get("ec_phone").to_string(),
                });
            }
        }
        if self.insurance {
            for slot in 1..=self.coverage_slots {
                let key = |name: &str| format!("cov{slot}_{name}");
                if !self.any(&COVERAGE_TEXT.map(key)) {
                    continue;
                }
                slots.coverages.push(slot);
                d.coverages.push(CoverageDraft {
                    priority: self.opt(&key("priority")),
                    carrier: self.get(&key("carrier")).to_string(),
                    plan: self.opt(&key("plan")),
                    group_number: self.opt(&key("group_number")),
                    subscriber_id: self.get(&key("subscriber_id")).to_string(),
                    subscriber_relationship: self.opt(&key("subscriber_relationship")),
                    subscriber_name: self.opt(&key("subscriber_name")),
                    subscriber_birth_date: self.opt(&key("subscriber_birth_date")),
                    effective_from: self.opt(&key("effective_from")),
                    effective_to: self.opt(&key("effective_to")),
                });
            }
        }
        (d, slots)
    }
}

/// The input an app field name belongs to (`phones[1].number` → `phone2_number` when the
/// second phone came from the second slot), if the form has one.
pub(super) fn input_for(field: &str, slots: &Slots) -> String {
    let indexed = |rest: &str, from: &[usize], prefix: &str| -> Option<String> {
        let (index, sub) = rest.split_once("].")?;
        let slot = from.get(index.parse::<usize>().ok()?)?;
        Some(format!("{prefix}{slot}_{sub}"))
    };
    if let Some(rest) = field.strip_prefix("phones[") {
        return indexed(rest, &slots.phones, "phone").unwrap_or_else(|| field.to_string());
    }
    if let Some(rest) = field.strip_prefix("coverages[") {
        return indexed(rest, &slots.coverages, "cov").unwrap_or_else(|| field.to_string());
    }
    if let Some(sub) = field.strip_prefix("address.") {
        return format!("addr_{sub}");
    }
    if let Some(sub) = field.strip_prefix("emergency_contact.") {
        return format!("ec_{sub}");
    }
    field.to_string()
}

/// Plain words for a field the form has no input for.
pub(super) fn field_words(field: &str) -> String {
    match field {
        "phones" => "Phones".into(),
        "coverages" => "Insurance".into(),
        "status" => "Status".into(),
        other => other.replace(['_', '.'], " "),
    }
}
