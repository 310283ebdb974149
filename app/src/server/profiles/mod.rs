//! Reading and updating the active customer profile: a patch is checked against every rule, then
//! the writer writes, atomically, only the columns whose value differs, bumps the version and
//! records which fields changed.

pub mod countries;
pub mod directory;
pub mod drafting;
pub mod markdown;
pub mod profile_writer;
pub mod sqlite_writer;
pub mod support;

use chrono::Utc;

use self::countries::CountryList;
use self::profile_writer::{ProfileWriter, Saved};
use crate::model::{
    field_error::FieldError,
    password_policy::{PasswordCandidate, PasswordRule},
    profile::{
        field::{FieldKind, ProfileField},
        patch::{ProfilePatch, SentValue, StoredValue, ValidatedPatch, ValidationContext},
    },
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::client::Origin,
    identity::passwords,
    identity::sessions::{self, Session},
    identity::throttle::{self, Attempt},
    mail::{compose, MailQueue},
    settings::Limits,
    store::{
        profiles::{stored_fields, NewPassword, ProfileChange, StoredProfile, PASSWORD_CHANGED},
        Store,
    },
};

/// The editable profile of the session: every stored field, typed, with its id and version
/// (for the ETag).
pub async fn editable(store: &Store, session: &Session) -> Result<StoredProfile, ServiceError> {
    read(store, session, stored_fields()).await
}

/// Only `fields` of the editable profile (with its id and version): what one page shows.
pub async fn editable_fields(
    store: &Store,
    session: &Session,
    fields: impl Iterator<Item = ProfileField>,
) -> Result<StoredProfile, ServiceError> {
    read(store, session, fields).await
}

/// The session's active profile with only `wanted` of its fields (and its id and version).
async fn read(
    store: &Store,
    session: &Session,
    wanted: impl Iterator<Item = ProfileField>,
) -> Result<StoredProfile, ServiceError> {
    store
        .profile(session.active_profile_id, session.user_id, wanted)
        .await?
        .ok_or_else(|| ServiceError::NotFound("The active profile no longer exists.".to_owned()))
}

/// What a successful update did.
#[derive(Clone, Debug, PartialEq)]
pub struct UpdateOutcome {
    /// Wire names of the fields whose value changed (a new password counts as `Password`).
    pub changed: Vec<String>,
    pub version: i64,
    pub password_changed: bool,
}

/// Checks the patch against every rule, then has `writer` write it (on SQLite committed with
/// whatever other updates are waiting): only the named columns whose value differs, only if
/// `expected_version` (from `If-Match`) still holds. Nothing is written when anything fails.
/// A wrong current password counts against the member's and the client address's budgets of
/// `limits` (see `throttle`); `origin` is where the change came from, for the audit row that
/// the security log shows.
pub async fn update(
    services @ Services {
        store,
        writer,
        mail,
        countries: _,
    }: Services<'_>,
    session: &Session,
    patch: &ProfilePatch,
    expected_version: Option<i64>,
    guesses: (&Limits, &Origin),
) -> Result<UpdateOutcome, ServiceError> {
    // A tax number's rule depends on the billing country: the stored one unless one is sent.
    let stored_billing_country = if patch.get(ProfileField::TaxIdNumber).is_some()
        && patch.get(ProfileField::BillingCountryId).is_none()
    {
        let stored = read(store, session, [ProfileField::BillingCountryId].into_iter()).await?;
        match stored.values.get(&ProfileField::BillingCountryId) {
            Some(Some(StoredValue::Integer(id))) => Some(*id),
            _ => None,
        }
    } else {
        None
    };
    let validated = validate(services, session, patch, stored_billing_country, guesses).await?;

    let password = match &validated.password_change {
        Some(change) => Some(NewPassword {
            hash: passwords::hash(change.new_password.clone()).await?,
            notice: compose::password_changed(
                &store.user_summary(session.user_id).await?.email,
                mail.page("/password/forgot"),
                false,
            ),
        }),
        None => None,
    };
    let password_changed = password.is_some();
    // The writer compares the change with what is stored and writes only what differs.
    let saved = writer
        .write(ProfileChange {
            profile_id: session.active_profile_id,
            user_id: session.user_id,
            session_id: session.id,
            values: validated.changes,
            expected_version,
            password,
            origin: guesses.1.clone(),
        })
        .await?;
    if password_changed {
        mail.wake();
    }
    Ok(UpdateOutcome::of(saved, password_changed))
}

impl UpdateOutcome {
    /// What the writer `saved`, with `Password` last among the changes when it changed.
    fn of(saved: Saved, password_changed: bool) -> Self {
        let mut changed: Vec<String> = saved
            .changed
            .iter()
            .map(|field| field.wire_name().to_owned())
            .collect();
        if password_changed {
            changed.push(PASSWORD_CHANGED.to_owned());
        }
        UpdateOutcome {
            changed,
            version: saved.version,
            password_changed,
        }
    }
}

