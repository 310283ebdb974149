//! SQLite's group commit on a thread of its own. SQLite lets one connection write at a time;
//! requests that each opened their own transaction would queue on that lock. Instead one
//! thread owns a write connection, takes every update that is waiting, and commits them in one
//! transaction; each request is answered once the transaction holding its update committed.
//!
//! The thread talks to SQLite directly (rusqlite, `store::direct`): through sqlx each
//! statement of a batch, and the read before it, is a hand-off to a connection's worker
//! thread and back, and at a few clients those hand-offs, not SQLite, were the time of a PATCH.
//! A change sent with a session token is checked against the session, read, compared and
//! written here in one go, inside the batch's transaction.
//!
//! Each update still succeeds or fails on its own: if a statement fails outright, the batch is
//! rolled back and every update in it is run again in a transaction of its own, so only the
//! broken one fails.
//!
//! The thread also checkpoints the write-ahead log, between two batches (`checkpoint`), and a
//! second thread keeps what it appended to the log synced (`flush`), so that a checkpoint finds
//! little left to sync and the updates waiting behind it wait for little.

use std::{
    ffi::OsString,
    path::PathBuf,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, Instant},
};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use crate::model::profile::{field::ProfileField, patch::StoredValue};
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    store::{
        direct,
        profiles::{ChangeOutcome, ProfileChange, ProfileWrite},
        sessions::StoredSession,
    },
};

/// The most updates committed together; more wait for the next transaction.
/// How many updates may wait for a writer before callers wait to hand theirs over.
pub const QUEUE: usize = 4096;
pub const MAX_BATCH: usize = 512;

/// How often, at most, the thread checkpoints the write-ahead log between batches.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// How often the flusher syncs the write-ahead log while the thread writes to it.
const FLUSH_EVERY: Duration = Duration::from_millis(10);

/// A change sent with a session token: the thread checks the session, reads the stored values
/// of what it sends, compares and writes (see `ProfileWriter::write_for_session`).
#[derive(Debug)]
pub struct SessionChange {
    pub token_hash: Vec<u8>,
    /// Validated, needing nothing stored to be checked, never a password.
    pub values: Vec<(ProfileField, Option<StoredValue>)>,
    /// The profile and version `If-Match` named, if any.
    pub expected: Option<(Option<i64>, i64)>,
    pub now: i64,
    pub origin: Origin,
}

/// What the thread did with a `SessionChange`: `None` when there is no such live session.
pub type SessionOutcome = Option<(StoredSession, ChangeOutcome)>;

/// An update waiting for the thread, and where its result goes.
#[derive(Debug)]
pub enum Job {
    /// An update compared already: its new version.
    Write {
        write: ProfileWrite,
        answer: oneshot::Sender<Result<i64, ServiceError>>,
    },
    BySession {
        change: SessionChange,
        answer: oneshot::Sender<Result<SessionOutcome, ServiceError>>,
    },
}

/// What one job came to, before it is answered.
enum Done {
    Write(Result<i64, ServiceError>),
    BySession(Result<SessionOutcome, ServiceError>),
}

impl Job {
    fn answer(self, done: Done) {
        // The caller may have gone (a closed connection); what was written stays written.
        match (self, done) {
            (Job::Write { answer, .. }, Done::Write(result)) => drop(answer.send(result)),
            (Job::BySession { answer, .. }, Done::BySession(result)) => drop(answer.send(result)),
            (job, _) => job.fail(ServiceError::Internal(
                "the profile writer mixed up two answers".to_owned(),
            )),
        }
    }

    fn fail(self, error: ServiceError) {
        match self {
            Job::Write { answer, .. } => drop(answer.send(Err(error))),
            Job::BySession { answer, .. } => drop(answer.send(Err(error))),
        }
    }

    fn failed(&self, error: &rusqlite::Error) -> Done {
        let error = ServiceError::Internal(format!(
            "the profile update could not be committed: {error}"
        ));
        match self {
            Job::Write { .. } => Done::Write(Err(error)),
            Job::BySession { .. } => Done::BySession(Err(error)),
        }
    }
}

/// Opens a write connection to the database file at `path` and starts the thread, which
/// checkpoints at most every `checkpoint_every`, and its log flusher; both end when every
/// sender of the returned queue is dropped.
pub fn start(
    path: PathBuf,
    queue: usize,
    checkpoint_every: Duration,
) -> std::io::Result<mpsc::Sender<Job>> {
    let connection = direct::open(&path).map_err(std::io::Error::other)?;
    let (jobs, waiting) = mpsc::channel(queue);
    let progress = Arc::new(Progress::default());
    let mut log = path.into_os_string();
    log.push("-wal");
    let flusher = {
        let progress = progress.clone();
        std::thread::Builder::new()
            .name("wal-flusher".to_owned())
            .spawn(move || flush(log, &progress))?
            .thread()
            .clone()
    };
    let writer = {
        let (progress, flusher) = (progress.clone(), flusher.clone());
        std::thread::Builder::new()
            .name("profile-writer".to_owned())
            .spawn(move || {
                run(connection, waiting, checkpoint_every, || {
                    progress.commits.fetch_add(1, Ordering::Relaxed);
                    flusher.unpark();
                });
                progress.end(&flusher);
            })
    };
    if writer.is_err() {
        progress.end(&flusher);
    }
    writer?;
    Ok(jobs)
}

