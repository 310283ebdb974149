//! Opening the database named by `DATABASE_URL`: which backend, its connection settings, the
//! pool and that backend's embedded migrations.

use std::{str::FromStr, time::Duration};

use sqlx::{
    migrate::Migrator,
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    Connection,
};

use super::Store;

/// How long a connection waits for SQLite's write lock before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// SQLite: readers beside the one writer that WAL allows.
const SQLITE_CONNECTIONS: u32 = 8;
/// PostgreSQL: pooled connections per instance (its profile writers keep 8 more, see
/// `profile_writer::PostgresWriters`). Several instances share one server, whose default
/// `max_connections` is 100.
const POSTGRES_CONNECTIONS: u32 = 16;

/// PostgreSQL: a pooled connection idle this long is pinged before it is used again.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

pub static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/sqlite");
pub static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("../migrations/postgres");

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("DATABASE_URL {url:?} is not a valid database address: {source}")]
    InvalidUrl { url: String, source: sqlx::Error },
    #[error("cannot open the database {url:?}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// Whether `url` names a PostgreSQL database (anything else is SQLite).
fn is_postgres(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The address without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if is_postgres(url) && parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// Connection settings for `url`: either `sqlite://path`, `sqlite::memory:` or a plain file path.
/// The file is created when missing; WAL journal, foreign keys and a busy timeout are always on.
fn sqlite_options(url: &str) -> Result<SqliteConnectOptions, DatabaseError> {
    let options = if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url).map_err(|source| DatabaseError::InvalidUrl {
            url: url.to_owned(),
            source,
        })?
    } else {
        SqliteConnectOptions::new().filename(url)
    };
    Ok(options
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL is durable across process crashes in WAL mode; only a power loss can lose
        // the last commits, and it never corrupts the file.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(BUSY_TIMEOUT))
}

pub(super) fn postgres_options(url: &str) -> Result<PgConnectOptions, DatabaseError> {
    PgConnectOptions::from_str(url).map_err(|source| DatabaseError::InvalidUrl {
        url: redacted(url),
        source,
    })
}

/// Opens the pool and brings the schema up to date with that backend's `migrations/` folder.
pub async fn open(url: &str) -> Result<Store, DatabaseError> {
    let failed = |source| DatabaseError::Open {
        url: redacted(url),
        source,
    };
    if is_postgres(url) {
        open_postgres(postgres_options(url)?, &redacted(url)).await
    } else {
        let pool = SqlitePoolOptions::new()
            .max_connections(SQLITE_CONNECTIONS)
            // A connection to a file does not go stale; the ping would only cost a trip to
            // the connection's worker thread on every acquire.
            .test_before_acquire(false)
            .connect_with(sqlite_options(url)?)
            .await
            .map_err(failed)?;
        SQLITE_MIGRATIONS.run(&pool).await?;
        Ok(Store::Sqlite(pool))
    }
}

/// Opens a PostgreSQL pool with these settings and migrates it. Every instance runs the
/// migrations at start-up; sqlx holds a lock on the database while it does, so two instances
/// starting together apply each migration once.
async fn open_postgres(options: PgConnectOptions, shown_as: &str) -> Result<Store, DatabaseError> {
    let pool = PgPoolOptions::new()
        .max_connections(POSTGRES_CONNECTIONS)
        .acquire_timeout(Duration::from_secs(10))
        // A ping before each use is a round trip to the server on every acquire (a PATCH
        // acquires three times): only a connection that sat idle is checked. One the server
        // dropped while in use fails its next query once and is replaced.
        .test_before_acquire(false)
        .before_acquire(|connection, metadata| {
            Box::pin(async move {
                if metadata.idle_for >= IDLE_BEFORE_PING {
                    connection.ping().await?;
                }
                Ok(true)
            })
        })
        .connect_with(options)
        .await
        .map_err(|source| DatabaseError::Open {
            url: shown_as.to_owned(),
            source,
        })?;
    POSTGRES_MIGRATIONS.run(&pool).await?;
    Ok(Store::Postgres(pool))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_creates_the_file_applies_migrations_and_sets_pragmas() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("portal.db");
        let Store::Sqlite(pool) = open(path.to_str().expect("utf-8 path"))
            .await
            .expect("opens")
        else {
            panic!("a path opens SQLite")
        };
        assert!(path.exists());

        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .expect("journal_mode");
        assert_eq!(journal, "wal");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .expect("foreign_keys");
        assert_eq!(foreign_keys, 1);
        let applied: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .expect("migrations table");
        assert_eq!(applied as usize, SQLITE_MIGRATIONS.iter().count());
    }

    #[tokio::test]
    async fn opening_twice_keeps_data_and_does_not_reapply_migrations() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portal.db").display());
        let first = open(&url).await.expect("first open");
        first
            .execute_sql("INSERT INTO locations (name) VALUES ('Second space')")
            .await
            .expect("insert");
        first.close().await;

        let second = open(&url).await.expect("second open");
        let names: Vec<String> = second
            .scalars_sql("SELECT name FROM locations ORDER BY id")
            .await
            .expect("select");
        assert!(names.contains(&"Second space".to_owned()), "{names:?}");
    }

    #[tokio::test]
    async fn a_path_in_a_missing_directory_is_an_open_error() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("missing").join("portal.db");
        let error = open(path.to_str().expect("utf-8 path"))
            .await
            .expect_err("must fail");
        assert!(matches!(error, DatabaseError::Open { .. }), "{error:?}");
        assert!(error.to_string().contains("missing"), "{error}");
    }
}
