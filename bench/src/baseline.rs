//! The baseline: a bare axum handler that parses the same small JSON body and runs the same
//! single-row transaction as a profile PATCH (update one column, bump the version, write an
//! audit row), on a store opened exactly as the portal opens its own (SQLite or PostgreSQL). It runs in its own process,
//! like the portal, so that it does not share the load generator's CPU time.

use std::net::SocketAddr;

use app::{on_pool, server::store::Store};
use axum::{
    extract::{Path, State},
    http::StatusCode,
    routing::{get, patch},
    Json, Router,
};
use serde_json::Value;

/// Profiles the baseline creates to be updated, one per client.
pub const PROFILES: i64 = 64;

/// `bench baseline-server DATABASE ADDRESS`: serves `PATCH /baseline/profile/{id}` until killed.
pub async fn serve(database: &str, addr: SocketAddr) -> Result<(), String> {
    let store = Store::open(database)
        .await
        .map_err(|error| error.to_string())?;
    seed(&store).await.map_err(|error| error.to_string())?;
    let router = Router::new()
        .route("/baseline/profile/{id}", patch(update))
        .route("/health", get(|| async { "ok" }))
        .with_state(store);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| format!("cannot listen on {addr}: {error}"))?;
    axum::serve(listener, router)
        .await
        .map_err(|error| error.to_string())
}

async fn seed(store: &Store) -> Result<(), sqlx::Error> {
    for n in 1..=PROFILES {
        let email = format!("baseline{n}@example.com");
        on_pool!(store, |pool| sqlx::query(
            "INSERT INTO users (email, email_normalized, password_hash, created_at)
             VALUES ($1, $1, 'not a hash', 0)",
        )
        .bind(&email)
        .execute(pool)
        .await
        .map(drop))?;
    }
    store
        .execute_sql(
            "INSERT INTO customer_profiles
                 (user_id, location_id, is_default, full_name, created_at, updated_at)
             SELECT id, (SELECT id FROM locations ORDER BY id LIMIT 1), TRUE, 'Baseline', 0, 0
             FROM users",
        )
        .await?;
    Ok(())
}

/// One transaction per request, as the simplest server would write it.
async fn update(
    State(store): State<Store>,
    Path(id): Path<i64>,
    Json(body): Json<Value>,
) -> Result<Json<Value>, StatusCode> {
    let position = body
        .get("Position")
        .and_then(Value::as_str)
        .ok_or(StatusCode::BAD_REQUEST)?;
    let now = app::server::clock::now();
    let fail = |_| StatusCode::INTERNAL_SERVER_ERROR;
    on_pool!(&store, |pool| {
        let mut tx = pool.begin().await.map_err(fail)?;
        sqlx::query(
            "UPDATE customer_profiles SET position = $1, version = version + 1, updated_at = $2
             WHERE id = $3",
        )
        .bind(position)
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        sqlx::query(
            "INSERT INTO profile_audit (profile_id, at, actor_user_id, changed_fields)
             VALUES ($1, $2, NULL, 'Position')",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
    });
    Ok(Json(serde_json::json!({"WasSuccessful": true})))
}
