//! Reading a JSON request body, with a problem document that says what is wrong and where:
//! the member's path (`address.line3`, `phones[1].kind`) and the problem in plain words, or the
//! line and column where the text stops being JSON. Never a value from the body: serde's own
//! messages quote the offending value, so they are translated, not passed on.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use enamel_app::App;
use serde::de::DeserializeOwned;
use serde_path_to_error::Segment;

use crate::error::{FieldError, Problem};

/// A JSON body of type `T`, or the problem document that refuses it: `415` for another
/// media type, `413` when too large, `400` for text that is not JSON, `422` naming the member
/// for JSON of the wrong shape.
#[derive(Debug)]
pub(crate) struct JsonBody<T>(pub T);

impl<T: DeserializeOwned> FromRequest<App> for JsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, app).await?;
        parse(&bytes)
            .map(JsonBody)
            .map_err(|problem| problem.into_response())
    }
}

/// A JSON body of type `T` (refused as [`JsonBody`] refuses), with the request in a
/// canonical form for recognising a retry: the same document, its members in sorted order,
/// without insignificant white space.
#[derive(Debug)]
pub(crate) struct CanonicalJsonBody<T> {
    pub(crate) value: T,
    pub(crate) canonical: Vec<u8>,
}

impl<T: DeserializeOwned> FromRequest<App> for CanonicalJsonBody<T> {
    type Rejection = Response;

    async fn from_request(req: Request, app: &App) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, app).await?;
        let value = parse(&bytes).map_err(|problem| problem.into_response())?;
        // It parsed as `T`, so it is JSON.
        let mut document: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|_| Problem::for_status(StatusCode::BAD_REQUEST).into_response())?;
        document.sort_all_objects();
        let canonical = serde_json::to_vec(&document).unwrap_or_default();
        Ok(CanonicalJsonBody { value, canonical })
    }
}

/// The body of a JSON request: `415` for another media type, `413` when too large.
async fn json_bytes(req: Request, app: &App) -> Result<Bytes, Response> {
    if !is_json(req.headers().get(header::CONTENT_TYPE)) {
        return Err(Problem::for_status(StatusCode::UNSUPPORTED_MEDIA_TYPE).into_response());
    }
    Bytes::from_request(req, app).await.map_err(|rejection| {
        // The only way reading a body fails here is the size limit; anything else is a
        // connection that broke mid-body.
        let status = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        Problem::for_status(status).into_response()
    })
}

/// `application/json`, or any `application/*+json`, with or without parameters.
fn is_json(value: Option<&axum::http::HeaderValue>) -> bool {
    let Some(text) = value.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json")
            || subtype
                .get(subtype.len().saturating_sub(5)..)
                .is_some_and(|end| end.eq_ignore_ascii_case("+json")))
}

/// The body as `T`, or a problem naming where it went wrong.
pub(crate) fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Box<Problem>> {
    // A member named twice is refused rather than the last one silently winning (two parsers
    // of one body must never read different requests out of it).
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize::<_, UniqueMembers>(&mut reader).map_err(|e| {
        Box::new(if e.inner().is_data() {
            refusal(e)
        } else {
            not_json(e.inner())
        })
    })?;
    reader.end().map_err(|e| Box::new(not_json(&e)))?;
    let mut document: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| Box::new(not_json(&e)))?;
    // Every body of this API is an object. serde would also take an array for a struct (its
    // members in order), which no client means; nested objects are held to the same rule by
    // `object` and `objects`.
    if !document.is_object() {
        return Err(Box::new(
            Problem::for_status(StatusCode::UNPROCESSABLE_ENTITY).with_fields(vec![FieldError {
                field: "(body)".into(),
                problem: "must be a JSON object".into(),
            }]),
        ));
    }
    whole_numbers(&mut document);
    serde_path_to_error::deserialize(&document).map_err(|e| Box::new(refusal(e)))
}

/// Any JSON value, refused if an object in it names a member twice.
struct UniqueMembers;

