//! For the repository tests: a fresh database with the real migrations and one member.

use sqlx::SqlitePool;

use super::{accounts, db, sessions::Session};
use crate::model::account::SignUp;

/// A temporary database (kept while the `TempDir` lives) with Jane signed up, and her session.
pub async fn member() -> (tempfile::TempDir, SqlitePool, Session) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pool = db::open(dir.path().join("test.db").to_str().expect("utf-8"))
        .await
        .expect("opens");
    let issued = accounts::sign_up(
        &pool,
        SignUp {
            email: "jane@example.com".to_owned(),
            password: "a quiet harbour at dusk".to_owned(),
            full_name: "Jane Doe".to_owned(),
        },
        3600,
    )
    .await
    .expect("signs up");
    let session = super::sessions::authenticate(&pool, &issued.token, 3600)
        .await
        .expect("query")
        .expect("session");
    (dir, pool, session)
}
