//! Writing profile updates. On SQLite, by group commit: SQLite lets one connection write at a
//! time, and requests that each open their own transaction queue on that lock and sleep in its
//! busy handler. Instead, one task owns a write connection, takes every validated update that
//! is waiting, and commits them in one transaction (an `UPDATE ... RETURNING` per update, one
//! audit insert for all); each request is answered only after the transaction holding its
//! update has committed. On PostgreSQL, which locks rows rather than the database, each update
//! commits in a transaction of its own.
//!
//! Each update still succeeds or fails on its own: one whose `If-Match` version no longer holds
//! writes nothing and fails alone, and if a statement fails outright, the batch is rolled back
//! and every update in it is retried in a transaction of its own, so only the broken one fails.

use sqlx::{sqlite::SqliteConnection, Connection, PgPool, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use super::{
    clock,
    error::ServiceError,
    store::{
        profiles::{postgres, sqlite, ProfileWrite},
        Store,
    },
};

/// The most updates committed together; more wait for the next transaction.
const MAX_BATCH: usize = 512;
/// How many updates may wait for the writer before callers wait to hand theirs over.
const QUEUE: usize = 4096;
/// How often the write-ahead log is copied back into the database file, away from the writer.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// An update waiting for the SQLite writer, and where its result goes.
#[derive(Debug)]
pub struct Job {
    write: ProfileWrite,
    answer: oneshot::Sender<Result<i64, ServiceError>>,
}

/// Writes validated profile updates. Cheap to clone; on SQLite, the writer task ends when every
/// clone is dropped.
#[derive(Clone, Debug)]
pub enum ProfileWriter {
    /// Hands updates to the SQLite writer task.
    Batched { jobs: mpsc::Sender<Job> },
    /// Commits each update on its own PostgreSQL transaction.
    Direct(PgPool),
}

impl ProfileWriter {
    /// The writer for `store`'s backend. On SQLite, opens a write connection to the database
    /// (same settings) and starts the writer task.
    ///
    /// The writer's connection never checkpoints the write-ahead log itself: a checkpoint
    /// copies megabytes and syncs the file, and every update waiting behind it would wait too.
    /// A background task checkpoints from the pool instead, which SQLite runs alongside writes.
    pub async fn start(store: &Store) -> Result<Self, sqlx::Error> {
        let pool = match store {
            Store::Sqlite(pool) => pool,
            Store::Postgres(pool) => return Ok(ProfileWriter::Direct(pool.clone())),
        };
        let mut connection = SqliteConnection::connect_with(&pool.connect_options()).await?;
        sqlx::query("PRAGMA wal_autocheckpoint = 0")
            .execute(&mut connection)
            .await?;
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(run(connection, queue));
        tokio::spawn(checkpoint(pool.clone(), jobs.downgrade()));
        Ok(ProfileWriter::Batched { jobs })
    }

    /// Writes `write` (on SQLite, with the next batch); the profile's new version once
    /// committed.
    pub async fn write(&self, write: ProfileWrite) -> Result<i64, ServiceError> {
        let jobs = match self {
            ProfileWriter::Batched { jobs } => jobs,
            ProfileWriter::Direct(pool) => return write_alone(pool, &write).await,
        };
        let (answer, answered) = oneshot::channel();
        jobs.send(Job { write, answer })
            .await
            .map_err(|_| ServiceError::Internal("the profile writer has stopped".to_owned()))?;
        answered.await.map_err(|_| {
            ServiceError::Internal("the profile writer dropped an update".to_owned())
        })?
    }
}

/// One update in one PostgreSQL transaction. Concurrent updates of one profile wait for each
/// other's row lock; each then sees the version the other left (READ COMMITTED re-reads the
/// row), so `If-Match` and the version counter hold across instances.
async fn write_alone(pool: &PgPool, write: &ProfileWrite) -> Result<i64, ServiceError> {
    let now = clock::now();
    let mut transaction = pool.begin().await?;
    // Dropping the transaction on a stale version rolls it back.
    let version = postgres::apply(&mut transaction, write, now)
        .await?
        .ok_or_else(stale)?;
    postgres::audit(&mut transaction, &[write], now).await?;
    transaction.commit().await?;
    Ok(version)
}

/// Checkpoints the log every `CHECKPOINT_EVERY` while the writer lives (`PASSIVE`: it copies
/// what it can without waiting for, or blocking, anyone).
async fn checkpoint(pool: SqlitePool, writer: mpsc::WeakSender<Job>) {
    let mut ticks = tokio::time::interval(CHECKPOINT_EVERY);
    loop {
        ticks.tick().await;
        if writer.upgrade().is_none() {
            return;
        }
        if let Err(error) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::warn!(%error, "checkpoint of the write-ahead log failed");
        }
    }
}