/// What the writer thread tells its log flusher.
#[derive(Debug, Default)]
struct Progress {
    /// Batches committed so far.
    commits: AtomicU64,
    /// Whether the writer has ended.
    ended: AtomicBool,
}

impl Progress {
    fn end(&self, flusher: &std::thread::Thread) {
        self.ended.store(true, Ordering::Release);
        flusher.unpark();
    }
}

fn run(
    mut connection: Connection,
    mut waiting: mpsc::Receiver<Job>,
    checkpoint_every: Duration,
    committed: impl Fn(),
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // As if the last checkpoint were due: the first batch ends with one, so the log left by an
    // earlier run starts over and `portal_sqlite_wal_frames` is there from the first write.
    let mut checkpointed = Instant::now()
        .checked_sub(checkpoint_every)
        .unwrap_or_else(Instant::now);
    while let Some(first) = waiting.blocking_recv() {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match waiting.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        metrics::histogram!("portal_profile_write_batch_size").record(batch.len() as f64);
        let results = commit_batch(&mut connection, &batch);
        committed();
        for (job, done) in batch.drain(..).zip(results) {
            job.answer(done);
        }
        if checkpointed.elapsed() >= checkpoint_every {
            checkpoint(&connection);
            checkpointed = Instant::now();
        }
    }
}

/// Copies the write-ahead log back into the database file. The thread does it between two
/// batches, when nothing of its own is being written: SQLite starts the log over from its
/// beginning at the next write only if every frame has been copied by then. A checkpoint from
/// another connection (as this portal once ran from the pool every 500 ms) races the writer's
/// next commit and, under writes that never pause, never copies the last frame: the log grew
/// by 300 MB a second, and a read of a page it did not hold searched all of its index.
/// `PASSIVE` waits for no reader; one that is still on an older snapshot stops it short, and the
/// next checkpoint goes further.
fn checkpoint(connection: &Connection) {
    let done = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
        Ok((row.get::<_, i64>(1)?, row.get::<_, i64>(2)?))
    });
    match done {
        Ok((frames, copied)) => {
            metrics::gauge!("portal_sqlite_wal_frames").set(frames as f64);
            tracing::trace!(frames, copied, "checkpoint of the write-ahead log");
        }
        Err(error) => tracing::warn!(%error, "checkpoint of the write-ahead log failed"),
    }
}

/// Syncs the write-ahead log at `log` every `FLUSH_EVERY` while the writer commits, and sleeps
/// (parked, until the writer's next commit wakes it) while it does not, until the writer has
/// ended. A checkpoint must sync the log before it copies it, and what the writer appends in
/// 100 ms is tens of megabytes at full speed: synced here, on the side, the writer's own
/// checkpoint finds it clean (at 8 clients it took 30-45 ms before, and the PATCH's p99 with
/// it). Commits become durable within `FLUSH_EVERY` too (`synchronous = NORMAL` syncs only at
/// checkpoints).
fn flush(log: OsString, progress: &Progress) {
    let mut flushed = 0;
    loop {
        if progress.commits.load(Ordering::Relaxed) == flushed {
            if progress.ended.load(Ordering::Acquire) {
                return;
            }
            std::thread::park();
            continue;
        }
        // One sync for everything the writer appends meanwhile.
        std::thread::sleep(FLUSH_EVERY);
        flushed = progress.commits.load(Ordering::Relaxed);
        // The log is created by the first write, and removed when the last connection closes.
        if let Ok(file) = std::fs::File::open(&log) {
            if let Err(error) = file.sync_data() {
                tracing::warn!(%error, "the write-ahead log could not be synced");
            }
        }
    }
}

/// Why a batch was not committed.
enum BatchFailed {
    /// `BEGIN` or `COMMIT` failed: nothing in the batch could be written.
    Transaction(rusqlite::Error),
    /// A statement of one of the jobs failed; the batch was rolled back.
    Statement(rusqlite::Error),
}

/// Commits `jobs` together, or, if one of their statements fails, each on its own. When the
/// transaction itself cannot begin or commit (the database is locked or gone), every job fails
/// with that error: retrying them one by one would only wait longer. One result per job, in
/// order.
fn commit_batch(connection: &mut Connection, jobs: &[Job]) -> Vec<Done> {
    match commit_together(connection, jobs) {
        Ok(done) => done,
        Err(BatchFailed::Transaction(error)) => {
            tracing::error!(%error, updates = jobs.len(), "a batch could not be committed");
            jobs.iter().map(|job| job.failed(&error)).collect()
        }
        Err(BatchFailed::Statement(error)) => {
            tracing::warn!(%error, updates = jobs.len(), "a batch failed; retrying its updates one by one");
            jobs.iter()
                .map(
                    |job| match commit_together(connection, std::slice::from_ref(job)) {
                        Ok(mut done) => done.remove(0),
                        Err(BatchFailed::Statement(error) | BatchFailed::Transaction(error)) => {
                            job.failed(&error)
                        }
                    },
                )
                .collect()
        }
    }
}

