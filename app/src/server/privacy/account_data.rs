//! The member's data: confirming the password again (a data export needs it within the last
//! 10 minutes), the export of everything stored about them, and deleting the account.

use serde::Serialize;

use crate::model::{
    account::{normalize_email, ConfirmPassword, DeleteAccount},
    profile::patch::values_json,
};
use crate::server::{
    clock,
    error::ServiceError,
    identity::security_log::{self, LogEntry, SessionInfo},
    identity::sessions::Session,
    identity::two_factor,
    mail::{compose, MailQueue},
    profiles::support,
    settings::Limits,
    store::{account_data::AuditRecord, profiles::stored_fields, Store},
};

/// How long a password confirmation lets the session export the member's data.
pub const REAUTHENTICATION_SECS: i64 = 10 * 60;

/// The version of the export's shape, in its `Format`.
pub const EXPORT_FORMAT: &str = "member-portal-data-export/1";

/// Confirms the member's password (and a code, with two-factor sign-in on) in this session;
/// until when it lets the session export.
pub async fn reauthenticate(
    store: &Store,
    limits: &Limits,
    session: &Session,
    form: &ConfirmPassword,
    client: &str,
) -> Result<i64, ServiceError> {
    two_factor::confirm_identity(
        store,
        limits,
        session.user_id,
        &form.current_password,
        &form.code,
        client,
    )
    .await?;
    let now = clock::now();
    store.mark_reauthenticated(session.id, now).await?;
    Ok(now + REAUTHENTICATION_SECS)
}

/// Until when the session's last password confirmation lets it export, if it still does.
pub async fn reauthenticated_until(
    store: &Store,
    session: &Session,
) -> Result<Option<i64>, ServiceError> {
    let until = store.reauthenticated_at(session.id).await? + REAUTHENTICATION_SECS;
    Ok((until > clock::now()).then_some(until))
}

/// The account, without its password hash.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ExportedAccount {
    pub id: i64,
    pub email: String,
    /// Unix seconds; `null` while the address is not verified.
    pub email_verified_at: Option<i64>,
    /// Unix seconds.
    pub created_at: i64,
}

/// One customer profile: every stored field, notification settings included.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ExportedProfile {
    pub id: i64,
    pub is_default_profile: bool,
    pub active: bool,
    pub version: i64,
    /// Every stored field by wire name, as `GET /en/profile` answers them for the active
    /// profile (`FullName`, `CityName`, `NotifyOnNewSignIn`, ...).
    #[schema(value_type = Object)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The support contact profile.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ExportedSupportProfile {
    pub email: Option<String>,
    pub telephone: Option<String>,
    pub website: Option<String>,
    pub version: i64,
}

/// One audit row of a change.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct ExportedAudit {
    /// The profile changed; `null` for the support profile.
    pub profile_id: Option<i64>,
    /// Unix seconds.
    pub at: i64,
    /// The names of the fields that changed (never their values).
    pub changed_fields: Vec<String>,
}

/// Everything the portal stores about a member (`GET /api/account/export`), never a password
/// or token hash.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct DataExport {
    /// `member-portal-data-export/1`.
    pub format: &'static str,
    /// Unix seconds.
    pub exported_at: i64,
    pub account: ExportedAccount,
    /// Every customer profile of the member, the default one first.
    pub profiles: Vec<ExportedProfile>,
    pub support_profile: ExportedSupportProfile,
    /// Whether sign-in asks for a second factor (never the secret or the recovery codes).
    pub two_factor: crate::model::two_factor::TwoFactorStatus,
    /// The member's passkeys: names and dates (never their keys).
    pub passkeys: Vec<crate::model::two_factor::PasskeySummary>,
    /// The live sessions.
    pub sessions: Vec<SessionInfo>,
    /// The whole security log, newest first.
    pub security_log: Vec<LogEntry>,
    /// The audit rows of the profiles' changes, oldest first.
    pub profile_audit: Vec<ExportedAudit>,
    /// The audit rows of the support profile's replacements, oldest first.
    pub support_profile_audit: Vec<ExportedAudit>,
}