async fn run(mut connection: SqliteConnection, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
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
    connection: &mut SqliteConnection,
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

async fn commit_together(
    connection: &mut SqliteConnection,
    writes: &[&ProfileWrite],
) -> Result<Vec<Result<i64, ServiceError>>, BatchFailed> {
    let mut transaction = connection
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(BatchFailed::Transaction)?;
    let now = clock::now();
    let mut results = Vec::with_capacity(writes.len());
    let mut audited = Vec::with_capacity(writes.len());
    for write in writes {
        match sqlite::apply(&mut transaction, write, now).await {
            Ok(Some(version)) => {
                results.push(Ok(version));
                audited.push(*write);
            }
            Ok(None) => results.push(Err(stale())),
            // Dropping the transaction rolls it back.
            Err(error) => return Err(BatchFailed::Statement(error)),
        }
    }
    sqlite::audit(&mut transaction, &audited, now)
        .await
        .map_err(BatchFailed::Statement)?;
    transaction
        .commit()
        .await
        .map_err(BatchFailed::Transaction)?;
    Ok(results)
}

pub fn stale() -> ServiceError {
    ServiceError::PreconditionFailed(
        "The profile was changed since you loaded it; reload it and try again.".to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        model::profile::{field::ProfileField, patch::StoredValue},
        server::testing::{member, sqlite_member},
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
            password_hash: None,
            changed_fields: "Position".to_owned(),
        }
    }

    #[tokio::test]
    async fn each_update_in_a_batch_succeeds_or_fails_on_its_own() {
        let (_dir, pool, session) = sqlite_member().await;
        let (profile, user) = (session.active_profile_id, session.user_id);
        let mut connection = SqliteConnection::connect_with(&pool.connect_options())
            .await
            .expect("connects");

        let first = position(profile, user, "Designer");
        let stale = ProfileWrite {
            expected_version: Some(1),
            ..position(profile, user, "Stale")
        };
        // Breaks a CHECK constraint: a statement that fails outright.
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
        let results = commit_batch(&mut connection, &[&first, &stale, &broken, &last]).await;

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

        let stored: (Option<String>, Option<String>, bool, i64) = sqlx::query_as(
            "SELECT position, industry, receive_activity_digest, version FROM customer_profiles",
        )
        .fetch_one(&pool)
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
        let audits: Vec<String> =
            sqlx::query_scalar("SELECT changed_fields FROM profile_audit ORDER BY id")
                .fetch_all(&pool)
                .await
                .expect("audit");
        assert_eq!(audits, ["Position", "Industry"], "only what was written");
    }

    #[tokio::test]
    async fn a_batch_that_cannot_begin_fails_every_update_and_writes_nothing() {
        let (_dir, pool, session) = sqlite_member().await;
        let (profile, user) = (session.active_profile_id, session.user_id);
        let impatient = (*pool.connect_options())
            .clone()
            .busy_timeout(std::time::Duration::from_millis(50));
        let mut connection = SqliteConnection::connect_with(&impatient)
            .await
            .expect("connects");
        // Another connection holds the write lock for the whole attempt.
        let mut holder = pool.acquire().await.expect("a connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *holder)
            .await
            .expect("locks");

        let first = position(profile, user, "Designer");
        let second = position(profile, user, "Engineer");
        let results = commit_batch(&mut connection, &[&first, &second]).await;
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
    async fn concurrent_updates_of_different_fields_all_stay_each_with_its_own_version() {
        let (_dir, store, session) = member().await;
        let writer = ProfileWriter::start(&store).await.expect("writer");
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
                let write = ProfileWrite {
                    assignments: vec![(*field, Some(StoredValue::Text(format!("value {n}"))))],
                    changed_fields: field.wire_name().to_owned(),
                    ..position(session.active_profile_id, session.user_id, "")
                };
                tokio::spawn(async move { writer.write(write).await })
            })
            .collect();
        let mut versions = Vec::new();
        for task in tasks {
            versions.push(task.await.expect("task").expect("written"));
        }
        versions.sort_unstable();
        assert_eq!(versions, [2, 3, 4, 5], "every update got its own version");
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
            "no update undid another"
        );
    }
}
