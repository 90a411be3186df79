//! Opaque page cursors. A list that can grow answers one page and, when there is more, a
//! `next` cursor; the client passes it back as `cursor` and never reads or builds one. Inside,
//! a cursor names its list and a position in it (a sequence number, an id, an offset), so one
//! list's cursor is refused by another, and the encoding can change without breaking clients.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::invalid;
use crate::ApiError;

/// The lists that page by cursor; each name is part of its cursors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum List {
    AuditEvents,
    EmergencyAccess,
    PatientVersions,
    PatientSearch,
    Procedures,
    PerioExams,
    Notes,
    Plans,
    ToothStates,
}

impl List {
    fn tag(self) -> &'static str {
        match self {
            List::AuditEvents => "audit1",
            List::EmergencyAccess => "emergency1",
            List::PatientVersions => "versions1",
            List::PatientSearch => "search2",
            List::Procedures => "procedures1",
            List::PerioExams => "perio1",
            List::Notes => "notes1",
            List::Plans => "plans1",
            List::ToothStates => "teeth1",
        }
    }
}

/// The longest cursor read: ours are far shorter.
const MAX_CURSOR_CHARS: usize = 200;

/// The cursor of `list` that continues after `position`.
pub(crate) fn next(list: List, position: impl std::fmt::Display) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{position}", list.tag()))
}

/// The position a cursor of `list` names, or `422` naming `cursor` for anything else (another
/// list's cursor, a made-up one). An empty or absent cursor is the first page.
pub(crate) fn position<T: std::str::FromStr>(
    list: List,
    cursor: Option<&str>,
) -> Result<Option<T>, ApiError> {
    let Some(cursor) = cursor.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let refused = || {
        invalid(
            "cursor",
            "is not a cursor of this list; use the `next` of the previous page, or leave it out to start again",
        )
    };
    if cursor.len() > MAX_CURSOR_CHARS {
        return Err(refused());
    }
    let text = URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(refused)?;
    let value = text
        .strip_prefix(list.tag())
        .and_then(|rest| rest.strip_prefix(':'))
        .ok_or_else(refused)?;
    value.parse().map(Some).map_err(|_| refused())
}

/// Where a page starts and how long it is: the cursor's position (none for the first page)
/// and the `limit` asked for (`default` when left out), or `422` naming whichever cannot be
/// used. A limit outside `1..=max` is refused, never quietly changed.
pub(crate) fn page<T: std::str::FromStr>(
    list: List,
    cursor: Option<&str>,
    limit: Option<i64>,
    (default, max): (i64, i64),
) -> Result<(Option<T>, i64), ApiError> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(invalid(
            "limit",
            "is outside the allowed range for this list",
        ));
    }
    Ok((position(list, cursor)?, limit))
}

/// One page of `items` (already in id order) after the cursor's id: at most `limit`, and the
/// cursor of the next page when more follow. For lists a room returns whole (a patient's
/// entries), paged here by id.
pub(crate) fn page_by_id<T, I: std::fmt::Display>(
    list: List,
    items: Vec<T>,
    id: impl Fn(&T) -> I,
    after: Option<&str>,
    limit: i64,
) -> (Vec<T>, Option<String>) {
    let mut rest: Vec<T> = items
        .into_iter()
        .filter(|item| after.is_none_or(|a| id(item).to_string().as_str() > a))
        .collect();
    let limit = usize::try_from(limit).unwrap_or(1).max(1);
    let next = (rest.len() > limit).then(|| next(list, id(&rest[limit - 1])));
    rest.truncate(limit);
    (rest, next)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_cursor_round_trips_and_belongs_to_its_list() {
        let c = next(List::AuditEvents, 42);
        assert!(
            c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(
            position::<i64>(List::AuditEvents, Some(&c)).unwrap(),
            Some(42)
        );
        assert!(position::<i64>(List::PatientVersions, Some(&c)).is_err());
        assert_eq!(position::<i64>(List::AuditEvents, None).unwrap(), None);
        assert_eq!(position::<i64>(List::AuditEvents, Some(" ")).unwrap(), None);
        for bad in ["42", "!!!", &"A".repeat(300), &next(List::AuditEvents, "x")] {
            assert!(
                position::<i64>(List::AuditEvents, Some(bad)).is_err(),
                "{bad}"
            );
        }
    }
}
