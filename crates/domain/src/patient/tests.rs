#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use time::macros::date;

use super::*;

const TODAY: Date = date!(2026 - 11 - 22);

fn draft(family: &str, given: &str, born: &str) -> PatientDraft {
    PatientDraft {
        family_name: family.into(),
        given_name: given.into(),
        birth_date: born.into(),
        ..PatientDraft::default()
    }
}

fn problems(d: &PatientDraft) -> Vec<(String, std::borrow::Cow<'static, str>)> {
    d.validate(PatientId::new(), TODAY)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.field.into_owned(), p.problem))
        .collect()
}

fn fields(d: &PatientDraft) -> Vec<String> {
    problems(d).into_iter().map(|(f, _)| f).collect()
}

#[test]
fn the_minimal_patient_is_names_and_birth_date() {
    let p = draft("Molar", "Demo", "1990-02-28")
        .validate(PatientId::new(), TODAY)
        .unwrap();
    assert_eq!(p.status, PatientStatus::Active);
    assert!(p.phones.is_empty() && p.coverages.is_empty() && p.address.is_none());
}

#[test]
fn accepts_real_world_names() {
    for (f, g) in [
        ("O'Testperson", "Zoë-Ann"),
        ("Тестова", "Анна"),
        ("試験", "花子"),
        ("van der Molar", "Jean-Luc"),
    ] {
        let p = draft(f, g, "1990-02-28")
            .validate(PatientId::new(), TODAY)
            .unwrap();
        assert_eq!(p.family_name, f);
        assert_eq!(p.given_name, g);
    }
}

#[test]
fn names_each_problem_without_the_value() {
    let found = problems(&draft("  ", "<script>", "2030-01-01"));
    let names: Vec<_> = found.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(names, ["family_name", "given_name", "birth_date"]);
    assert!(found.iter().all(|(_, p)| !p.contains("script")));
    let long = "A".repeat(201);
    assert_eq!(
        problems(&draft(&long, "B", "2000-01-01"))[0].1,
        "is too long (at most 200 characters)"
    );
    assert_eq!(fields(&draft("A", "B", "2000-02-30")), ["birth_date"]);
    assert_eq!(fields(&draft("A", "B", "01/02/2000")), ["birth_date"]);
    assert_eq!(problems(&draft("A", "B", ""))[0].1, "is required");
    assert_eq!(
        fields(&draft(
            "Robert'); DROP TABLE patients;--",
            "B",
            "2000-01-01"
        )),
        ["family_name"]
    );
}

#[test]
fn phones_as_people_type_them() {
    for (typed, e164) in [
        ("(555) 010-0123", "+15550100123"),
        ("555.010.0123", "+15550100123"),
        ("1-555-010-0123", "+15550100123"),
        ("+1 555 010 0123", "+15550100123"),
        ("+44 20 7946 0000", "+442079460000"),
        ("0044 20 7946 0000", "+442079460000"),
    ] {
        assert_eq!(normalize_phone(typed).as_deref(), Some(e164), "{typed}");
    }
    for bad in [
        "",
        "555-0123",
        "call me",
        "+0 123 456 789",
        "12345678901234567",
        "555-010-0123 ext 4",
    ] {
        assert_eq!(normalize_phone(bad), None, "{bad}");
    }
}

#[test]
fn contact_fields_are_checked_with_their_paths() {
    let mut d = draft("Molar", "Demo", "1990-01-01");
    d.email = Some("no-at-sign.example.test".into());
    d.phones = vec![
        PhoneDraft {
            kind: None,
            number: "(555) 010-0100".into(),
        },
        PhoneDraft {
            kind: Some("pager".into()),
            number: "x".into(),
        },
        PhoneDraft {
            kind: Some("home".into()),
            number: "12".into(),
        },
    ];
    d.address = Some(AddressDraft {
        country: Some("USA".into()),
        ..Default::default()
    });
    assert_eq!(
        fields(&d),
        [
            "email",
            "phones[1].kind",
            "phones[2].number",
            "address.country"
        ]
    );
    d.email = Some("Front.Desk@Example.TEST".into());
    d.phones.truncate(1);
    d.address = Some(AddressDraft {
        line1: Some("1 Enamel Way".into()),
        city: Some("Testville".into()),
        postal_code: Some("00001".into()),
        ..Default::default()
    });
    let p = d.validate(PatientId::new(), TODAY).unwrap();
    assert_eq!(p.email.as_deref(), Some("Front.Desk@example.test"));
    assert_eq!(p.phones[0].kind, "mobile");
    assert_eq!(p.address.unwrap().country, "US");
}

