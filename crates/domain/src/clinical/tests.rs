#![allow(clippy::unwrap_used, clippy::expect_used)]

use time::macros::date;

use super::*;

const TODAY: time::Date = date!(2026 - 12 - 06);

fn tooth(text: &str) -> Tooth {
    Tooth::parse(text).unwrap()
}

#[test]
fn every_universal_tooth_parses_to_one_spelling() {
    let mut all: Vec<String> = (1..=32).map(|n| n.to_string()).collect();
    all.extend((51..=82).map(|n| n.to_string()));
    for l in "ABCDEFGHIJKLMNOPQRST".chars() {
        all.push(l.to_string());
        all.push(format!("{l}S"));
    }
    for text in &all {
        assert_eq!(tooth(text).to_string(), *text);
        assert_eq!(tooth(&text.to_lowercase()).to_string(), *text);
    }
    assert_eq!(all.len(), 32 + 32 + 40);
}

#[test]
fn impossible_teeth_are_refused() {
    for bad in [
        "0", "33", "50", "83", "100", "U", "Z", "AA", "ZS", "03", "1S", "", " ", "-1", "3.0", "١",
    ] {
        assert_eq!(Tooth::parse(bad), None, "{bad:?}");
    }
}

#[test]
fn front_and_back_teeth() {
    let anterior: Vec<String> = Tooth::permanent_dentition()
        .filter(|t| t.is_anterior())
        .map(|t| t.to_string())
        .collect();
    assert_eq!(
        anterior,
        [
            "6", "7", "8", "9", "10", "11", "22", "23", "24", "25", "26", "27"
        ]
    );
    let primary: String = Tooth::primary_dentition()
        .filter(|t| t.is_anterior())
        .map(|t| t.to_string())
        .collect();
    assert_eq!(primary, "CDEFGHMNOPQR");
    assert!(
        tooth("58").is_anterior(),
        "a supernumerary follows its neighbour"
    );
    assert!(tooth("AS").is_posterior());
}

#[test]
fn fdi_numbers_follow_iso_3950() {
    let pairs = [
        ("1", "18"),
        ("8", "11"),
        ("9", "21"),
        ("16", "28"),
        ("17", "38"),
        ("24", "31"),
        ("25", "41"),
        ("32", "48"),
        ("A", "55"),
        ("E", "51"),
        ("F", "61"),
        ("J", "65"),
        ("K", "75"),
        ("O", "71"),
        ("P", "81"),
        ("T", "85"),
        ("51", "18s"),
        ("TS", "85s"),
    ];
    for (universal, fdi) in pairs {
        assert_eq!(tooth(universal).fdi(), fdi, "{universal}");
        assert_eq!(tooth(universal).display(Numbering::Fdi), fdi);
        assert_eq!(tooth(universal).display(Numbering::Universal), universal);
    }
    let all: std::collections::HashSet<String> =
        Tooth::permanent_dentition().map(Tooth::fdi).collect();
    assert_eq!(all.len(), 32, "no two teeth share an FDI number");
}

#[test]
fn surfaces_are_checked_against_the_tooth_and_kept_in_canonical_order() {
    assert_eq!(
        Surfaces::parse_for("dom", tooth("3")).unwrap().to_string(),
        "MOD"
    );
    assert_eq!(
        Surfaces::parse_for("LVBM", tooth("30"))
            .unwrap()
            .to_string(),
        "MBVL"
    );
    assert_eq!(
        Surfaces::parse_for("FIM", tooth("8")).unwrap().to_string(),
        "MIF"
    );
    assert_eq!(
        Surfaces::parse_for("V", tooth("C")).unwrap().to_string(),
        "V"
    );
    let refused = Surfaces::parse_for("MI", tooth("3")).unwrap_err();
    assert!(
        refused.to_string().starts_with("surface I on tooth 3"),
        "{refused}"
    );
    assert!(Surfaces::parse_for("O", tooth("8")).is_err());
    assert!(Surfaces::parse_for("B", tooth("E")).is_err());
    assert!(Surfaces::parse_for("F", tooth("K")).is_err());
    assert_eq!(
        Surfaces::parse_for("MM", tooth("3")),
        Err(SurfaceProblem::Repeated('M'))
    );
    assert_eq!(
        Surfaces::parse_for("MX", tooth("3")),
        Err(SurfaceProblem::NotASurface('X'))
    );
    assert_eq!(
        Surfaces::parse_for(" ", tooth("3")),
        Err(SurfaceProblem::Empty)
    );
}

fn code(text: &str, area_type: AreaType) -> ProcedureCode {
    ProcedureCode {
        code: text.into(),
        description: "Demo".into(),
        area_type,
        default_fee: 10_000,
    }
}

fn draft(code: &str) -> ProcedureDraft {
    ProcedureDraft {
        code: code.into(),
        ..ProcedureDraft::default()
    }
}

fn problems(d: &ProcedureDraft, c: Option<&ProcedureCode>) -> Vec<(String, String)> {
    d.validate(c, TODAY)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.field.into_owned(), p.problem.into_owned()))
        .collect()
}

