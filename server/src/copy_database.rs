//! `server copy-database FROM TO`: moves a portal from one database to another (typically from
//! its SQLite file to a new PostgreSQL database), with every instance stopped.

use app::server::store::{copy, open::redacted, DatabaseError, Store};

#[derive(Debug, thiserror::Error)]
pub enum CopyDatabaseError {
    #[error("{0}")]
    Open(#[from] DatabaseError),
    #[error("{0}; nothing was copied")]
    Copy(#[from] copy::CopyError),
}

/// Opens both databases (migrating each to the current schema), copies every row and says how
/// many rows each table got.
pub async fn run(from: &str, to: &str) -> Result<String, CopyDatabaseError> {
    let source = Store::open(from).await?;
    let target = Store::open(to).await?;
    let copied = copy::copy(&source, &target).await?;
    source.close().await;
    target.close().await;
    let mut report = format!("copied {} to {}:", redacted(from), redacted(to));
    for (table, rows) in copied {
        report.push_str(&format!("\n  {table}: {rows} rows"));
    }
    Ok(report)
}
