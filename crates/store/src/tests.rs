#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use crate::MIGRATIONS_SQLITE_NAMES;
use crate::patients::multi_row_insert;

fn sql_files(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect()
}

#[test]
fn the_two_migration_folders_mirror_each_other_and_the_runner() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let sqlite = sql_files(&root.join("sqlite"));
    let postgres = sql_files(&root.join("postgres"));
    assert_eq!(sqlite, postgres, "every migration needs both dialects");
    let known: BTreeSet<String> = MIGRATIONS_SQLITE_NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    assert_eq!(
        sqlite, known,
        "a migration file is not registered in migrate.rs"
    );
}

/// Every table and column of one dialect exists in the other (names only; types differ).
#[test]
fn the_two_dialects_declare_the_same_tables_and_columns() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    for name in MIGRATIONS_SQLITE_NAMES {
        let a = declared_columns(&std::fs::read_to_string(root.join("sqlite").join(name)).unwrap());
        let b =
            declared_columns(&std::fs::read_to_string(root.join("postgres").join(name)).unwrap());
        assert!(!a.is_empty());
        assert_eq!(a, b, "{name}");
    }
}

fn declared_columns(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in sql.lines().map(str::trim) {
        // Columns added later count too: `ALTER TABLE t ADD COLUMN c ...`.
        if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
            let mut words = rest.split_whitespace();
            if let (Some(t), Some("ADD"), Some("COLUMN"), Some(c)) =
                (words.next(), words.next(), words.next(), words.next())
            {
                out.insert(format!("{t}.{c}"));
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("CREATE TABLE ") {
            table = rest.split_whitespace().next().map(str::to_string);
            continue;
        }
        if line.starts_with(')') {
            table = None;
            continue;
        }
        if let Some(t) = &table {
            let first = line.split_whitespace().next().unwrap_or("");
            if !first.is_empty() && first.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
                out.insert(format!("{t}.{first}"));
            }
        }
    }
    out
}

#[test]
fn multi_row_insert_numbers_every_placeholder_once() {
    assert_eq!(
        multi_row_insert("t", "a, b", 2, 2),
        "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
    );
}
