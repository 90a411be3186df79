//! Clinical notes through the app layer: a draft signed with the practice's record-signing
//! key, never changed afterwards (by the room or the database), corrected by signed addenda;
//! a signature that no longer holds is reported, key rotation keeps it holding. Runs on the
//! engine `ENAMEL_TEST_DATABASE_URL` selects.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{fixture, raw};
use enamel_app::{
    AppError, Chart, Expected, NoteClaims, RequestOrigin, SignatureCheck, SystemReason,
};
use enamel_domain::clinical::{AddendumDraft, NoteDraft};
use enamel_domain::{PatientDraft, PatientId};

fn chart(f: &common::Fixture) -> Chart<'_> {
    f.app
        .system_bypassing_policy(f.practice, SystemReason::Import, RequestOrigin::cli())
        .chart()
}

async fn patient(f: &common::Fixture) -> PatientId {
    f.patients()
        .create(&PatientDraft {
            family_name: "Notary".into(),
            given_name: "Demo".into(),
            birth_date: "1985-03-04".into(),
            ..Default::default()
        })
        .await
        .unwrap()
}

fn draft(body: &str) -> NoteDraft {
    NoteDraft {
        kind: "progress".into(),
        body: body.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_signed_note_verifies_never_changes_and_gains_signed_addenda() {
    let f = fixture().await;
    let p = patient(&f).await;
    let c = chart(&f);
    let written = c
        .write_note(p, &draft("Synthetic: first version."))
        .await
        .unwrap();
    assert_eq!(written.signature, SignatureCheck::Unsigned);
    let edited = c
        .edit_note(
            written.id,
            &draft("Synthetic: reviewed text."),
            Expected::Version(1),
            &NoteClaims::default(),
        )
        .await
        .unwrap();
    assert_eq!(edited.row_version, 2);
    let signed = c.sign_note(written.id, Expected::Version(2)).await.unwrap();
    assert!(signed.signed);
    assert_eq!(signed.signature, SignatureCheck::Valid);
    assert!(matches!(
        c.edit_note(
            written.id,
            &draft("Synthetic: rewritten."),
            Expected::Any,
            &NoteClaims::default(),
        )
        .await,
        Err(AppError::Refused(_))
    ));
    assert!(matches!(
        c.sign_note(written.id, Expected::Any).await,
        Err(AppError::Refused(_))
    ));
    let addendum = c
        .add_note_addendum(
            written.id,
            &AddendumDraft {
                body: "Synthetic: correction.".into(),
            },
        )
        .await
        .unwrap();
    assert_eq!(addendum.signature, SignatureCheck::Valid);
    let read = c.note(written.id).await.unwrap();
    assert_eq!(read.note.body, "Synthetic: reviewed text.");
    assert_eq!(read.signature, SignatureCheck::Valid);
    assert_eq!(read.addenda.len(), 1);
    assert_eq!(read.addenda[0].signature, SignatureCheck::Valid);
    // The database refuses a change to a signed note, and its deletion.
    for sql in [
        format!(
            "UPDATE clinical_notes SET kind = 'diagnosis' WHERE id = '{}'",
            written.id
        ),
        format!("DELETE FROM clinical_notes WHERE id = '{}'", written.id),
        format!(
            "UPDATE note_addenda SET author_id = 'x' WHERE id = '{}'",
            addendum.id
        ),
    ] {
        assert!(raw(&f.t.db, &sql).await.is_err(), "allowed: {sql}");
    }
    // Key rotation re-seals the text; the signature, over the text, still holds.
    f.app
        .rotate_data_key(f.practice, RequestOrigin::cli())
        .await
        .unwrap();
    f.app
        .reencrypt(f.practice, RequestOrigin::cli(), 2, &mut |_, _| {})
        .await
        .unwrap();
    let after = c.note(written.id).await.unwrap();
    assert_eq!(after.signature, SignatureCheck::Valid);
    assert_eq!(after.addenda[0].signature, SignatureCheck::Valid);
    let row =
        f.t.db
            .note(&f.practice.to_string(), &written.id.to_string())
            .await
            .unwrap();
    assert_eq!(row.key_version, 2);
}

async fn drop_note_triggers(db: &enamel_store::Db) {
    let sql = match db {
        enamel_store::Db::Sqlite(..) => "DROP TRIGGER clinical_notes_refuse_signed_update",
        enamel_store::Db::Postgres(_) => {
            "DROP TRIGGER clinical_notes_refuse_signed_update ON clinical_notes"
        }
    };
    raw(db, sql).await.unwrap();
}

#[tokio::test]
async fn a_signed_note_changed_in_the_database_no_longer_verifies() {
    let f = fixture().await;
    let p = patient(&f).await;
    let c = chart(&f);
    let note = c
        .write_note(p, &draft("Synthetic: signed text."))
        .await
        .unwrap();
    c.sign_note(note.id, Expected::Any).await.unwrap();
    // What an attacker with the database's owner rights could do.
    drop_note_triggers(&f.t.db).await;
    let id = note.id.to_string();
    let row = f.t.db.note(&f.practice.to_string(), &id).await.unwrap();
    let mut signature = row.signature.unwrap();
    signature[0] ^= 1;
    let hex = hex::encode(&signature);
    let literal = match &f.t.db {
        enamel_store::Db::Sqlite(..) => format!("X'{hex}'"),
        enamel_store::Db::Postgres(_) => format!("'\\x{hex}'::bytea"),
    };
    raw(
        &f.t.db,
        &format!("UPDATE clinical_notes SET signature = {literal} WHERE id = '{id}'"),
    )
    .await
    .unwrap();
    assert_eq!(
        c.note(note.id).await.unwrap().signature,
        SignatureCheck::Invalid
    );
    // A signer or time rewritten, the text untouched: the signature no longer covers it.
    raw(
        &f.t.db,
        &format!("UPDATE clinical_notes SET signed_ms = signed_ms + 1 WHERE id = '{id}'"),
    )
    .await
    .unwrap();
    assert_eq!(
        c.note(note.id).await.unwrap().signature,
        SignatureCheck::Invalid
    );
    // One byte of the sealed text: it does not even open.
    let mut body =
        f.t.db
            .note(&f.practice.to_string(), &id)
            .await
            .unwrap()
            .body;
    body[25] ^= 1;
    let hex = hex::encode(&body);
    let literal = match &f.t.db {
        enamel_store::Db::Sqlite(..) => format!("X'{hex}'"),
        enamel_store::Db::Postgres(_) => format!("'\\x{hex}'::bytea"),
    };
    raw(
        &f.t.db,
        &format!("UPDATE clinical_notes SET body = {literal} WHERE id = '{id}'"),
    )
    .await
    .unwrap();
    assert!(matches!(c.note(note.id).await, Err(AppError::Integrity(_))));
}

#[tokio::test]
async fn drafts_are_the_authors_links_are_the_patients_and_addenda_wait_for_a_signature() {
    let f = fixture().await;
    let p = patient(&f).await;
    let c = chart(&f);
    let note = c.write_note(p, &draft("Synthetic draft.")).await.unwrap();
    assert!(matches!(
        c.add_note_addendum(
            note.id,
            &AddendumDraft {
                body: "Too early.".into()
            }
        )
        .await,
        Err(AppError::Refused(_))
    ));
    let foreign = NoteDraft {
        procedure_id: Some(enamel_domain::ProcedureId::new().to_string()),
        ..draft("Linked to nothing.")
    };
    let Err(AppError::Invalid(problems)) = c.write_note(p, &foreign).await else {
        panic!("a note was linked to a procedure that is not the patient's")
    };
    assert_eq!(problems[0].field, "procedure_id");
    assert_eq!(c.notes(p).await.unwrap().records.len(), 1);
}
