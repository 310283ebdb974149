//! What the portal's operator does from the command line (`server admin ...`): create and list
//! members, give one a password or a reset link, end their sessions, disable and enable them,
//! change a location's password policy and close or reopen sign-up. The same rules hold as
//! at the other doors (a password meets its location's policy); each change to a member is in
//! their security log, from the origin `operator`.

use serde::Serialize;

use crate::model::{
    account::{normalize_email, password_errors, validate_email, validate_full_name},
    field_error::FieldError,
    link::LinkPurpose,
    password_policy::{PasswordCandidate, PasswordPolicy, LOWEST_MAX_LENGTH, LOWEST_MIN_LENGTH},
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::accounts::{create_account, default_location, NewAccount},
    identity::client::Origin,
    identity::links::IssuedLink,
    identity::passwords,
    identity::security_log::{self, EventKind},
    mail::{compose, MailQueue},
    store::{
        operator::{LocationRow, MemberRow},
        security_log::NewEvent,
        sessions::Ending,
        Store,
    },
};

/// The longest password a policy may allow: no passphrase needs more, and each character is
/// hashed.
pub const HIGHEST_MAX_LENGTH: u32 = 1024;

/// Where the operator's changes come from, as the security log shows it.
pub fn origin() -> Origin {
    Origin {
        client_addr: "operator".to_owned(),
        user_agent: "server admin".to_owned(),
    }
}

/// A member as `server admin members` prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Member {
    pub id: i64,
    pub email: String,
    pub full_name: String,
    /// Their default profile's location.
    pub location: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub email_verified: bool,
    pub disabled: bool,
    /// Live (and not yet cleaned-up expired) sessions.
    pub sessions: i64,
}

impl From<MemberRow> for Member {
    fn from(row: MemberRow) -> Self {
        Member {
            id: row.id,
            email: row.email,
            full_name: row.full_name,
            location: row.location,
            created_at: clock::to_rfc3339(row.created_at),
            email_verified: row.email_verified,
            disabled: row.disabled_at.is_some(),
            sessions: row.sessions,
        }
    }
}

/// A location and its password policy, as `server admin locations` prints them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub name: String,
    /// Where sign-up puts new members.
    pub is_default: bool,
    /// Members with a profile here.
    pub members: i64,
    pub policy: PasswordPolicy,
}

impl From<LocationRow> for Location {
    fn from(row: LocationRow) -> Self {
        Location {
            name: row.name,
            is_default: row.is_default,
            members: row.members,
            policy: row.policy,
        }
    }
}

/// The parts of a policy to change; `None` keeps what the location has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyChange {
    pub min_length: Option<u32>,
    pub max_length: Option<u32>,
    pub require_digit: Option<bool>,
    pub require_upper: Option<bool>,
    pub require_lower: Option<bool>,
    pub require_symbol: Option<bool>,
}

fn invalid(property: &str, label: &str, rule: &str, value: &str) -> ServiceError {
    ServiceError::Validation(vec![FieldError::new(property, label, rule, value)])
}

/// Every member, or those with a profile at the location named `location`.
pub async fn members(store: &Store, location: Option<&str>) -> Result<Vec<Member>, ServiceError> {
    let location_id = match location {
        Some(name) => Some(location_by_name(store, name).await?.id),
        None => None,
    };
    let rows = store.member_rows(location_id, None).await?;
    Ok(rows.into_iter().map(Member::from).collect())
}

/// The member who signs in as `email`.
async fn member(store: &Store, email: &str) -> Result<Member, ServiceError> {
    let normalized = normalize_email(email);
    let Some((user_id, _)) = store.account_by_email(&normalized).await? else {
        return Err(ServiceError::NotFound(format!(
            "no member signs in as {:?}",
            email.trim()
        )));
    };
    store
        .member_rows(None, Some(user_id))
        .await?
        .into_iter()
        .next()
        .map(Member::from)
        .ok_or_else(|| ServiceError::NotFound(format!("member {user_id} has no profile")))
}

async fn location_by_name(store: &Store, name: &str) -> Result<LocationRow, ServiceError> {
    let rows = store.location_rows().await?;
    let names: Vec<String> = rows.iter().map(|row| format!("{:?}", row.name)).collect();
    rows.into_iter()
        .find(|row| row.name == name.trim())
        .ok_or_else(|| {
            ServiceError::NotFound(format!(
                "no location is named {:?}; the locations are {}",
                name.trim(),
                names.join(", ")
            ))
        })
}

/// The password errors of `password` under `policy` for the member of `email`.
fn check_password(
    policy: &PasswordPolicy,
    password: &str,
    email: &str,
) -> Result<(), ServiceError> {
    let violations = policy.violations(&PasswordCandidate {
        password,
        email: Some(email),
        current_password: None,
        is_common: Some(passwords::is_common(password)),
    });
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::Validation(password_errors(
            "Password",
            "Password",
            &violations,
        )))
    }
}

/// A new member with `password` at the location named `location` (the default one when
/// `None`), whether or not sign-up is open. They are mailed a link to verify their address.
pub async fn create_member(
    store: &Store,
    mail: &MailQueue,
    email: &str,
    full_name: &str,
    location: Option<&str>,
    password: String,
) -> Result<Member, ServiceError> {
    let mut errors: Vec<FieldError> = validate_email("Email", email).into_iter().collect();
    errors.extend(validate_full_name(full_name));
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    let (location_id, policy) = match location {
        Some(name) => {
            let row = location_by_name(store, name).await?;
            (row.id, row.policy)
        }
        None => default_location(store).await?,
    };
    let email = email.trim();
    check_password(&policy, &password, email)?;
    let taken = || invalid("Email", "E-mail address", "is already registered", email);
    let (user_id, _) = create_account(
        store,
        mail,
        NewAccount {
            email,
            password,
            full_name,
            location_id,
        },
    )
    .await?
    .ok_or_else(taken)?;
    log(store, user_id, "created").await?;
    member(store, email).await
}

