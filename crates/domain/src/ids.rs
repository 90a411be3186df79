use std::fmt;
use std::str::FromStr;

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a valid identifier")]
pub struct IdError;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new time-ordered id (UUIDv7), so inserts land near each other in indexes.
            pub fn new() -> Self {
                $name(Uuid::now_v7())
            }
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            /// Accepts only the canonical hyphenated lower-case form, so one id has one spelling
            /// in storage, URLs and audit entries.
            fn from_str(s: &str) -> Result<Self, IdError> {
                let id = Uuid::try_parse(s).map_err(|_| IdError)?;
                if id.hyphenated().to_string() == s { Ok($name(id)) } else { Err(IdError) }
            }
        }
    };
}

id_type!(
    /// A practice (tenant): every record belongs to exactly one.
    PracticeId
);
id_type!(
    /// A patient of one practice.
    PatientId
);
id_type!(
    /// A procedure or condition charted on a patient.
    ProcedureId
);
id_type!(
    /// A periodontal exam of a patient.
    PerioExamId
);
id_type!(
    /// A clinical note.
    NoteId
);
id_type!(
    /// A treatment plan.
    PlanId
);
id_type!(
    /// An addendum to a clinical record (a procedure's, a note's).
    AddendumId
);
id_type!(
    /// One recorded change of a tooth's state.
    ToothStateId
);

id_type!(
    /// A provider (dentist or hygienist) on the schedule.
    ProviderId
);
id_type!(
    /// An operatory: a chair, a column of the schedule.
    OperatoryId
);
id_type!(
    /// A kind of visit with its default time pattern.
    AppointmentTypeId
);
id_type!(
    /// An appointment on the schedule.
    AppointmentId
);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_canonical_spelling_parses() {
        let id = PatientId::new();
        let s = id.to_string();
        assert_eq!(s.parse::<PatientId>().unwrap(), id);
        assert!(s.to_uppercase().parse::<PatientId>().is_err());
        assert!(s.replace('-', "").parse::<PatientId>().is_err());
        assert!("../etc/passwd".parse::<PatientId>().is_err());
        assert!("1 OR 1=1".parse::<PracticeId>().is_err());
    }
}
