//! The PostgreSQL writers: the tasks that own connections and run one-statement writes
//! (`PostgresWriters`, each update alone), and the batch writer's task that commits what is
//! waiting in one transaction (`run`, `PROFILE_WRITES=batched`).

use sqlx::{postgres::PgConnection, Connection};
use tokio::sync::{mpsc, oneshot};

use crate::model::profile::{field::ProfileField, patch::StoredValue};

use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    profiles::sqlite_writer,
    store::{
        profiles::{
            change_alone_postgres, change_by_session_postgres, postgres, ChangeOutcome,
            ProfileChange, ProfileWrite,
        },
        sessions::StoredSession,
    },
};

/// An update waiting for the PostgreSQL batch writer, and where its result goes.
#[derive(Debug)]
pub struct Job {
    pub(super) write: ProfileWrite,
    pub(super) answer: oneshot::Sender<Result<i64, ServiceError>>,
}

pub(super) async fn run(mut connection: PgConnection, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(sqlite_writer::MAX_BATCH);
    while queue.recv_many(&mut batch, sqlite_writer::MAX_BATCH).await > 0 {
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
    order.sort_by_key(|&index| writes[index].change.profile_id);
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

/// How many connections of its own a PostgreSQL writer keeps (each opened on first use).
const POSTGRES_WRITERS: usize = 8;

/// Tasks that each own a PostgreSQL connection and run the one-statement writes handed to
/// them, one at a time. A pooled connection costs a round trip on every return to the pool:
/// sqlx (0.8 and 0.9) tests each one with a `Sync` and waits for the answer, so that a connection a
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
pub(super) enum PostgresJob {
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
    pub(super) fn start(pool: &sqlx::PgPool) -> Self {
        let (jobs, queue) = mpsc::channel(sqlite_writer::QUEUE);
        let queue = std::sync::Arc::new(tokio::sync::Mutex::new(queue));
        for _ in 0..POSTGRES_WRITERS {
            tokio::spawn(work(pool.connect_options(), queue.clone()));
        }
        PostgresWriters { jobs }
    }

    /// Hands `job` to the next free task and waits for its answer on `answered`.
    pub(super) async fn hand_over<T>(
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
