#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashSet;

use serde_json::json;
use time::macros::date;

use super::*;

const TODAY: time::Date = date!(2026 - 12 - 06);

fn t(n: u8) -> Tooth {
    Tooth::permanent(n)
}

fn draft(value: serde_json::Value) -> PerioExamDraft {
    serde_json::from_value(value).unwrap()
}

fn exam(value: serde_json::Value) -> PerioExam {
    draft(value).validate(TODAY).unwrap()
}

fn problems(value: serde_json::Value) -> Vec<(String, String)> {
    draft(value)
        .validate(TODAY)
        .unwrap_err()
        .into_iter()
        .map(|p| (p.field.into_owned(), p.problem.into_owned()))
        .collect()
}

fn fields(value: serde_json::Value) -> Vec<String> {
    problems(value).into_iter().map(|p| p.0).collect()
}

fn one_tooth(tooth: serde_json::Value) -> serde_json::Value {
    json!({ "teeth": [tooth] })
}

#[test]
fn sites_are_in_array_order_with_labels() {
    let texts: Vec<&str> = PerioSite::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(texts, ["mb", "b", "db", "ml", "l", "dl"]);
    for (i, s) in PerioSite::ALL.iter().enumerate() {
        assert_eq!(s.index(), i);
        assert_eq!(s.is_facial(), i < 3);
    }
    assert_eq!(PerioSite::MesioBuccal.label(), "Mesio-buccal");
    assert_eq!(PerioSite::DistoLingual.label(), "Disto-lingual");
    assert_eq!(PerioSite::parse("ml"), Some(PerioSite::MesioLingual));
}

#[test]
fn a_charted_tooth_keeps_typed_values_and_the_exam_is_dated_today() {
    let e = exam(json!({
        "note": " recall in 3 months ",
        "provider_id": " prov-1 ",
        "teeth": [
            {"tooth": "30", "mobility": 1, "implant": false,
             "depth": [3, 2, 5, null, 4, 6],
             "margin": [1, 0, -2, null, 19, -19],
             "bleeding": [true, false, false, false, false, true],
             "plaque": [false, false, false, false, false, false],
             "furcation": [null, 2, null, null, 1, null]},
            {"tooth": " 3 "},
        ]
    }));
    assert_eq!(e.exam_date, TODAY);
    assert_eq!(e.note.as_deref(), Some("recall in 3 months"));
    assert_eq!(e.provider_id.as_deref(), Some("prov-1"));
    let order: Vec<Tooth> = e.teeth.keys().copied().collect();
    assert_eq!(order, [t(3), t(30)], "kept in Universal order");
    let c = e.teeth[&t(30)];
    assert_eq!(c.mobility, Some(1));
    assert_eq!(c.depth, [Some(3), Some(2), Some(5), None, Some(4), Some(6)]);
    assert_eq!(c.margin_at(PerioSite::DistoLingual), Some(-19));
    assert_eq!(c.furcation[1], Some(2));
    assert!(c.bleeds_at(PerioSite::MesioBuccal) && !c.bleeds_at(PerioSite::Buccal));
    assert_eq!(c.plaque, Some([false; 6]));
    assert_eq!(c.suppuration, None, "not recorded is not the same as none");
    let blank = e.teeth[&t(3)];
    assert_eq!(blank, PerioTooth::default());
    let dated = exam(json!({"exam_date": "2026-11-30", "teeth": []}));
    assert_eq!(dated.exam_date, date!(2026 - 11 - 30));
}

#[test]
fn perio_charts_only_permanent_teeth() {
    let found = problems(json!({"teeth": [
        {"tooth": "C"}, {"tooth": "51"}, {"tooth": "33"}, {"tooth": "<b>x</b>"}
    ]}));
    assert_eq!(
        found[0],
        (
            "teeth[0].tooth".into(),
            "perio charts permanent teeth 1–32; tooth C is a primary tooth".into()
        )
    );
    assert_eq!(
        found[1].1,
        "perio charts permanent teeth 1–32; tooth 51 is a supernumerary tooth"
    );
    assert_eq!(found[2].0, "teeth[2].tooth");
    assert!(found[2].1.starts_with("tooth 33 does not exist"));
    assert_eq!(found[3].0, "teeth[3].tooth");
    assert!(!found[3].1.contains('<'), "never echoes the submitted text");
    assert_eq!(found.len(), 4);
}

