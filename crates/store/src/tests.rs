#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::path::Path;

use crate::MIGRATIONS_SQLITE_NAMES;
use crate::patients::{Placeholders, multi_row_insert};

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

/// After every migration, the two dialects' schemas hold the same tables and columns (names
/// only; types differ), whether created with a table, added by `ALTER TABLE`, or carried over
/// by a rebuild (a new table renamed over a dropped one). A migration may change SQLite's
/// storage alone (a rebuild WITHOUT ROWID): PostgreSQL then has nothing to do.
#[test]
fn the_two_dialects_declare_the_same_tables_and_columns() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let (mut sqlite_schema, mut postgres_schema) = (BTreeSet::new(), BTreeSet::new());
    let mut added = BTreeSet::new();
    for name in MIGRATIONS_SQLITE_NAMES {
        let sqlite = std::fs::read_to_string(root.join("sqlite").join(name)).unwrap();
        let postgres = std::fs::read_to_string(root.join("postgres").join(name)).unwrap();
        assert!(
            sqlite.contains("CREATE ") || sqlite.contains("ALTER TABLE "),
            "{name} changes nothing"
        );
        let before = sqlite_schema.clone();
        apply_declarations(&mut sqlite_schema, &sqlite);
        apply_declarations(&mut postgres_schema, &postgres);
        assert_eq!(sqlite_schema, postgres_schema, "after {name}");
        added.extend(sqlite_schema.difference(&before).cloned());
    }
    assert!(
        added.contains("patients.chart_bidx"),
        "ALTER TABLE columns are read too"
    );
    for column in ["token", "patient_id", "practice_id"] {
        assert!(
            sqlite_schema.contains(&format!("patient_search_tokens.{column}")),
            "a rebuilt table keeps its columns"
        );
    }
    assert!(
        !sqlite_schema
            .iter()
            .any(|c| c.starts_with("patient_search_tokens_compact.")),
        "a renamed table leaves no trace"
    );
}

/// Applies one migration's table and column declarations to `schema` (`table.column` names).
fn apply_declarations(schema: &mut BTreeSet<String>, sql: &str) {
    let mut table: Option<String> = None;
    for line in sql.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("ALTER TABLE ") {
            let words: Vec<&str> = rest
                .split_whitespace()
                .map(|w| w.trim_end_matches(';'))
                .collect();
            match words.as_slice() {
                [t, "ADD", "COLUMN", column, ..] => {
                    schema.insert(format!("{t}.{column}"));
                }
                [from, "RENAME", "TO", to] => {
                    let moved: Vec<String> = schema
                        .iter()
                        .filter(|c| c.starts_with(&format!("{from}.")))
                        .cloned()
                        .collect();
                    for column in moved {
                        schema.remove(&column);
                        schema.insert(column.replacen(from, to, 1));
                    }
                }
                _ => {}
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("DROP TABLE ") {
            let t = rest.trim_end_matches(';').trim();
            schema.retain(|c| !c.starts_with(&format!("{t}.")));
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
                schema.insert(format!("{t}.{first}"));
            }
        }
    }
}

#[test]
fn multi_row_insert_numbers_every_placeholder_once() {
    assert_eq!(
        multi_row_insert("t", "a, b", 2, 2, Placeholders::Numbered),
        "INSERT INTO t (a, b) VALUES ($1, $2), ($3, $4)"
    );
    assert_eq!(
        multi_row_insert("t", "a, b", 2, 2, Placeholders::Anonymous),
        "INSERT INTO t (a, b) VALUES (?, ?), (?, ?)"
    );
}