fn coverage(carrier: &str, member: &str) -> CoverageDraft {
    CoverageDraft {
        carrier: carrier.into(),
        subscriber_id: member.into(),
        ..CoverageDraft::default()
    }
}

#[test]
fn coverages_default_their_order_and_refuse_duplicates() {
    let mut d = draft("Molar", "Demo", "1990-01-01");
    d.coverages = vec![
        coverage("Synthetic Dental Mutual", "SYN-001"),
        coverage("Placeholder Dental", "syn 002"),
    ];
    let p = d.validate(PatientId::new(), TODAY).unwrap();
    assert_eq!(p.coverages[0].priority, "primary");
    assert_eq!(p.coverages[1].priority, "secondary");
    assert_eq!(p.coverages[1].subscriber_id, "SYN 002");
    assert_eq!(p.coverages[0].subscriber_relationship, "self");

    d.coverages[1].priority = Some("primary".into());
    assert_eq!(fields(&d), ["coverages[1].priority"]);
}

#[test]
fn a_dependent_coverage_names_its_subscriber_and_dates_are_ordered() {
    let mut d = draft("Molar", "Demo", "2015-01-01");
    let mut c = coverage("Synthetic Dental Mutual", "SYN-001");
    c.subscriber_relationship = Some("child".into());
    c.effective_from = Some("2026-01-01".into());
    c.effective_to = Some("2025-12-31".into());
    c.subscriber_birth_date = Some("2090-01-01".into());
    d.coverages = vec![c];
    assert_eq!(
        fields(&d),
        [
            "coverages[0].subscriber_name",
            "coverages[0].subscriber_birth_date",
            "coverages[0].effective_to"
        ]
    );
}

#[test]
fn references_are_ids_and_not_oneself() {
    let id = PatientId::new();
    let mut d = draft("Molar", "Demo", "2015-01-01");
    d.guarantor_id = Some("not-an-id".into());
    d.responsible_party_id = Some(id.to_string());
    let found: Vec<_> = d
        .validate(id, TODAY)
        .unwrap_err()
        .into_iter()
        .map(|p| p.field.into_owned())
        .collect();
    assert_eq!(found, ["guarantor_id", "responsible_party_id"]);
}

#[test]
fn minors_and_ages() {
    let p = draft("Molar", "Demo", "2008-11-23")
        .validate(PatientId::new(), TODAY)
        .unwrap();
    assert!(p.is_minor(TODAY));
    assert_eq!(age_on(date!(2008 - 11 - 22), TODAY), 18);
    assert_eq!(age_on(date!(2008 - 11 - 23), TODAY), 17);
}

#[test]
fn enumerations_and_codes() {
    let mut d = draft("Molar", "Demo", "1990-01-01");
    d.sex = Some("Female".into());
    d.status = Some("inactive".into());
    d.preferred_language = Some("pt-BR".into());
    d.chart_number = Some("ch-0042".into());
    let p = d.validate(PatientId::new(), TODAY).unwrap();
    assert_eq!(p.sex, Some(Sex::Female));
    assert_eq!(p.status, PatientStatus::Inactive);
    assert_eq!(p.chart_number.as_deref(), Some("CH-0042"));
    d.sex = Some("f".into());
    d.status = Some("gone".into());
    d.preferred_language = Some("Portuguese".into());
    d.chart_number = Some("#42".into());
    assert_eq!(
        fields(&d),
        ["sex", "preferred_language", "chart_number", "status"]
    );
}

#[test]
fn unknown_json_fields_are_refused() {
    let err = serde_json::from_str::<PatientDraft>(
        r#"{"family_name":"A","given_name":"B","birth_date":"2000-01-01","ssn":"x"}"#,
    );
    assert!(err.is_err());
    let ok: PatientDraft =
        serde_json::from_str(r#"{"family_name":"A","given_name":"B","birth_date":"2000-01-01"}"#)
            .unwrap();
    assert_eq!(ok.family_name, "A");
}

#[test]
fn debug_hides_phi() {
    let p = draft("Markerfamily", "Markergiven", "1990-01-01")
        .validate(PatientId::new(), TODAY)
        .unwrap();
    assert!(!format!("{p:?}").contains("Marker"));
    assert!(!format!("{:?}", draft("Markerfamily", "x", "y")).contains("Marker"));
}
