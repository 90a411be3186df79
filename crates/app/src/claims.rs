//! Read-only members a client sends back with a change (what a `GET` showed: ids, versions,
//! instants, who did what): each is compared with the record inside the change, ignored when
//! equal and refused by name when not, so that a client working from a stale or edited copy
//! is told rather than silently overruled.

use enamel_domain::FieldProblem;

use crate::READ_ONLY;

/// Whether a member was sent (`Some`) with another value than the record's.
pub(crate) fn differs<T: PartialEq>(claim: &Option<T>, actual: &T) -> bool {
    claim.as_ref().is_some_and(|c| c != actual)
}

/// A refusal naming each member whose check is true.
pub(crate) fn refused(checks: impl IntoIterator<Item = (&'static str, bool)>) -> Vec<FieldProblem> {
    checks
        .into_iter()
        .filter(|(_, differs)| *differs)
        .map(|(field, _)| FieldProblem::new(field, READ_ONLY))
        .collect()
}
