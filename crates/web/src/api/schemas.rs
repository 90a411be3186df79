//! Schemas of members whose accepted values come from the domain's own lists (roles,
//! categories, actions, time zones) or rules, so the document names exactly what the server
//! takes: a generated client or a fuzzer that follows the document is not refused.

use enamel_domain::{Action, Category, PracticeTz, Role};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};

fn text_enum<I: IntoIterator<Item = String>>(values: I, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values.into_iter().collect::<Vec<_>>()))
        .description(Some(description))
}

fn staff_role_names() -> impl Iterator<Item = String> {
    Role::STAFF.iter().map(|r| r.as_str().to_string())
}

/// One staff role.
pub(crate) fn staff_role() -> RefOr<Schema> {
    text_enum(staff_role_names(), "A staff role.").into()
}

/// A set of staff roles: at least one.
pub(crate) fn staff_roles() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(text_enum(staff_role_names(), "A staff role."))
        .min_items(Some(1))
        .description(Some("Staff roles, at least one."))
        .into()
}

/// The complete set of an account's staff roles (none leaves the account without access).
pub(crate) fn staff_role_set() -> RefOr<Schema> {
    ArrayBuilder::new()
        .items(text_enum(staff_role_names(), "A staff role."))
        .description(Some(
            "Staff roles; an empty list leaves the account without access.",
        ))
        .into()
}

/// A category of information.
pub(crate) fn category() -> RefOr<Schema> {
    text_enum(
        Category::ALL.iter().map(|c| c.as_str().to_string()),
        "A category of information.",
    )
    .into()
}

/// An action on a category.
pub(crate) fn action() -> RefOr<Schema> {
    text_enum(
        Action::ALL.iter().map(|a| a.as_str().to_string()),
        "An action.",
    )
    .into()
}

/// An integration token's permissions, `category:action`.
pub(crate) fn scopes() -> RefOr<Schema> {
    let all = Category::ALL
        .iter()
        .filter(|c| c.is_patient_record())
        .flat_map(|c| {
            Action::ALL
                .iter()
                .map(move |a| format!("{}:{}", c.as_str(), a.as_str()))
        });
    ArrayBuilder::new()
        .items(text_enum(
            all,
            "A permission on patient records, `category:action`.",
        ))
        .min_items(Some(1))
        .description(Some(
            "Permissions on patient records, at least one, each one that the creator's own \
             roles allow.",
        ))
        .into()
}

/// An IANA time zone name, exactly as the bundled database spells it.
pub(crate) fn time_zone() -> RefOr<Schema> {
    text_enum(
        PracticeTz::all_names().iter().cloned(),
        "An IANA time zone name, such as `America/New_York`.",
    )
    .into()
}

/// An id: a UUID in its canonical lower-case hyphenated form (any other spelling is not one).
pub(crate) const ID_PATTERN: &str =
    "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";

/// A filter that may be left empty: blank, or one of `values`.
fn blank_or(values: impl Iterator<Item = String>, description: &str) -> RefOr<Schema> {
    text_enum(std::iter::once(String::new()).chain(values), description).into()
}

/// An audited action to filter by, or blank for any.
pub(crate) fn audit_action_filter() -> RefOr<Schema> {
    blank_or(
        enamel_domain::AuditAction::ALL
            .iter()
            .map(|a| a.as_str().to_string()),
        "Only this audited action; blank for any.",
    )
}

/// An outcome to filter by, or blank for any.
pub(crate) fn outcome_filter() -> RefOr<Schema> {
    blank_or(
        enamel_domain::Outcome::ALL
            .iter()
            .map(|o| o.as_str().to_string()),
        "`allowed`, `denied` or `failed`; blank for any.",
    )
}

/// An id to filter by, or blank for any.
pub(crate) fn id_filter() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(format!("^$|{ID_PATTERN}")))
        .description(Some("An id; blank for any."))
        .into()
}

/// A day (`YYYY-MM-DD`, the practice's) or an RFC 3339 instant, or blank.
pub(crate) fn day_or_instant() -> RefOr<Schema> {
    use utoipa::openapi::schema::{KnownFormat, OneOfBuilder, SchemaFormat};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(0)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date))),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        )
        .description(Some(
            "A date (the practice's day) or an RFC 3339 time; blank for none.",
        ))
        .into()
}
