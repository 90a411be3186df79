use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};

use crate::StoreError;

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn as_str(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite",
            Engine::Postgres => "postgres",
        }
    }
}

/// Pool sizing; the defaults suit a single practice on SQLite and a small cluster on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub connect_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            connect_timeout: Duration::from_secs(5),
        }
    }
}

/// A connection pool to one of the two engines.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool, WriteGate),
    Postgres(PgPool),
}

/// The writers of one SQLite database in this process, one at a time and in the order they
/// came. SQLite has one write lock; a writer that finds it taken sleeps in the busy handler
/// (1, 2, 5, 10 … 100 ms) and tries again, so 64 writers queued there spent most of their time
/// asleep with the lock free (p99 1.7 s at 330 writes/s). Queued here, the next writer starts
/// the moment the last one commits. Other processes on the same file still meet the busy
/// handler, as before.
#[derive(Debug, Clone, Default)]
pub struct WriteGate(std::sync::Arc<tokio::sync::Mutex<()>>);

/// An open write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so the write lock
/// is taken up front and a read-then-write transaction can never fail half way with a busy
/// upgrade, and it holds this process's [`WriteGate`] until it ends; on PostgreSQL row locks
/// do that work.
#[derive(Debug)]
pub enum Tx {
    Sqlite(
        Transaction<'static, Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(Transaction<'static, Postgres>),
}

/// Prepared statements kept per connection.
const STATEMENT_CACHE: usize = 400;

impl Db {
    /// Opens a pool for `url` (`sqlite://path`, `sqlite::memory:` or `postgres://…`). Fails with a
    /// plain message naming the target (without any password) when the database cannot be reached.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Db, StoreError> {
        let target = redact_url(url);
        let unreachable = |e: sqlx::Error| StoreError::Unreachable {
            target: target.clone(),
            reason: plain_reason(&e),
        };
        match engine_of(url)? {
            Engine::Sqlite => {
                let options = SqliteConnectOptions::from_str(url)
                    .map_err(|_| StoreError::BadUrl(format!("{target} is not a SQLite URL")))?
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL: an audit entry that was acknowledged survives power loss.
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    // Multi-row inserts have a statement per row count (audit groups, tokens):
                    // room for all of them, so none is prepared again under load.
                    .statement_cache_capacity(STATEMENT_CACHE);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory {
                    private_database_file(options.get_filename())?;
                }
                let pool = SqlitePoolOptions::new()
                    // An in-memory database exists per connection: keep exactly one.
                    .max_connections(if in_memory {
                        1
                    } else {
                        settings.max_connections
                    })
                    .min_connections(if in_memory { 1 } else { 0 })
                    .idle_timeout(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(600))
                    })
                    .max_lifetime(if in_memory {
                        None
                    } else {
                        Some(Duration::from_secs(3600))
                    })
                    .acquire_timeout(Duration::from_secs(60))
                    // A local file does not drop connections: the ping sqlx sends before every
                    // use only costs a thread hand-off per query (benchmarks.md, issue #3).
                    .test_before_acquire(false)
                    .connect_with(options)
                    .await
                    .map_err(unreachable)?;
                Ok(Db::Sqlite(pool, WriteGate::default()))
            }
            Engine::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|_| StoreError::BadUrl(format!("{target} is not a PostgreSQL URL")))?
                    .statement_cache_capacity(STATEMENT_CACHE);
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    .acquire_timeout(settings.connect_timeout.max(Duration::from_secs(30)))
                    .connect_with(options)
                    .await
                    .map_err(unreachable)?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    /// Opens (creating if needed) a SQLite database file.
    pub async fn open_sqlite_file(path: &Path, settings: &PoolSettings) -> Result<Db, StoreError> {
        Db::connect(&format!("sqlite://{}", path.display()), settings).await
    }

    pub fn engine(&self) -> Engine {
        match self {
            Db::Sqlite(..) => Engine::Sqlite,
            Db::Postgres(_) => Engine::Postgres,
        }
    }

    /// Begins a write transaction (see [`Tx`]).
    pub async fn begin(&self) -> Result<Tx, StoreError> {
        Ok(match self {
            Db::Sqlite(pool, gate) => {
                let turn = gate.0.clone().lock_owned().await;
                Tx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(pool) => Tx::Postgres(pool.begin().await?),
        })
    }

    /// Cheap liveness probe used by `/readyz`.
    pub async fn ping(&self) -> Result<(), StoreError> {
        crate::on_db!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        crate::on_db!(self, pool => pool.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx, _turn) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx, _turn) => tx.rollback().await?,
            Tx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

pub(crate) fn engine_of(url: &str) -> Result<Engine, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Engine::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Engine::Postgres)
    } else {
        Err(StoreError::BadUrl(
            "database_url must start with sqlite:// or postgres://".into(),
        ))
    }
}

/// The URL without its password, fit for an error message or a log line.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

fn plain_reason(error: &sqlx::Error) -> String {
    match error {
        sqlx::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::ConnectionRefused => "nothing is listening there".into(),
            std::io::ErrorKind::NotFound => "the file or folder does not exist".into(),
            std::io::ErrorKind::PermissionDenied => "permission denied".into(),
            std::io::ErrorKind::TimedOut => "the connection timed out".into(),
            _ => "a network or file error occurred".into(),
        },
        sqlx::Error::PoolTimedOut => "the connection timed out".into(),
        sqlx::Error::Tls(_) => "the TLS handshake failed".into(),
        sqlx::Error::Database(db) => match db.code().as_deref() {
            Some("28P01") | Some("28000") => "the user name or password was refused".into(),
            Some("3D000") => "the database does not exist".into(),
            Some("14") => "the database file cannot be opened".into(),
            _ => "the server refused the connection".into(),
        },
        _ => "the connection failed".into(),
    }
}

/// Creates the SQLite file readable and writable by its owner only (0600) before SQLite opens
/// it, and takes group and other bits away from one that exists (with its `-wal` and `-shm`
/// files). SQLite gives the `-wal` and `-shm` files it creates the database file's mode, so
/// nothing of the database is ever readable by other users of the machine.
fn private_database_file(path: &Path) -> Result<(), StoreError> {
    if path.as_os_str().is_empty() {
        return Ok(());
    }
    let cannot = |_| StoreError::Unreachable {
        target: path.display().to_string(),
        reason: "the database file cannot be created readable by its owner only".into(),
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            #[cfg(unix)]
            for suffix in ["", "-wal", "-shm"] {
                let mut name = path.as_os_str().to_owned();
                name.push(suffix);
                tighten(Path::new(&name)).map_err(cannot)?;
            }
            Ok(())
        }
        // A missing folder and the like: SQLite names the problem itself.
        Err(_) => Ok(()),
    }
}

/// Removes group and other bits from an existing file (a file that is not there is fine).
#[cfg(unix)]
fn tighten(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(());
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & !0o077))
}

#[cfg(test)]
mod redact_tests {
    use super::redact_url;

    #[test]
    fn password_never_shown() {
        let shown = redact_url("postgres://enamel:s3cret@db.example.test:5432/enamel");
        assert!(!shown.contains("s3cret"));
        assert!(shown.contains("db.example.test"));
        assert_eq!(redact_url("sqlite://x.db"), "sqlite://x.db");
    }
}
