use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Weak};
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
///
/// SQLite gets two pools on one file: a single writer connection and a pool of readers.
/// SQLite has one write lock, so a second writer connection could only wait; with one, writers
/// queue in the pool's first-come, first-served line (a writer that found the lock taken would
/// otherwise sleep in the busy handler, 1, 2, 5 … 100 ms, with the lock free most of the time:
/// p99 1.7 s at 330 writes/s). And a connection whose database another connection changed must
/// drop its page cache before its next transaction: with every write on the one connection,
/// the writer's cache stays warm, and the statements only writes use (multi-row inserts of up
/// to 200 rows) are prepared once, not once per connection. Readers are `query_only`: a write
/// sent to them by mistake fails at once instead of racing the writer.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool, SqliteReaders),
    Postgres(PgPool),
}

/// The read-only connections of a SQLite database (see [`Db`]). For an in-memory database,
/// which exists once per connection, the one writer connection serves reads too.
#[derive(Debug, Clone)]
pub struct SqliteReaders {
    pub pool: SqlitePool,
    /// Keeps the background checkpointer (see [`spawn_checkpointer`]) running for as long as
    /// any clone of the `Db` lives.
    _alive: Arc<()>,
}

/// An open write transaction. On SQLite it starts with `BEGIN IMMEDIATE` on the writer
/// connection, so the write lock is taken up front and a read-then-write transaction can never
/// fail half way with a busy upgrade; on PostgreSQL row locks do that work. A write
/// transaction must never wait for another write (a second transaction, or a write outside
/// it): on SQLite that would wait for the one writer connection it holds itself.
#[derive(Debug)]
pub enum Tx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Prepared statements kept per connection: multi-row inserts have a statement per row count
/// (audit groups, tokens), so the writer keeps room for all of them and none is prepared again
/// under load. SQLite's readers only need the queries.
const STATEMENT_CACHE: usize = 400;
const READER_STATEMENT_CACHE: usize = 100;

/// How often the background checkpointer copies SQLite's write-ahead log into the database.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);
/// The log's length (pages) at which the writer checkpoints it itself, should the background
/// checkpointer fall behind (SQLite's own default is 1,000 pages).
const WRITER_AUTOCHECKPOINT_PAGES: &str = "16000";

/// Copies committed pages from the write-ahead log into the database file, off the writer.
/// SQLite's default has the committing connection do it once the log reaches 1,000 pages: the
/// writer, holding the one write lock, then spent the copy and its fsync with every other
/// writer queued behind it (17 % of the machine in I/O wait under 64 writers). A passive
/// checkpoint from a reader connection runs beside the writer and never blocks it. Stops once
/// the last clone of its `Db` is gone (`alive`).
///
/// SQLite syncs the database file only when a checkpoint reaches the end of the log, and
/// under steady writes a passive one never does (a commit lands while it copies): the pages it
/// copied then waited, unsynced, for the writer's own checkpoint at
/// [`WRITER_AUTOCHECKPOINT_PAGES`], whose fsync flushed all of them under the write lock
/// (40 ms every 1.5 s with one client searching 1,000,000 patients; benchmarks.md, third
/// pass). So after a checkpoint that copied pages, this task syncs the file itself (fsync
/// flushes the file, whichever descriptor asks), off the writer and off the Tokio workers.
/// It adds no promise: a commit is durable in the log before it is acknowledged either way.
fn spawn_checkpointer(readers: SqlitePool, database_file: PathBuf, alive: Weak<()>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(CHECKPOINT_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Frames of the log known copied: when it grows, the file has pages to sync.
        let mut copied_before: i64 = 0;
        loop {
            ticker.tick().await;
            if alive.strong_count() == 0 || readers.is_closed() {
                return;
            }
            let copied =
                match sqlx::query_as::<_, (i64, i64, i64)>("PRAGMA wal_checkpoint(PASSIVE)")
                    .fetch_one(&readers)
                    .await
                {
                    Ok((_busy, _log_frames, copied)) => copied,
                    Err(e) => {
                        // The writer's own checkpoints take over; nothing is lost.
                        tracing::warn!(error = %e, "background WAL checkpoint failed");
                        continue;
                    }
                };
            // A restarted log counts from zero again; anything copied since needs its sync.
            if copied > 0 && copied != copied_before {
                let file = database_file.clone();
                let synced = tokio::task::spawn_blocking(move || {
                    std::fs::File::open(&file).and_then(|f| f.sync_data())
                })
                .await;
                if let Ok(Err(e)) = synced {
                    tracing::warn!(error = %e, "background sync of the database file failed");
                }
            }
            copied_before = copied;
        }
    });
}

