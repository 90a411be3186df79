//! `enamel-web` reaches records only through the app's room handles: it cannot name a store
//! type (Cargo: no dependency on `enamel-store`, `enamel-crypto` or sqlx), and its source names
//! no `Access`, no `authorize`, no system bypass and no operator door (`…_as_system`; also
//! banned by `crates/web/clippy.toml`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The crate names under `[dependencies]` (not dev-dependencies: tests may seed data).
fn dependencies(manifest: &str) -> Vec<String> {
    let mut in_deps = false;
    let mut out = Vec::new();
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && let Some((name, _)) = line.split_once(['=', '.']) {
            out.push(name.trim().to_string());
        }
    }
    out
}

#[test]
fn web_cannot_depend_on_the_store_or_the_keys() {
    let manifest = std::fs::read_to_string(manifest_dir().join("Cargo.toml")).unwrap();
    let deps = dependencies(&manifest);
    assert!(deps.iter().any(|d| d == "enamel-app"), "parsed: {deps:?}");
    for banned in ["enamel-store", "enamel-crypto", "sqlx", "enamel-testkit"] {
        assert!(!deps.iter().any(|d| d == banned), "web depends on {banned}");
    }
}

#[test]
fn web_source_names_no_access_and_no_bypass() {
    let files = enamel_testkit::rust_sources(&manifest_dir().join("src"));
    assert!(files.len() > 10);
    let mut found = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for banned in [
            "enamel_store",
            "enamel_app::Access",
            "Access::",
            ".authorize(",
            "system_bypassing_policy",
            // The operator's doors (`create_user_as_system`, `issue_password_reset_as_system`).
            "_as_system(",
        ] {
            if text.contains(banned) {
                found.push(format!("{}: {banned}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "web reaches past the room handles: {found:?}"
    );
}
