//! Clinical notes as stored: the sealed text, the plain signature, addenda (each signed when
//! written) and the practice's templates. Every query filters by practice; writes to notes and
//! addenda happen only inside a transaction.

use sqlx::Row;

use crate::{Db, StoreError, Tx, on_db, on_tx};

/// A clinical note. `body` is sealed; the signature is over the canonical note (plain text
/// included), so it is plain bytes that reveal nothing without the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRow {
    pub practice_id: String,
    pub id: String,
    pub patient_id: String,
    pub key_version: i64,
    pub kind: String,
    /// `draft` or `signed`.
    pub status: String,
    pub body: Vec<u8>,
    pub procedure_id: Option<String>,
    pub plan_id: Option<String>,
    pub author_id: String,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub updated_by: String,
    pub signed_by: Option<String>,
    pub signed_ms: Option<i64>,
    pub signature: Option<Vec<u8>>,
    pub signing_key_version: Option<i64>,
    pub row_version: i64,
}

/// An addendum to a note, signed by its author when written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteAddendumRow {
    pub practice_id: String,
    pub id: String,
    pub note_id: String,
    pub patient_id: String,
    pub key_version: i64,
    pub body: Vec<u8>,
    pub author_id: String,
    pub created_ms: i64,
    pub signature: Vec<u8>,
    pub signing_key_version: i64,
}

/// One of the practice's note templates (its own boilerplate, not PHI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteTemplateRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub body: String,
    pub created_ms: i64,
    pub created_by: String,
}

macro_rules! note_from_row {
    ($row:expr) => {
        NoteRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            kind: $row.try_get("kind")?,
            status: $row.try_get("status")?,
            body: $row.try_get("body")?,
            procedure_id: $row.try_get("procedure_id")?,
            plan_id: $row.try_get("plan_id")?,
            author_id: $row.try_get("author_id")?,
            created_ms: $row.try_get("created_ms")?,
            updated_ms: $row.try_get("updated_ms")?,
            updated_by: $row.try_get("updated_by")?,
            signed_by: $row.try_get("signed_by")?,
            signed_ms: $row.try_get("signed_ms")?,
            signature: $row.try_get("signature")?,
            signing_key_version: $row.try_get("signing_key_version")?,
            row_version: $row.try_get("row_version")?,
        }
    };
}

macro_rules! addendum_from_row {
    ($row:expr) => {
        NoteAddendumRow {
            practice_id: $row.try_get("practice_id")?,
            id: $row.try_get("id")?,
            note_id: $row.try_get("note_id")?,
            patient_id: $row.try_get("patient_id")?,
            key_version: $row.try_get("key_version")?,
            body: $row.try_get("body")?,
            author_id: $row.try_get("author_id")?,
            created_ms: $row.try_get("created_ms")?,
            signature: $row.try_get("signature")?,
            signing_key_version: $row.try_get("signing_key_version")?,
        }
    };
}