impl<'de> serde::Deserialize<'de> for UniqueMembers {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueMembers)
    }
}

impl<'de> serde::de::Visitor<'de> for UniqueMembers {
    type Value = UniqueMembers;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self, A::Error> {
        let mut seen = std::collections::HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !seen.insert(key.clone()) {
                return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
            }
            map.next_value::<UniqueMembers>()?;
        }
        Ok(UniqueMembers)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<UniqueMembers>()?.is_some() {}
        Ok(UniqueMembers)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(UniqueMembers)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(UniqueMembers)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(UniqueMembers)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(UniqueMembers)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(UniqueMembers)
    }
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(UniqueMembers)
    }
}

/// JSON does not tell `53` from `53.0`, and JSON Schema calls both an integer: a number with
/// no fraction is read as the integer it is.
fn whole_numbers(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64())
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                #[allow(clippy::cast_possible_truncation)] // whole and well inside i64
                let whole = f as i64;
                *n = serde_json::Number::from(whole);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(whole_numbers),
        serde_json::Value::Object(members) => members.values_mut().for_each(whole_numbers),
        _ => {}
    }
}

/// The body is JSON (it was read into a document first), so any error is about a member.
fn refusal(error: serde_path_to_error::Error<serde_json::Error>) -> Problem {
    let inner = error.inner();
    let (field, problem) = named_problem(error.path(), &without_position(&inner.to_string()));
    Problem::for_status(StatusCode::UNPROCESSABLE_ENTITY)
        .with_fields(vec![FieldError { field, problem }])
}

/// Query parameters as `T`, or `400` naming the parameter (unknown, repeated, or not of its
/// type) and never its value.
#[derive(Debug)]
pub(crate) struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> axum::extract::FromRequestParts<S> for QueryParams<T> {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        let deserializer =
            serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(deserializer)
            .map(QueryParams)
            .map_err(|error| {
                let (field, problem) = named_problem(error.path(), &error.inner().to_string());
                Problem::new(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "A query parameter is unknown or not of its type.",
                )
                .with_fields(vec![FieldError { field, problem }])
                .into_response()
            })
    }
}

/// The member (its path) and the problem of a data error, in plain words.
fn named_problem(at: &serde_path_to_error::Path, message: &str) -> (String, String) {
    let mut path = member_path(at);
    let problem = if let Some(rest) = message.strip_prefix("missing field `") {
        // serde names a missing (or repeated) member from the type, and reports it at its
        // parent's path.
        let name = rest.split('`').next().unwrap_or_default();
        path = join(&path, name);
        "is required".to_string()
    } else if message.starts_with("unknown field `") {
        "is not a member of this object; check its spelling".to_string()
    } else if let Some(rest) = message.strip_prefix("duplicate field `") {
        let name = rest.split('`').next().unwrap_or_default();
        path = join(&path, name);
        "appears more than once".to_string()
    } else if let Some(rest) = message.strip_prefix("unknown variant `") {
        match rest.split_once("expected ") {
            Some((_, expected)) => format!("must be {}", plain_expectation(expected)),
            None => "is not one of the accepted values".to_string(),
        }
    } else if message.starts_with("invalid length") {
        "has the wrong number of items".to_string()
    } else {
        match message.rsplit_once(", expected ") {
            Some((_, expected)) => format!("must be {}", plain_expectation(expected)),
            // A query parameter that does not parse as a number: std's words, no value.
            None if message.contains("digit") || message.starts_with("number too") => {
                "must be a whole number".to_string()
            }
            None => "has a value of the wrong kind".to_string(),
        }
    };
    let field = if path.is_empty() {
        "(body)".to_string()
    } else {
        path
    };
    (field, problem)
}

/// For an optional member that holds an object: `null` or an object, never an array (serde
/// would read an array as the object's members in order). Used as
/// `#[serde(default, deserialize_with = "object")]`; paths inside stay named.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    deserializer.deserialize_any(ObjectOnly(std::marker::PhantomData))
}