/// The versions an `If-Match` header names, for one kind of resource.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IfMatch {
    /// No precondition (no header, or `*`): the last write wins.
    #[default]
    Any,
    /// Each entity tag sent, as the resource id and version it names (`None`: a tag of
    /// something else).
    Tags(Vec<Option<(i64, i64)>>),
}

impl IfMatch {
    /// The version resource `id` is expected to have: none, the first tag of it, or -1 (a
    /// version that never exists, so the write fails with 412) when no tag names it.
    pub fn version_for(&self, id: i64) -> Option<i64> {
        match self {
            IfMatch::Any => None,
            IfMatch::Tags(tags) => Some(
                tags.iter()
                    .flatten()
                    .find(|(tagged, _)| *tagged == id)
                    .map_or(-1, |(_, version)| *version),
            ),
        }
    }

    /// What the write can check before the session is known: nothing, or the one tag's
    /// profile and version; `None` when several tags came.
    fn single(&self) -> Option<Option<(Option<i64>, i64)>> {
        match self {
            IfMatch::Any => Some(None),
            IfMatch::Tags(tags) => match tags.as_slice() {
                [tag] => Some(Some((tag.map(|(id, _)| id), tag.map_or(-1, |(_, v)| v)))),
                _ => None,
            },
        }
    }
}

/// What an update is written with: the database, its profile writer, the mail queue (for a
/// new password's notice) and the country list (for the countries' and the tax number's rules).
#[derive(Clone, Copy, Debug)]
pub struct Services<'a> {
    pub store: &'a Store,
    pub writer: &'a ProfileWriter,
    pub mail: &'a MailQueue,
    pub countries: &'a CountryList,
}

/// The session token a request came with.
#[derive(Clone, Copy, Debug)]
pub struct Presented<'a> {
    pub token: &'a str,
    /// It came as the session cookie (which may be due to be sent again).
    pub by_cookie: bool,
}

/// `update` for a request that presents a session token, which this checks too (no live
/// session: 401, ahead of any rule the patch breaks). When the writer can (PostgreSQL, each
/// update alone; SQLite's writer thread) and the patch needs nothing stored to be checked (no
/// password, country or tax number), the session is checked by the writer as it writes: one
/// hand-off to the writer a PATCH. Any other patch is `sessions::authenticate`, then `update`.
pub async fn update_presented(
    services @ Services { store, writer, .. }: Services<'_>,
    presented: Presented<'_>,
    ttl_secs: i64,
    patch: &ProfilePatch,
    if_match: &IfMatch,
    guesses: (&Limits, &Origin),
) -> Result<(Session, UpdateOutcome), ServiceError> {
    let needs_stored = patch.fields().any(|field| {
        matches!(
            field.kind(),
            FieldKind::CountryId | FieldKind::TaxId | FieldKind::Secret
        )
    });
    if let (Some(expected), true, false) =
        (if_match.single(), writer.checks_sessions(), needs_stored)
    {
        let context = ValidationContext {
            today: Utc::now().date_naive(),
            billing_country_code: None,
        };
        let validated = match patch.validate(&context) {
            Ok(validated) => validated,
            Err(errors) => {
                signed_in(store, presented, ttl_secs).await?;
                return Err(ServiceError::Validation(errors));
            }
        };
        let now = clock::now();
        let (stored, saved) = writer
            .write_for_session(
                sessions::token_hash(presented.token),
                validated.changes,
                expected,
                now,
                guesses.1.clone(),
            )
            .await?
            .ok_or_else(sessions::signed_out)?;
        let session = sessions::slide(store, stored, now, ttl_secs, presented.by_cookie).await?;
        return Ok((session, UpdateOutcome::of(saved, false)));
    }
    let session = signed_in(store, presented, ttl_secs).await?;
    let expected = if_match.version_for(session.active_profile_id);
    let outcome = update(services, &session, patch, expected, guesses).await?;
    Ok((session, outcome))
}

/// The live session `presented` names, or 401.
pub async fn signed_in(
    store: &Store,
    presented: Presented<'_>,
    ttl_secs: i64,
) -> Result<Session, ServiceError> {
    sessions::authenticate(store, presented.token, ttl_secs, presented.by_cookie)
        .await?
        .ok_or_else(sessions::signed_out)
}

