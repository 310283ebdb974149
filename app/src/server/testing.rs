//! For the repository tests: a fresh database with the real migrations and one member.

use sqlx::SqlitePool;

use super::{
    accounts::{self, Requester},
    db,
    device::DeviceKey,
    sessions::Session,
    settings::SecuritySettings,
};
use crate::model::account::SignUp;

/// The default settings with a fresh device key.
pub fn security() -> SecuritySettings {
    SecuritySettings::with_defaults(DeviceKey::random().expect("key"))
}

/// Signs a member up and returns their session.
pub async fn signed_up(pool: &SqlitePool, email: &str, full_name: &str) -> Session {
    let signed_in = accounts::sign_up(
        pool,
        &security(),
        SignUp {
            email: email.to_owned(),
            password: "a quiet harbour at dusk".to_owned(),
            full_name: full_name.to_owned(),
        },
        Requester {
            client: "127.0.0.1",
            device_cookie: None,
        },
        3600,
    )
    .await
    .expect("signs up");
    super::sessions::authenticate(pool, &signed_in.session.token, 3600, false)
        .await
        .expect("query")
        .expect("session")
}

/// A temporary database (kept while the `TempDir` lives) with Jane signed up, and her session.
pub async fn member() -> (tempfile::TempDir, SqlitePool, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = db::open(dir.path().join("test.db").to_str().expect("utf-8"))
        .await
        .expect("opens");
    let session = signed_up(&pool, "jane@example.com", "Jane Doe").await;
    (dir, pool, session)
}
