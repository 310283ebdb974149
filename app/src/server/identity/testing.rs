//! For the services' tests: a fresh database with the real migrations and one member, on the
//! backend the environment names (see `store::scratch`). The member is made through the store
//! and signed in through `sessions`, so any service's tests may use this without importing the
//! services that sign members up.

use sqlx::SqlitePool;

use crate::model::security::{EventKind, Origin};
use crate::server::{
    identity::passwords,
    identity::sessions::{self, Session, Start},
    store::{scratch, Store},
};

/// The password of the members made here.
pub const PASSWORD: &str = "a quiet harbour at dusk";

/// Makes a member with `PASSWORD` and returns the token of a session of theirs.
pub async fn signed_up_token(store: &Store, email: &str, full_name: &str) -> String {
    let hash = passwords::hash(PASSWORD.to_owned()).await.expect("hashes");
    let (user_id, profile_id) = scratch::member(store, email, full_name, &hash).await;
    sessions::create(
        store,
        Start {
            user_id,
            profile_id,
            ttl_secs: 3600,
            origin: &Origin {
                client_addr: "127.0.0.1".to_owned(),
                user_agent: String::new(),
            },
            kind: EventKind::SignedUp,
            detail: "",
        },
    )
    .await
    .expect("signs in")
    .token
}

/// Makes a member with `PASSWORD` and returns their session.
pub async fn signed_up(store: &Store, email: &str, full_name: &str) -> Session {
    let token = signed_up_token(store, email, full_name).await;
    sessions::authenticate(store, &token, 3600, false)
        .await
        .expect("query")
        .expect("session")
}

/// A fresh database (SQLite's file kept while the `TempDir` lives) with Jane signed up, and her
/// session.
pub async fn member() -> (tempfile::TempDir, Store, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open(dir.path()).await.expect("opens");
    let session = signed_up(&store, "jane@example.com", "Jane Doe").await;
    (dir, store, session)
}

/// As `member`, always on SQLite: for what only the SQLite backend does.
pub async fn sqlite_member() -> (tempfile::TempDir, SqlitePool, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open_sqlite(dir.path()).await.expect("opens");
    let session = signed_up(&store, "jane@example.com", "Jane Doe").await;
    let Store::Sqlite(pool) = store else {
        unreachable!("open_sqlite opens SQLite")
    };
    (dir, pool, session)
}