async fn log(store: &Store, user_id: i64, detail: &str) -> Result<(), ServiceError> {
    security_log::record(store, user_id, EventKind::OperatorAction, detail, &origin()).await
}

fn event<'a>(user_id: i64, detail: &'a str, origin: &'a Origin) -> NewEvent<'a> {
    NewEvent {
        user_id,
        kind: EventKind::OperatorAction.as_str(),
        detail,
        origin,
        at: clock::now(),
    }
}

/// Gives the member of `email` a new password under their location's policy, ends every
/// session of theirs and tells their address.
pub async fn set_password(
    store: &Store,
    mail: &MailQueue,
    email: &str,
    password: String,
) -> Result<Member, ServiceError> {
    let member = member(store, email).await?;
    let policy = crate::server::identity::accounts::policy_for_member(store, member.id).await?;
    check_password(&policy, &password, &member.email)?;
    let hash = passwords::hash(password).await?;
    let notice = compose::password_changed(&member.email, mail.page("/password/forgot"), true);
    let origin = origin();
    store
        .set_password_by_operator(
            member.id,
            &hash,
            &event(member.id, "password_set", &origin),
            &[notice],
        )
        .await?;
    self::member(store, email).await
}

/// Mails the member of `email` a link to choose a new password (delivered by the running
/// server's mail worker, as every message is).
pub async fn send_reset_link(
    store: &Store,
    mail: &MailQueue,
    email: &str,
) -> Result<Member, ServiceError> {
    let member = member(store, email).await?;
    let now = clock::now();
    let link = IssuedLink::new(LinkPurpose::ResetPassword, member.id, &member.email, now)?;
    let message = compose::reset_password(
        &member.email,
        mail.link(LinkPurpose::ResetPassword.page(), &link.token),
        LinkPurpose::ResetPassword.lifetime_secs(),
    );
    store.issue_token(&link.stored(now), &[message]).await?;
    log(store, member.id, "reset_link_sent").await?;
    Ok(member)
}

/// Ends every session of the member of `email`; how many ended.
pub async fn end_sessions(store: &Store, email: &str) -> Result<usize, ServiceError> {
    let member = member(store, email).await?;
    let origin = origin();
    let ended = store
        .end_sessions(
            member.id,
            Ending::All,
            event(member.id, "sessions_ended", &origin),
            |_| "sessions_ended".to_owned(),
        )
        .await?;
    Ok(ended.len())
}

/// Disables (`disabled`) or enables the member of `email`. A disabled member's sessions end
/// and every sign-in of theirs is refused, saying why.
pub async fn set_disabled(
    store: &Store,
    email: &str,
    disabled: bool,
) -> Result<Member, ServiceError> {
    let member = member(store, email).await?;
    let origin = origin();
    let detail = if disabled { "disabled" } else { "enabled" };
    store
        .set_member_disabled(
            member.id,
            disabled.then(clock::now),
            &event(member.id, detail, &origin),
        )
        .await?;
    self::member(store, email).await
}

pub async fn locations(store: &Store) -> Result<Vec<Location>, ServiceError> {
    Ok(store
        .location_rows()
        .await?
        .into_iter()
        .map(Location::from)
        .collect())
}

/// Applies `change` to the policy of the location named `name`. The lengths keep their floors
/// (at least 8 required, at least 64 allowed) and a ceiling: a policy below them is refused,
/// not raised.
pub async fn change_policy(
    store: &Store,
    name: &str,
    change: &PolicyChange,
) -> Result<Location, ServiceError> {
    let location = location_by_name(store, name).await?;
    let old = &location.policy;
    let policy = PasswordPolicy {
        min_length: change.min_length.unwrap_or(old.min_length),
        max_length: change.max_length.unwrap_or(old.max_length),
        require_digit: change.require_digit.unwrap_or(old.require_digit),
        require_upper: change.require_upper.unwrap_or(old.require_upper),
        require_lower: change.require_lower.unwrap_or(old.require_lower),
        require_symbol: change.require_symbol.unwrap_or(old.require_symbol),
    };
    let length = |value: u32| value.to_string();
    if policy.min_length < LOWEST_MIN_LENGTH {
        return Err(invalid(
            "MinLength",
            "The minimum length",
            &format!("must be at least {LOWEST_MIN_LENGTH}"),
            &length(policy.min_length),
        ));
    }
    if policy.max_length < LOWEST_MAX_LENGTH.max(policy.min_length) {
        return Err(invalid(
            "MaxLength",
            "The maximum length",
            &format!(
                "must be at least {} (and at least the minimum length)",
                LOWEST_MAX_LENGTH
            ),
            &length(policy.max_length),
        ));
    }
    if policy.max_length > HIGHEST_MAX_LENGTH {
        return Err(invalid(
            "MaxLength",
            "The maximum length",
            &format!("must be at most {HIGHEST_MAX_LENGTH}"),
            &length(policy.max_length),
        ));
    }
    if !store.set_location_policy(location.id, &policy).await? {
        return Err(ServiceError::NotFound(format!(
            "location {:?} was removed meanwhile",
            location.name
        )));
    }
    Ok(Location {
        policy,
        ..Location::from(location)
    })
}

/// Whether sign-up is open.
pub async fn sign_up_open(store: &Store) -> Result<bool, ServiceError> {
    Ok(store.sign_up_open().await?)
}

/// Opens or closes sign-up; members the operator creates are let in either way.
pub async fn set_sign_up_open(store: &Store, open: bool) -> Result<(), ServiceError> {
    Ok(store.set_sign_up_open(open).await?)
}