/// How long a PostgreSQL connection may sit idle and still be handed out without a ping.
const PG_TRUSTED_IDLE: Duration = Duration::from_secs(5);

/// A SQLite pool of up to `max` connections to one file (or the one of an in-memory database).
fn sqlite_pool(max: u32, in_memory: bool) -> SqlitePoolOptions {
    SqlitePoolOptions::new()
        .max_connections(max)
        .min_connections(if in_memory { 1 } else { 0 })
        .idle_timeout((!in_memory).then_some(Duration::from_secs(600)))
        .max_lifetime((!in_memory).then_some(Duration::from_secs(3600)))
        // Writers queue here for the one writer connection, for as long as the writes before
        // them take.
        .acquire_timeout(Duration::from_secs(60))
        // A local file does not drop connections: the ping sqlx sends before every use only
        // costs a thread hand-off per query (benchmarks.md, issue #3).
        .test_before_acquire(false)
}

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
                    // Other processes on the same file (a CLI command beside the server) still
                    // meet the lock: they wait in the busy handler.
                    .busy_timeout(Duration::from_secs(30))
                    .statement_cache_capacity(STATEMENT_CACHE);
                let in_memory = url.contains(":memory:") || url.contains("mode=memory");
                if !in_memory {
                    private_database_file(options.get_filename())?;
                }
                // An in-memory database exists per connection: exactly one, writer and reader.
                let writer = sqlite_pool(1, in_memory)
                    .connect_with(
                        options
                            .clone()
                            .pragma("wal_autocheckpoint", WRITER_AUTOCHECKPOINT_PAGES),
                    )
                    .await
                    .map_err(unreachable)?;
                if in_memory {
                    return Ok(Db::Sqlite(
                        writer.clone(),
                        SqliteReaders {
                            pool: writer,
                            _alive: Arc::new(()),
                        },
                    ));
                }
                let database_file = options.get_filename().to_path_buf();
                let readers = sqlite_pool(settings.max_connections, in_memory)
                    .connect_with(
                        options
                            .pragma("query_only", "ON")
                            .statement_cache_capacity(READER_STATEMENT_CACHE),
                    )
                    .await
                    .map_err(unreachable)?;
                let alive = Arc::new(());
                spawn_checkpointer(readers.clone(), database_file, Arc::downgrade(&alive));
                Ok(Db::Sqlite(
                    writer,
                    SqliteReaders {
                        pool: readers,
                        _alive: alive,
                    },
                ))
            }
            Engine::Postgres => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|_| StoreError::BadUrl(format!("{target} is not a PostgreSQL URL")))?
                    .statement_cache_capacity(STATEMENT_CACHE);
                let pool = PgPoolOptions::new()
                    .max_connections(settings.max_connections)
                    // sqlx pings every connection it hands out, a round trip per statement
                    // outside a transaction. A connection that was in use a moment ago is
                    // alive; one that sat idle may have been dropped by the server or the
                    // network in between, and is checked first.
                    .test_before_acquire(false)
                    .before_acquire(|conn, meta| {
                        Box::pin(async move {
                            if meta.idle_for > PG_TRUSTED_IDLE {
                                sqlx::Connection::ping(conn).await?;
                            }
                            Ok(true)
                        })
                    })
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
            Db::Sqlite(writer, _) => Tx::Sqlite(writer.begin_with("BEGIN IMMEDIATE").await?),
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
        match self {
            Db::Sqlite(writer, readers) => {
                readers.pool.close().await;
                writer.close().await;
            }
            Db::Postgres(pool) => pool.close().await,
        }
    }
}

impl Tx {
    pub async fn commit(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.commit().await?,
            Tx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    pub async fn rollback(self) -> Result<(), StoreError> {
        match self {
            Tx::Sqlite(tx) => tx.rollback().await?,
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
