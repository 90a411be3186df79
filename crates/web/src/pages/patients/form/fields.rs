//! What the form template shows: fieldsets of labelled inputs, each with its hint and its
//! problem, and the list of problems at the top.

use std::collections::BTreeMap;

use enamel_domain::{
    CoveragePriority, FieldProblem, PatientStatus, PhoneKind, Sex, SubscriberRelationship,
};

use super::values::{PatientForm, Slots, field_words, input_for, priority_for};
use crate::pages::patients::Problem;

pub(super) struct Field {
    pub(super) id: String,
    pub(super) label: String,
    /// `text`, `date`, `email`, `tel` or `select`.
    pub(super) input_type: &'static str,
    pub(super) options: Vec<(String, String)>,
    pub(super) value: String,
    pub(super) required: bool,
    pub(super) hint: Option<&'static str>,
    pub(super) error: Option<String>,
    pub(super) described_by: String,
    pub(super) autofocus: bool,
    /// Starts a new row of the grid (each phone on its own line).
    pub(super) new_row: bool,
}

pub(super) struct Fieldset {
    pub(super) id: String,
    pub(super) legend: String,
    /// In the list at the top, a field's label is prefixed with the legend ("Insurance 2").
    pub(super) prefix: bool,
    pub(super) fields: Vec<Field>,
}

fn options<T: Copy>(
    all: &[T],
    text: impl Fn(T) -> &'static str,
    label: impl Fn(T) -> &'static str,
    blank: Option<&str>,
) -> Vec<(String, String)> {
    blank
        .map(|b| (String::new(), b.to_string()))
        .into_iter()
        .chain(
            all.iter()
                .map(|v| (text(*v).to_string(), label(*v).to_string())),
        )
        .collect()
}

impl PatientForm {
    fn field(&self, id: impl Into<String>, label: impl Into<String>) -> Field {
        let id = id.into();
        Field {
            value: self.get(&id).to_string(),
            id,
            label: label.into(),
            input_type: "text",
            options: Vec::new(),
            required: false,
            hint: None,
            error: None,
            described_by: String::new(),
            autofocus: false,
            new_row: false,
        }
    }

