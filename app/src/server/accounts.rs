//! Accounts: sign-up, sign-in and what a signed-in member may read about themselves.

use serde::Serialize;
use sqlx::SqlitePool;

use super::{
    clock,
    error::ServiceError,
    passwords,
    rate_limit::{Events, Key, Limit},
    sessions::{self, IssuedToken, Session},
    settings::SecuritySettings,
    throttle,
};
use crate::model::{
    account::{normalize_email, SignIn, SignUp},
    field_error::FieldError,
    password_policy::PasswordPolicy,
};

const WRONG_CREDENTIALS: &str = "The e-mail address or password is not correct.";

type PolicyRow = (i64, i64, bool, bool, bool, bool);

fn policy_from_row((min, max, digit, upper, lower, symbol): PolicyRow) -> PasswordPolicy {
    PasswordPolicy {
        min_length: u32::try_from(min).unwrap_or(u32::MAX),
        max_length: u32::try_from(max).unwrap_or(u32::MAX),
        require_digit: digit,
        require_upper: upper,
        require_lower: lower,
        require_symbol: symbol,
    }
    .with_floors()
}

const POLICY_COLUMNS: &str = "password_min_length, password_max_length, password_require_digit,
     password_require_upper, password_require_lower, password_require_symbol";

/// The password policy of the location new members join, and that location's id.
pub async fn default_location(pool: &SqlitePool) -> Result<(i64, PasswordPolicy), ServiceError> {
    let row: Option<(i64, i64, i64, bool, bool, bool, bool)> = sqlx::query_as(&format!(
        "SELECT id, {POLICY_COLUMNS} FROM locations WHERE is_default = 1"
    ))
    .fetch_optional(pool)
    .await?;
    let (id, min, max, digit, upper, lower, symbol) =
        row.ok_or_else(|| ServiceError::Internal("no default location".to_owned()))?;
    Ok((id, policy_from_row((min, max, digit, upper, lower, symbol))))
}

/// The password policy of the location of `profile_id`.
pub async fn policy_for_profile(
    pool: &SqlitePool,
    profile_id: i64,
) -> Result<PasswordPolicy, ServiceError> {
    let row: Option<PolicyRow> = sqlx::query_as(&format!(
        "SELECT {POLICY_COLUMNS} FROM locations
         JOIN customer_profiles ON customer_profiles.location_id = locations.id
         WHERE customer_profiles.id = ?"
    ))
    .bind(profile_id)
    .fetch_optional(pool)
    .await?;
    row.map(policy_from_row)
        .ok_or_else(|| ServiceError::NotFound("profile not found".to_owned()))
}

/// Who is signing up or in: the client address the throttles count, and the device cookie the
/// browser presented, if any.
#[derive(Clone, Copy, Debug)]
pub struct Requester<'a> {
    pub client: &'a str,
    pub device_cookie: Option<&'a str>,
}

/// A new session, and the device cookie that marks the browser as one the member signed in on.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub session: IssuedToken,
    pub device_cookie: String,
}

/// Creates the account and its default profile at the default location, then signs it in.
/// Each client address may make `sign_ups_per_client` attempts per window that pass the rules
/// (each costs a password hash, or tells whether an address is registered); one refused by
/// its rules costs nothing and is not counted.
pub async fn sign_up(
    pool: &SqlitePool,
    security: &SecuritySettings,
    form: SignUp,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let (location_id, policy) = default_location(pool).await?;
    let errors = form.validate(&policy, Some(passwords::is_common(&form.password)));
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let email = form.email.trim().to_owned();
    let normalized = normalize_email(&email);
    let taken = || {
        ServiceError::Validation(vec![FieldError::new(
            "Email",
            "E-mail address",
            "is already registered; sign in instead",
            &email,
        )])
    };
    // Counted before the address is looked up, so sign-up cannot be used to test many addresses
    // for accounts either.
    Events {
        table: "sign_ups",
        window_secs: security.limits.sign_up_window_secs,
    }
    .record(
        pool,
        &[Limit {
            column: "client_addr",
            key: Key::Text(requester.client),
            limit: security.limits.sign_ups_per_client,
        }],
    )
    .await?;
    let exists: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE email_normalized = ?")
        .bind(&normalized)
        .fetch_optional(pool)
        .await?;
    if exists.is_some() {
        return Err(taken());
    }
    let password_hash = passwords::hash(form.password).await?;

    let now = clock::now();
    let mut tx = pool.begin().await?;
    let inserted = sqlx::query(
        "INSERT INTO users (email, email_normalized, password_hash, created_at) VALUES (?, ?, ?, ?)",
    )
    .bind(&email)
    .bind(&normalized)
    .bind(&password_hash)
    .bind(now)
    .execute(&mut *tx)
    .await;
    let user_id = match inserted {
        Ok(result) => result.last_insert_rowid(),
        // Two sign-ups with the same address at once: the unique index decides.
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => return Err(taken()),
        Err(error) => return Err(error.into()),
    };
    let profile_id = sqlx::query(
        "INSERT INTO customer_profiles (user_id, location_id, is_default, full_name, created_at, updated_at)
         VALUES (?, ?, 1, ?, ?, ?)",
    )
    .bind(user_id)
    .bind(location_id)
    .bind(form.full_name.trim())
    .bind(now)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .last_insert_rowid();
    tx.commit().await?;

    Ok(SignedIn {
        session: sessions::create(pool, user_id, profile_id, session_ttl_secs).await?,
        device_cookie: security.device_key.issue(&normalized)?,
    })
}

