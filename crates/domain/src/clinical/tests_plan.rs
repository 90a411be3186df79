#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::*;

const A: &str = "018f3b7e-0000-7000-8000-00000000000a";
const B: &str = "018f3b7e-0000-7000-8000-00000000000b";
const C: &str = "018f3b7e-0000-7000-8000-00000000000c";

fn id(n: usize) -> String {
    format!("018f3b7e-0000-7000-8000-{n:012x}")
}

fn plan_draft(value: serde_json::Value) -> PlanDraft {
    serde_json::from_value(value).unwrap()
}

fn fields(value: serde_json::Value) -> Vec<String> {
    plan_draft(value)
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| p.field.into_owned())
        .collect()
}

fn problems(value: serde_json::Value) -> Vec<(String, String)> {
    plan_draft(value)
        .validate()
        .unwrap_err()
        .into_iter()
        .map(|p| (p.field.into_owned(), p.problem.into_owned()))
        .collect()
}

fn two_phases() -> serde_json::Value {
    json!({
        "title": "  Restore   upper right ",
        "note": "Start with the urgent tooth.",
        "phases": [
            {"name": "Urgent", "lines": [{"procedure_id": A, "insurance_estimate": 4000}]},
            {"name": "Later", "lines": [
                {"procedure_id": B},
                {"procedure_id": C, "insurance_estimate": 1000, "patient_portion": 500},
            ]},
        ]
    })
}

fn facts(id: &str, code: &str, site: &str, fee: i64) -> PlannedProcedureFacts {
    PlannedProcedureFacts {
        id: id.into(),
        code: code.into(),
        description: format!("Demo: {code}"),
        site: site.into(),
        fee,
    }
}

fn all_facts() -> Vec<PlannedProcedureFacts> {
    vec![
        facts(C, "X2160", "30 MOD", 2_000),
        facts(A, "X2740", "3", 10_000),
        facts(B, "X1110", "mouth", 6_500),
    ]
}

fn frozen() -> Vec<FrozenLine> {
    let plan = plan_draft(two_phases()).validate().unwrap();
    freeze(&plan, &all_facts()).unwrap()
}

#[test]
fn plan_statuses_move_forward_only() {
    use PlanStatus::*;
    let allowed = [
        (Draft, Presented),
        (Draft, Superseded),
        (Presented, Accepted),
        (Presented, Declined),
        (Presented, Superseded),
    ];
    for from in PlanStatus::ALL {
        for to in PlanStatus::ALL {
            assert_eq!(
                from.can_become(*to),
                allowed.contains(&(*from, *to)),
                "{from} -> {to}"
            );
        }
    }
    let finals: Vec<PlanStatus> = PlanStatus::ALL
        .iter()
        .copied()
        .filter(|s| s.is_final())
        .collect();
    assert_eq!(finals, [Accepted, Declined, Superseded]);
    assert_eq!(PlanStatus::parse("superseded"), Some(Superseded));
}

#[test]
fn a_valid_plan_keeps_its_phases_in_order() {
    let plan = plan_draft(two_phases()).validate().unwrap();
    assert_eq!(plan.title, "Restore upper right");
    assert_eq!(plan.note.as_deref(), Some("Start with the urgent tooth."));
    let names: Vec<&str> = plan.phases.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["Urgent", "Later"]);
    assert_eq!(plan.procedure_ids(), [A, B, C]);
    assert_eq!(plan.phases[0].lines[0].insurance_estimate, Some(4000));
    assert_eq!(plan.phases[1].lines[0].patient_portion, None);
}

