#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::json;

use super::*;

const PROC: &str = "018f3b7e-0000-7000-8000-000000000001";
const PLAN: &str = "018f3b7e-0000-7000-8000-000000000002";

fn note(value: serde_json::Value) -> Result<Note, Vec<String>> {
    serde_json::from_value::<NoteDraft>(value)
        .unwrap()
        .validate()
        .map_err(|ps| ps.into_iter().map(|p| p.field.into_owned()).collect())
}

#[test]
fn kinds_and_states() {
    let kinds: Vec<&str> = NoteKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(kinds, ["progress", "diagnosis", "administrative", "plan"]);
    assert!(NoteState::Draft.can_become(NoteState::Signed));
    assert!(!NoteState::Signed.can_become(NoteState::Draft));
    assert!(!NoteState::Draft.can_become(NoteState::Draft));
    assert!(!NoteState::Signed.can_become(NoteState::Signed));
}

#[test]
fn a_note_has_a_kind_a_body_and_at_most_one_link() {
    let n = note(
        json!({"kind": " Progress ", "body": "  Tooth 3: MO composite.\r\nTolerated well.  ",
        "procedure_id": PROC}),
    )
    .unwrap();
    assert_eq!(n.kind, NoteKind::Progress);
    assert_eq!(n.body, "Tooth 3: MO composite.\nTolerated well.");
    assert_eq!(n.link, Some(NoteLink::Procedure(PROC.into())));
    assert_eq!((n.procedure_id(), n.plan_id()), (Some(PROC), None));
    let on_plan = note(
        json!({"kind": "plan", "body": "Discussed phases.", "plan_id": PLAN,
        "procedure_id": " "}),
    )
    .unwrap();
    assert_eq!(
        (on_plan.procedure_id(), on_plan.plan_id()),
        (None, Some(PLAN))
    );
    let loose = note(json!({"kind": "administrative", "body": "Called about forms."})).unwrap();
    assert_eq!(loose.link, None);
    assert_eq!(
        note(json!({"kind": "progress", "body": "x", "procedure_id": PROC, "plan_id": PLAN}))
            .unwrap_err(),
        ["plan_id"]
    );
    assert_eq!(
        note(
            json!({"kind": "memo", "body": " ", "procedure_id": PROC.to_uppercase(),
            "plan_id": "42"})
        )
        .unwrap_err(),
        ["kind", "body", "procedure_id", "plan_id"]
    );
    assert!(
        serde_json::from_value::<NoteDraft>(
            json!({"kind": "progress", "body": "x", "author": "me"})
        )
        .is_err()
    );
}

#[test]
fn bodies_are_free_text_up_to_20000_characters() {
    let body = |text: String| note(json!({"kind": "progress", "body": text}));
    assert!(body("é".repeat(20_000)).is_ok(), "characters, not bytes");
    assert_eq!(body("x".repeat(20_001)).unwrap_err(), ["body"]);
    assert_eq!(
        body("tab\tand\nnewline are fine, NUL\u{0} is not".into()).unwrap_err(),
        ["body"]
    );
    assert!(body("tab\tand\nnewline <are> fine; {really}".into()).is_ok());
    let addendum = |text: &str| AddendumDraft { body: text.into() }.validate();
    assert_eq!(
        addendum(" Correction: tooth 4. ").unwrap().body,
        "Correction: tooth 4."
    );
    let missing = addendum("\n ").unwrap_err();
    assert_eq!(
        (missing[0].field.as_ref(), missing[0].problem.as_ref()),
        ("body", "is required")
    );
    assert_eq!(addendum(&"x".repeat(20_001)).unwrap_err()[0].field, "body");
}

#[test]
fn templates_have_a_one_line_name_a_kind_and_a_body() {
    let t = NoteTemplateDraft {
        name: " Composite   visit ".into(),
        kind: "progress".into(),
        body: "Anesthetic: ...\nShade: ...".into(),
    }
    .validate()
    .unwrap();
    assert_eq!(
        (t.name.as_str(), t.kind),
        ("Composite visit", NoteKind::Progress)
    );
    assert_eq!(t.body, "Anesthetic: ...\nShade: ...");
    let bad = NoteTemplateDraft {
        name: "n".repeat(101),
        kind: String::new(),
        body: String::new(),
    }
    .validate()
    .unwrap_err();
    let fields: Vec<&str> = bad.iter().map(|p| p.field.as_ref()).collect();
    assert_eq!(fields, ["name", "kind", "body"]);
    assert_eq!(bad[0].problem, "is too long (at most 100 characters)");
    let markup = NoteTemplateDraft {
        name: "<b>Bold</b>".into(),
        kind: "diagnosis".into(),
        body: "x".into(),
    };
    assert_eq!(markup.validate().unwrap_err()[0].field, "name");
}

