//! A procedure to and from its stored form: everything clinical in one sealed JSON document
//! (`procedures.details`), earlier states sealed again as version snapshots, and addenda
//! sealed one by one. Each value is bound to practice, table, column, row and key version.

use enamel_crypto::{CryptoError, PracticeKeys};
use enamel_domain::clinical::{AreaType, Procedure, ProcedureStatus, Site};
use enamel_domain::{iso_date, parse_iso_date};
use enamel_store::SealedColumn;
use enamel_store::specs::{PROCEDURE_ADDENDA, PROCEDURE_VERSIONS, PROCEDURES};
use serde::{Deserialize, Serialize};

use crate::kernel::seal;

const DETAILS: SealedColumn = PROCEDURES.column("details");
const SNAPSHOT: SealedColumn = PROCEDURE_VERSIONS.column("snapshot");
const BODY: SealedColumn = PROCEDURE_ADDENDA.column("body");

/// The sealed document of one procedure. Field names are stored: never rename them.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct StoredProcedure {
    pub code: String,
    pub description: String,
    pub area_type: String,
    pub tooth: Option<String>,
    pub surfaces: Option<String>,
    pub area: Option<String>,
    #[serde(default)]
    pub teeth: Vec<String>,
    pub provider_id: Option<String>,
    pub planned_on: String,
    pub completed_on: Option<String>,
    pub fee: i64,
    #[serde(default)]
    pub diagnosis_codes: Vec<String>,
    pub note: Option<String>,
}

impl StoredProcedure {
    pub(crate) fn from_procedure(p: &Procedure) -> StoredProcedure {
        StoredProcedure {
            code: p.code.clone(),
            description: p.description.clone(),
            area_type: p.site.area_type().as_str().to_string(),
            tooth: p.site.tooth().map(|t| t.to_string()),
            surfaces: p.site.surfaces().map(|s| s.to_string()),
            area: p.site.area().map(str::to_string),
            teeth: match &p.site {
                Site::Teeth(teeth) => teeth.iter().map(ToString::to_string).collect(),
                _ => Vec::new(),
            },
            provider_id: p.provider_id.clone(),
            planned_on: iso_date(p.planned_on),
            completed_on: p.completed_on.map(iso_date),
            fee: p.fee,
            diagnosis_codes: p.diagnosis_codes.clone(),
            note: p.note.clone(),
        }
    }

    /// The typed procedure with `status`; `Corrupt` when the stored parts no longer make one
    /// (a value that opened but does not parse was written by a broken build, not an attacker:
    /// the seal would have failed first).
    pub(crate) fn to_procedure(&self, status: ProcedureStatus) -> Result<Procedure, CryptoError> {
        let bad = || CryptoError::Malformed("a stored procedure");
        let area_type = AreaType::parse(&self.area_type).ok_or_else(bad)?;
        let site = Site::from_parts(
            area_type,
            self.tooth.as_deref(),
            self.surfaces.as_deref(),
            self.area.as_deref(),
            &self.teeth,
        )
        .ok_or_else(bad)?;
        Ok(Procedure {
            code: self.code.clone(),
            description: self.description.clone(),
            status,
            site,
            provider_id: self.provider_id.clone(),
            planned_on: parse_iso_date(&self.planned_on).ok_or_else(bad)?,
            completed_on: match &self.completed_on {
                Some(d) => Some(parse_iso_date(d).ok_or_else(bad)?),
                None => None,
            },
            fee: self.fee,
            diagnosis_codes: self.diagnosis_codes.clone(),
            note: self.note.clone(),
        })
    }
}

/// A state a change replaced: what the version history keeps.
#[derive(Serialize, Deserialize, Clone, PartialEq, Eq)]
pub(crate) struct Snapshot {
    pub status: String,
    pub details: StoredProcedure,
    pub completed_ms: Option<i64>,
    pub locks_at_ms: Option<i64>,
}

fn to_json<T: Serialize>(value: &T) -> Result<Vec<u8>, CryptoError> {
    serde_json::to_vec(value).map_err(|_| CryptoError::Malformed("a record could not be encoded"))
}

fn from_json<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, CryptoError> {
    serde_json::from_slice(bytes).map_err(|_| CryptoError::Malformed("a sealed document"))
}

pub(crate) fn seal_details(
    keys: &PracticeKeys,
    id: &str,
    details: &StoredProcedure,
) -> Result<Vec<u8>, CryptoError> {
    seal::seal(keys, DETAILS, id, &to_json(details)?)
}

pub(crate) fn open_details(
    keys: &PracticeKeys,
    id: &str,
    sealed: &[u8],
) -> Result<StoredProcedure, CryptoError> {
    from_json(&seal::open(keys, DETAILS, id, sealed)?)
}

pub(crate) fn seal_snapshot(
    keys: &PracticeKeys,
    version_id: &str,
    snapshot: &Snapshot,
) -> Result<Vec<u8>, CryptoError> {
    seal::seal(keys, SNAPSHOT, version_id, &to_json(snapshot)?)
}

pub(crate) fn open_snapshot(
    keys: &PracticeKeys,
    version_id: &str,
    sealed: &[u8],
) -> Result<Snapshot, CryptoError> {
    from_json(&seal::open(keys, SNAPSHOT, version_id, sealed)?)
}

pub(crate) fn seal_body(keys: &PracticeKeys, id: &str, body: &str) -> Result<Vec<u8>, CryptoError> {
    seal::seal(keys, BODY, id, body.as_bytes())
}

pub(crate) fn open_body(
    keys: &PracticeKeys,
    id: &str,
    sealed: &[u8],
) -> Result<String, CryptoError> {
    Ok(seal::open_string(keys, BODY, id, sealed)?.to_string())
}