#[test]
fn each_value_is_checked_against_its_range_by_site() {
    let ok = one_tooth(json!({"tooth": "3", "mobility": 3,
        "depth": [0, 19, null, null, null, null],
        "margin": [-19, 19, 0, null, null, null],
        "furcation": [3, 0, null, null, null, null]}));
    assert!(draft(ok).validate(TODAY).is_ok(), "the bounds are allowed");
    let bad = one_tooth(json!({"tooth": "3", "mobility": 4,
        "depth": [-1, 20, 3, null, 1_000_000_000_000i64, null],
        "margin": [-20, 20, null, null, null, 0],
        "furcation": [4, -1, null, null, null, null]}));
    assert_eq!(
        fields(bad),
        [
            "teeth[0].mobility",
            "teeth[0].depth[0]",
            "teeth[0].depth[1]",
            "teeth[0].depth[4]",
            "teeth[0].margin[0]",
            "teeth[0].margin[1]",
            "teeth[0].furcation[0]",
            "teeth[0].furcation[1]",
        ]
    );
    let negative_mobility = one_tooth(json!({"tooth": "3", "mobility": -1}));
    assert_eq!(
        problems(negative_mobility)[0],
        ("teeth[0].mobility".into(), "must be 0 to 3 (Miller)".into())
    );
}

#[test]
fn arrays_must_have_six_sites() {
    let bad = one_tooth(json!({"tooth": "3",
        "depth": [1, 2, 3, 4, 5],
        "margin": [0, 0, 0, 0, 0, 0, 0],
        "bleeding": [true],
        "calculus": [],
        "furcation": [null, null, null, null, null, null, null]}));
    let found = problems(bad);
    let names: Vec<&str> = found.iter().map(|p| p.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "teeth[0].depth",
            "teeth[0].margin",
            "teeth[0].furcation",
            "teeth[0].bleeding",
            "teeth[0].calculus"
        ]
    );
    assert!(found[0].1.contains("MB, B, DB, ML, L, DL"));
}

#[test]
fn furcations_only_on_back_teeth_that_are_not_implants() {
    let front = one_tooth(json!({"tooth": "8", "furcation": [null, 1, null, null, null, null]}));
    assert_eq!(
        problems(front),
        [(
            "teeth[0].furcation".into(),
            "tooth 8 is a front tooth: furcations are charted on back teeth only".into()
        )]
    );
    let none_given =
        one_tooth(json!({"tooth": "8", "furcation": [null, null, null, null, null, null]}));
    assert!(draft(none_given).validate(TODAY).is_ok());
    let premolar = one_tooth(json!({"tooth": "5", "furcation": [1, null, null, null, null, null]}));
    assert!(draft(premolar).validate(TODAY).is_ok());
    let implant = one_tooth(json!({"tooth": "19", "implant": true,
        "furcation": [null, 1, null, null, null, null]}));
    assert_eq!(fields(implant), ["teeth[0].furcation"]);
    let implant_probed = one_tooth(json!({"tooth": "19", "implant": true, "mobility": 0,
        "depth": [3, 3, 3, 3, 3, 3]}));
    assert!(draft(implant_probed).validate(TODAY).unwrap().teeth[&t(19)].implant);
}

