//! Creating a patient at most once per `Idempotency-Key`: a client that did not hear the
//! answer (a dropped connection, a timeout) sends the same request again and gets the first
//! answer, not a second patient.

use enamel_domain::{Action, Category, PatientDraft, PatientId};
use enamel_store::IdempotencyRow;

use super::Patients;
use super::write::Claimed;
use crate::AppError;

/// How long a key is remembered.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 60 * 60 * 1000;

/// The longest key accepted, in bytes.
pub const MAX_IDEMPOTENCY_KEY_BYTES: usize = 255;

/// The operation a claim is for: a key used for one operation is not the same request as
/// another operation with the same body.
const CREATE_PATIENT: &str = "patients.create";

/// Blind-index domains: the key and the request are kept as HMACs under the practice's index
/// key, never as text (a request body holds PHI; a plain hash of it could be guessed).
const KEY_DOMAIN: &str = "idempotency.key";
const REQUEST_DOMAIN: &str = "idempotency.request";

/// An `Idempotency-Key` and the request it came with, in a canonical form (the web layer
/// sorts the JSON's members, so the same document written differently is the same request).
#[derive(Clone, Copy)]
pub struct IdempotentRequest<'a> {
    pub key: &'a str,
    pub request: &'a [u8],
}

impl std::fmt::Debug for IdempotentRequest<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IdempotentRequest(..)")
    }
}

/// A create's outcome: made now, or made by an earlier request with the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New(PatientId),
    Replayed(PatientId),
}

impl Created {
    pub fn id(self) -> PatientId {
        match self {
            Created::New(id) | Created::Replayed(id) => id,
        }
    }
}

/// Whether a key is one we accept: 1 to 255 visible ASCII characters.
pub fn is_valid_idempotency_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= MAX_IDEMPOTENCY_KEY_BYTES
        && key.bytes().all(|b| b.is_ascii_graphic())
}

impl Patients<'_> {
    /// Creates one patient, once per key and caller in 24 hours: a retry with the same key and
    /// request answers the first patient's id and writes nothing (not even an audit entry:
    /// the creation has its own); the same key with another request is refused.
    pub async fn create_once(
        &self,
        draft: &PatientDraft,
        idempotency: IdempotentRequest<'_>,
    ) -> Result<Created, AppError> {
        if !is_valid_idempotency_key(idempotency.key) {
            return Err(AppError::Invalid(vec![enamel_domain::FieldProblem::new(
                "Idempotency-Key",
                "must be 1 to 255 visible characters",
            )]));
        }
        self.access(Category::Demographics, Action::Create, None)
            .await?;
        let actor = self.actor();
        let practice_id = actor.practice_id();
        let keys = self.app.keys_of(practice_id).await?;
        let index = keys.index();
        let key_hash = index
            .exact_raw(KEY_DOMAIN, idempotency.key.as_bytes())
            .to_vec();
        let mut request = Vec::with_capacity(CREATE_PATIENT.len() + 1 + idempotency.request.len());
        request.extend_from_slice(CREATE_PATIENT.as_bytes());
        request.push(0);
        request.extend_from_slice(idempotency.request);
        let request_mac = index.exact_raw(REQUEST_DOMAIN, &request).to_vec();
        let now = self.app.clock().now_ms();
        let since = now - IDEMPOTENCY_WINDOW_MS;
        let caller = actor.audit_id();
        let practice = practice_id.to_string();
        let earlier = || async {
            self.app
                .db()
                .idempotency_key(&practice, &caller, &key_hash, since)
                .await
        };
        if let Some(found) = earlier().await? {
            return replay(&found, &request_mac);
        }
        let claim = IdempotencyRow {
            practice_id: practice.clone(),
            caller: caller.clone(),
            key_hash: key_hash.clone(),
            request_mac: request_mac.clone(),
            operation: CREATE_PATIENT.into(),
            resource_id: String::new(),
            created_ms: now,
        };
        match self
            .create_claimed(std::slice::from_ref(draft), Some((claim, since)))
            .await?
        {
            Claimed::Made(ids) => ids
                .into_iter()
                .next()
                .map(Created::New)
                .ok_or_else(|| AppError::Internal("no patient was created".into())),
            // A request with the same key committed while this one ran.
            Claimed::Taken => match earlier().await? {
                Some(found) => replay(&found, &request_mac),
                None => Err(AppError::Conflict),
            },
        }
    }
}

/// The first answer, if this is the same request; otherwise the key's misuse, refused.
fn replay(found: &IdempotencyRow, request_mac: &[u8]) -> Result<Created, AppError> {
    if found.operation != CREATE_PATIENT || found.request_mac != request_mac {
        return Err(AppError::IdempotencyKeyReused);
    }
    found
        .resource_id
        .parse()
        .map(Created::Replayed)
        .map_err(|_| AppError::Internal("an idempotency claim names no patient".into()))
}