    pub(super) fn fieldsets(&self) -> Vec<Fieldset> {
        let f = |id: &str, label: &str| self.field(id, label);
        let required = |mut field: Field| {
            field.required = true;
            field
        };
        let typed = |mut field: Field, input_type| {
            field.input_type = input_type;
            field
        };
        let hint = |mut field: Field, hint| {
            field.hint = Some(hint);
            field
        };
        let select = |mut field: Field, options: Vec<(String, String)>, default: &str| {
            field.input_type = "select";
            if field.value.is_empty() {
                field.value = default.to_string();
            }
            field.options = options;
            field
        };
        let set = |id: &str, legend: String, prefix: bool, fields: Vec<Field>| Fieldset {
            id: id.to_string(),
            legend,
            prefix,
            fields,
        };

        let mut patient = vec![
            required(f("family_name", "Family name")),
            required(f("given_name", "Given name")),
            f("middle_name", "Middle name"),
            f("preferred_name", "Preferred name"),
            required(typed(f("birth_date", "Date of birth"), "date")),
            select(
                f("sex", "Sex (as on insurance forms)"),
                options(Sex::ALL, Sex::as_str, Sex::label, Some("Not recorded")),
                "",
            ),
            f("gender_identity", "Gender identity"),
            hint(
                f("preferred_language", "Preferred language"),
                "A language code such as en, es or pt-BR",
            ),
            hint(
                f("chart_number", "Chart number"),
                "Up to 20 letters, digits or hyphens",
            ),
        ];
        if self.edit {
            patient.push(select(
                f("status", "Record status"),
                options(
                    PatientStatus::ALL,
                    PatientStatus::as_str,
                    PatientStatus::label,
                    None,
                ),
                PatientStatus::Active.as_str(),
            ));
        }
        let mut sets = vec![
            set("fs-patient", "Patient".into(), false, patient),
            set(
                "fs-household",
                "Household".into(),
                false,
                vec![
                    hint(
                        f("guarantor_id", "Guarantor\u{2019}s patient id"),
                        "The patient who receives the household\u{2019}s statement. Leave empty if this patient pays for themself.",
                    ),
                    hint(
                        f(
                            "responsible_party_id",
                            "Responsible party\u{2019}s patient id",
                        ),
                        "For a minor: the adult responsible for them, a patient of this practice.",
                    ),
                ],
            ),
        ];
        if self.contact {
            let mut contact = vec![typed(f("email", "E-mail"), "email")];
            for n in 1..=self.phone_slots {
                let mut kind = select(
                    f(&format!("phone{n}_kind"), &format!("Phone {n} type")),
                    options(PhoneKind::ALL, PhoneKind::as_str, PhoneKind::label, None),
                    PhoneKind::Mobile.as_str(),
                );
                kind.new_row = true;
                contact.push(kind);
                contact.push(hint(
                    typed(
                        f(&format!("phone{n}_number"), &format!("Phone {n} number")),
                        "tel",
                    ),
                    "Such as (555) 010-0123, or +44 20 7946 0000 outside North America",
                ));
            }
            sets.push(set("fs-contact", "Contact".into(), false, contact));
            sets.push(set(
                "fs-address",
                "Address".into(),
                true,
                vec![
                    f("addr_line1", "Street address"),
                    f("addr_line2", "Address line 2"),
                    f("addr_city", "City"),
                    f("addr_region", "State or region"),
                    f("addr_postal_code", "Postal code"),
                    hint(
                        f("addr_country", "Country"),
                        "Two letters; US when left empty",
                    ),
                ],
            ));
            sets.push(set(
                "fs-emergency",
                "Emergency contact".into(),
                true,
                vec![
                    f("ec_name", "Name"),
                    f("ec_relationship", "Relationship to the patient"),
                    typed(f("ec_phone", "Phone"), "tel"),
                ],
            ));
        }
        if self.insurance {
            for n in 1..=self.coverage_slots {
                let id = |name: &str| format!("cov{n}_{name}");
                sets.push(set(
                    &format!("fs-insurance{n}"),
                    format!("Insurance {n}"),
                    true,
                    vec![
                        select(
                            f(&id("priority"), "Order of payment"),
                            options(
                                CoveragePriority::ALL,
                                CoveragePriority::as_str,
                                CoveragePriority::label,
                                None,
                            ),
                            priority_for(n),
                        ),
                        f(&id("carrier"), "Carrier"),
                        f(&id("plan"), "Plan"),
                        f(&id("group_number"), "Group number"),
                        f(&id("subscriber_id"), "Subscriber id"),
                        select(
                            f(
                                &id("subscriber_relationship"),
                                "Patient\u{2019}s relationship to the subscriber",
                            ),
                            options(
                                SubscriberRelationship::ALL,
                                SubscriberRelationship::as_str,
                                SubscriberRelationship::label,
                                None,
                            ),
                            SubscriberRelationship::SelfInsured.as_str(),
                        ),
                        hint(
                            f(&id("subscriber_name"), "Subscriber\u{2019}s name"),
                            "Needed unless the patient is the subscriber",
                        ),
                        typed(
                            f(
                                &id("subscriber_birth_date"),
                                "Subscriber\u{2019}s date of birth",
                            ),
                            "date",
                        ),
                        typed(f(&id("effective_from"), "In force from"), "date"),
                        typed(f(&id("effective_to"), "In force until"), "date"),
                    ],
                ));
            }
        }
        sets
    }
}

/// Puts each problem next to its input and in the list at the top (in the form's order,
/// then those without an input); the first field with a problem gets the focus.
pub(super) fn place_problems(
    sets: &mut [Fieldset],
    problems: &[FieldProblem],
    slots: &Slots,
) -> Vec<Problem> {
    let mut by_input: BTreeMap<String, Vec<std::borrow::Cow<'static, str>>> = BTreeMap::new();
    for p in problems {
        by_input
            .entry(input_for(&p.field, slots))
            .or_default()
            .push(p.problem.clone());
    }
    let mut listed = Vec::new();
    for set in sets.iter_mut() {
        for field in &mut set.fields {
            let Some(words) = by_input.remove(&field.id) else {
                continue;
            };
            let text = format!("{} {}.", field.label, words.join(" and "));
            if listed.is_empty() {
                field.autofocus = true;
            }
            listed.push(Problem {
                id: Some(field.id.clone()),
                text: if set.prefix {
                    format!("{}: {}", set.legend, lower_first(&text))
                } else {
                    text.clone()
                },
            });
            field.error = Some(text);
        }
    }
    for (field, words) in by_input {
        listed.push(Problem {
            id: None,
            text: format!("{}: {}.", field_words(&field), words.join("; ")),
        });
    }
    for set in sets.iter_mut() {
        for field in &mut set.fields {
            let mut ids = Vec::new();
            if field.hint.is_some() {
                ids.push(format!("{}-hint", field.id));
            }
            if field.error.is_some() {
                ids.push(format!("{}-error", field.id));
            }
            field.described_by = ids.join(" ");
        }
    }
    listed
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