#[test]
fn a_tooth_is_charted_once_and_at_most_32() {
    let twice = json!({"teeth": [{"tooth": "3"}, {"tooth": "4"}, {"tooth": " 3 "}]});
    assert_eq!(
        problems(twice),
        [("teeth[2].tooth".into(), "tooth 3 is charted twice".into())]
    );
    let twice_and_wrong = json!({"teeth": [{"tooth": "3"}, {"tooth": "3", "mobility": 9}]});
    assert_eq!(
        fields(twice_and_wrong),
        ["teeth[1].mobility", "teeth[1].tooth"],
        "a repeat is found even when the rest of the entry is refused"
    );
    let mut teeth: Vec<serde_json::Value> =
        (1..=32).map(|n| json!({"tooth": n.to_string()})).collect();
    assert_eq!(exam(json!({"teeth": teeth.clone()})).teeth.len(), 32);
    teeth.push(json!({"tooth": "1"}));
    let found = problems(json!({"teeth": teeth}));
    assert_eq!(found[0].0, "teeth");
    assert_eq!(
        found.len(),
        1,
        "the 33rd entry is not also reported as a duplicate"
    );
}

#[test]
fn a_skipped_tooth_carries_no_measurement() {
    let missing = one_tooth(json!({"tooth": "1", "skipped": true,
        "depth": [null, null, null, null, null, null],
        "bleeding": [false, false, false, false, false, false]}));
    let e = draft(missing).validate(TODAY).unwrap();
    let c = e.teeth[&t(1)];
    assert!(c.skipped);
    assert_eq!(
        c.bleeding, None,
        "empty arrays on a missing tooth are not kept"
    );
    assert_eq!(
        c,
        PerioTooth {
            skipped: true,
            ..PerioTooth::default()
        }
    );
    for (field, value) in [
        ("mobility", json!(0)),
        ("implant", json!(true)),
        ("depth", json!([null, 2, null, null, null, null])),
        ("margin", json!([0, null, null, null, null, null])),
        ("furcation", json!([null, null, null, null, null, 1])),
        ("bleeding", json!([false, false, true, false, false, false])),
        (
            "suppuration",
            json!([true, false, false, false, false, false]),
        ),
        ("plaque", json!([true, true, true, true, true, true])),
        ("calculus", json!([false, false, false, false, false, true])),
    ] {
        let mut tooth = json!({"tooth": "2", "skipped": true});
        tooth[field] = value;
        assert_eq!(
            problems(one_tooth(tooth)),
            [(
                format!("teeth[0].{field}"),
                "tooth 2 is skipped (missing): it carries no measurement".to_string()
            )],
            "{field}"
        );
    }
}

#[test]
fn the_exam_date_and_note_follow_the_chart_rules() {
    assert_eq!(fields(json!({"exam_date": "2026-12-07"})), ["exam_date"]);
    assert_eq!(fields(json!({"exam_date": "12/01/2026"})), ["exam_date"]);
    assert_eq!(fields(json!({"note": "x".repeat(2001)})), ["note"]);
    assert!(
        draft(json!({"note": "x".repeat(2000)}))
            .validate(TODAY)
            .is_ok()
    );
    assert_eq!(fields(json!({"note": "bell\u{7}"})), ["note"]);
    let unknown: Result<PerioExamDraft, _> =
        serde_json::from_value(json!({"teeth": [{"tooth": "3", "cal": [1, 1, 1, 1, 1, 1]}]}));
    assert!(unknown.is_err(), "CAL is computed, never submitted");
}

#[test]
fn attachment_loss_is_depth_plus_margin_when_both_are_measured() {
    let e = exam(one_tooth(json!({"tooth": "14",
        "depth": [5, 3, null, 2, 4, 0],
        "margin": [2, null, 1, -2, 0, 0]})));
    let c = e.teeth[&t(14)];
    assert_eq!(c.attachment_loss(PerioSite::MesioBuccal), Some(7));
    assert_eq!(
        c.attachment_loss(PerioSite::Buccal),
        None,
        "margin not measured"
    );
    assert_eq!(
        c.attachment_loss(PerioSite::DistoBuccal),
        None,
        "depth not measured"
    );
    assert_eq!(
        c.attachment_loss(PerioSite::MesioLingual),
        Some(0),
        "overgrowth"
    );
    assert_eq!(c.attachment_loss(PerioSite::Lingual), Some(4));
    let deepest = exam(one_tooth(json!({"tooth": "14",
        "depth": [19, 0, 0, 0, 0, 0], "margin": [19, -19, 0, 0, 0, 0]})));
    assert_eq!(
        deepest.teeth[&t(14)].attachment_loss(PerioSite::MesioBuccal),
        Some(38)
    );
    assert_eq!(
        deepest.teeth[&t(14)].attachment_loss(PerioSite::Buccal),
        Some(-19)
    );
}

