//! The tables and columns a database holds, read from its own catalog: for the test that both
//! backends' migrations build the same schema, and for tools that copy between them.

use super::{on_pool, Store};

/// What a column can hold, in terms both backends share.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ColumnType {
    /// SQLite `INTEGER` (numbers and 0/1 flags); PostgreSQL `bigint` or `boolean`.
    Integer,
    Text,
    Bytes,
    Other,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Column {
    pub table: String,
    pub name: String,
    pub kind: ColumnType,
    pub nullable: bool,
    /// The type as that backend's catalog names it, lower-cased (`integer`, `boolean`, ...).
    pub declared: String,
}

/// The portal's own tables: everything but the migrations' bookkeeping.
const SQLITE_COLUMNS: &str = "SELECT m.name, c.name, c.type, c.\"notnull\" = 0 AND c.pk = 0
     FROM sqlite_master m JOIN pragma_table_info(m.name) c
     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'
       AND m.name <> '_sqlx_migrations'";
const POSTGRES_COLUMNS: &str =
    "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'YES'
     FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name <> '_sqlx_migrations'";

fn kind(declared: &str) -> ColumnType {
    match declared.to_ascii_lowercase().as_str() {
        "integer" | "bigint" | "boolean" => ColumnType::Integer,
        "text" => ColumnType::Text,
        "blob" | "bytea" => ColumnType::Bytes,
        _ => ColumnType::Other,
    }
}

impl Store {
    /// Every column of every table of the portal, sorted by table and name.
    pub async fn columns(&self) -> Result<Vec<Column>, sqlx::Error> {
        let sql = match self {
            Store::Sqlite(_) => SQLITE_COLUMNS,
            Store::Postgres(_) => POSTGRES_COLUMNS,
        };
        let rows: Vec<(String, String, String, bool)> =
            on_pool!(self, |pool| sqlx::query_as(sql).fetch_all(pool).await)?;
        let mut columns: Vec<Column> = rows
            .into_iter()
            .map(|(table, name, declared, nullable)| Column {
                table,
                name,
                kind: kind(&declared),
                nullable,
                declared: declared.to_ascii_lowercase(),
            })
            .collect();
        columns.sort();
        Ok(columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::scratch;

    #[tokio::test]
    async fn both_backends_have_the_same_tables_and_columns() {
        let Some(_) = scratch::postgres_server() else {
            eprintln!(
                "no {} set: only the SQLite schema is read",
                scratch::POSTGRES_ENV
            );
            let dir = tempfile::tempdir().expect("temp dir");
            let sqlite = scratch::open_sqlite(dir.path()).await.expect("sqlite");
            let columns = sqlite.columns().await.expect("sqlite catalog");
            assert!(columns
                .iter()
                .all(|column| column.kind != ColumnType::Other));
            return;
        };
        let dir = tempfile::tempdir().expect("temp dir");
        let sqlite = scratch::open_sqlite(dir.path()).await.expect("sqlite");
        let postgres = scratch::open(dir.path()).await.expect("postgres");
        assert_eq!(postgres.backend(), super::super::Backend::Postgres);
        // The declared types differ by design (INTEGER flags are BOOLEAN in PostgreSQL).
        let shared = |columns: Vec<Column>| -> Vec<Column> {
            columns
                .into_iter()
                .map(|column| Column {
                    declared: String::new(),
                    ..column
                })
                .collect()
        };
        let (on_sqlite, on_postgres) = (
            shared(sqlite.columns().await.expect("sqlite catalog")),
            shared(postgres.columns().await.expect("postgres catalog")),
        );
        assert!(on_sqlite.len() > 60, "{} columns", on_sqlite.len());
        let only_in = |these: &[Column], those: &[Column]| -> Vec<Column> {
            these
                .iter()
                .filter(|column| !those.contains(column))
                .cloned()
                .collect()
        };
        assert_eq!(
            (
                only_in(&on_sqlite, &on_postgres),
                only_in(&on_postgres, &on_sqlite)
            ),
            (vec![], vec![]),
            "columns only in SQLite, only in PostgreSQL"
        );
    }
}