/// Checks the credentials (after the throttle, see `throttle`) and starts a session on the
/// default profile. An unknown address and a wrong password get the same answer in the same
/// time.
pub async fn sign_in(
    pool: &SqlitePool,
    security: &SecuritySettings,
    form: SignIn,
    requester: Requester<'_>,
    session_ttl_secs: i64,
) -> Result<SignedIn, ServiceError> {
    let normalized = normalize_email(&form.email);
    let device = requester
        .device_cookie
        .and_then(|cookie| security.device_key.verify(&normalized, cookie));
    let attempt = throttle::begin_sign_in(
        pool,
        &security.limits,
        &normalized,
        requester.client,
        device.as_deref(),
    )
    .await?;

    let account: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email_normalized = ?")
            .bind(&normalized)
            .fetch_optional(pool)
            .await?;
    let (user_id, hash) = match account {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let matches = passwords::verify(form.password.clone(), hash.clone()).await?;
    // A failed attempt stays recorded; a successful one clears the account's record.
    let Some(user_id) = user_id.filter(|_| matches) else {
        return Err(ServiceError::Unauthorized(WRONG_CREDENTIALS.to_owned()));
    };
    throttle::succeeded(pool, attempt).await?;
    if let Some(old) = hash.filter(|old| passwords::needs_rehash(old)) {
        upgrade_hash(pool, user_id, &old, form.password).await?;
    }

    let profile_id: i64 = sqlx::query_scalar(
        "SELECT id FROM customer_profiles WHERE user_id = ? ORDER BY is_default DESC, id LIMIT 1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    Ok(SignedIn {
        session: sessions::create(pool, user_id, profile_id, session_ttl_secs).await?,
        device_cookie: security.device_key.issue(&normalized)?,
    })
}

/// Replaces a hash made with older, weaker parameters by one made with today's, now that the
/// password is known to be right (unless the password changed in the meantime).
async fn upgrade_hash(
    pool: &SqlitePool,
    user_id: i64,
    old: &str,
    password: String,
) -> Result<(), ServiceError> {
    let new = passwords::hash(password).await?;
    sqlx::query("UPDATE users SET password_hash = ? WHERE id = ? AND password_hash = ?")
        .bind(new)
        .bind(user_id)
        .bind(old)
        .execute(pool)
        .await?;
    tracing::info!(user_id, "re-hashed a password with today's parameters");
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ProfileSummary {
    pub id: i64,
    pub full_name: String,
    pub company_name: Option<String>,
    pub active: bool,
    pub is_default_profile: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct NotificationPreferences {
    pub notify_on_help_desk_replies: bool,
    pub notify_on_community_board_posts: bool,
    pub notify_on_blog_comments: bool,
    pub notify_on_event_comments: bool,
    pub receive_activity_digest: bool,
    pub sign_up_to_newsletter: bool,
}

/// `GET /login/me`: who is signed in, acting as which profile, with which notifications.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct CurrentSession {
    pub user: UserSummary,
    pub profile: ProfileSummary,
    pub location_name: String,
    pub notification_preferences: NotificationPreferences,
    pub expires_at: String,
}

/// `GET /api/public/coworkers/profiles`.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct LinkedProfiles {
    pub user: UserSummary,
    pub profiles: Vec<ProfileSummary>,
}

