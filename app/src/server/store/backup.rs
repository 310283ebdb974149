//! A consistent copy of a SQLite database while the server writes to it (`server backup PATH`):
//! `VACUUM INTO` reads one snapshot (a read transaction under WAL, so writers go on), and the
//! copy is then checked with `PRAGMA integrity_check`.

use std::path::Path;

use sqlx::{sqlite::SqliteConnectOptions, ConnectOptions, Connection};

use super::Store;

#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0} exists already; a backup is written only to a new file")]
    Exists(String),
    #[error(
        "this database is PostgreSQL: back it up with pg_dump (docs/operating.md, \"Backups\", shows how)"
    )]
    Postgres,
    #[error("the backup failed: {0}")]
    Database(#[from] sqlx::Error),
    #[error("the copy at {path} failed its integrity check: {report}")]
    Corrupt { path: String, report: String },
}

/// What a finished backup holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backup {
    pub bytes: u64,
    pub members: i64,
}

impl Store {
    /// Writes a consistent copy of the database to the new file `path` and checks it.
    pub async fn backup_into(&self, path: &Path) -> Result<Backup, BackupError> {
        let Store::Sqlite(pool) = self else {
            return Err(BackupError::Postgres);
        };
        let shown = path.display().to_string();
        if path.exists() {
            return Err(BackupError::Exists(shown));
        }
        let target = path.to_str().ok_or_else(|| {
            BackupError::Database(sqlx::Error::Configuration(
                format!("the path {shown} is not UTF-8").into(),
            ))
        })?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        let mut copy = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .connect()
            .await?;
        let report: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut copy)
            .await?;
        let members: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&mut copy)
            .await?;
        copy.close().await?;
        if report != ["ok"] {
            return Err(BackupError::Corrupt {
                path: shown,
                report: report.join("; "),
            });
        }
        let bytes = std::fs::metadata(path).map(|meta| meta.len()).unwrap_or(0);
        Ok(Backup { bytes, members })
    }
}