fn facts() -> SignedNoteFacts<'static> {
    SignedNoteFacts {
        practice_id: "practice",
        note_id: "note",
        patient_id: "patient",
        kind: NoteKind::Progress,
        body: "body",
        author_id: "author",
        created_ms: 1_000,
        signer_id: "signer",
        signed_ms: 2_000,
        procedure_id: Some(PROC),
        plan_id: None,
        amends: None,
    }
}

#[test]
fn the_signed_bytes_change_with_every_field() {
    let base = canonical_note_bytes(&facts());
    assert_eq!(base, canonical_note_bytes(&facts()), "deterministic");
    assert!(base.starts_with(b"\0\0\0\x0eenamel-note-v1"));
    type Edit = fn(&mut SignedNoteFacts<'static>);
    let edits: [Edit; 12] = [
        |f| f.practice_id = "practice2",
        |f| f.note_id = "note2",
        |f| f.patient_id = "patient2",
        |f| f.kind = NoteKind::Diagnosis,
        |f| f.body = "body.",
        |f| f.author_id = "author2",
        |f| f.created_ms += 1,
        |f| f.signer_id = "signer2",
        |f| f.signed_ms -= 1,
        |f| f.procedure_id = None,
        |f| f.plan_id = Some(PLAN),
        |f| f.amends = Some("original"),
    ];
    for (k, edit) in edits.iter().enumerate() {
        let mut changed = facts();
        edit(&mut changed);
        assert_ne!(canonical_note_bytes(&changed), base, "field {k}");
    }
}

#[test]
fn the_signed_bytes_are_unambiguous() {
    let with = |f: fn(&mut SignedNoteFacts<'static>)| {
        let mut facts = facts();
        f(&mut facts);
        canonical_note_bytes(&facts)
    };
    assert_ne!(with(|f| f.plan_id = None), with(|f| f.plan_id = Some("")));
    assert_ne!(
        with(|f| f.procedure_id = None),
        with(|f| f.procedure_id = Some(""))
    );
    assert_ne!(with(|f| f.amends = None), with(|f| f.amends = Some("")));
    // The same text moved between neighbouring fields.
    assert_ne!(
        with(|f| (f.practice_id, f.note_id) = ("ab", "c")),
        with(|f| (f.practice_id, f.note_id) = ("a", "bc"))
    );
    assert_ne!(
        with(|f| (f.body, f.author_id) = ("ab", "c")),
        with(|f| (f.body, f.author_id) = ("a", "bc"))
    );
    // A link moved from the procedure to the plan.
    assert_ne!(
        with(|f| (f.procedure_id, f.plan_id) = (Some(PROC), None)),
        with(|f| (f.procedure_id, f.plan_id) = (None, Some(PROC)))
    );
    // Swapped instants.
    assert_ne!(
        with(|f| (f.created_ms, f.signed_ms) = (1, 2)),
        with(|f| (f.created_ms, f.signed_ms) = (2, 1))
    );
}

#[test]
fn debug_output_shows_no_note_text() {
    let draft = NoteDraft {
        kind: "progress".into(),
        body: "Secret history".into(),
        procedure_id: Some(PROC.into()),
        plan_id: None,
    };
    let n = draft.validate().unwrap();
    let t = NoteTemplateDraft {
        name: "Secret template".into(),
        kind: "plan".into(),
        body: "Secret body".into(),
    };
    let a = AddendumDraft {
        body: "Secret addendum".into(),
    };
    for text in [
        format!("{draft:?}"),
        format!("{n:?}"),
        format!("{:?}", n.link),
        format!("{t:?}"),
        format!("{:?}", t.validate().unwrap()),
        format!("{a:?}"),
        format!("{:?}", a.validate().unwrap()),
        format!("{:?}", facts()),
    ] {
        assert!(
            !text.contains("Secret") && !text.contains("018f") && !text.contains("body\""),
            "{text}"
        );
    }
    assert!(format!("{n:?}").contains("Progress"), "the kind is not PHI");
}
