//! Writing profile updates, in one of two ways:
//!
//! - **Group commit** (SQLite's default): SQLite lets one connection write at a time, and
//!   requests that each open their own transaction queue on that lock and sleep in its busy
//!   handler. Instead, one thread owns a write connection, takes every validated update that is
//!   waiting, and commits them in one transaction (an `UPDATE ... RETURNING` per update, one
//!   audit insert for all); each request is answered only after the transaction holding its
//!   update has committed (`sqlite_writer`). On PostgreSQL (`PROFILE_WRITES=batched`) a task
//!   does the same over sqlx.
//! - **Each update alone** (PostgreSQL's default; `PROFILE_WRITES` picks either on either
//!   backend): on SQLite a transaction per update on a pooled connection; on PostgreSQL one
//!   statement that also reads what it compares (see `change_alone_postgres`), and for a patch
//!   sent with a session token also checks the session (`change_by_session_postgres`), run by
//!   one of a few tasks that own their connections (`PostgresWriters`). PostgreSQL locks rows,
//!   not the database, so updates of different profiles commit side by side.
//!
//! Either way a change is first compared with what is stored: only the fields whose value
//! differs are written and audited, and a change that differs in nothing writes nothing.
//!
//! Each update still succeeds or fails on its own: one whose `If-Match` version no longer holds
//! writes nothing and fails alone, and if a statement fails outright, the batch is rolled back
//! and every update in it is retried in a transaction of its own, so only the broken one fails.

mod postgres_writers;

use sqlx::{postgres::PgConnection, Connection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

pub use self::postgres_writers::commit_batch;
use self::postgres_writers::{run, Job, PostgresJob, PostgresWriters};
use crate::model::profile::{field::ProfileField, patch::StoredValue};

use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    profiles::sqlite_writer::{self, SessionChange},
    store::{
        profiles::{sqlite, ChangeOutcome, ProfileChange, ProfileWrite, StoredProfile},
        sessions::StoredSession,
        Backend, Store,
    },
};

/// How profile updates are committed (`PROFILE_WRITES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// Every waiting update in one transaction, by one writer task (`batched`).
    Batched,
    /// A transaction per update (`each`).
    EachAlone,
}

impl WriteMode {
    /// What was faster on each backend in `make bench` (see docs/performance.md).
    pub fn default_for(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => WriteMode::Batched,
            Backend::Postgres => WriteMode::EachAlone,
        }
    }

    /// `batched` or `each`.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "batched" => Some(WriteMode::Batched),
            "each" => Some(WriteMode::EachAlone),
            _ => None,
        }
    }
}

/// Writes validated profile updates. Cheap to clone; a batched writer's task ends when every
/// clone is dropped.
#[derive(Clone, Debug)]
pub enum ProfileWriter {
    /// On SQLite, hands updates to the writer thread (`sqlite_writer`).
    SqliteBatched {
        pool: SqlitePool,
        jobs: mpsc::Sender<sqlite_writer::Job>,
    },
    /// On PostgreSQL, hands updates to the writer task.
    Batched {
        store: Store,
        jobs: mpsc::Sender<Job>,
    },
    /// On SQLite, commits each update in a transaction of its own.
    EachAlone(SqlitePool),
    /// On PostgreSQL, commits each update in its one statement on a connection of the writer's
    /// own (see `PostgresWriters`).
    Postgres(PostgresWriters),
}

impl ProfileWriter {
    /// Updates waiting for the batched writer (0 for the others, which queue nothing).
    pub fn queue_depth(&self) -> usize {
        match self {
            ProfileWriter::SqliteBatched { jobs, .. } => jobs.max_capacity() - jobs.capacity(),
            ProfileWriter::Batched { jobs, .. } => jobs.max_capacity() - jobs.capacity(),
            ProfileWriter::EachAlone(_) | ProfileWriter::Postgres(_) => 0,
        }
    }

    /// The writer `store`'s backend is fastest with.
    pub async fn start(store: &Store) -> Result<Self, sqlx::Error> {
        Self::start_with(store, WriteMode::default_for(store.backend())).await
    }

