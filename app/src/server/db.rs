//! Opening the SQLite database: connection settings, the pool and the embedded migrations.

use std::{str::FromStr, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
    SqlitePool,
};

/// How long a connection waits for SQLite's write lock before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const MAX_CONNECTIONS: u32 = 8;

#[derive(Debug, thiserror::Error)]
pub enum DatabaseError {
    #[error("DATABASE_URL {url:?} is not a valid SQLite address: {source}")]
    InvalidUrl { url: String, source: sqlx::Error },
    #[error("cannot open the database {url:?}: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("cannot apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database query failed: {0}")]
    Query(#[from] sqlx::Error),
}

/// Connection settings for `url`: either `sqlite://path`, `sqlite::memory:` or a plain file path.
/// The file is created when missing; WAL journal, foreign keys and a busy timeout are always on.
pub fn connect_options(url: &str) -> Result<SqliteConnectOptions, DatabaseError> {
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

/// Opens the pool and brings the schema up to date with `migrations/`.
pub async fn open(url: &str) -> Result<SqlitePool, DatabaseError> {
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .connect_with(connect_options(url)?)
        .await
        .map_err(|source| DatabaseError::Open {
            url: url.to_owned(),
            source,
        })?;
    sqlx::migrate!("../migrations").run(&pool).await?;
    Ok(pool)
}

/// Answers whether the database accepts queries (for the health check).
pub async fn ping(pool: &SqlitePool) -> Result<(), DatabaseError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn open_creates_the_file_applies_migrations_and_sets_pragmas() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("portal.db");
        let pool = open(path.to_str().expect("utf-8 path"))
            .await
            .expect("opens");
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
        assert_eq!(
            applied as usize,
            sqlx::migrate!("../migrations").iter().count()
        );
    }

    #[tokio::test]
    async fn opening_twice_keeps_data_and_does_not_reapply_migrations() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("portal.db").display());
        let first = open(&url).await.expect("first open");
        sqlx::query("INSERT INTO locations (name) VALUES ('Second space')")
            .execute(&first)
            .await
            .expect("insert");
        first.close().await;

        let second = open(&url).await.expect("second open");
        let names: Vec<String> = sqlx::query_scalar("SELECT name FROM locations ORDER BY id")
            .fetch_all(&second)
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