impl DataExport {
    /// `member-data-2026-12-01.json`: the day it was made, in UTC.
    pub fn file_name(&self) -> String {
        let day = chrono::DateTime::from_timestamp(self.exported_at, 0)
            .map(|time| time.format("%Y-%m-%d").to_string())
            .unwrap_or_default();
        format!("member-data-{day}.json")
    }
}

fn audits(rows: Vec<AuditRecord>) -> Vec<ExportedAudit> {
    rows.into_iter()
        .map(|row| ExportedAudit {
            profile_id: row.profile_id,
            at: row.at,
            changed_fields: row
                .changed_fields
                .split(',')
                .filter(|field| !field.is_empty())
                .map(str::to_owned)
                .collect(),
        })
        .collect()
}

/// Everything stored about the member of `session`, which must have confirmed the password in
/// the last `REAUTHENTICATION_SECS` (403 otherwise).
pub async fn export(store: &Store, session: &Session) -> Result<DataExport, ServiceError> {
    if reauthenticated_until(store, session).await?.is_none() {
        return Err(ServiceError::Forbidden(
            "Confirm your password first (POST /api/account/reauthenticate, or the form on the \
             security page); the confirmation lets this device export for 10 minutes."
                .to_owned(),
        ));
    }
    let user_id = session.user_id;
    let account = store.account_record(user_id).await?;
    let mut profiles = Vec::new();
    for summary in store.linked_profiles(user_id).await? {
        if let Some(stored) = store.profile(summary.id, user_id, stored_fields()).await? {
            profiles.push(ExportedProfile {
                id: stored.id,
                is_default_profile: summary.is_default_profile,
                active: summary.active,
                version: stored.version,
                fields: values_json(&stored.values),
            });
        }
    }
    let support = support::read(store, user_id).await?;
    let (profile_audit, support_profile_audit) = store.audit_records(user_id).await?;
    Ok(DataExport {
        format: EXPORT_FORMAT,
        exported_at: clock::now(),
        account: ExportedAccount {
            id: account.id,
            email: account.email,
            email_verified_at: account.email_verified_at,
            created_at: account.created_at,
        },
        profiles,
        support_profile: ExportedSupportProfile {
            email: support.profile.email,
            telephone: support.profile.telephone,
            website: support.profile.website,
            version: support.version,
        },
        two_factor: two_factor::status(store, user_id).await?,
        passkeys: crate::server::identity::passkeys::list(store, user_id).await?,
        sessions: security_log::sessions(store, session).await?,
        security_log: security_log::whole_log(store, user_id).await?,
        profile_audit: audits(profile_audit),
        support_profile_audit: audits(support_profile_audit),
    })
}

/// Deletes the member of `session` when the form has their current password and their address
/// typed out (see `Store::delete_member` for what goes and what stays), and tells the address.
pub async fn delete(
    store: &Store,
    limits: &Limits,
    mail: &MailQueue,
    session: &Session,
    form: &DeleteAccount,
    client: &str,
) -> Result<(), ServiceError> {
    let email = store.user_summary(session.user_id).await?.email;
    let errors = form.validate(&email);
    if !errors.is_empty() {
        return Err(ServiceError::Validation(errors));
    }
    two_factor::confirm_identity(
        store,
        limits,
        session.user_id,
        &form.current_password,
        &form.code,
        client,
    )
    .await?;
    let farewell = compose::account_deleted(&email, mail.page("/signup"));
    store
        .delete_member(
            session.user_id,
            &normalize_email(&email),
            &farewell,
            clock::now(),
        )
        .await?;
    mail.wake();
    tracing::info!(user_id = session.user_id, "account deleted by its member");
    Ok(())
}