    /// A writer of `mode`. A batched one opens a write connection to the database (same
    /// settings) and starts the writer task (on SQLite a thread, which also checkpoints the
    /// write-ahead log: see `sqlite_writer`).
    pub async fn start_with(store: &Store, mode: WriteMode) -> Result<Self, sqlx::Error> {
        match (mode, store) {
            (WriteMode::EachAlone, Store::Postgres(pool)) => {
                Ok(ProfileWriter::Postgres(PostgresWriters::start(pool)))
            }
            (WriteMode::EachAlone, Store::Sqlite(pool)) => {
                Ok(ProfileWriter::EachAlone(pool.clone()))
            }
            (WriteMode::Batched, Store::Sqlite(pool)) => {
                let path = pool.connect_options().get_filename().to_owned();
                if path.starts_with("file:") {
                    // sqlx names an in-memory database so: there is no file to open beside
                    // the pool, so each update goes alone on the pool's connections.
                    tracing::info!("an in-memory database: profile updates are written one by one");
                    return Ok(ProfileWriter::EachAlone(pool.clone()));
                }
                let jobs = sqlite_writer::start(
                    path,
                    sqlite_writer::QUEUE,
                    sqlite_writer::CHECKPOINT_EVERY,
                )
                .map_err(sqlx::Error::Io)?;
                Ok(ProfileWriter::SqliteBatched {
                    pool: pool.clone(),
                    jobs,
                })
            }
            (WriteMode::Batched, Store::Postgres(pool)) => {
                let (jobs, queue) = mpsc::channel(sqlite_writer::QUEUE);
                let connection = PgConnection::connect_with(&pool.connect_options()).await?;
                tokio::spawn(run(connection, queue));
                Ok(ProfileWriter::Batched {
                    store: store.clone(),
                    jobs,
                })
            }
        }
    }

    /// Compares `change` with what is stored and writes what differs (batched: with the next
    /// batch); once committed, the profile's version and the fields that changed.
    pub async fn write(&self, change: ProfileChange) -> Result<Saved, ServiceError> {
        match self {
            ProfileWriter::Postgres(writers) => {
                let (answer, answered) = oneshot::channel();
                writers
                    .hand_over(
                        PostgresJob::Change {
                            change,
                            now: clock::now(),
                            answer,
                        },
                        answered,
                    )
                    .await
                    .and_then(saved)
            }
            ProfileWriter::EachAlone(pool) => {
                let write = match compared(&Store::Sqlite(pool.clone()), &change).await? {
                    Ok(write) => write,
                    Err(outcome) => return saved(outcome),
                };
                let version = write_alone(pool, &write).await?;
                Ok(Saved {
                    version,
                    changed: write.fields(),
                })
            }
            ProfileWriter::SqliteBatched { pool, jobs } => {
                let write = match compared(&Store::Sqlite(pool.clone()), &change).await? {
                    Ok(write) => write,
                    Err(outcome) => return saved(outcome),
                };
                let changed = write.fields();
                // A new password also ends sessions and queues a notice: rare, and slow anyway
                // (the hash), so it is committed alone on the pool, as `each` does.
                let version = if write.change.password.is_some() {
                    write_alone(pool, &write).await?
                } else {
                    let (answer, answered) = oneshot::channel();
                    let job = sqlite_writer::Job::Write { write, answer };
                    answer_of(jobs.send(job).await.is_ok(), answered).await??
                };
                Ok(Saved { version, changed })
            }
            ProfileWriter::Batched { store, jobs } => {
                let write = match compared(store, &change).await? {
                    Ok(write) => write,
                    Err(outcome) => return saved(outcome),
                };
                let changed = write.fields();
                let version = hand_over(jobs, write).await?;
                Ok(Saved { version, changed })
            }
        }
    }
}

/// The answer the writer gives on `answered` to a job it was handed (`sent`).
async fn answer_of<T>(sent: bool, answered: oneshot::Receiver<T>) -> Result<T, ServiceError> {
    if !sent {
        return Err(ServiceError::Internal(
            "the profile writer has stopped".to_owned(),
        ));
    }
    answered
        .await
        .map_err(|_| ServiceError::Internal("the profile writer dropped an update".to_owned()))
}

impl ProfileWriter {
    /// Whether `write_for_session` can write: on PostgreSQL each update alone, on SQLite the
    /// writer thread.
    pub fn checks_sessions(&self) -> bool {
        matches!(
            self,
            ProfileWriter::Postgres(_) | ProfileWriter::SqliteBatched { .. }
        )
    }