async fn user_summary(pool: &SqlitePool, user_id: i64) -> Result<UserSummary, ServiceError> {
    let (id, email): (i64, String) = sqlx::query_as("SELECT id, email FROM users WHERE id = ?")
        .bind(user_id)
        .fetch_one(pool)
        .await?;
    Ok(UserSummary { id, email })
}

pub async fn current_session(
    pool: &SqlitePool,
    session: &Session,
) -> Result<CurrentSession, ServiceError> {
    type Row = (
        i64,
        String,
        Option<String>,
        bool,
        bool,
        String,
        bool,
        bool,
        bool,
        bool,
        bool,
        bool,
    );
    let row: Row = sqlx::query_as(
        "SELECT p.id, p.full_name, p.company_name, p.active, p.is_default, l.name,
                p.notify_on_help_desk_replies, p.notify_on_community_board_posts,
                p.notify_on_blog_comments, p.notify_on_event_comments,
                p.receive_activity_digest, p.sign_up_to_newsletter
         FROM customer_profiles p JOIN locations l ON l.id = p.location_id
         WHERE p.id = ? AND p.user_id = ?",
    )
    .bind(session.active_profile_id)
    .bind(session.user_id)
    .fetch_one(pool)
    .await?;
    let (id, full_name, company_name, active, is_default, location_name, a, b, c, d, e, f) = row;
    Ok(CurrentSession {
        user: user_summary(pool, session.user_id).await?,
        profile: ProfileSummary {
            id,
            full_name,
            company_name,
            active,
            is_default_profile: is_default,
        },
        location_name,
        notification_preferences: NotificationPreferences {
            notify_on_help_desk_replies: a,
            notify_on_community_board_posts: b,
            notify_on_blog_comments: c,
            notify_on_event_comments: d,
            receive_activity_digest: e,
            sign_up_to_newsletter: f,
        },
        expires_at: clock::to_rfc3339(session.expires_at),
    })
}

pub async fn linked_profiles(
    pool: &SqlitePool,
    session: &Session,
) -> Result<LinkedProfiles, ServiceError> {
    let rows: Vec<(i64, String, Option<String>, bool, bool)> = sqlx::query_as(
        "SELECT id, full_name, company_name, active, is_default FROM customer_profiles
         WHERE user_id = ? ORDER BY is_default DESC, id",
    )
    .bind(session.user_id)
    .fetch_all(pool)
    .await?;
    Ok(LinkedProfiles {
        user: user_summary(pool, session.user_id).await?,
        profiles: rows
            .into_iter()
            .map(
                |(id, full_name, company_name, active, is_default)| ProfileSummary {
                    id,
                    full_name,
                    company_name,
                    active,
                    is_default_profile: is_default,
                },
            )
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use argon2::{password_hash::SaltString, Algorithm, Argon2, Params, PasswordHasher, Version};

    use super::*;
    use crate::server::testing::{member, security};

    #[tokio::test]
    async fn a_hash_with_weaker_parameters_is_replaced_at_the_next_sign_in() {
        let (_dir, pool, session) = member().await;
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8_192, 1, 1, None).expect("params"),
        )
        .hash_password(
            b"a quiet harbour at dusk",
            &SaltString::generate(&mut argon2::password_hash::rand_core::OsRng),
        )
        .expect("hashes")
        .to_string();
        sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(&weak)
            .bind(session.user_id)
            .execute(&pool)
            .await
            .expect("store the old hash");
        sign_in(
            &pool,
            &security(),
            SignIn {
                email: "jane@example.com".to_owned(),
                password: "a quiet harbour at dusk".to_owned(),
            },
            Requester {
                client: "127.0.0.1",
                device_cookie: None,
            },
            3600,
        )
        .await
        .expect("signs in with the old hash");
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM users WHERE id = ?")
            .bind(session.user_id)
            .fetch_one(&pool)
            .await
            .expect("hash");
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(
            passwords::verify("a quiet harbour at dusk".to_owned(), Some(stored))
                .await
                .expect("verifies")
        );
    }
}