/// For a member that holds a list of objects: an array of objects (see [`object`]).
pub(crate) fn objects<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    struct Objects<T>(std::marker::PhantomData<T>);
    impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for Objects<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a list of objects")
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element_seed(ObjectSeed(std::marker::PhantomData))? {
                out.push(item);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_seq(Objects(std::marker::PhantomData))
}

struct ObjectSeed<T>(std::marker::PhantomData<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::DeserializeSeed<'de> for ObjectSeed<T> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, deserializer: D) -> Result<T, D::Error> {
        deserializer
            .deserialize_any(ObjectOnly(std::marker::PhantomData))?
            .ok_or_else(|| {
                serde::de::Error::invalid_type(serde::de::Unexpected::Unit, &"an object")
            })
    }
}

struct ObjectOnly<T>(std::marker::PhantomData<T>);

impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for ObjectOnly<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
        Ok(None)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
        T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
    }
}

/// serde_json's message without the ` at line L column C` it appends (a data error is named by
/// its member path instead).
fn without_position(message: &str) -> String {
    match message.rsplit_once(" at line ") {
        Some((head, tail))
            if tail
                .split_once(" column ")
                .is_some_and(|(l, c)| is_number(l) && is_number(c)) =>
        {
            head.to_string()
        }
        _ => message.to_string(),
    }
}

fn is_number(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// `400` for text that is not one JSON document, with where it stops being one.
fn not_json(error: &serde_json::Error) -> Problem {
    let detail = if error.line() == 0 {
        "The request body is not valid JSON.".to_string()
    } else if error.is_eof() {
        format!(
            "The request body is not valid JSON: it ends too early (line {}, column {}).",
            error.line(),
            error.column()
        )
    } else {
        format!(
            "The request body is not valid JSON (line {}, column {}).",
            error.line(),
            error.column()
        )
    };
    Problem::new(StatusCode::BAD_REQUEST, "bad_request", detail)
}

/// The longest member name repeated back: a name comes from the client, so one that is
/// absurdly long is cut rather than echoed whole.
const MAX_NAME_CHARS: usize = 64;

/// A member path in the usual notation, `address.line1` or `phones[1].kind`, with names the
/// client sent cleaned of anything but printable characters.
fn member_path(path: &serde_path_to_error::Path) -> String {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => out = join(&out, key),
            Segment::Unknown => out = join(&out, "?"),
        }
    }
    out
}

fn join(parent: &str, name: &str) -> String {
    let name: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    if parent.is_empty() {
        name
    } else {
        format!("{parent}.{name}")
    }
}

/// serde's words for what a type expects (they come from our types, never from the body),
/// in plain words.
fn plain_expectation(expected: &str) -> String {
    let expected = expected.trim();
    if let Some(list) = expected.strip_prefix("one of ") {
        return format!("one of {}", list.replace('`', ""));
    }
    if expected.starts_with('`') {
        // Variant names: `a`, `a` or `b`.
        return expected.replace('`', "");
    }
    let word = match expected {
        "a string" | "string" | "a borrowed string" => "text (a JSON string)",
        "a boolean" | "bool" => "true or false",
        "u8" | "u16" | "u32" | "u64" | "usize" => "a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => "a whole number",
        "f32" | "f64" => "a number",
        "a sequence" => "a list (a JSON array)",
        "a map" | "an object" => "an object",
        "a list of objects" => "a list (a JSON array) of objects",
        "variant identifier" => "one of the values the document lists",
        "a character" | "char" => "a single character",
        e if e.starts_with("struct ") => "an object",
        // An enum read from a document: a closed list given a number or an object.
        e if e.starts_with("enum ") || e == "string or map" => {
            "one of the values the document lists"
        }
        e if e.starts_with("a sequence") || e.starts_with("tuple") => "a list (a JSON array)",
        e if e.starts_with("unit") => "null",
        _ => "a value of the right kind",
    };
    word.to_string()
}

