//! Reading and updating the active customer profile: one transaction per patch that writes only
//! the columns the patch names, bumps the version and records which fields changed.

use chrono::Utc;
use serde_json::{Map, Value};
use sqlx::{Row, SqlitePool};

use super::{
    countries,
    error::ServiceError,
    passwords,
    profile_writer::{stale, ProfileWrite, ProfileWriter},
    sessions::Session,
    settings::Limits,
    throttle::{self, Attempt},
};
use crate::model::{
    field_error::FieldError,
    password_policy::{PasswordCandidate, PasswordRule},
    profile::{
        field::{FieldKind, ProfileField},
        patch::{stored_json, ProfilePatch, StoredValue, ValidatedPatch, ValidationContext},
    },
};

/// The column of a stored field: its name in snake_case, as everywhere in the code.
fn column(field: ProfileField) -> Option<&'static str> {
    use ProfileField::*;
    Some(match field {
        FullName => "full_name",
        NickName => "nick_name",
        Gender => "gender",
        DateOfBirth => "date_of_birth",
        MobilePhone => "mobile_phone",
        LandLine => "land_line",
        Address => "address",
        PostCode => "post_code",
        CityName => "city_name",
        State => "state",
        CountryId => "country_id",
        Position => "position",
        CompanyName => "company_name",
        Industry => "industry",
        ProfileSummary => "profile_summary",
        ProfileWebsite => "profile_website",
        ProfileIsPublic => "profile_is_public",
        ProfileTags => "profile_tags",
        Twitter => "twitter",
        Github => "github",
        Instagram => "instagram",
        Linkedin => "linkedin",
        BillingName => "billing_name",
        BillingEmail => "billing_email",
        BillingAddress => "billing_address",
        BillingPostCode => "billing_post_code",
        BillingCityName => "billing_city_name",
        BillingState => "billing_state",
        BillingCountryId => "billing_country_id",
        TaxIdNumber => "tax_id_number",
        NotifyOnHelpDeskReplies => "notify_on_help_desk_replies",
        NotifyOnCommunityBoardPosts => "notify_on_community_board_posts",
        NotifyOnBlogComments => "notify_on_blog_comments",
        NotifyOnEventComments => "notify_on_event_comments",
        ReceiveActivityDigest => "receive_activity_digest",
        SignUpToNewsletter => "sign_up_to_newsletter",
        CurrentPassword | NewPassword | ConfirmPassword | SupportEmail | SupportTelephone
        | SupportWebsite => return None,
    })
}

/// The stored fields, in wire order.
fn stored_fields() -> impl Iterator<Item = (ProfileField, &'static str)> {
    ProfileField::ALL
        .iter()
        .filter_map(|field| column(*field).map(|column| (*field, column)))
}

/// The editable profile as the API shows it, and its version (for the ETag).
#[derive(Clone, Debug, PartialEq)]
pub struct EditableProfile {
    pub id: i64,
    pub version: i64,
    /// Wire name to value (null when empty): every stored field, except where an update reads
    /// only the fields it touches.
    pub fields: Map<String, Value>,
}

fn read_value(
    row: &sqlx::sqlite::SqliteRow,
    field: ProfileField,
    column: &str,
) -> Result<Value, sqlx::Error> {
    Ok(match field.kind() {
        FieldKind::Flag => Value::Bool(row.try_get::<bool, _>(column)?),
        FieldKind::CountryId => row
            .try_get::<Option<i64>, _>(column)?
            .map_or(Value::Null, Value::from),
        _ => row
            .try_get::<Option<String>, _>(column)?
            .map_or(Value::Null, Value::String),
    })
}

/// The editable profile of the session: every stored field.
pub async fn editable(
    pool: &SqlitePool,
    session: &Session,
) -> Result<EditableProfile, ServiceError> {
    read(pool, session, stored_fields()).await
}

/// The session's active profile with only `wanted` of its fields (and its id and version).
async fn read(
    pool: &SqlitePool,
    session: &Session,
    wanted: impl Iterator<Item = (ProfileField, &'static str)>,
) -> Result<EditableProfile, ServiceError> {
    let wanted: Vec<(ProfileField, &str)> = wanted.collect();
    let mut sql = String::from("SELECT id, version");
    for (_, column) in &wanted {
        sql.push_str(", ");
        sql.push_str(column);
    }
    sql.push_str(" FROM customer_profiles WHERE id = ? AND user_id = ?");
    let row = sqlx::query(&sql)
        .bind(session.active_profile_id)
        .bind(session.user_id)
        .fetch_optional(pool)
        .await?
        .ok_or_else(|| ServiceError::NotFound("The active profile no longer exists.".to_owned()))?;
    let mut fields = Map::new();
    for (field, column) in wanted {
        fields.insert(
            field.wire_name().to_owned(),
            read_value(&row, field, column)?,
        );
    }
    Ok(EditableProfile {
        id: row.try_get("id")?,
        version: row.try_get("version")?,
        fields,
    })
}

/// What a successful update did.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateOutcome {
    /// Wire names of the fields whose value changed (a new password counts as `Password`).
    pub changed: Vec<String>,
    pub version: i64,
    pub password_changed: bool,
}