    /// Writes `values` (validated, needing no current password) to the active profile of the
    /// live session with `token_hash` at `now`, checking the session as it writes (in the same
    /// statement on PostgreSQL, see `change_by_session_postgres`; in the same transaction on
    /// SQLite); the session as found and what was saved, or `None` when there is no such
    /// session (nothing written). Only when `checks_sessions`.
    pub async fn write_for_session(
        &self,
        token_hash: Vec<u8>,
        values: Vec<(ProfileField, Option<StoredValue>)>,
        expected: Option<(Option<i64>, i64)>,
        now: i64,
        origin: Origin,
    ) -> Result<Option<(StoredSession, Saved)>, ServiceError> {
        let found = match self {
            ProfileWriter::Postgres(writers) => {
                let (answer, answered) = oneshot::channel();
                let job = PostgresJob::BySession {
                    token_hash,
                    values,
                    expected,
                    now,
                    origin,
                    answer,
                };
                writers.hand_over(job, answered).await?
            }
            ProfileWriter::SqliteBatched { jobs, .. } => {
                let (answer, answered) = oneshot::channel();
                let change = SessionChange {
                    token_hash,
                    values,
                    expected,
                    now,
                    origin,
                };
                let job = sqlite_writer::Job::BySession { change, answer };
                answer_of(jobs.send(job).await.is_ok(), answered).await??
            }
            _ => {
                return Err(ServiceError::Internal(
                    "this writer does not check sessions".to_owned(),
                ))
            }
        };
        match found {
            Some((session, outcome)) => Ok(Some((session, saved(outcome)?))),
            None => Ok(None),
        }
    }
}

/// What a change left stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Saved {
    pub version: i64,
    /// The fields whose value changed (none when nothing differed).
    pub changed: Vec<ProfileField>,
}

fn saved(outcome: ChangeOutcome) -> Result<Saved, ServiceError> {
    match outcome {
        ChangeOutcome::Written { version, changed } => Ok(Saved { version, changed }),
        ChangeOutcome::Unchanged { version } => Ok(Saved {
            version,
            changed: Vec::new(),
        }),
        ChangeOutcome::Stale => Err(ServiceError::stale_profile()),
        ChangeOutcome::Missing => Err(missing()),
    }
}

/// `change` compared with the stored values of the fields it sends (read outside the write's
/// transaction: the write itself still checks the version when `If-Match` came).
async fn compared(
    store: &Store,
    change: &ProfileChange,
) -> Result<Result<ProfileWrite, ChangeOutcome>, ServiceError> {
    let fields = change.values.iter().map(|(field, _)| *field);
    let current = store
        .profile(change.profile_id, change.user_id, fields)
        .await?;
    Ok(against(change, current))
}

/// `change` against the profile as stored (`None`: the profile is gone).
fn against(
    change: &ProfileChange,
    current: Option<StoredProfile>,
) -> Result<ProfileWrite, ChangeOutcome> {
    match current {
        Some(current) => change.against(&current),
        None => Err(ChangeOutcome::Missing),
    }
}

/// Gives `write` to the writer task; its new version once its batch has committed.
async fn hand_over(jobs: &mpsc::Sender<Job>, write: ProfileWrite) -> Result<i64, ServiceError> {
    let (answer, answered) = oneshot::channel();
    jobs.send(Job { write, answer })
        .await
        .map_err(|_| ServiceError::Internal("the profile writer has stopped".to_owned()))?;
    answered
        .await
        .map_err(|_| ServiceError::Internal("the profile writer dropped an update".to_owned()))?
}

/// One update on its own on SQLite, in a transaction that takes the write lock at once.
async fn write_alone(pool: &SqlitePool, write: &ProfileWrite) -> Result<i64, ServiceError> {
    let now = clock::now();
    let mut transaction = pool.begin_with("BEGIN IMMEDIATE").await?;
    // Dropping the transaction on a stale version rolls it back.
    let version = sqlite::apply(&mut transaction, write, now)
        .await?
        .ok_or_else(ServiceError::stale_profile)?;
    sqlite::audit(&mut transaction, &[write], now).await?;
    transaction.commit().await?;
    Ok(version)
}

fn missing() -> ServiceError {
    ServiceError::NotFound("The active profile no longer exists.".to_owned())
}

#[cfg(test)]
mod tests;
