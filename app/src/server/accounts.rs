//! Accounts: sign-up, sign-in and what a signed-in member may read about themselves.

use serde::Serialize;
use sqlx::SqlitePool;

use super::{
    clock,
    error::ServiceError,
    passwords,
    sessions::{self, IssuedToken, Session},
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

/// Creates the account and its default profile at the default location, then signs it in.
pub async fn sign_up(
    pool: &SqlitePool,
    form: SignUp,
    session_ttl_secs: i64,
) -> Result<IssuedToken, ServiceError> {
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

    sessions::create(pool, user_id, profile_id, session_ttl_secs).await
}

/// Checks the credentials (after the throttle) and starts a session on the default profile.
/// An unknown address and a wrong password get the same answer in the same time.
pub async fn sign_in(
    pool: &SqlitePool,
    form: SignIn,
    client_addr: &str,
    session_ttl_secs: i64,
) -> Result<IssuedToken, ServiceError> {
    let normalized = normalize_email(&form.email);
    throttle::begin_attempt(pool, &normalized, client_addr).await?;

    let account: Option<(i64, String)> =
        sqlx::query_as("SELECT id, password_hash FROM users WHERE email_normalized = ?")
            .bind(&normalized)
            .fetch_optional(pool)
            .await?;
    let (user_id, hash) = match account {
        Some((id, hash)) => (Some(id), Some(hash)),
        None => (None, None),
    };
    let matches = passwords::verify(form.password, hash).await?;
    // A failed attempt stays recorded; a successful one clears the account's record.
    let Some(user_id) = user_id.filter(|_| matches) else {
        return Err(ServiceError::Unauthorized(WRONG_CREDENTIALS.to_owned()));
    };
    throttle::succeeded(pool, &normalized).await?;

    let profile_id: i64 = sqlx::query_scalar(
        "SELECT id FROM customer_profiles WHERE user_id = ? ORDER BY is_default DESC, id LIMIT 1",
    )
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    sessions::create(pool, user_id, profile_id, session_ttl_secs).await
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
