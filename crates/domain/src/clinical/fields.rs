//! Field rules shared by plans, acceptances and notes: one-line texts and record ids.

use std::borrow::Cow;

use uuid::Uuid;

use crate::patient::{Problems, blank_to_none, names};

/// A required line of text (a title, a name): spaces collapsed, at most `max` characters,
/// no control or markup characters.
pub(crate) fn required_line(
    raw: &str,
    field: impl Into<Cow<'static, str>>,
    max: usize,
    p: &mut Problems,
) -> Option<String> {
    let field = field.into();
    if raw.trim().is_empty() {
        p.add(field, "is required");
        return None;
    }
    // Counted as sent (an API document's maxLength), before spaces are collapsed.
    if raw.chars().count() > max {
        p.add(field, format!("is too long (at most {max} characters)"));
        return None;
    }
    names::optional_text(Some(raw), field, max, p)
}

/// Whether `text` is a record id in its one stored spelling: a hyphenated, lower-case UUID.
pub(crate) fn is_canonical_uuid(text: &str) -> bool {
    Uuid::try_parse(text).is_ok_and(|id| id.hyphenated().to_string() == text)
}

/// A required record id (surrounding spaces dropped). The caller checks that it names a
/// record of the right kind for this patient; this only checks its spelling.
pub(crate) fn required_id(
    raw: &str,
    field: impl Into<Cow<'static, str>>,
    what: &'static str,
    p: &mut Problems,
) -> Option<String> {
    let field = field.into();
    let text = raw.trim();
    if text.is_empty() {
        p.add(field, "is required");
        return None;
    }
    optional_id(Some(text), field, what, p)
}

/// An optional record id: blank is `None`.
pub(crate) fn optional_id(
    raw: Option<&str>,
    field: impl Into<Cow<'static, str>>,
    what: &'static str,
    p: &mut Problems,
) -> Option<String> {
    let text = blank_to_none(raw)?;
    if is_canonical_uuid(text) {
        Some(text.to_string())
    } else {
        p.add(
            field,
            format!("must be the id of {what} (a lower-case hyphenated UUID)"),
        );
        None
    }
}