/// Checks the patch against every rule, then has `writer` write it (committed with whatever
/// other updates are waiting): only the named columns, only if `expected_version` (from
/// `If-Match`) still holds. Nothing is written when anything fails. A wrong current password
/// counts against the member's and `client`'s budgets of `limits` (see `throttle`).
pub async fn update(
    pool: &SqlitePool,
    writer: &ProfileWriter,
    session: &Session,
    patch: &ProfilePatch,
    expected_version: Option<i64>,
    guesses: (&Limits, &str),
) -> Result<UpdateOutcome, ServiceError> {
    // Only what the patch touches is compared with what is stored, plus the billing country
    // when a tax number is sent (its rule depends on it).
    let tax_number_sent = patch.get(ProfileField::TaxIdNumber).is_some();
    let current = read(
        pool,
        session,
        stored_fields().filter(|(field, _)| {
            patch.get(*field).is_some()
                || (tax_number_sent && *field == ProfileField::BillingCountryId)
        }),
    )
    .await?;
    let validated = validate(pool, session, patch, &current, guesses).await?;

    let new_hash = match &validated.password_change {
        Some(change) => Some(passwords::hash(change.new_password.clone()).await?),
        None => None,
    };

    let changes: Vec<&(ProfileField, Option<StoredValue>)> = validated
        .changes
        .iter()
        .filter(|(field, value)| current.fields.get(field.wire_name()) != Some(&stored_json(value)))
        .collect();
    let mut changed: Vec<String> = changes
        .iter()
        .map(|(field, _)| field.wire_name().to_owned())
        .collect();
    if new_hash.is_some() {
        changed.push("Password".to_owned());
    }
    if changed.is_empty() {
        // Nothing differs from what is stored: no write, no new version.
        return match expected_version {
            Some(expected) if expected != current.version => Err(stale()),
            _ => Ok(UpdateOutcome {
                changed,
                version: current.version,
                password_changed: false,
            }),
        };
    }

    let version = writer
        .write(ProfileWrite {
            profile_id: current.id,
            user_id: session.user_id,
            session_id: session.id,
            assignments: changes
                .iter()
                .filter_map(|(field, value)| column(*field).map(|column| (column, value.clone())))
                .collect(),
            expected_version,
            password_hash: new_hash.clone(),
            changed_fields: changed.join(","),
        })
        .await?;
    Ok(UpdateOutcome {
        changed,
        version,
        password_changed: new_hash.is_some(),
    })
}