#[test]
fn a_plan_has_one_to_ten_phases_each_with_lines_and_at_most_100_lines() {
    assert_eq!(
        problems(json!({"title": "T", "phases": []})),
        [("phases".into(), "a plan needs at least one phase".into())]
    );
    let phase = |n: usize| json!({"name": format!("P{n}"), "lines": [{"procedure_id": id(n)}]});
    let ten: Vec<serde_json::Value> = (0..10).map(phase).collect();
    assert!(
        plan_draft(json!({"title": "T", "phases": ten}))
            .validate()
            .is_ok()
    );
    let eleven: Vec<serde_json::Value> = (0..11).map(phase).collect();
    assert_eq!(fields(json!({"title": "T", "phases": eleven})), ["phases"]);
    let lines = |range: std::ops::Range<usize>| -> Vec<serde_json::Value> {
        range.map(|n| json!({"procedure_id": id(n)})).collect()
    };
    let hundred = json!({"title": "T", "phases": [
        {"name": "One", "lines": lines(0..60)}, {"name": "Two", "lines": lines(60..100)}]});
    assert_eq!(
        plan_draft(hundred)
            .validate()
            .unwrap()
            .procedure_ids()
            .len(),
        100
    );
    let too_many = json!({"title": "T", "phases": [
        {"name": "One", "lines": lines(0..60)}, {"name": "Two", "lines": lines(60..101)}]});
    assert_eq!(
        problems(too_many),
        [("phases".into(), "at most 100 procedures in one plan".into())]
    );
    let empty = json!({"title": "T", "phases": [phase(1), {"name": "Empty"}]});
    assert_eq!(fields(empty), ["phases[1].lines"]);
}

#[test]
fn titles_and_phase_names_are_single_lines() {
    let with = |title: &str, name: &str| json!({"title": title, "phases": [{"name": name, "lines": [{"procedure_id": A}]}]});
    assert_eq!(fields(with(" ", "")), ["title", "phases[0].name"]);
    assert!(
        plan_draft(with(&"t".repeat(200), &"n".repeat(100)))
            .validate()
            .is_ok()
    );
    let long = problems(with(&"t".repeat(201), &"n".repeat(101)));
    assert_eq!(
        long[0],
        (
            "title".into(),
            "is too long (at most 200 characters)".into()
        )
    );
    assert_eq!(
        long[1],
        (
            "phases[0].name".into(),
            "is too long (at most 100 characters)".into()
        )
    );
    assert_eq!(fields(with("<script>", "a;b")), ["title", "phases[0].name"]);
    assert_eq!(fields(with("a\u{0}b", "ok")), ["title"]);
    let note = json!({"title": "T", "note": "n".repeat(2001),
        "phases": [{"name": "P", "lines": [{"procedure_id": A}]}]});
    assert_eq!(fields(note), ["note"]);
}

#[test]
fn procedure_ids_are_canonical_uuids_each_once() {
    let with = |ids: &[&str]| {
        let lines: Vec<serde_json::Value> =
            ids.iter().map(|i| json!({"procedure_id": i})).collect();
        json!({"title": "T", "phases": [{"name": "P", "lines": lines}]})
    };
    let bad = [
        A.to_uppercase(),
        A.replace('-', ""),
        format!("{{{A}}}"),
        "1 OR 1=1".to_string(),
        String::new(),
    ];
    for b in &bad {
        let found = problems(with(&[b]));
        assert_eq!(found[0].0, "phases[0].lines[0].procedure_id", "{b}");
        assert!(
            !found[0].1.contains(b.as_str()) || b.is_empty(),
            "never echoed"
        );
    }
    let twice = json!({"title": "T", "phases": [
        {"name": "P1", "lines": [{"procedure_id": A}, {"procedure_id": B}]},
        {"name": "P2", "lines": [{"procedure_id": C}, {"procedure_id": B}]}]});
    assert_eq!(
        problems(twice),
        [(
            "phases[1].lines[1].procedure_id".into(),
            "is already in this plan (phases[0].lines[1])".into()
        )]
    );
    let amounts = json!({"title": "T", "phases": [{"name": "P", "lines": [
        {"procedure_id": A, "insurance_estimate": -1, "patient_portion": 100_000_000}]}]});
    assert_eq!(
        fields(amounts),
        [
            "phases[0].lines[0].insurance_estimate",
            "phases[0].lines[0].patient_portion"
        ]
    );
}

#[test]
fn freezing_copies_the_facts_and_fills_in_the_estimates() {
    let lines = frozen();
    assert_eq!(lines.len(), 3);
    let a = &lines[0];
    assert_eq!(
        (a.phase, a.phase_name.as_str(), a.position),
        (1, "Urgent", 1)
    );
    assert_eq!(
        (a.procedure_id.as_str(), a.code.as_str(), a.site.as_str()),
        (A, "X2740", "3")
    );
    assert_eq!(a.description, "Demo: X2740");
    assert_eq!(
        (a.fee, a.insurance_estimate, a.patient_portion),
        (10_000, 4_000, 6_000)
    );
    let b = &lines[1];
    assert_eq!(
        (b.phase, b.phase_name.as_str(), b.position),
        (2, "Later", 2)
    );
    assert_eq!(
        (b.insurance_estimate, b.patient_portion, b.write_off()),
        (0, 6_500, 0)
    );
    let c = &lines[2];
    assert_eq!(c.position, 3, "positions run across the whole plan");
    assert_eq!(
        (c.insurance_estimate, c.patient_portion, c.write_off()),
        (1_000, 500, 500)
    );
}

