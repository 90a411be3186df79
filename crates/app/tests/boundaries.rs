//! The crate's public surface hands out no raw handle: no database, transaction, key ring,
//! practice keys, audit writer or `Access` leaves `enamel-app` except through a room handle.
//! A lint over the source (the compiler cannot say "this type must not be public"): it reads
//! every `pub` function's return type and every `pub use` of the crate.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

/// Types that would let a caller read sealed rows, open them, or append to the audit log
/// without the kernel's checks.
const RAW: &[&str] = &[
    "Db",
    "Tx",
    "WriteTx",
    "KeyRing",
    "PracticeKeys",
    "AuditWriter",
    "Access",
    "PoolSettings",
];

fn names_raw_type(text: &str) -> Option<&'static str> {
    let words: Vec<&str> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '&'))
        .filter(|w| !w.is_empty())
        .collect();
    RAW.iter().copied().find(|raw| {
        words
            .iter()
            .any(|w| *w == *raw || (!raw.starts_with('&') && w.trim_start_matches('&') == *raw))
    })
}

/// Each `pub fn` / `pub async fn` (not `pub(crate)`) with the text of its return type.
fn public_returns(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(at) = rest.find("pub ") {
        let tail = &rest[at + 4..];
        rest = tail;
        let tail = tail.strip_prefix("async ").unwrap_or(tail);
        let Some(sig) = tail.strip_prefix("fn ") else {
            continue;
        };
        let end = sig.find('{').or_else(|| sig.find(';')).unwrap_or(sig.len());
        let signature = &sig[..end];
        let name = signature.split(['(', '<']).next().unwrap_or("").to_string();
        let returns = signature
            .split_once("->")
            .map(|(_, r)| r.split(" where ").next().unwrap_or(r).trim().to_string())
            .unwrap_or_default();
        out.push((name, returns));
    }
    out
}

#[test]
fn no_public_function_returns_a_raw_handle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files = enamel_testkit::rust_sources(&src);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for (name, returns) in public_returns(&text) {
            // The one constructor: a writer over a database the caller already holds (the
            // bench); the app's own writer is never handed out.
            if name == "start" && returns == "AuditWriter" {
                continue;
            }
            if let Some(raw) = names_raw_type(&returns) {
                found.push(format!(
                    "{}: fn {name} -> {returns} ({raw})",
                    file.display()
                ));
            }
        }
    }
    assert!(
        found.is_empty(),
        "public functions hand out raw handles: {found:#?}"
    );
}

#[test]
fn the_crate_re_exports_no_raw_handle() {
    let lib =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs")).unwrap();
    let mut found = Vec::new();
    for item in lib.split("pub use ").skip(1) {
        let item = item.split(';').next().unwrap_or("");
        // The writer's type is public so a holder of its own database can start one (the
        // bench); what must not exist is a way to get the app's writer.
        if let Some(raw) = names_raw_type(item).filter(|raw| *raw != "AuditWriter") {
            found.push(format!("pub use {item} ({raw})"));
        }
    }
    assert!(found.is_empty(), "lib.rs re-exports raw handles: {found:?}");
}

#[test]
fn the_lint_itself_sees_a_raw_handle() {
    let source = "impl App {\n    pub fn db(&self) -> &Db {\n        &self.db\n    }\n    pub(crate) fn keys(&self) -> &KeyRing { todo!() }\n    pub async fn grant(&self) -> Result<Access, AppError> { todo!() }\n}";
    let returns = public_returns(source);
    let raw: Vec<_> = returns
        .iter()
        .filter_map(|(n, r)| names_raw_type(r).map(|t| (n.as_str(), t)))
        .collect();
    assert_eq!(raw, vec![("db", "Db"), ("grant", "Access")]);
}
