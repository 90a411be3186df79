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

/// Every table and column of one dialect exists in the other (names only; types differ),
/// whether created with its table or added later by `ALTER TABLE`.
#[test]
fn the_two_dialects_declare_the_same_tables_and_columns() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut all = BTreeSet::new();
    for name in MIGRATIONS_SQLITE_NAMES {
        let sqlite = std::fs::read_to_string(root.join("sqlite").join(name)).unwrap();
        let postgres = std::fs::read_to_string(root.join("postgres").join(name)).unwrap();
        assert!(
            sqlite.contains("CREATE ") || sqlite.contains("ALTER TABLE "),
            "{name} changes nothing"
        );
        let a = declared_columns(&sqlite);
        assert_eq!(a, declared_columns(&postgres), "{name}");
        all.extend(a);
    }
    assert!(
        all.contains("patients.chart_bidx"),
        "ALTER TABLE columns are read too"
    );
}

fn declared_columns(sql: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut table: Option<String> = None;
    for line in sql.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
            let words: Vec<&str> = rest.split_whitespace().collect();
            if let [t, "ADD", "COLUMN", column, ..] = words.as_slice() {
                out.insert(format!("{t}.{column}"));
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