#[test]
fn the_smallest_procedure_is_planned_today_at_the_code_fee() {
    let d = ProcedureDraft {
        tooth: Some("3".into()),
        surfaces: Some("MO".into()),
        status: Some("planned".into()),
        ..draft("X2120")
    };
    let p = d
        .validate(Some(&code("X2120", AreaType::Surface)), TODAY)
        .unwrap();
    assert_eq!(p.status, ProcedureStatus::Planned);
    assert_eq!(p.site.to_string(), "3 MO");
    assert_eq!(p.planned_on, TODAY);
    assert_eq!(p.completed_on, None);
    assert_eq!(p.fee, 10_000);
}

#[test]
fn validation_names_impossible_teeth_and_surfaces() {
    let c = code("X2120", AreaType::Surface);
    let d = ProcedureDraft {
        tooth: Some("33".into()),
        surfaces: Some("MO".into()),
        ..draft("X2120")
    };
    let found = problems(&d, Some(&c));
    assert_eq!(found[0].0, "tooth");
    assert!(
        found[0].1.starts_with("tooth 33 does not exist"),
        "{found:?}"
    );
    let d = ProcedureDraft {
        tooth: Some("3".into()),
        surfaces: Some("MI".into()),
        ..draft("X2120")
    };
    let found = problems(&d, Some(&c));
    assert_eq!(found[0].0, "surfaces");
    assert!(found[0].1.starts_with("surface I on tooth 3"), "{found:?}");
    let d = ProcedureDraft {
        tooth: Some("<script>alert(1)</script>".into()),
        surfaces: Some("M".into()),
        ..draft("X2120")
    };
    assert!(!problems(&d, Some(&c))[0].1.contains("script"));
}

#[test]
fn each_area_type_asks_for_its_own_site() {
    let arch = code("X5110", AreaType::Arch);
    let ok = ProcedureDraft {
        area: Some("u".into()),
        ..draft("X5110")
    };
    assert_eq!(
        ok.validate(Some(&arch), TODAY).unwrap().site.area(),
        Some("U")
    );
    let missing = problems(&draft("X5110"), Some(&arch));
    assert_eq!(missing[0].0, "area");
    let wrong = ProcedureDraft {
        area: Some("UR".into()),
        tooth: Some("3".into()),
        ..draft("X5110")
    };
    let fields: Vec<String> = problems(&wrong, Some(&arch))
        .into_iter()
        .map(|p| p.0)
        .collect();
    assert_eq!(fields, ["tooth", "area"]);
    let quadrant = code("X1410", AreaType::Quadrant);
    let q = ProcedureDraft {
        area: Some("LL".into()),
        ..draft("X1410")
    };
    assert_eq!(
        q.validate(Some(&quadrant), TODAY).unwrap().site.area(),
        Some("LL")
    );
    let sextant = code("X4910", AreaType::Sextant);
    let s = ProcedureDraft {
        area: Some("S7".into()),
        ..draft("X4910")
    };
    assert_eq!(problems(&s, Some(&sextant))[0].1, "must be S1 to S6");
    let mouth = code("X1110", AreaType::Mouth);
    assert_eq!(
        draft("X1110").validate(Some(&mouth), TODAY).unwrap().site,
        Site::Mouth
    );
    let tooth_code = code("X2710", AreaType::Tooth);
    let surfaces_on_crown = ProcedureDraft {
        tooth: Some("3".into()),
        surfaces: Some("MO".into()),
        ..draft("X2710")
    };
    assert_eq!(
        problems(&surfaces_on_crown, Some(&tooth_code))[0].0,
        "surfaces"
    );
}

#[test]
fn a_tooth_range_is_one_arch_of_regular_teeth_each_once() {
    let bridge = code("X6210", AreaType::ToothRange);
    let with = |teeth: &[&str]| ProcedureDraft {
        teeth: Some(teeth.iter().map(|t| t.to_string()).collect()),
        ..draft("X6210")
    };
    let p = with(&["5", "3", "4"])
        .validate(Some(&bridge), TODAY)
        .unwrap();
    assert_eq!(p.site.to_string(), "3,4,5");
    for bad in [
        &["3"][..],
        &["3", "3"],
        &["14", "19"],
        &["3", "53"],
        &["3", "C"],
        &["3", "x"],
    ] {
        assert!(with(bad).validate(Some(&bridge), TODAY).is_err(), "{bad:?}");
    }
}