/// A member that is present, even as `null` (`Some(None)`), as opposed to left out (`None`).
pub(crate) fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Phone {
        kind: Kind,
        number: String,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        Home,
        Mobile,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Address {
        line1: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        page: Option<u32>,
        #[serde(default)]
        phones: Vec<Phone>,
        address: Option<Address>,
        active: Option<bool>,
    }

    fn refused(text: &str) -> Problem {
        *parse::<Body>(text.as_bytes()).unwrap_err()
    }

    fn field(p: &Problem) -> (&str, &str) {
        assert_eq!(p.status, 422, "{p:?}");
        (&p.fields[0].field, &p.fields[0].problem)
    }

    #[test]
    fn names_the_member_by_path_and_never_its_value() {
        let cases = [
            (
                r#"{"name":"x","address":{"line3":"SECRET1"}}"#,
                "address.line3",
                "is not a member",
            ),
            (r#"{"name":"x","page":"SECRET2"}"#, "page", "whole number"),
            (r#"{"name":"x","page":-7}"#, "page", "0 or more"),
            (r#"{"name":7}"#, "name", "text"),
            (r#"{}"#, "name", "is required"),
            (
                r#"{"name":"x","phones":[{"kind":"home","number":"1"},{"kind":"SECRET3","number":"2"}]}"#,
                "phones[1].kind",
                "home or mobile",
            ),
            (
                r#"{"name":"x","phones":[{"kind":"home"}]}"#,
                "phones[0].number",
                "is required",
            ),
            (r#"{"name":"x","phones":"SECRET4"}"#, "phones", "a list"),
            (
                r#"{"name":"x","phones":[{"kind":7,"number":"1"}]}"#,
                "phones[0].kind",
                "values the document lists",
            ),
            (
                r#"{"name":"x","active":"SECRET5"}"#,
                "active",
                "true or false",
            ),
            (
                r#"{"name":"x","address":"SECRET6"}"#,
                "address",
                "an object",
            ),
            (r#"{"name":"x","name":"y"}"#, "name", "more than once"),
        ];
        for (text, path, words) in cases {
            let p = refused(text);
            let (f, problem) = field(&p);
            assert_eq!(f, path, "{text}");
            assert!(problem.contains(words), "{text}: {problem}");
            let shown = serde_json::to_string(&p).unwrap();
            assert!(!shown.contains("SECRET"), "{shown}");
            assert!(!shown.contains("-7"), "{shown}");
        }
    }

    #[test]
    fn text_that_is_not_json_is_400_with_line_and_column() {
        let p = refused("{\n  \"name\": \"x\",\n  \"page\": SECRET\n}");
        assert_eq!(p.status, 400);
        assert!(p.detail.contains("line 3, column"), "{}", p.detail);
        assert!(!p.detail.contains("SECRET"));
        let p = refused(r#"{"name":"x""#);
        assert_eq!(p.status, 400);
        assert!(p.detail.contains("ends too early"), "{}", p.detail);
        assert_eq!(refused(r#"{"name":"x"} {}"#).status, 400);
    }

    #[test]
    fn a_long_or_strange_member_name_is_cut_and_cleaned() {
        let name = format!("\u{7}{}", "n".repeat(500));
        let body = serde_json::json!({ "name": "x", name: 1 });
        let p = refused(&body.to_string());
        let (f, _) = field(&p);
        assert_eq!(f.chars().count(), MAX_NAME_CHARS);
        assert!(!f.contains('\u{7}'));
    }

    #[test]
    fn json_media_types_are_recognised() {
        use axum::http::HeaderValue;
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
        ] {
            assert!(is_json(Some(&HeaderValue::from_static(ok))), "{ok}");
        }
        for no in [
            "text/plain",
            "application/jsonp",
            "json",
            "application/x-www-form-urlencoded",
        ] {
            assert!(!is_json(Some(&HeaderValue::from_static(no))), "{no}");
        }
        assert!(!is_json(None));
    }
}