impl Tx {
    pub async fn insert_note(&mut self, n: &NoteRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO clinical_notes (practice_id, id, patient_id, key_version, kind, status, \
                 body, procedure_id, plan_id, author_id, created_ms, updated_ms, updated_by, signed_by, \
                 signed_ms, signature, signing_key_version, row_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
            )
            .bind(&n.practice_id).bind(&n.id).bind(&n.patient_id).bind(n.key_version)
            .bind(&n.kind).bind(&n.status).bind(&n.body).bind(&n.procedure_id).bind(&n.plan_id)
            .bind(&n.author_id).bind(n.created_ms).bind(n.updated_ms).bind(&n.updated_by)
            .bind(&n.signed_by).bind(n.signed_ms).bind(&n.signature).bind(n.signing_key_version)
            .bind(n.row_version)
            .execute(c).await?;
        });
        Ok(())
    }

    /// Replaces a draft note's changeable columns (its text, links and, when signing, the
    /// signature) if nobody changed it since `expected_version`. A signed note is refused by
    /// the database (`Refused`).
    pub async fn update_note(
        &mut self,
        n: &NoteRow,
        expected_version: i64,
    ) -> Result<(), StoreError> {
        let rows = on_tx!(self, c => sqlx::query(
            "UPDATE clinical_notes SET key_version = $3, kind = $4, status = $5, body = $6, \
             procedure_id = $7, plan_id = $8, updated_ms = $9, updated_by = $10, signed_by = $11, \
             signed_ms = $12, signature = $13, signing_key_version = $14, row_version = $15 \
             WHERE practice_id = $1 AND id = $2 AND row_version = $16",
        )
        .bind(&n.practice_id).bind(&n.id).bind(n.key_version).bind(&n.kind).bind(&n.status)
        .bind(&n.body).bind(&n.procedure_id).bind(&n.plan_id).bind(n.updated_ms)
        .bind(&n.updated_by).bind(&n.signed_by).bind(n.signed_ms).bind(&n.signature)
        .bind(n.signing_key_version).bind(n.row_version).bind(expected_version)
        .execute(c).await?.rows_affected());
        if rows == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict)
        }
    }

    pub async fn insert_note_addendum(&mut self, a: &NoteAddendumRow) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO note_addenda (practice_id, id, note_id, patient_id, key_version, body, \
                 author_id, created_ms, signature, signing_key_version) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(&a.practice_id).bind(&a.id).bind(&a.note_id).bind(&a.patient_id)
            .bind(a.key_version).bind(&a.body).bind(&a.author_id).bind(a.created_ms)
            .bind(&a.signature).bind(a.signing_key_version)
            .execute(c).await?;
        });
        Ok(())
    }

    pub async fn insert_note_template(
        &mut self,
        practice_id: &str,
        t: &NoteTemplateRow,
    ) -> Result<(), StoreError> {
        on_tx!(self, c => {
            sqlx::query(
                "INSERT INTO note_templates (practice_id, id, name, kind, body, created_ms, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(practice_id).bind(&t.id).bind(&t.name).bind(&t.kind).bind(&t.body)
            .bind(t.created_ms).bind(&t.created_by)
            .execute(c).await?;
        });
        Ok(())
    }
}

impl Db {
    pub async fn note(&self, practice_id: &str, id: &str) -> Result<NoteRow, StoreError> {
        on_db!(self, pool => {
            let row = sqlx::query("SELECT * FROM clinical_notes WHERE practice_id = $1 AND id = $2")
                .bind(practice_id)
                .bind(id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound)?;
            Ok(note_from_row!(row))
        })
    }

    /// A patient's notes in the order they were started.
    pub async fn notes_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<NoteRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM clinical_notes WHERE practice_id = $1 AND patient_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(note_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The addenda of the given notes, oldest first.
    pub async fn note_addenda_of(
        &self,
        practice_id: &str,
        patient_id: &str,
    ) -> Result<Vec<NoteAddendumRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT * FROM note_addenda WHERE practice_id = $1 AND patient_id = $2 ORDER BY id",
            )
            .bind(practice_id)
            .bind(patient_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(addendum_from_row!(row));
            }
            Ok(out)
        })
    }

    /// The practice's templates, by name.
    pub async fn note_templates(
        &self,
        practice_id: &str,
    ) -> Result<Vec<NoteTemplateRow>, StoreError> {
        on_db!(self, pool => {
            let rows = sqlx::query(
                "SELECT id, name, kind, body, created_ms, created_by FROM note_templates \
                 WHERE practice_id = $1 ORDER BY name",
            )
            .bind(practice_id)
            .fetch_all(pool)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(NoteTemplateRow {
                    id: row.try_get("id")?,
                    name: row.try_get("name")?,
                    kind: row.try_get("kind")?,
                    body: row.try_get("body")?,
                    created_ms: row.try_get("created_ms")?,
                    created_by: row.try_get("created_by")?,
                });
            }
            Ok(out)
        })
    }
}