/// Every rule: the pure core, then what needs the database (countries, the current password,
/// the location's password policy). All failures are returned together.
async fn validate(
    pool: &SqlitePool,
    session: &Session,
    patch: &ProfilePatch,
    current: &EditableProfile,
    (limits, client): (&Limits, &str),
) -> Result<ValidatedPatch, ServiceError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let country_code = |field: ProfileField| {
        let sent = match patch.get(field) {
            Some(Some(crate::model::profile::patch::SentValue::Integer(id))) => Some(*id),
            Some(_) => None,
            None => current
                .fields
                .get(field.wire_name())
                .and_then(Value::as_i64),
        };
        (field, sent)
    };
    let mut billing_country_code = None;
    for (field, id) in [
        country_code(ProfileField::CountryId),
        country_code(ProfileField::BillingCountryId),
    ] {
        // A stored country needs no check; the billing country's code matters only to a tax
        // number being sent.
        let needed = patch.get(field).is_some()
            || (field == ProfileField::BillingCountryId
                && patch.get(ProfileField::TaxIdNumber).is_some());
        let Some(id) = id.filter(|_| needed) else {
            continue;
        };
        match countries::code_of(pool, id).await? {
            Some(code) if field == ProfileField::BillingCountryId => {
                billing_country_code = Some(code)
            }
            Some(_) => {}
            None if patch.get(field).is_some() => errors.push(FieldError::new(
                field.wire_name(),
                field.label(),
                "must be an Id from /api/public/countries",
                &id.to_string(),
            )),
            None => {}
        }
    }
    let context = ValidationContext {
        today: Utc::now().date_naive(),
        billing_country_code,
    };
    let validated = match patch.validate(&context) {
        Ok(validated) => Some(validated),
        Err(mut rule_errors) => {
            errors.append(&mut rule_errors);
            None
        }
    };
    if let Some(change) = validated.as_ref().and_then(|v| v.password_change.as_ref()) {
        let (email, hash): (String, String) =
            sqlx::query_as("SELECT email, password_hash FROM users WHERE id = ?")
                .bind(session.user_id)
                .fetch_one(pool)
                .await?;
        // Guessing the current password through a session is throttled as a sign-in is: per
        // member and per client address.
        let attempt = Attempt::CurrentPassword {
            user_id: session.user_id,
            client,
        };
        throttle::begin(pool, limits, attempt).await?;
        if !passwords::verify(change.current_password.clone(), Some(hash)).await? {
            errors.push(FieldError::secret(
                ProfileField::CurrentPassword.wire_name(),
                ProfileField::CurrentPassword.label(),
                "is not correct",
            ));
        } else {
            throttle::succeeded(pool, attempt).await?;
            let policy = super::accounts::policy_for_profile(pool, current.id).await?;
            let violations: Vec<PasswordRule> = policy.violations(&PasswordCandidate {
                password: &change.new_password,
                email: Some(&email),
                current_password: Some(&change.current_password),
                is_common: Some(passwords::is_common(&change.new_password)),
            });
            errors.extend(crate::model::account::password_errors(
                ProfileField::NewPassword.wire_name(),
                ProfileField::NewPassword.label(),
                &violations,
            ));
        }
    }
    match validated {
        Some(validated) if errors.is_empty() => Ok(validated),
        _ => Err(ServiceError::Validation(errors)),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::server::testing::member;

    const GUESSES: (&Limits, &str) = (
        &Limits {
            sign_in_window_secs: 900,
            sign_in_per_account: 10,
            sign_in_per_client: 50,
            sign_in_per_device: 5,
            sign_up_window_secs: 3600,
            sign_ups_per_client: 20,
            drafts_per_hour: 10,
        },
        "127.0.0.1",
    );

    #[tokio::test]
    async fn only_the_named_columns_change_and_the_version_and_audit_follow() {
        let (_dir, pool, session) = member().await;
        let writer = ProfileWriter::start(&pool).await.expect("writer");
        sqlx::query("UPDATE customer_profiles SET city_name = 'Lisbon'")
            .execute(&pool)
            .await
            .expect("seed");
        let patch = ProfilePatch::from_json(&json!({"Position": "Designer", "Industry": "Design"}));
        let outcome = update(&pool, &writer, &session, &patch, Some(1), GUESSES)
            .await
            .expect("updates");
        assert_eq!(outcome.changed, vec!["Position", "Industry"]);
        assert_eq!(outcome.version, 2);

        let row: (Option<String>, Option<String>, String, i64) =
            sqlx::query_as("SELECT position, city_name, full_name, version FROM customer_profiles")
                .fetch_one(&pool)
                .await
                .expect("row");
        assert_eq!(
            row,
            (
                Some("Designer".to_owned()),
                Some("Lisbon".to_owned()),
                "Jane Doe".to_owned(),
                2
            )
        );
        let audit: (String, i64) =
            sqlx::query_as("SELECT changed_fields, actor_user_id FROM profile_audit")
                .fetch_one(&pool)
                .await
                .expect("audit");
        assert_eq!(audit, ("Position,Industry".to_owned(), session.user_id));
    }

    #[tokio::test]
    async fn a_failing_rule_or_a_stale_version_writes_nothing() {
        let (_dir, pool, session) = member().await;
        let writer = ProfileWriter::start(&pool).await.expect("writer");
        let bad =
            ProfilePatch::from_json(&json!({"Position": "Designer", "DateOfBirth": "1800-01-01"}));
        assert!(matches!(
            update(&pool, &writer, &session, &bad, None, GUESSES).await,
            Err(ServiceError::Validation(errors)) if errors.len() == 1
        ));
        let stale = ProfilePatch::from_json(&json!({"Position": "Designer"}));
        assert!(matches!(
            update(&pool, &writer, &session, &stale, Some(7), GUESSES).await,
            Err(ServiceError::PreconditionFailed(_))
        ));
        let (position, version, audits): (Option<String>, i64, i64) = sqlx::query_as(
            "SELECT position, version, (SELECT COUNT(*) FROM profile_audit) FROM customer_profiles",
        )
        .fetch_one(&pool)
        .await
        .expect("row");
        assert_eq!((position, version, audits), (None, 1, 0));
    }
}