/// The jobs in one transaction, in the order they came.
fn commit_together(connection: &mut Connection, jobs: &[Job]) -> Result<Vec<Done>, BatchFailed> {
    let now = clock::now();
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(BatchFailed::Transaction)?;
    let mut done = Vec::with_capacity(jobs.len());
    let mut written = Vec::with_capacity(jobs.len());
    for job in jobs {
        // Dropping the transaction on an error rolls it back.
        match job {
            Job::Write { write, .. } => match direct::apply(&transaction, write, now) {
                Ok(Some(version)) => {
                    written.push(Write::Given(write));
                    done.push(Done::Write(Ok(version)));
                }
                Ok(None) => done.push(Done::Write(Err(ServiceError::stale_profile()))),
                Err(error) => return Err(BatchFailed::Statement(error)),
            },
            Job::BySession { change, .. } => {
                let (outcome, write) =
                    by_session(&transaction, change, now).map_err(BatchFailed::Statement)?;
                written.extend(write.map(|write| Write::Made(Box::new(write))));
                done.push(Done::BySession(Ok(outcome)));
            }
        }
    }
    let audited: Vec<&ProfileWrite> = written.iter().map(Write::get).collect();
    direct::audit(&transaction, &audited, now).map_err(BatchFailed::Statement)?;
    transaction.commit().map_err(BatchFailed::Transaction)?;
    Ok(done)
}

/// A write of the batch: one a job gave, or one the thread made from a session's change.
enum Write<'a> {
    Given(&'a ProfileWrite),
    Made(Box<ProfileWrite>),
}

impl Write<'_> {
    fn get(&self) -> &ProfileWrite {
        match self {
            Write::Given(write) => write,
            Write::Made(write) => write,
        }
    }
}

/// `change` for the live session it names, inside the batch's transaction: its outcome, and
/// the write made when something differed.
fn by_session(
    connection: &Connection,
    change: &SessionChange,
    now: i64,
) -> rusqlite::Result<(SessionOutcome, Option<ProfileWrite>)> {
    let fields = change.values.iter().map(|(field, _)| *field);
    let Some((session, current)) =
        direct::session_with_profile(connection, &change.token_hash, change.now, fields)?
    else {
        return Ok((None, None));
    };
    let Some(current) = current else {
        return Ok((Some((session, ChangeOutcome::Missing)), None));
    };
    let expected_version = change.expected.map(|(profile, version)| {
        // A tag of another profile, or of something else, names a version this one never has.
        if profile == Some(session.active_profile_id) {
            version
        } else {
            -1
        }
    });
    let full = ProfileChange {
        profile_id: session.active_profile_id,
        user_id: session.user_id,
        session_id: session.id,
        values: change.values.clone(),
        expected_version,
        password: None,
        origin: change.origin.clone(),
    };
    let write = match full.against(&current) {
        Ok(write) => write,
        Err(outcome) => return Ok((Some((session, outcome)), None)),
    };
    // Read in this transaction, so the version still holds.
    let outcome = match direct::apply(connection, &write, now)? {
        Some(version) => ChangeOutcome::Written {
            version,
            changed: write.fields(),
        },
        None => return Ok((Some((session, ChangeOutcome::Stale)), None)),
    };
    Ok((Some((session, outcome)), Some(write)))
}

/// Commits `writes` as one batch on `connection`, as the thread does: one result per write.
#[cfg(test)]
pub(crate) fn commit_writes(
    connection: &mut Connection,
    writes: &[&ProfileWrite],
) -> Vec<Result<i64, ServiceError>> {
    let (jobs, mut answers): (Vec<Job>, Vec<_>) = writes
        .iter()
        .map(|write| {
            let (answer, answered) = oneshot::channel();
            let write = (*write).clone();
            (Job::Write { write, answer }, answered)
        })
        .unzip();
    let results = commit_batch(connection, &jobs);
    for (job, done) in jobs.into_iter().zip(results) {
        job.answer(done);
    }
    answers
        .iter_mut()
        .map(|answered| answered.try_recv().expect("answered"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_flusher_ends_when_the_writer_ends_even_after_commits() {
        let dir = tempfile::tempdir().expect("temp dir");
        let log = dir.path().join("portal.db-wal");
        std::fs::write(&log, b"frames").expect("writes");
        let progress = Arc::new(Progress::default());
        let flusher = {
            let progress = progress.clone();
            std::thread::spawn(move || flush(log.into_os_string(), &progress))
        };
        progress.commits.fetch_add(1, Ordering::Relaxed);
        flusher.thread().unpark();
        std::thread::sleep(FLUSH_EVERY * 3);
        progress.commits.fetch_add(1, Ordering::Relaxed);
        progress.end(flusher.thread());

        let (done, ended) = std::sync::mpsc::channel();
        std::thread::spawn(move || done.send(flusher.join().is_ok()));
        assert_eq!(
            ended.recv_timeout(Duration::from_secs(5)),
            Ok(true),
            "the flusher is still running (or panicked)"
        );
    }
}
