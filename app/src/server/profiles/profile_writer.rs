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

use sqlx::{postgres::PgConnection, Connection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::model::profile::{field::ProfileField, patch::StoredValue};

use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    profiles::sqlite_writer::{self, SessionChange},
    store::{
        profiles::{
            change_alone_postgres, change_by_session_postgres, postgres, sqlite, ChangeOutcome,
            ProfileChange, ProfileWrite, StoredProfile,
        },
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
    /// What was faster on each backend in `make bench` (see the README's numbers).
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

/// The most updates committed together; more wait for the next transaction.
const MAX_BATCH: usize = sqlite_writer::MAX_BATCH;
/// How many updates may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;

/// An update waiting for the PostgreSQL batch writer, and where its result goes.
#[derive(Debug)]
pub struct Job {
    write: ProfileWrite,
    answer: oneshot::Sender<Result<i64, ServiceError>>,
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
                let jobs = sqlite_writer::start(path, QUEUE, sqlite_writer::CHECKPOINT_EVERY)
                    .map_err(sqlx::Error::Io)?;
                Ok(ProfileWriter::SqliteBatched {
                    pool: pool.clone(),
                    jobs,
                })
            }
            (WriteMode::Batched, Store::Postgres(pool)) => {
                let (jobs, queue) = mpsc::channel(QUEUE);
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
                let version = if write.password.is_some() {
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

/// How many connections of its own a PostgreSQL writer keeps (each opened on first use).
const POSTGRES_WRITERS: usize = 8;

/// Tasks that each own a PostgreSQL connection and run the one-statement writes handed to
/// them, one at a time. A pooled connection costs a round trip on every return to the pool:
/// sqlx 0.8 tests each one with a `Sync` and waits for the answer, so that a connection a
/// dropped request left mid-statement never serves another. A connection owned by a task
/// needs no such test, because a job runs to its end there whether or not the request that
/// gave it is still waiting; only after a failed job is the connection tested (and replaced
/// when broken). The tasks end when the last clone of the writer is dropped.
#[derive(Clone, Debug)]
pub struct PostgresWriters {
    jobs: mpsc::Sender<PostgresJob>,
}

/// A write for one of the `PostgresWriters`, and where its result goes.
#[derive(Debug)]
enum PostgresJob {
    Change {
        change: ProfileChange,
        now: i64,
        answer: oneshot::Sender<Result<ChangeOutcome, sqlx::Error>>,
    },
    BySession {
        token_hash: Vec<u8>,
        values: Vec<(ProfileField, Option<StoredValue>)>,
        expected: Option<(Option<i64>, i64)>,
        now: i64,
        origin: Origin,
        answer: oneshot::Sender<Result<Option<(StoredSession, ChangeOutcome)>, sqlx::Error>>,
    },
}

impl PostgresJob {
    /// Runs the job on `connection` and answers; whether it failed.
    async fn run(self, connection: &mut PgConnection) -> bool {
        match self {
            PostgresJob::Change {
                change,
                now,
                answer,
            } => reply(
                answer,
                change_alone_postgres(connection, &change, now).await,
            ),
            PostgresJob::BySession {
                token_hash,
                values,
                expected,
                now,
                origin,
                answer,
            } => reply(
                answer,
                change_by_session_postgres(
                    connection,
                    &token_hash,
                    &values,
                    expected,
                    now,
                    &origin,
                )
                .await,
            ),
        }
    }

    /// Answers with `error` instead of running.
    fn fail(self, error: sqlx::Error) {
        match self {
            PostgresJob::Change { answer, .. } => drop(answer.send(Err(error))),
            PostgresJob::BySession { answer, .. } => drop(answer.send(Err(error))),
        }
    }
}

/// Sends a job's `result` to whoever gave it (who may have gone: what was written stays
/// written); whether it failed.
fn reply<T>(
    answer: oneshot::Sender<Result<T, sqlx::Error>>,
    result: Result<T, sqlx::Error>,
) -> bool {
    let failed = result.is_err();
    let _ = answer.send(result);
    failed
}

impl PostgresWriters {
    /// Starts the tasks, with connections opened as `pool`'s are.
    fn start(pool: &sqlx::PgPool) -> Self {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let queue = std::sync::Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..POSTGRES_WRITERS {
            tokio::spawn(work(pool.connect_options(), queue.clone()));
        }
        PostgresWriters { jobs }
    }

    /// Hands `job` to the next free task and waits for its answer on `answered`.
    async fn hand_over<T>(
        &self,
        job: PostgresJob,
        answered: oneshot::Receiver<Result<T, sqlx::Error>>,
    ) -> Result<T, ServiceError> {
        self.jobs
            .send(job)
            .await
            .map_err(|_| ServiceError::Internal("the profile writers have stopped".to_owned()))?;
        Ok(answered.await.map_err(|_| {
            ServiceError::Internal("a profile writer dropped an update".to_owned())
        })??)
    }
}

/// One of the `PostgresWriters`: takes the next job, connecting first if it has no connection.
async fn work(
    options: std::sync::Arc<sqlx::postgres::PgConnectOptions>,
    queue: std::sync::Arc<tokio::sync::Mutex<mpsc::Receiver<PostgresJob>>>,
) {
    let mut connection: Option<PgConnection> = None;
    loop {
        let Some(job) = queue.lock().await.recv().await else {
            return;
        };
        let open = match connection.as_mut() {
            Some(open) => open,
            None => match PgConnection::connect_with(&options).await {
                Ok(opened) => connection.insert(opened),
                Err(error) => {
                    tracing::warn!(%error, "a profile writer cannot connect to the database");
                    job.fail(error);
                    continue;
                }
            },
        };
        if job.run(open).await && open.ping().await.is_err() {
            // Broken: the next job gets a new connection.
            connection = None;
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

async fn run(mut connection: PgConnection, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        metrics::histogram!("portal_profile_write_batch_size").record(batch.len() as f64);
        let writes: Vec<&ProfileWrite> = batch.iter().map(|job| &job.write).collect();
        let results = commit_batch(&mut connection, &writes).await;
        for (job, result) in batch.drain(..).zip(results) {
            // The caller may have gone (a closed connection); its update stays committed.
            let _ = job.answer.send(result);
        }
    }
}

/// Commits `writes` together, or, if one of their statements fails, each on its own. When the
/// transaction itself cannot begin or commit (the database is locked or gone), every write of
/// the batch fails with that error: retrying them one by one would only wait longer. One result
/// per write, in order.
pub async fn commit_batch(
    connection: &mut PgConnection,
    writes: &[&ProfileWrite],
) -> Vec<Result<i64, ServiceError>> {
    match commit_together(connection, writes).await {
        Ok(results) => results,
        Err(BatchFailed::Transaction(error)) => {
            tracing::error!(%error, updates = writes.len(), "a batch could not be committed");
            writes
                .iter()
                .map(|_| {
                    Err(ServiceError::Internal(format!(
                        "the profile update could not be committed: {error}"
                    )))
                })
                .collect()
        }
        Err(BatchFailed::Statement(error)) => {
            tracing::warn!(%error, updates = writes.len(), "a batch failed; retrying its updates one by one");
            let mut results = Vec::with_capacity(writes.len());
            for write in writes {
                results.push(match commit_together(connection, &[write]).await {
                    Ok(mut single) => single.remove(0),
                    Err(BatchFailed::Statement(error) | BatchFailed::Transaction(error)) => {
                        Err(error.into())
                    }
                });
            }
            results
        }
    }
}

/// Why a batch was not committed.
enum BatchFailed {
    /// `BEGIN` or `COMMIT` failed: nothing in the batch could be written.
    Transaction(sqlx::Error),
    /// A statement of one of the writes failed; the batch was rolled back.
    Statement(sqlx::Error),
}

/// The writes in one transaction, taking the profiles' rows in the order of their ids (so that
/// two instances' batches never wait for each other in a circle on PostgreSQL); one result per
/// write, in the order given.
async fn commit_together(
    connection: &mut PgConnection,
    writes: &[&ProfileWrite],
) -> Result<Vec<Result<i64, ServiceError>>, BatchFailed> {
    let mut order: Vec<usize> = (0..writes.len()).collect();
    // Stable: updates of one profile keep the order they came in.
    order.sort_by_key(|&index| writes[index].profile_id);
    let now = clock::now();
    let mut results: Vec<Option<Result<i64, ServiceError>>> = writes.iter().map(|_| None).collect();
    let mut audited = Vec::with_capacity(writes.len());
    let mut transaction = connection.begin().await.map_err(BatchFailed::Transaction)?;
    for &index in &order {
        let write = writes[index];
        results[index] = Some(match postgres::apply(&mut transaction, write, now).await {
            Ok(Some(version)) => {
                audited.push(write);
                Ok(version)
            }
            Ok(None) => Err(ServiceError::stale_profile()),
            // Dropping the transaction rolls it back.
            Err(error) => return Err(BatchFailed::Statement(error)),
        });
    }
    postgres::audit(&mut transaction, &audited, now)
        .await
        .map_err(BatchFailed::Statement)?;
    transaction
        .commit()
        .await
        .map_err(BatchFailed::Transaction)?;
    Ok(results
        .into_iter()
        .map(|result| result.unwrap_or_else(|| Err(ServiceError::stale_profile())))
        .collect())
}

fn missing() -> ServiceError {
    ServiceError::NotFound("The active profile no longer exists.".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::direct;
    use crate::{
        model::profile::patch::StoredValue,
        server::identity::testing::{member, sqlite_member},
    };

    fn position(profile_id: i64, user_id: i64, text: &str) -> ProfileWrite {
        ProfileWrite {
            profile_id,
            user_id,
            session_id: 0,
            assignments: vec![(
                ProfileField::Position,
                Some(StoredValue::Text(text.to_owned())),
            )],
            expected_version: None,
            password: None,
            changed_fields: "Position".to_owned(),
            origin: Origin::default(),
        }
    }

    #[tokio::test]
    async fn each_update_in_a_batch_succeeds_or_fails_on_its_own() {
        let (_dir, store, session) = member().await;
        let (profile, user) = (session.active_profile_id, session.user_id);

        let first = position(profile, user, "Designer");
        let stale = ProfileWrite {
            expected_version: Some(1),
            ..position(profile, user, "Stale")
        };
        // A number where a flag goes (SQLite's CHECK refuses it, PostgreSQL's types do): a
        // statement that fails outright.
        let broken = ProfileWrite {
            assignments: vec![(
                ProfileField::ReceiveActivityDigest,
                Some(StoredValue::Integer(7)),
            )],
            ..position(profile, user, "")
        };
        let last = ProfileWrite {
            assignments: vec![(
                ProfileField::Industry,
                Some(StoredValue::Text("Design".to_owned())),
            )],
            changed_fields: "Industry".to_owned(),
            ..position(profile, user, "")
        };
        let writes = [&first, &stale, &broken, &last];
        let results = match &store {
            Store::Sqlite(pool) => {
                let path = pool.connect_options().get_filename().to_owned();
                let mut connection = direct::open(&path).expect("connects");
                sqlite_writer::commit_writes(&mut connection, &writes)
            }
            Store::Postgres(pool) => {
                let mut connection = PgConnection::connect_with(&pool.connect_options())
                    .await
                    .expect("connects");
                commit_batch(&mut connection, &writes).await
            }
        };

        assert!(matches!(results[0], Ok(2)), "{:?}", results[0]);
        assert!(
            matches!(results[1], Err(ServiceError::PreconditionFailed(_))),
            "the first write moved the version on: {:?}",
            results[1]
        );
        assert!(
            matches!(results[2], Err(ServiceError::Internal(_))),
            "{:?}",
            results[2]
        );
        assert!(matches!(results[3], Ok(3)), "{:?}", results[3]);

        let stored: (Option<String>, Option<String>, bool, i64) = store
            .row_sql(
                "SELECT position, industry, receive_activity_digest, version
                 FROM customer_profiles",
            )
            .await
            .expect("row");
        assert_eq!(
            stored,
            (
                Some("Designer".to_owned()),
                Some("Design".to_owned()),
                true,
                3
            )
        );
        let audits: Vec<String> = store
            .scalars_sql("SELECT changed_fields FROM profile_audit ORDER BY id")
            .await
            .expect("audit");
        assert_eq!(audits, ["Position", "Industry"], "only what was written");
    }

    #[tokio::test]
    async fn a_batch_that_cannot_begin_fails_every_update_and_writes_nothing() {
        let (_dir, pool, session) = sqlite_member().await;
        let (profile, user) = (session.active_profile_id, session.user_id);
        let mut connection = direct::open_with(
            pool.connect_options().get_filename(),
            std::time::Duration::from_millis(50),
        )
        .expect("connects");
        // Another connection holds the write lock for the whole attempt.
        let mut holder = pool.acquire().await.expect("a connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .expect("locks");

        let first = position(profile, user, "Designer");
        let second = position(profile, user, "Engineer");
        let results = sqlite_writer::commit_writes(&mut connection, &[&first, &second]);
        assert!(
            results
                .iter()
                .all(|result| matches!(result, Err(ServiceError::Internal(_)))),
            "{results:?}"
        );

        sqlx::query("ROLLBACK")
            .execute(&mut *holder)
            .await
            .expect("unlocks");
        let version: i64 = sqlx::query_scalar("SELECT version FROM customer_profiles")
            .fetch_one(&pool)
            .await
            .expect("row");
        assert_eq!(version, 1, "nothing was written");
    }

    #[tokio::test]
    async fn the_sqlite_writer_starts_the_log_over_after_its_checkpoints() {
        let (_dir, pool, session) = sqlite_member().await;
        let (profile, user) = (session.active_profile_id, session.user_id);
        let path = pool.connect_options().get_filename().to_owned();
        let mut log = path.clone().into_os_string();
        log.push("-wal");
        let log_size = || std::fs::metadata(&log).map(|file| file.len()).unwrap_or(0);
        let before = log_size();

        // A checkpoint after every batch, as under load one follows every 100 ms.
        let jobs = sqlite_writer::start(path, 16, std::time::Duration::ZERO).expect("starts");
        for n in 0..200 {
            let (answer, answered) = oneshot::channel();
            let write = position(profile, user, &format!("Engineer {n}"));
            jobs.send(sqlite_writer::Job::Write { write, answer })
                .await
                .expect("sent");
            assert_eq!(answered.await.expect("answered").expect("written"), n + 2);
        }

        // Each commit appends at least five pages (the profile, the audit row and the
        // security-log entry with their indexes): 200 of them, never started over, would have
        // grown the log by 1,000 pages of 4 KiB.
        let frame = 4096 + 24;
        let grown = log_size().saturating_sub(before);
        assert!(grown < 64 * frame, "the log grew by {grown} bytes");
    }

    fn change(session: &crate::server::identity::sessions::Session) -> ProfileChange {
        ProfileChange {
            profile_id: session.active_profile_id,
            user_id: session.user_id,
            session_id: session.id,
            values: Vec::new(),
            expected_version: None,
            password: None,
            origin: Origin {
                client_addr: "192.0.2.7".to_owned(),
                user_agent: "Firefox".to_owned(),
            },
        }
    }

    fn text(value: &str) -> Option<StoredValue> {
        Some(StoredValue::Text(value.to_owned()))
    }

    #[tokio::test]
    async fn only_what_differs_is_written_and_audited_whichever_way_the_writer_commits() {
        for mode in [WriteMode::Batched, WriteMode::EachAlone] {
            let (_dir, store, session) = member().await;
            let writer = ProfileWriter::start_with(&store, mode)
                .await
                .expect("writer");
            store
                .execute_sql("UPDATE customer_profiles SET city_name = 'Lisbon'")
                .await
                .expect("seed");
            let both = ProfileChange {
                values: vec![
                    (ProfileField::CityName, text("Lisbon")),
                    (ProfileField::Position, text("Designer")),
                ],
                ..change(&session)
            };
            let saved = writer.write(both.clone()).await.expect("written");
            assert_eq!(
                saved,
                Saved {
                    version: 2,
                    changed: vec![ProfileField::Position]
                },
                "{mode:?}: the city was already Lisbon"
            );
            let again = writer.write(both.clone()).await.expect("answered");
            assert_eq!(again.changed, Vec::<ProfileField>::new(), "{mode:?}");
            assert_eq!(
                again.version, 2,
                "{mode:?}: nothing differed, no new version"
            );
            let stale = ProfileChange {
                expected_version: Some(1),
                values: vec![(ProfileField::Position, text("Engineer"))],
                ..change(&session)
            };
            assert!(
                matches!(
                    writer.write(stale).await,
                    Err(ServiceError::PreconditionFailed(_))
                ),
                "{mode:?}"
            );
            let same_but_stale = ProfileChange {
                expected_version: Some(1),
                ..both.clone()
            };
            assert!(
                matches!(
                    writer.write(same_but_stale).await,
                    Err(ServiceError::PreconditionFailed(_))
                ),
                "{mode:?}: a stale If-Match fails even when nothing differs"
            );
            let cleared = ProfileChange {
                expected_version: Some(2),
                values: vec![
                    (ProfileField::CityName, None),
                    (ProfileField::CountryId, None),
                ],
                ..change(&session)
            };
            assert_eq!(
                writer.write(cleared).await.expect("written"),
                Saved {
                    version: 3,
                    changed: vec![ProfileField::CityName]
                },
                "{mode:?}: the country was never set"
            );
            let gone = ProfileChange {
                profile_id: session.active_profile_id + 100,
                values: vec![(ProfileField::Position, text("Nobody"))],
                ..change(&session)
            };
            assert!(
                matches!(writer.write(gone).await, Err(ServiceError::NotFound(_))),
                "{mode:?}"
            );

            let stored: (Option<String>, Option<String>, i64) = store
                .row_sql("SELECT position, city_name, version FROM customer_profiles")
                .await
                .expect("row");
            assert_eq!(stored, (text_of("Designer"), None, 3), "{mode:?}");
            let audits: Vec<String> = store
                .scalars_sql("SELECT changed_fields FROM profile_audit ORDER BY id")
                .await
                .expect("audit");
            assert_eq!(audits, ["Position", "CityName"], "{mode:?}");
            let logged: Vec<String> = store
                .scalars_sql(
                    "SELECT detail || ' ' || client_addr || ' ' || user_agent \
                     FROM security_events WHERE kind = 'profile_changed' ORDER BY id",
                )
                .await
                .expect("log");
            assert_eq!(
                logged,
                ["Position 192.0.2.7 Firefox", "CityName 192.0.2.7 Firefox"],
                "{mode:?}: the security log has each change and where it came from"
            );
        }
    }

    #[tokio::test]
    async fn a_change_by_session_checks_the_session_and_the_tag_where_it_writes() {
        let (_dir, store, _) = member().await;
        let token =
            crate::server::identity::testing::signed_up_token(&store, "ann@example.com", "Ann")
                .await;
        let hash = crate::server::identity::sessions::token_hash(&token);
        let writer = ProfileWriter::start(&store).await.expect("writer");
        assert!(
            writer.checks_sessions(),
            "the default writer of either backend"
        );
        let now = clock::now();
        let origin = Origin::default();
        let position = |value: &str| vec![(ProfileField::Position, text(value))];

        let (session, saved) = writer
            .write_for_session(
                hash.clone(),
                position("Designer"),
                None,
                now,
                origin.clone(),
            )
            .await
            .expect("answered")
            .expect("a live session");
        assert_eq!(
            saved,
            Saved {
                version: 2,
                changed: vec![ProfileField::Position]
            }
        );
        let profile = session.active_profile_id;

        let unknown = crate::server::identity::sessions::token_hash("not a token");
        let expired = now + 400 * 24 * 3600;
        for (hash, now) in [(unknown, now), (hash.clone(), expired)] {
            let found = writer
                .write_for_session(hash, position("Intruder"), None, now, origin.clone())
                .await
                .expect("answered");
            assert!(found.is_none(), "no live session: {found:?}");
        }
        for (expected, why) in [
            ((Some(profile), 1), "an old version"),
            ((Some(profile + 1), 2), "another profile's tag"),
            (
                (None, -1),
                "a tag of something else (as `IfMatch::single` passes it)",
            ),
        ] {
            let result = writer
                .write_for_session(
                    hash.clone(),
                    position("Stale"),
                    Some(expected),
                    now,
                    origin.clone(),
                )
                .await;
            assert!(
                matches!(result, Err(ServiceError::PreconditionFailed(_))),
                "{why}: {result:?}"
            );
        }
        let (_, saved) = writer
            .write_for_session(
                hash.clone(),
                vec![(ProfileField::CityName, text("Porto"))],
                Some((Some(profile), 2)),
                now,
                origin.clone(),
            )
            .await
            .expect("answered")
            .expect("a live session");
        assert_eq!(saved.version, 3, "the current tag writes");

        let stored: (Option<String>, Option<String>, i64) = store
            .row_sql(&format!(
                "SELECT position, city_name, version FROM customer_profiles WHERE id = {profile}"
            ))
            .await
            .expect("row");
        assert_eq!(stored, (text_of("Designer"), text_of("Porto"), 3));
        let audits: Vec<String> = store
            .scalars_sql(&format!(
                "SELECT changed_fields FROM profile_audit WHERE profile_id = {profile} ORDER BY id"
            ))
            .await
            .expect("audit");
        assert_eq!(audits, ["Position", "CityName"], "only what was written");
        let others: i64 = store
            .row_sql::<(i64,)>("SELECT COUNT(*) FROM profile_audit")
            .await
            .expect("count")
            .0;
        assert_eq!(others, 2, "nothing reached another member's profile");
    }

    fn text_of(value: &str) -> Option<String> {
        Some(value.to_owned())
    }

    #[tokio::test]
    async fn concurrent_updates_of_different_fields_all_stay_each_with_its_own_version() {
        for mode in [WriteMode::Batched, WriteMode::EachAlone] {
            concurrent_updates_with(mode).await;
        }
    }

    async fn concurrent_updates_with(mode: WriteMode) {
        let (_dir, store, session) = member().await;
        let writer = ProfileWriter::start_with(&store, mode)
            .await
            .expect("writer");
        let fields = [
            ProfileField::Position,
            ProfileField::CompanyName,
            ProfileField::Industry,
            ProfileField::CityName,
        ];
        let tasks: Vec<_> = fields
            .iter()
            .enumerate()
            .map(|(n, field)| {
                let writer = writer.clone();
                let change = ProfileChange {
                    values: vec![(*field, Some(StoredValue::Text(format!("value {n}"))))],
                    ..change(&session)
                };
                tokio::spawn(async move { writer.write(change).await })
            })
            .collect();
        let mut versions = Vec::new();
        for task in tasks {
            versions.push(task.await.expect("task").expect("written").version);
        }
        versions.sort_unstable();
        assert_eq!(
            versions,
            [2, 3, 4, 5],
            "{mode:?}: every update got its own version"
        );
        let stored: (String, String, String, String, i64) = store
            .row_sql(
                "SELECT position, company_name, industry, city_name, version
                 FROM customer_profiles",
            )
            .await
            .expect("row");
        assert_eq!(
            stored,
            (
                "value 0".to_owned(),
                "value 1".to_owned(),
                "value 2".to_owned(),
                "value 3".to_owned(),
                5
            ),
            "{mode:?}: no update undid another"
        );
    }
}