#[test]
fn estimates_may_not_exceed_the_fee_and_every_procedure_must_be_found() {
    let plan = |ins: Option<i64>, pp: Option<i64>| {
        plan_draft(json!({"title": "T", "phases": [{"name": "P", "lines": [
            {"procedure_id": A, "insurance_estimate": ins, "patient_portion": pp}]}]}))
        .validate()
        .unwrap()
    };
    let fee = vec![facts(A, "X1", "3", 1_000)];
    let result = |ins, pp| {
        freeze(&plan(ins, pp), &fee).map(|l| (l[0].insurance_estimate, l[0].patient_portion))
    };
    assert_eq!(result(Some(1_000), None), Ok((1_000, 0)));
    assert_eq!(result(Some(0), Some(1_000)), Ok((0, 1_000)));
    assert_eq!(result(Some(400), Some(600)), Ok((400, 600)));
    assert_eq!(
        result(Some(400), Some(0)),
        Ok((400, 0)),
        "the rest is written off"
    );
    let refused = |ins, pp| {
        result(ins, pp)
            .unwrap_err()
            .into_iter()
            .map(|p| p.field.into_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        refused(Some(1_001), None),
        ["phases[0].lines[0].insurance_estimate"]
    );
    assert_eq!(
        refused(Some(400), Some(601)),
        ["phases[0].lines[0].patient_portion"]
    );
    assert_eq!(
        refused(None, Some(1_001)),
        ["phases[0].lines[0].patient_portion"]
    );
    let missing = freeze(&plan(None, None), &[facts(B, "X1", "3", 1_000)]).unwrap_err();
    assert_eq!(missing[0].field, "phases[0].lines[0].procedure_id");
    assert_eq!(
        missing[0].problem,
        "is not a planned procedure of this patient"
    );
}

#[test]
fn totals_per_phase_and_overall() {
    let t = totals(&frozen());
    assert_eq!(t.phases.len(), 2);
    assert_eq!(
        (t.phases[0].phase, t.phases[0].phase_name.as_str()),
        (1, "Urgent")
    );
    let p1 = t.phases[0].totals;
    assert_eq!(
        (p1.fee, p1.insurance_estimate, p1.patient_portion),
        (10_000, 4_000, 6_000)
    );
    let p2 = t.phases[1].totals;
    assert_eq!(
        (p2.fee, p2.insurance_estimate, p2.patient_portion),
        (8_500, 1_000, 7_000)
    );
    assert_eq!(p2.write_off(), 500);
    let all = t.overall;
    assert_eq!(
        (all.fee, all.insurance_estimate, all.patient_portion),
        (18_500, 5_000, 13_000)
    );
    assert_eq!(all.write_off(), 500);
    let empty = totals(&[]);
    assert!(empty.phases.is_empty());
    assert_eq!(empty.overall, PlanTotals::default());
}

fn bytes(lines: &[FrozenLine]) -> Vec<u8> {
    canonical_bytes(A, B, "Title", Some("Note"), lines)
}

#[test]
fn canonical_bytes_bind_every_field_of_every_line_and_their_order() {
    let lines = frozen();
    let base = bytes(&lines);
    assert_eq!(base, bytes(&frozen()), "deterministic");
    assert!(base.starts_with(b"\0\0\0\x0eenamel-plan-v1"));
    type Edit = fn(&mut FrozenLine);
    let edits: [Edit; 10] = [
        |l| l.phase += 1,
        |l| l.phase_name.push('x'),
        |l| l.position += 1,
        |l| l.procedure_id.push('0'),
        |l| l.code.push('1'),
        |l| l.description.push('.'),
        |l| l.site.push('O'),
        |l| l.fee += 1,
        |l| l.insurance_estimate += 1,
        |l| l.patient_portion -= 1,
    ];
    for i in 0..lines.len() {
        for (k, edit) in edits.iter().enumerate() {
            let mut changed = lines.clone();
            edit(&mut changed[i]);
            assert_ne!(bytes(&changed), base, "line {i}, field {k}");
        }
    }
    let mut swapped = lines.clone();
    swapped.swap(1, 2);
    assert_ne!(bytes(&swapped), base);
    assert_ne!(bytes(&lines[..2]), base);
    assert_ne!(canonical_bytes(C, B, "Title", Some("Note"), &lines), base);
    assert_ne!(canonical_bytes(A, C, "Title", Some("Note"), &lines), base);
    assert_ne!(canonical_bytes(A, B, "Title.", Some("Note"), &lines), base);
    assert_ne!(canonical_bytes(A, B, "Title", Some("Note."), &lines), base);
    assert_ne!(canonical_bytes(A, B, "Title", None, &lines), base);
}

#[test]
fn canonical_bytes_are_unambiguous() {
    assert_ne!(
        canonical_bytes("ab", "c", "t", None, &[]),
        canonical_bytes("a", "bc", "t", None, &[])
    );
    assert_ne!(
        canonical_bytes("p", "q", "ab", Some("c"), &[]),
        canonical_bytes("p", "q", "a", Some("bc"), &[])
    );
    assert_ne!(
        canonical_bytes("p", "q", "t", None, &[]),
        canonical_bytes("p", "q", "t", Some(""), &[])
    );
    let mut lines = frozen();
    let mut moved = lines.clone();
    lines[0].code = "ab".into();
    lines[0].description = "c".into();
    moved[0].code = "a".into();
    moved[0].description = "bc".into();
    assert_ne!(bytes(&lines), bytes(&moved));
}

fn acceptance(value: serde_json::Value) -> Result<Acceptance, Vec<String>> {
    let draft: AcceptanceDraft = serde_json::from_value(value).unwrap();
    draft
        .validate()
        .map_err(|ps| ps.into_iter().map(|p| p.field.into_owned()).collect())
}

fn signed(signature: serde_json::Value) -> Result<Acceptance, Vec<String>> {
    acceptance(
        json!({"accepted_by": "patient", "signer_name": "Ana  María O'Neil",
        "channel": "in_office", "signature": signature}),
    )
}

#[test]
fn an_acceptance_names_who_signed_where_and_how() {
    let a = signed(json!({"kind": "typed", "text": " Ana María O'Neil "})).unwrap();
    assert_eq!(a.accepted_by, AcceptedBy::Patient);
    assert_eq!(a.channel, AcceptanceChannel::InOffice);
    assert_eq!(a.signer_name, "Ana María O'Neil");
    assert_eq!(a.signature, Signature::Typed("Ana María O'Neil".into()));
    let proxy = acceptance(
        json!({"accepted_by": "responsible_party", "signer_name": "Li Wei",
        "channel": "portal", "signature": {"kind": "drawn", "strokes": [[[0, 0], [1000, 1000]]]}}),
    )
    .unwrap();
    assert_eq!(proxy.accepted_by, AcceptedBy::ResponsibleParty);
    assert_eq!(proxy.channel, AcceptanceChannel::Portal);
    assert_eq!(
        proxy.signature,
        Signature::Drawn(vec![vec![(0, 0), (1000, 1000)]])
    );
    let bad = acceptance(json!({"accepted_by": "mother", "signer_name": " ",
        "channel": "fax", "signature": {"kind": "typed", "text": "  "}}));
    assert_eq!(
        bad.unwrap_err(),
        ["accepted_by", "signer_name", "channel", "signature.text"]
    );
    assert_eq!(
        signed(json!({"kind": "typed", "text": "x".repeat(201)})).unwrap_err(),
        ["signature.text"]
    );
    assert!(signed(json!({"kind": "typed", "text": "x".repeat(200)})).is_ok());
}

#[test]
fn the_signature_json_is_closed() {
    let parse = |v: serde_json::Value| serde_json::from_value::<SignatureDraft>(v);
    assert!(parse(json!({"kind": "typed", "text": "A"})).is_ok());
    assert!(parse(json!({"kind": "typed", "text": "A", "font": "cursive"})).is_err());
    assert!(parse(json!({"kind": "stamp", "text": "A"})).is_err());
    assert!(parse(json!({"text": "A"})).is_err());
    assert!(parse(json!({"kind": "drawn", "strokes": [[[1.5, 2]]]})).is_err());
    assert!(parse(json!({"kind": "drawn", "strokes": [[[1, 2], [3, 4]]]})).is_ok());
}

#[test]
fn drawn_signatures_are_bounded() {
    let stroke =
        |n: usize| -> serde_json::Value { (0..n).map(|i| json!([i % 1001, 500])).collect() };
    let drawn =
        |strokes: Vec<serde_json::Value>| signed(json!({"kind": "drawn", "strokes": strokes}));
    assert_eq!(drawn(vec![]).unwrap_err(), ["signature.strokes"]);
    assert!(drawn(vec![stroke(2); 50]).is_ok());
    assert_eq!(
        drawn(vec![stroke(2); 51]).unwrap_err(),
        ["signature.strokes"]
    );
    assert!(drawn(vec![stroke(100); 50]).is_ok(), "5000 points");
    assert_eq!(
        drawn(vec![stroke(2500), stroke(2501)]).unwrap_err(),
        ["signature.strokes"]
    );
    assert_eq!(
        drawn(vec![stroke(2), stroke(1)]).unwrap_err(),
        ["signature.strokes[1]"]
    );
    let mut bad = vec![stroke(3), stroke(3), stroke(3), stroke(3)];
    bad[0][1] = json!([1001, 0]);
    bad[1][2] = json!([0, -1]);
    bad[2][0] = json!([1, 2, 3]);
    bad[3][1] = json!([]);
    bad[3][2] = json!([9999, 9999]);
    assert_eq!(
        drawn(bad).unwrap_err(),
        [
            "signature.strokes[0][1]",
            "signature.strokes[1][2]",
            "signature.strokes[2][0]",
            "signature.strokes[3][1]"
        ]
    );
}

#[test]
fn signature_bytes_are_deterministic_and_unambiguous() {
    let typed = Signature::Typed("Ana".into());
    assert_eq!(
        typed.canonical_bytes(),
        Signature::Typed("Ana".into()).canonical_bytes()
    );
    assert!(
        typed
            .canonical_bytes()
            .starts_with(b"\0\0\0\x13enamel-signature-v1")
    );
    assert_ne!(
        typed.canonical_bytes(),
        Signature::Typed("Ann".into()).canonical_bytes()
    );
    let one = Signature::Drawn(vec![vec![(1, 2), (3, 4), (5, 6), (7, 8)]]);
    let two = Signature::Drawn(vec![vec![(1, 2), (3, 4)], vec![(5, 6), (7, 8)]]);
    let swapped = Signature::Drawn(vec![vec![(2, 1), (3, 4), (5, 6), (7, 8)]]);
    assert_ne!(
        one.canonical_bytes(),
        two.canonical_bytes(),
        "where a stroke ends counts"
    );
    assert_ne!(one.canonical_bytes(), swapped.canonical_bytes());
    let three_two = Signature::Drawn(vec![vec![(1, 1), (2, 2), (3, 3)], vec![(4, 4), (5, 5)]]);
    let two_three = Signature::Drawn(vec![vec![(1, 1), (2, 2)], vec![(3, 3), (4, 4), (5, 5)]]);
    assert_ne!(three_two.canonical_bytes(), two_three.canonical_bytes());
    assert_eq!(one.canonical_bytes(), one.clone().canonical_bytes());
    assert_ne!(
        Signature::Typed(String::new()).canonical_bytes(),
        Signature::Drawn(vec![]).canonical_bytes()
    );
}

#[test]
fn debug_output_shows_no_plan_value() {
    let d = plan_draft(two_phases());
    let plan = d.validate().unwrap();
    let lines = frozen();
    let t = totals(&lines);
    let a = signed(json!({"kind": "typed", "text": "Ana O'Neil"})).unwrap();
    for text in [
        format!("{d:?}"),
        format!("{plan:?}"),
        format!("{:?}", plan.phases[0]),
        format!("{:?}", lines[0]),
        format!("{:?}", all_facts()[0]),
        format!("{t:?}"),
        format!("{a:?}"),
        format!("{:?}", a.signature),
    ] {
        for secret in [
            "Restore", "Urgent", "urgent", "X27", "10000", "4000", "O'Neil", "018f",
        ] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
