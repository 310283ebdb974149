//! Secrets the server makes for itself on first start, shared by every instance.

use super::{on_pool, Store};

impl Store {
    /// The secret named `name`, stored as `candidate` if there is none yet (the first instance
    /// to ask makes it; the others read what it stored).
    pub async fn server_key(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, sqlx::Error> {
        on_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO server_keys (name, secret) VALUES ($1, $2)
                 ON CONFLICT (name) DO NOTHING",
            )
            .bind(name)
            .bind(candidate)
            .execute(pool)
            .await?;
            sqlx::query_scalar("SELECT secret FROM server_keys WHERE name = $1")
                .bind(name)
                .fetch_one(pool)
                .await
        })
    }
}
