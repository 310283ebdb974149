//! For the repository tests: a fresh database with the real migrations and one member, on the
//! backend the environment names (see `store::scratch`).

use sqlx::SqlitePool;

use super::{
    accounts,
    client::Requester,
    device::DeviceKey,
    mail::MailQueue,
    sessions::Session,
    settings::SecuritySettings,
    store::{scratch, Store},
};
use crate::model::account::SignUp;

/// The default settings with a fresh device key.
pub fn security() -> SecuritySettings {
    SecuritySettings::with_defaults(DeviceKey::random().expect("key"))
}

/// A queue whose links point at the default address (nothing sends its messages).
pub fn mail_queue() -> MailQueue {
    MailQueue::new("http://127.0.0.1:3000")
}

/// Signs a member up and returns their session.
pub async fn signed_up(store: &Store, email: &str, full_name: &str) -> Session {
    let token = signed_up_token(store, email, full_name).await;
    super::sessions::authenticate(store, &token, 3600, false)
        .await
        .expect("query")
        .expect("session")
}

/// Signs a member up and returns their session's token.
pub async fn signed_up_token(store: &Store, email: &str, full_name: &str) -> String {
    accounts::sign_up(
        store,
        &security(),
        &mail_queue(),
        SignUp {
            email: email.to_owned(),
            password: "a quiet harbour at dusk".to_owned(),
            full_name: full_name.to_owned(),
        },
        Requester {
            client: "127.0.0.1",
            device_cookie: None,
            user_agent: "",
        },
        3600,
    )
    .await
    .expect("signs up")
    .session
    .token
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
