//! Copying every row of one portal database into another, empty one: how an operator moves from
//! SQLite to PostgreSQL (`server copy-database FROM TO`). Each value is read as its source column
//! declares it and written as the target column declares it (a SQLite 0/1 flag becomes a
//! PostgreSQL boolean), in one transaction on the target: it ends with all of the rows or none.
//! Identity sequences are then set past the copied ids, so new rows get new ids.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{on_pool, schema::Column, Store};

/// Every table, in an order in which each row's references are already copied.
pub const TABLES: &[&str] = &[
    "locations",
    "countries",
    "users",
    "account_tokens",
    "customer_profiles",
    "sessions",
    "profile_audit",
    "support_profiles",
    "support_profile_audit",
    "summary_drafts",
    "password_failures",
    "sign_ups",
    "server_keys",
    "portal_settings",
    "outgoing_mail",
    "mail_requests",
    "security_events",
    "totp_factors",
    "recovery_codes",
    "sign_in_challenges",
    "passkeys",
    "passkey_ceremonies",
    // Last: the profiles' triggers find it empty while they are inserted, and it then takes the
    // source's version.
    "directory_version",
];

/// Rows per insert statement: below SQLite's and PostgreSQL's limits on parameters.
const PARAMETERS_PER_STATEMENT: usize = 30_000;

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("the target database already has members; copy only into a new, empty database")]
    TargetNotEmpty,
    #[error("table {0:?} is not one the copy knows; update store/copy.rs with the migration")]
    UnknownTable(String),
    #[error("the two databases' schemas differ at {table}: {detail}")]
    SchemaDiffers { table: String, detail: String },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// One value on its way from one backend to the other.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Null,
    Integer(i64),
    Flag(bool),
    Text(String),
    Bytes(Vec<u8>),
}