/// Every rule: the pure core, then what needs the database (countries, the current password,
/// the location's password policy). All failures are returned together.
async fn validate(
    Services {
        store, countries, ..
    }: Services<'_>,
    session: &Session,
    patch: &ProfilePatch,
    stored_billing_country: Option<i64>,
    (limits, origin): (&Limits, &Origin),
) -> Result<ValidatedPatch, ServiceError> {
    let mut errors: Vec<FieldError> = Vec::new();
    let country_code = |field: ProfileField| {
        let sent = match patch.get(field) {
            Some(Some(SentValue::Integer(id))) => Some(*id),
            Some(_) => None,
            None if field == ProfileField::BillingCountryId => stored_billing_country,
            None => None,
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
        match countries.code_of(store, id).await? {
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
        let (email, hash) = store.email_and_hash(session.user_id).await?;
        // Guessing the current password through a session is throttled as a sign-in is: per
        // member and per client address.
        let attempt = Attempt::CurrentPassword {
            user_id: session.user_id,
            client: &origin.client_addr,
        };
        throttle::begin(store, limits, attempt).await?;
        if !passwords::verify(change.current_password.clone(), Some(hash)).await? {
            errors.push(FieldError::secret(
                ProfileField::CurrentPassword.wire_name(),
                ProfileField::CurrentPassword.label(),
                "is not correct",
            ));
        } else {
            throttle::succeeded(store, attempt).await?;
            let policy = crate::server::identity::accounts::policy_for_profile(
                store,
                session.active_profile_id,
            )
            .await?;
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
            // Last, so a code (a recovery code is used up) is spent only on a change that
            // would otherwise go through.
            if errors.is_empty() {
                if let Some(error) =
                    second_factor_error(store, limits, session, change, origin).await?
                {
                    errors.push(error);
                }
            }
        }
    }
    match validated {
        Some(validated) if errors.is_empty() => Ok(validated),
        _ => Err(ServiceError::Validation(errors)),
    }
}

/// With two-factor sign-in on, a password change needs a code too: what is wrong with the one
/// sent, if anything (a throttle refusal is an error of its own).
async fn second_factor_error(
    store: &Store,
    limits: &Limits,
    session: &Session,
    change: &crate::model::profile::patch::PasswordChange,
    origin: &Origin,
) -> Result<Option<FieldError>, ServiceError> {
    if !crate::server::identity::two_factor::enabled(store, session.user_id).await? {
        return Ok(None);
    }
    let field = ProfileField::TwoFactorCode;
    let Some(code) = change
        .code
        .as_deref()
        .filter(|code| !code.trim().is_empty())
    else {
        return Ok(Some(FieldError::secret(
            field.wire_name(),
            field.label(),
            "is required to change your password: two-factor sign-in is on",
        )));
    };
    match crate::server::identity::two_factor::verify_code(
        store,
        limits,
        session.user_id,
        code,
        &origin.client_addr,
    )
    .await
    {
        Ok(_) => Ok(None),
        Err(ServiceError::Validation(_)) => Ok(Some(FieldError::secret(
            field.wire_name(),
            field.label(),
            "is not correct, or was used already",
        ))),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::server::identity::testing::member;

    fn mail_queue() -> MailQueue {
        MailQueue::new("http://127.0.0.1:3000")
    }

    const GUESSES: (&Limits, &Origin) = (
        &Limits {
            sign_in_window_secs: 900,
            sign_in_per_account: 10,
            sign_in_per_client: 50,
            sign_in_per_device: 5,
            sign_up_window_secs: 3600,
            sign_ups_per_client: 20,
            drafts_per_hour: 10,
            mail_window_secs: 3600,
            mails_per_address: 5,
            mails_per_device: 5,
            mails_per_client: 30,
            security_log_kept_secs: 180 * 24 * 60 * 60,
        },
        &Origin {
            client_addr: String::new(),
            user_agent: String::new(),
        },
    );

    #[tokio::test]
    async fn a_presented_token_is_checked_first_then_the_rules_then_the_version() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = crate::server::store::scratch::open(dir.path())
            .await
            .expect("opens");
        let token = crate::server::identity::testing::signed_up_token(
            &store,
            "jane@example.com",
            "Jane Doe",
        )
        .await;
        let writer = ProfileWriter::start(&store).await.expect("writer");
        let (mail, countries) = (mail_queue(), CountryList::default());
        let services = Services {
            store: &store,
            writer: &writer,
            mail: &mail,
            countries: &countries,
        };
        let presented = |token| Presented {
            token,
            by_cookie: false,
        };
        let bad = ProfilePatch::from_json(&json!({"FullName": null, "MobilePhone": "call me"}));
        let good = ProfilePatch::from_json(&json!({"Position": "Designer", "CityName": "Porto"}));
        let call = |token, patch, if_match| {
            update_presented(services, presented(token), 3600, patch, if_match, GUESSES)
        };

        let unknown = call("no such token", &bad, &IfMatch::Any).await;
        assert!(
            matches!(unknown, Err(ServiceError::Unauthorized(_))),
            "{unknown:?}"
        );
        let refused = call(&token, &bad, &IfMatch::Any).await;
        assert!(
            matches!(refused, Err(ServiceError::Validation(_))),
            "{refused:?}"
        );

        let (session, outcome) = call(&token, &good, &IfMatch::Any).await.expect("saves");
        assert_eq!(outcome.changed, vec!["CityName", "Position"]);
        assert_eq!(outcome.version, 2);
        let (_, again) = call(&token, &good, &IfMatch::Any).await.expect("saves");
        assert_eq!(
            (again.changed.len(), again.version),
            (0, 2),
            "nothing differs"
        );

        let profile = session.active_profile_id;
        let stale = IfMatch::Tags(vec![Some((profile, 1))]);
        let later = ProfilePatch::from_json(&json!({"Position": "Lead"}));
        let refused = call(&token, &later, &stale).await;
        assert!(
            matches!(refused, Err(ServiceError::PreconditionFailed(_))),
            "{refused:?}"
        );
        let current = IfMatch::Tags(vec![Some((profile, 2))]);
        let (_, saved) = call(&token, &later, &current).await.expect("saves");
        assert_eq!(
            (saved.changed, saved.version),
            (vec!["Position".to_owned()], 3)
        );
        let row: (Option<String>, Option<String>, i64) = store
            .row_sql("SELECT position, city_name, version FROM customer_profiles")
            .await
            .expect("row");
        assert_eq!(row, (Some("Lead".to_owned()), Some("Porto".to_owned()), 3));
    }

    #[tokio::test]
    async fn only_the_named_columns_change_and_the_version_and_audit_follow() {
        let (_dir, store, session) = member().await;
        let writer = ProfileWriter::start(&store).await.expect("writer");
        store
            .execute_sql("UPDATE customer_profiles SET city_name = 'Lisbon'")
            .await
            .expect("seed");
        let patch = ProfilePatch::from_json(&json!({"Position": "Designer", "Industry": "Design"}));
        let (mail, countries) = (mail_queue(), CountryList::default());
        let services = Services {
            store: &store,
            writer: &writer,
            mail: &mail,
            countries: &countries,
        };
        let outcome = update(services, &session, &patch, Some(1), GUESSES)
            .await
            .expect("updates");
        assert_eq!(outcome.changed, vec!["Position", "Industry"]);
        assert_eq!(outcome.version, 2);

        let row: (Option<String>, Option<String>, String, i64) = store
            .row_sql("SELECT position, city_name, full_name, version FROM customer_profiles")
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
        let audit: (String, i64) = store
            .row_sql("SELECT changed_fields, actor_user_id FROM profile_audit")
            .await
            .expect("audit");
        assert_eq!(audit, ("Position,Industry".to_owned(), session.user_id));
    }

    #[tokio::test]
    async fn a_failing_rule_or_a_stale_version_writes_nothing() {
        let (_dir, store, session) = member().await;
        let writer = ProfileWriter::start(&store).await.expect("writer");
        let (mail, countries) = (mail_queue(), CountryList::default());
        let services = Services {
            store: &store,
            writer: &writer,
            mail: &mail,
            countries: &countries,
        };
        let bad =
            ProfilePatch::from_json(&json!({"Position": "Designer", "DateOfBirth": "1800-01-01"}));
        assert!(matches!(
            update(services, &session, &bad, None, GUESSES).await,
            Err(ServiceError::Validation(errors)) if errors.len() == 1
        ));
        // Countries are looked up in the list the migrations wrote: 276 is Germany, 999 is none.
        let unknown_country = ProfilePatch::from_json(&json!({"CountryId": 999}));
        assert!(matches!(
            update(services, &session, &unknown_country, None, GUESSES).await,
            Err(ServiceError::Validation(errors))
                if errors.len() == 1 && errors[0].property_name == "CountryId"
        ));
        let german_vat = ProfilePatch::from_json(
            &json!({"BillingCountryId": 276, "TaxIdNumber": "FR12345678901"}),
        );
        assert!(matches!(
            update(services, &session, &german_vat, None, GUESSES).await,
            Err(ServiceError::Validation(errors))
                if errors.len() == 1 && errors[0].property_name == "TaxIdNumber"
        ));
        let stale = ProfilePatch::from_json(&json!({"Position": "Designer"}));
        assert!(matches!(
            update(services, &session, &stale, Some(7), GUESSES).await,
            Err(ServiceError::PreconditionFailed(_))
        ));
        let (position, version, audits): (Option<String>, i64, i64) = store
            .row_sql(
                "SELECT position, version, (SELECT COUNT(*) FROM profile_audit)
                 FROM customer_profiles",
            )
            .await
            .expect("row");
        assert_eq!((position, version, audits), (None, 1, 0));
    }
}
