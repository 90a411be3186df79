//! `enamel-web` reaches records only through the app's room handles: it cannot name a store
//! type (Cargo: no dependency on `enamel-store`, `enamel-crypto` or sqlx), and its source names
//! no `Access`, no `authorize` and no system bypass (also banned by `crates/web/clippy.toml`).
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

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn web_source_names_no_access_and_no_bypass() {
    let mut files = Vec::new();
    rust_files(&manifest_dir().join("src"), &mut files);
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