#[test]
fn statuses_dates_fees_and_diagnoses() {
    let c = code("X7110", AreaType::Tooth);
    let base = ProcedureDraft {
        tooth: Some("1".into()),
        ..draft("X7110")
    };
    let done = ProcedureDraft {
        status: Some("completed".into()),
        ..base.clone()
    };
    assert_eq!(
        done.validate(Some(&c), TODAY).unwrap().completed_on,
        Some(TODAY)
    );
    let future = ProcedureDraft {
        completed_on: Some("2026-12-07".into()),
        ..done.clone()
    };
    assert_eq!(problems(&future, Some(&c))[0].0, "completed_on");
    let planned_with_completion = ProcedureDraft {
        completed_on: Some("2026-12-01".into()),
        ..base.clone()
    };
    assert_eq!(
        problems(&planned_with_completion, Some(&c))[0].0,
        "completed_on"
    );
    let error = ProcedureDraft {
        status: Some("entered_in_error".into()),
        ..base.clone()
    };
    assert_eq!(problems(&error, Some(&c))[0].0, "status");
    let fee = ProcedureDraft {
        fee: Some(-1),
        ..base.clone()
    };
    assert_eq!(problems(&fee, Some(&c))[0].0, "fee");
    let dx = ProcedureDraft {
        diagnosis_codes: vec!["k0252".into(), "K08.1".into()],
        ..base.clone()
    };
    assert_eq!(
        dx.validate(Some(&c), TODAY).unwrap().diagnosis_codes,
        ["K02.52", "K08.1"]
    );
    let bad_dx = ProcedureDraft {
        diagnosis_codes: vec!["K02.52".into(), "not a code".into()],
        ..base.clone()
    };
    assert_eq!(problems(&bad_dx, Some(&c))[0].0, "diagnosis_codes[1]");
    assert_eq!(problems(&base, None)[0].0, "code");
    let control = ProcedureDraft {
        note: Some("line one\nline\u{7} two".into()),
        ..base
    };
    assert_eq!(problems(&control, Some(&c))[0].0, "note");
}

#[test]
fn procedure_codes_are_validated_and_money_is_read_as_people_write_it() {
    let d = ProcedureCodeDraft {
        code: " x1110 ".into(),
        description: "Demo: periodic exam".into(),
        area_type: "Mouth".into(),
        default_fee: Some("65.00".into()),
    };
    let c = d.validate().unwrap();
    assert_eq!(
        (c.code.as_str(), c.area_type, c.default_fee),
        ("X1110", AreaType::Mouth, 6_500)
    );
    let punctuated = ProcedureCodeDraft {
        description: "Demo: crown; porcelain/metal <high noble>".into(),
        ..d.clone()
    };
    assert!(
        punctuated.validate().is_ok(),
        "licensed lists use punctuation"
    );
    let control = ProcedureCodeDraft {
        description: "Demo:\u{7} crown".into(),
        ..d.clone()
    };
    assert!(control.validate().is_err());
    let bad = ProcedureCodeDraft {
        code: "X 1".into(),
        description: " ".into(),
        area_type: "jaw".into(),
        default_fee: Some("-3".into()),
    };
    let fields: Vec<String> = bad
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| p.field.into_owned())
        .collect();
    assert_eq!(fields, ["code", "description", "area_type", "default_fee"]);
    for (text, minor) in [
        ("125", 12_500),
        ("125.5", 12_550),
        ("1,250.05", 125_005),
        ("$0.99", 99),
    ] {
        assert_eq!(parse_decimal_money(text), Some(minor), "{text}");
    }
    for text in ["", ".", "1.234", "12a", "-1", "1e3", "9999999999"] {
        assert_eq!(parse_decimal_money(text), None, "{text}");
    }
}

#[test]
fn demo_codes_are_valid_and_never_cdt() {
    for c in demo_codes() {
        assert!(c.code.starts_with('X'), "{}", c.code);
        assert!(c.description.starts_with("Demo: "));
        assert_eq!(canonical_code(&c.code).as_deref(), Some(c.code.as_str()));
    }
}

#[test]
fn completed_work_locks_when_its_window_has_passed() {
    assert!(!is_locked(None, 10));
    assert!(!is_locked(Some(11), 10));
    assert!(is_locked(Some(10), 10));
}

#[test]
fn a_site_is_rebuilt_from_its_stored_parts() {
    let sites = [
        Site::Mouth,
        Site::Arch(Arch::Lower),
        Site::Quadrant(Quadrant::UpperLeft),
        Site::Sextant(Sextant::S5),
        Site::Tooth(tooth("AS")),
        Site::Surfaces(
            tooth("30"),
            Surfaces::parse_for("MOD", tooth("30")).unwrap(),
        ),
        Site::Teeth(vec![tooth("3"), tooth("4"), tooth("5")]),
    ];
    for site in sites {
        let teeth: Vec<String> = match &site {
            Site::Teeth(t) => t.iter().map(Tooth::to_string).collect(),
            _ => Vec::new(),
        };
        let tooth_text = site.tooth().map(|t| t.to_string());
        let surfaces = site.surfaces().map(|s| s.to_string());
        let rebuilt = Site::from_parts(
            site.area_type(),
            tooth_text.as_deref(),
            surfaces.as_deref(),
            site.area(),
            &teeth,
        );
        assert_eq!(rebuilt, Some(site));
    }
    assert_eq!(
        Site::from_parts(AreaType::Surface, Some("3"), Some("I"), None, &[]),
        None
    );
    assert_eq!(
        Site::from_parts(AreaType::Arch, None, None, Some("X"), &[]),
        None
    );
}
