//! Test support shared by the crates' integration tests: a fresh, empty database on the engine
//! this test run targets. With `ENAMEL_TEST_DATABASE_URL` unset, each test gets its own SQLite
//! file; set to a PostgreSQL URL (CI uses `postgres://postgres@127.0.0.1:5432/test`), each test
//! gets its own database, created next to the one named, so tests never see each other's rows.
//! The same tests therefore run unchanged on both engines. [`LogCapture`] keeps what the
//! process logs, for the tests that search the log for secrets and PHI.

use std::path::{Path, PathBuf};

use enamel_store::{Db, Engine, PoolSettings};
use sqlx::Connection;

/// The variable that selects PostgreSQL for a test run.
pub const DATABASE_URL_VAR: &str = "ENAMEL_TEST_DATABASE_URL";
/// Prefix of the per-test PostgreSQL databases (CI drops leftovers by this prefix).
pub const PG_DATABASE_PREFIX: &str = "enamel_t_";

/// A database for one test; a SQLite file lives as long as this value.
#[derive(Debug)]
pub struct TestDb {
    pub db: Db,
    /// The URL a server process would be given for this database.
    pub url: String,
    dir: tempfile::TempDir,
}

impl TestDb {
    pub fn engine(&self) -> Engine {
        self.db.engine()
    }

    /// The SQLite file, when the engine is SQLite.
    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.engine() == Engine::Sqlite).then(|| self.dir.path().join("enamel.db"))
    }

    /// A scratch folder for the test (key files, blobs, logs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

/// Which engine this test run targets.
pub fn engine() -> Engine {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if url.starts_with("postgres") => Engine::Postgres,
        _ => Engine::Sqlite,
    }
}

/// A fresh, empty (unmigrated) database. Panics are fine here: this is test set-up.
#[allow(clippy::expect_used, clippy::panic)]
pub async fn fresh_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = match std::env::var(DATABASE_URL_VAR) {
        Ok(admin_url) if admin_url.starts_with("postgres") => {
            let name = format!("{PG_DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| panic!("cannot reach {DATABASE_URL_VAR}: {e}"));
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut admin)
                .await
                .expect("create test database");
            let _ = admin.close().await;
            with_database(&admin_url, &name)
        }
        _ => format!("sqlite://{}", dir.path().join("enamel.db").display()),
    };
    let db = Db::connect(&url, &PoolSettings::default())
        .await
        .expect("connect to the test database");
    TestDb { db, url, dir }
}

/// Runs statements directly, as someone with database access (an attacker, in the tamper
/// tests) would, bypassing the store's API.
pub async fn raw_sql(db: &Db, sql: &str) -> Result<u64, sqlx::Error> {
    let sql = sqlx::AssertSqlSafe(sql.to_string());
    match db {
        Db::Sqlite(pool, _) => sqlx::raw_sql(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
        Db::Postgres(pool) => sqlx::raw_sql(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()),
    }
}

/// `url` with its database name replaced.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let authority_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[authority_end..].find('/').map(|i| i + authority_end);
    let root = match path_start {
        Some(i) => &base[..i],
        None => base,
    };
    match query {
        Some(q) => format!("{root}/{name}?{q}"),
        None => format!("{root}/{name}"),
    }
}

/// Every `.rs` file below `dir`, for the boundary lints that read a crate's source.
#[allow(clippy::expect_used)]
pub fn rust_sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("read a source folder") {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn replaces_the_database_name_only() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u:p@h/test?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}

/// Everything the process logs, at TRACE (the most a server can be asked to print), kept in
/// memory so a test can search it for what must never be logged. The log subscriber is global:
/// install it once, at the start of a test binary of its own.
#[derive(Clone, Default)]
pub struct LogCapture(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl LogCapture {
    /// Sends every log line of this process, from now on, into the returned capture.
    pub fn install_at_trace() -> LogCapture {
        let logs = LogCapture::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .init();
        logs
    }

    /// What was logged so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|b| b.clone()).unwrap_or_default()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.bytes()).into_owned()
    }
}

impl std::fmt::Debug for LogCapture {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LogCapture({} bytes)", self.bytes().len())
    }
}

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(buf);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