#[test]
fn entry_order_walks_the_mouth_the_way_the_numbers_are_called() {
    use PerioSite::*;
    let order = entry_order();
    assert_eq!(order.len(), 192);
    let unique: HashSet<(Tooth, PerioSite)> = order.iter().copied().collect();
    assert_eq!(unique.len(), 192, "each tooth and site exactly once");
    let at = |i: usize| order[i];
    // Upper facial, 1 → 16.
    assert_eq!(at(0), (t(1), DistoBuccal));
    assert_eq!(
        [at(6), at(7), at(8)],
        [(t(3), DistoBuccal), (t(3), Buccal), (t(3), MesioBuccal)]
    );
    assert_eq!(at(21), (t(8), DistoBuccal));
    assert_eq!(at(23), (t(8), MesioBuccal));
    assert_eq!(
        at(24),
        (t(9), MesioBuccal),
        "across the midline the mesial comes first"
    );
    assert_eq!(
        [at(39), at(40), at(41)],
        [(t(14), MesioBuccal), (t(14), Buccal), (t(14), DistoBuccal)]
    );
    assert_eq!(at(47), (t(16), DistoBuccal));
    // Upper lingual, 16 → 1.
    assert_eq!(
        [at(48), at(49), at(50)],
        [
            (t(16), DistoLingual),
            (t(16), Lingual),
            (t(16), MesioLingual)
        ]
    );
    assert_eq!(at(72), (t(8), MesioLingual));
    assert_eq!(at(95), (t(1), DistoLingual));
    // Lower lingual, 17 → 32.
    assert_eq!(at(96), (t(17), DistoLingual));
    assert_eq!(at(119), (t(24), MesioLingual));
    assert_eq!(at(120), (t(25), MesioLingual));
    assert_eq!(at(143), (t(32), DistoLingual));
    // Lower facial, 32 → 17.
    assert_eq!(at(144), (t(32), DistoBuccal));
    assert_eq!(at(167), (t(25), MesioBuccal));
    assert_eq!(at(168), (t(24), MesioBuccal));
    assert_eq!(at(191), (t(17), DistoBuccal));
    for (i, (tooth, site)) in order.iter().enumerate() {
        let facial_pass = !(48..144).contains(&i);
        assert_eq!(site.is_facial(), facial_pass, "{i}");
        assert_eq!(tooth.is_upper(), i < 96, "{i}");
        let middle = matches!(site, Buccal | Lingual);
        assert_eq!(
            middle,
            i % 3 == 1,
            "the middle site is always called second: {i}"
        );
    }
}

#[test]
fn the_cursor_skips_missing_teeth() {
    let e = exam(json!({"teeth": [{"tooth": "1", "skipped": true}, {"tooth": "2"}]}));
    let order = e.entry_order();
    assert_eq!(order.len(), 186);
    assert!(order.iter().all(|(tooth, _)| *tooth != t(1)));
    assert_eq!(order[0], (t(2), PerioSite::DistoBuccal));
}

fn depths(tooth: &str, depth: [Option<i64>; 6], margin: [Option<i64>; 6]) -> PerioExam {
    exam(one_tooth(
        json!({"tooth": tooth, "depth": depth, "margin": margin}),
    ))
}

