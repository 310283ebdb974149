//! Members, their locations' password policies and their customer profiles' summaries.

use super::mail::NewMail;
use super::{
    mail::insert_mail,
    on_pool,
    tokens::{insert_token, NewToken},
    Store,
};
use crate::model::{
    account::{NotificationPreferences, ProfileSummary, UserSummary},
    password_policy::PasswordPolicy,
};

pub(super) type PolicyRow = (i64, i64, bool, bool, bool, bool);

pub(super) fn policy_from_row(
    (min, max, digit, upper, lower, symbol): PolicyRow,
) -> PasswordPolicy {
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

pub(super) const POLICY_COLUMNS: &str =
    "l.password_min_length, l.password_max_length, l.password_require_digit,
     l.password_require_upper, l.password_require_lower, l.password_require_symbol";

/// A member about to be created, with their first profile.
#[derive(Clone, Debug)]
pub struct NewMember<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub password_hash: &'a str,
    pub full_name: &'a str,
    pub location_id: i64,
    pub now: i64,
    /// The verification link mailed to the address (its `user_id` is not known yet, and is
    /// not read).
    pub verification: NewToken<'a>,
    /// The messages the sign-up sends (the verification link).
    pub mails: &'a [NewMail],
}

/// The profile's summary, its location's name and its six notification switches, as selected.
type CurrentSessionColumns = (
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

/// What `GET /login/me` shows of the active profile, its location and its notifications.
#[derive(Clone, Debug, PartialEq)]
pub struct CurrentSessionRow {
    pub profile: ProfileSummary,
    pub location_name: String,
    pub notifications: NotificationPreferences,
}

impl Store {
    /// The location new members join, and its password policy.
    pub async fn default_location(&self) -> Result<Option<(i64, PasswordPolicy)>, sqlx::Error> {
        let sql = format!("SELECT l.id, {POLICY_COLUMNS} FROM locations l WHERE l.is_default");
        let row: Option<(i64, i64, i64, bool, bool, bool, bool)> =
            on_pool!(self, |pool| sqlx::query_as(super::built(&sql))
                .fetch_optional(pool)
                .await)?;
        Ok(row.map(|(id, min, max, digit, upper, lower, symbol)| {
            (id, policy_from_row((min, max, digit, upper, lower, symbol)))
        }))
    }

    /// The password policy of the location of `profile_id`.
    pub async fn policy_for_profile(
        &self,
        profile_id: i64,
    ) -> Result<Option<PasswordPolicy>, sqlx::Error> {
        let sql = format!(
            "SELECT {POLICY_COLUMNS} FROM locations l
             JOIN customer_profiles p ON p.location_id = l.id WHERE p.id = $1"
        );
        let row: Option<PolicyRow> = on_pool!(self, |pool| sqlx::query_as(super::built(&sql))
            .bind(profile_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(policy_from_row))
    }

    /// The id and password hash of the member with this normalised e-mail address.
    pub async fn credentials(
        &self,
        email_normalized: &str,
    ) -> Result<Option<(i64, String)>, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, password_hash FROM users WHERE email_normalized = $1"
        )
        .bind(email_normalized)
        .fetch_optional(pool)
        .await)
    }

    /// The id and e-mail address (as they signed up with it) of the member with this
    /// normalised address.
    pub async fn account_by_email(
        &self,
        email_normalized: &str,
    ) -> Result<Option<(i64, String)>, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, email FROM users WHERE email_normalized = $1"
        )
        .bind(email_normalized)
        .fetch_optional(pool)
        .await)
    }

    /// The e-mail address and password hash of member `user_id`.
    pub async fn email_and_hash(&self, user_id: i64) -> Result<(String, String), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT email, password_hash FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)
    }

    /// Creates the member and their default profile in one transaction: the user's and the
    /// profile's ids, or `None` when the address is already registered (the unique index
    /// decides between two sign-ups at once).
    pub async fn create_member(
        &self,
        member: &NewMember<'_>,
    ) -> Result<Option<(i64, i64)>, sqlx::Error> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let inserted = sqlx::query_scalar(
                "INSERT INTO users (email, email_normalized, password_hash, created_at)
                 VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(member.email)
            .bind(member.email_normalized)
            .bind(member.password_hash)
            .bind(member.now)
            .fetch_one(&mut *tx)
            .await;
            let user_id: i64 = match inserted {
                Ok(id) => id,
                Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
                    return Ok(None)
                }
                Err(error) => return Err(error),
            };
            let profile_id: i64 = sqlx::query_scalar(
                "INSERT INTO customer_profiles
                     (user_id, location_id, is_default, full_name, created_at, updated_at)
                 VALUES ($1, $2, TRUE, $3, $4, $4) RETURNING id",
            )
            .bind(user_id)
            .bind(member.location_id)
            .bind(member.full_name)
            .bind(member.now)
            .fetch_one(&mut *tx)
            .await?;
            // The link's member is the one just made.
            insert_token!(&mut *tx, &member.verification, user_id)?;
            for mail in member.mails {
                insert_mail!(&mut *tx, mail, member.now)?;
            }
            tx.commit().await?;
            Ok(Some((user_id, profile_id)))
        })
    }

    /// Stores `new` as the member's hash if their hash is still `old`.
    pub async fn replace_password_hash(
        &self,
        user_id: i64,
        old: &str,
        new: &str,
    ) -> Result<(), sqlx::Error> {
        on_pool!(self, |pool| sqlx::query(
            "UPDATE users SET password_hash = $1 WHERE id = $2 AND password_hash = $3"
        )
        .bind(new)
        .bind(user_id)
        .bind(old)
        .execute(pool)
        .await
        .map(drop))
    }

    /// How many members there are.
    pub async fn member_count(&self) -> Result<i64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(pool)
        .await)
    }

    /// The profile a new session of `user_id` acts as: the default one, else the oldest.
    pub async fn first_profile_of(&self, user_id: i64) -> Result<i64, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_scalar(
            "SELECT id FROM customer_profiles WHERE user_id = $1
             ORDER BY is_default DESC, id LIMIT 1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)
    }

    pub async fn user_summary(&self, user_id: i64) -> Result<UserSummary, sqlx::Error> {
        let (id, email, verified): (i64, String, bool) = on_pool!(self, |pool| sqlx::query_as(
            "SELECT id, email, email_verified_at IS NOT NULL FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_one(pool)
        .await)?;
        Ok(UserSummary {
            id,
            email,
            email_verified: verified,
        })
    }

    /// Who a page's header names: the profile's name, the sign-in address and whether it is
    /// verified (one query, for every page a member opens).
    pub async fn member_banner(
        &self,
        profile_id: i64,
        user_id: i64,
    ) -> Result<super::sessions::MemberBanner, sqlx::Error> {
        on_pool!(self, |pool| sqlx::query_as(
            "SELECT p.full_name, u.email, u.email_verified_at IS NOT NULL
             FROM customer_profiles p JOIN users u ON u.id = p.user_id
             WHERE p.id = $1 AND p.user_id = $2"
        )
        .bind(profile_id)
        .bind(user_id)
        .fetch_one(pool)
        .await)
    }

    /// The active profile `profile_id` of `user_id`, its location and its notifications.
    pub async fn current_session_row(
        &self,
        profile_id: i64,
        user_id: i64,
    ) -> Result<CurrentSessionRow, sqlx::Error> {
        let sql = "SELECT p.id, p.full_name, p.company_name, p.active, p.is_default, l.name,
                p.notify_on_help_desk_replies, p.notify_on_community_board_posts,
                p.notify_on_blog_comments, p.notify_on_event_comments,
                p.receive_activity_digest, p.sign_up_to_newsletter
         FROM customer_profiles p JOIN locations l ON l.id = p.location_id
         WHERE p.id = $1 AND p.user_id = $2";
        let row: CurrentSessionColumns = on_pool!(self, |pool| sqlx::query_as(sql)
            .bind(profile_id)
            .bind(user_id)
            .fetch_one(pool)
            .await)?;
        let (id, full_name, company_name, active, is_default, location_name, a, b, c, d, e, f) =
            row;
        Ok(CurrentSessionRow {
            profile: ProfileSummary {
                id,
                full_name,
                company_name,
                active,
                is_default_profile: is_default,
            },
            location_name,
            notifications: NotificationPreferences {
                notify_on_help_desk_replies: a,
                notify_on_community_board_posts: b,
                notify_on_blog_comments: c,
                notify_on_event_comments: d,
                receive_activity_digest: e,
                sign_up_to_newsletter: f,
            },
        })
    }

    /// Every customer profile of `user_id`, the default first.
    pub async fn linked_profiles(&self, user_id: i64) -> Result<Vec<ProfileSummary>, sqlx::Error> {
        let rows: Vec<(i64, String, Option<String>, bool, bool)> = on_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT id, full_name, company_name, active, is_default FROM customer_profiles
                 WHERE user_id = $1 ORDER BY is_default DESC, id",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
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
            .collect())
    }
}