/// How many rows each table got.
pub type Copied = Vec<(&'static str, u64)>;

/// A table's rows as read from the source, and its columns as the target declares them.
type TableRows = (&'static str, Vec<Vec<Cell>>, Vec<Column>);

/// Copies every row of `source` into `target`. Both must be migrated to the same schema, and
/// `target` must have no members yet (what its migrations seeded, the default location and the
/// countries, is replaced by the source's).
pub async fn copy(source: &Store, target: &Store) -> Result<Copied, CopyError> {
    let members: i64 = target.scalar_sql("SELECT COUNT(*) FROM users").await?;
    if members > 0 {
        return Err(CopyError::TargetNotEmpty);
    }
    let source_columns = by_table(source.columns().await?)?;
    let target_columns = by_table(target.columns().await?)?;
    let mut tables = Vec::new();
    for table in TABLES {
        let (from, to) = (&source_columns[*table], &target_columns[*table]);
        let names = |columns: &[Column]| -> Vec<String> {
            columns.iter().map(|column| column.name.clone()).collect()
        };
        if names(from) != names(to) {
            return Err(CopyError::SchemaDiffers {
                table: (*table).to_owned(),
                detail: format!("{:?} against {:?}", names(from), names(to)),
            });
        }
        tables.push((*table, read(source, table, from).await?, to.clone()));
    }
    write(target, &tables).await?;
    Ok(tables
        .iter()
        .map(|(table, rows, _)| (*table, rows.len() as u64))
        .collect())
}

/// The columns of each table, refusing tables the copy does not know (and so would leave out).
fn by_table(columns: Vec<Column>) -> Result<BTreeMap<String, Vec<Column>>, CopyError> {
    let mut tables: BTreeMap<String, Vec<Column>> = BTreeMap::new();
    for column in columns {
        if !TABLES.contains(&column.table.as_str()) {
            return Err(CopyError::UnknownTable(column.table));
        }
        tables.entry(column.table.clone()).or_default().push(column);
    }
    for table in TABLES {
        if !tables.contains_key(*table) {
            return Err(CopyError::SchemaDiffers {
                table: (*table).to_owned(),
                detail: "missing".to_owned(),
            });
        }
    }
    Ok(tables)
}

fn select(table: &str, columns: &[Column]) -> String {
    let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
    format!("SELECT {} FROM {table}", names.join(", "))
}

/// Reads one value of column `index` of `row` as `declared` says it is stored.
macro_rules! read_cell {
    ($row:expr, $index:expr, $declared:expr) => {
        match $declared {
            "boolean" => $row
                .try_get::<Option<bool>, _>($index)
                .map(|value| value.map_or(Cell::Null, Cell::Flag)),
            "integer" | "bigint" => $row
                .try_get::<Option<i64>, _>($index)
                .map(|value| value.map_or(Cell::Null, Cell::Integer)),
            "blob" | "bytea" => $row
                .try_get::<Option<Vec<u8>>, _>($index)
                .map(|value| value.map_or(Cell::Null, Cell::Bytes)),
            _ => $row
                .try_get::<Option<String>, _>($index)
                .map(|value| value.map_or(Cell::Null, Cell::Text)),
        }
    };
}

async fn read(store: &Store, table: &str, columns: &[Column]) -> Result<Vec<Vec<Cell>>, CopyError> {
    let sql = select(table, columns);
    let rows = on_pool!(store, |pool| {
        let mut rows = Vec::new();
        for row in sqlx::query(super::built(&sql)).fetch_all(pool).await? {
            let mut cells = Vec::with_capacity(columns.len());
            for (index, column) in columns.iter().enumerate() {
                cells.push(read_cell!(row, index, column.declared.as_str())?);
            }
            rows.push(cells);
        }
        Ok::<_, sqlx::Error>(rows)
    })?;
    Ok(rows)
}

/// Binds `cell` as the target column declares it.
macro_rules! bind_cell {
    ($row:expr, $cell:expr, $declared:expr) => {
        match ($declared, $cell) {
            ("boolean", Cell::Integer(number)) => $row.push_bind(Some(*number != 0)),
            ("boolean", Cell::Flag(flag)) => $row.push_bind(Some(*flag)),
            ("boolean", _) => $row.push_bind(None::<bool>),
            ("integer" | "bigint", Cell::Integer(number)) => $row.push_bind(Some(*number)),
            ("integer" | "bigint", Cell::Flag(flag)) => $row.push_bind(Some(i64::from(*flag))),
            ("integer" | "bigint", _) => $row.push_bind(None::<i64>),
            ("blob" | "bytea", Cell::Bytes(bytes)) => $row.push_bind(Some(bytes.clone())),
            ("blob" | "bytea", _) => $row.push_bind(None::<Vec<u8>>),
            (_, Cell::Text(text)) => $row.push_bind(Some(text.clone())),
            (_, _) => $row.push_bind(None::<String>),
        }
    };
}

async fn write(store: &Store, tables: &[TableRows]) -> Result<(), CopyError> {
    let postgres = matches!(store, Store::Postgres(_));
    on_pool!(store, |pool| {
        let mut tx = pool.begin().await?;
        for (table, _, _) in tables.iter().rev() {
            sqlx::query(super::built(&format!("DELETE FROM {table}")))
                .execute(&mut *tx)
                .await?;
        }
        for (table, rows, columns) in tables {
            let names: Vec<&str> = columns.iter().map(|column| column.name.as_str()).collect();
            let per_statement = (PARAMETERS_PER_STATEMENT / columns.len().max(1)).max(1);
            for chunk in rows.chunks(per_statement) {
                let mut query =
                    sqlx::QueryBuilder::new(format!("INSERT INTO {table} ({}) ", names.join(", ")));
                query.push_values(chunk, |mut row, cells| {
                    for (cell, column) in cells.iter().zip(columns) {
                        bind_cell!(row, cell, column.declared.as_str());
                    }
                });
                query.build().execute(&mut *tx).await?;
            }
            if postgres && names.contains(&"id") {
                // The next id after the highest copied one (pg_get_serial_sequence is NULL for
                // a table without an identity, and setval(NULL, ...) does nothing).
                sqlx::query(super::built(&format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                   COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)
                     FROM {table}"
                )))
                .execute(&mut *tx)
                .await?;
            }
        }
        tx.commit().await?;
        Ok::<_, sqlx::Error>(())
    })?;
    Ok(())
}
