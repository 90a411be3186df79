//! Names and short free texts.

use std::borrow::Cow;

use super::Problems;

const MAX_NAME_CHARS: usize = 200;

/// Names keep apostrophes, hyphens, spaces and letters of any script; control characters and
/// the characters of markup and code (`< > { } \ ;`) are refused because no name contains them.
pub(crate) fn required_name(
    raw: &str,
    field: impl Into<Cow<'static, str>>,
    p: &mut Problems,
) -> Option<String> {
    let field = field.into();
    let name = collapse_spaces(raw);
    if name.is_empty() {
        p.add(field, "is required");
        return None;
    }
    check_name(name, field, p)
}

pub(crate) fn optional_name(
    raw: Option<&str>,
    field: impl Into<Cow<'static, str>>,
    p: &mut Problems,
) -> Option<String> {
    let name = collapse_spaces(raw?);
    if name.is_empty() {
        return None;
    }
    check_name(name, field.into(), p)
}

fn check_name(name: String, field: Cow<'static, str>, p: &mut Problems) -> Option<String> {
    if name.chars().count() > MAX_NAME_CHARS {
        p.add(field, "is too long (at most 200 characters)");
        return None;
    }
    if name.chars().any(forbidden) {
        p.add(field, "contains characters that are not used in names");
        return None;
    }
    if !name.chars().any(char::is_alphabetic) {
        p.add(field, "must contain letters");
        return None;
    }
    Some(name)
}

/// One line of text of at most `max` characters, without control or markup characters.
pub(crate) fn optional_text(
    raw: Option<&str>,
    field: impl Into<Cow<'static, str>>,
    max: usize,
    p: &mut Problems,
) -> Option<String> {
    let text = collapse_spaces(raw?);
    if text.is_empty() {
        return None;
    }
    let field = field.into();
    if text.chars().count() > max {
        p.add(field, "is too long");
        return None;
    }
    if text.chars().any(forbidden) {
        p.add(field, "contains characters that are not allowed here");
        return None;
    }
    Some(text)
}

fn forbidden(c: char) -> bool {
    c.is_control() || matches!(c, '<' | '>' | '{' | '}' | '\\' | ';')
}

fn collapse_spaces(raw: &str) -> String {
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}