#[test]
fn comparing_flags_sites_that_lost_two_millimetres() {
    let n = None;
    let older = depths(
        "3",
        [Some(3), Some(3), Some(3), Some(4), Some(2), n],
        [Some(0), Some(0), n, Some(1), Some(0), Some(0)],
    );
    let newer = depths(
        "3",
        [Some(4), Some(5), Some(1), Some(4), Some(2), Some(6)],
        [Some(0), n, Some(0), Some(1), Some(2), n],
    );
    let changes = compare(&older, &newer);
    let sites: Vec<PerioSite> = changes.iter().map(|c| c.site).collect();
    use PerioSite::*;
    assert_eq!(
        sites,
        [MesioBuccal, Buccal, DistoBuccal, MesioLingual, Lingual],
        "DL was not probed in the older exam"
    );
    let flag = |s: PerioSite| changes.iter().find(|c| c.site == s).unwrap().worsened;
    assert!(!flag(MesioBuccal), "1 mm deeper is within probing error");
    assert!(flag(Buccal), "2 mm deeper (no margin to compare)");
    assert!(!flag(DistoBuccal), "improvement");
    assert!(!flag(MesioLingual), "unchanged");
    assert!(
        flag(Lingual),
        "same depth, 2 mm more recession: attachment lost"
    );
    let db = changes.iter().find(|c| c.site == DistoBuccal).unwrap();
    assert_eq!((db.depth_before, db.depth_after), (3, 1));
    assert_eq!((db.cal_before, db.cal_after), (None, Some(1)));
    let l = changes.iter().find(|c| c.site == Lingual).unwrap();
    assert_eq!((l.cal_before, l.cal_after), (Some(2), Some(4)));
    assert!(
        compare(&older, &depths("4", [Some(9); 6], [None; 6])).is_empty(),
        "another tooth"
    );
    let missing = exam(one_tooth(json!({"tooth": "3", "skipped": true})));
    assert!(compare(&older, &missing).is_empty());
    assert!(compare(&missing, &older).is_empty());
}

#[test]
fn bleeding_share_and_deep_pockets() {
    assert_eq!(
        bleeding_percentage(&exam(json!({"teeth": [{"tooth": "3"}]}))),
        None
    );
    let e = exam(json!({"teeth": [
        {"tooth": "3", "bleeding": [true, false, false, false, false, false],
         "depth": [4, 5, 6, 3, 7, null]},
        {"tooth": "4", "skipped": true},
        {"tooth": "5", "depth": [3, 3, 3, 3, 3, 19]},
    ]}));
    assert_eq!(bleeding_percentage(&e), Some(17), "1 of 6 rounds to 17 %");
    let half = exam(json!({"teeth": [
        {"tooth": "3", "bleeding": [true, true, true, false, false, false]},
        {"tooth": "14", "bleeding": [true, true, true, true, true, true]},
    ]}));
    assert_eq!(bleeding_percentage(&half), Some(75));
    let s = summarize(&e);
    assert_eq!(s.probed_sites, 11);
    assert_eq!(s.sites_4mm_or_more, 5);
    assert_eq!(s.sites_6mm_or_more, 3);
    assert_eq!(s.bleeding_percentage, Some(17));
    assert_eq!(sites_with_depth_at_least(&e, 7), 2);
}

#[test]
fn debug_output_shows_no_clinical_value() {
    let d = draft(
        json!({"note": "Secret note", "teeth": [{"tooth": "3", "depth": [7, 7, 7, 7, 7, 7]}]}),
    );
    let e = d.validate(TODAY).unwrap();
    let c = e.teeth[&t(3)];
    let change = compare(&e, &e)[0];
    for text in [
        format!("{d:?}"),
        format!("{:?}", d.teeth[0]),
        format!("{e:?}"),
        format!("{c:?}"),
        format!("{change:?}"),
        format!("{:?}", summarize(&e)),
    ] {
        assert!(
            !text.contains('7') && !text.contains("Secret") && !text.contains("2026"),
            "{text}"
        );
    }
}
