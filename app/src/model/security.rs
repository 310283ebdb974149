//! The member's security page: their sessions and the security log, as the page and the API
//! show them (the server fills them, see `server::identity::security_log`).

use serde::{Deserialize, Serialize};

/// Where a change came from, as sessions and the security log keep it: the client address and
/// the browser's `User-Agent`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub client_addr: String,
    pub user_agent: String,
}

/// What the log records. The text of each is what the security page and the API show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    SignedUp,
    SignedIn,
    /// A wrong password for the account (what was typed is never kept).
    SignInFailed,
    /// A sign-in refused by the throttle; logged at most once per sign-in window.
    SignInThrottled,
    SignedOut,
    /// The member ended one of their sessions; the detail names its device.
    SessionEnded,
    /// The member ended every session but the one they used; the detail is how many.
    OtherSessionsEnded,
    PasswordReset,
    EmailVerified,
    EmailChanged,
    EmailChangeUndone,
    /// An audit row of a profile change; the detail is the changed fields' names.
    ProfileChanged,
    /// An audit row of a support-profile replacement; the detail is the changed fields' names.
    SupportProfileReplaced,
    /// Sign-in now asks for an authenticator-app code.
    TotpEnabled,
    TotpDisabled,
    RecoveryCodesRegenerated,
    /// A wrong or reused second-factor code after a right password.
    SecondFactorFailed,
    /// A passkey was registered; the detail is its name.
    PasskeyAdded,
    /// A passkey was removed; the detail is its name.
    PasskeyRemoved,
    /// The portal's operator acted on the account (`server admin`); the detail says how.
    OperatorAction,
}

const KINDS: [EventKind; 20] = [
    EventKind::SignedUp,
    EventKind::SignedIn,
    EventKind::SignInFailed,
    EventKind::SignInThrottled,
    EventKind::SignedOut,
    EventKind::SessionEnded,
    EventKind::OtherSessionsEnded,
    EventKind::PasswordReset,
    EventKind::EmailVerified,
    EventKind::EmailChanged,
    EventKind::EmailChangeUndone,
    EventKind::ProfileChanged,
    EventKind::SupportProfileReplaced,
    EventKind::TotpEnabled,
    EventKind::TotpDisabled,
    EventKind::RecoveryCodesRegenerated,
    EventKind::SecondFactorFailed,
    EventKind::PasskeyAdded,
    EventKind::PasskeyRemoved,
    EventKind::OperatorAction,
];

impl EventKind {
    /// The stored name (also the API's `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignedUp => "signed_up",
            EventKind::SignedIn => "signed_in",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::SignInThrottled => "sign_in_throttled",
            EventKind::SignedOut => "signed_out",
            EventKind::SessionEnded => "session_ended",
            EventKind::OtherSessionsEnded => "other_sessions_ended",
            EventKind::PasswordReset => "password_reset",
            EventKind::EmailVerified => "email_verified",
            EventKind::EmailChanged => "email_changed",
            EventKind::EmailChangeUndone => "email_change_undone",
            EventKind::ProfileChanged => "profile_changed",
            EventKind::SupportProfileReplaced => "support_profile_replaced",
            EventKind::TotpEnabled => "totp_enabled",
            EventKind::TotpDisabled => "totp_disabled",
            EventKind::RecoveryCodesRegenerated => "recovery_codes_regenerated",
            EventKind::SecondFactorFailed => "second_factor_failed",
            EventKind::PasskeyAdded => "passkey_added",
            EventKind::PasskeyRemoved => "passkey_removed",
            EventKind::OperatorAction => "operator_action",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        KINDS.into_iter().find(|kind| kind.as_str() == name)
    }

    /// The sentence a member reads, with `detail` worked in.
    pub fn describe(self, detail: &str) -> String {
        let fields = || detail.split(',').collect::<Vec<_>>().join(", ");
        match self {
            EventKind::SignedUp => "Account created".to_owned(),
            EventKind::SignedIn => match detail {
                "totp" => "Signed in with an authenticator code".to_owned(),
                "recovery_code" => "Signed in with a recovery code".to_owned(),
                "passkey" => "Signed in with a passkey".to_owned(),
                "passkey_second_step" => "Signed in with password and passkey".to_owned(),
                _ => "Signed in".to_owned(),
            },
            EventKind::SignInFailed => "Sign-in failed: wrong password".to_owned(),
            EventKind::SignInThrottled => "Sign-in refused: too many failed attempts".to_owned(),
            EventKind::SignedOut => "Signed out".to_owned(),
            EventKind::SessionEnded => format!("Ended the session of {detail}"),
            EventKind::OtherSessionsEnded => match detail {
                "1" => "Ended 1 other session".to_owned(),
                count => format!("Ended {count} other sessions"),
            },
            EventKind::PasswordReset => {
                "Password reset through an e-mailed link; every session ended".to_owned()
            }
            EventKind::EmailVerified => "E-mail address verified".to_owned(),
            EventKind::EmailChanged => "Sign-in e-mail address changed".to_owned(),
            EventKind::EmailChangeUndone => "E-mail change undone; every session ended".to_owned(),
            EventKind::ProfileChanged => {
                let (password, others): (Vec<&str>, Vec<&str>) = detail
                    .split(',')
                    .filter(|field| !field.is_empty())
                    .partition(|field| *field == "Password");
                match (password.is_empty(), others.is_empty()) {
                    (false, true) => "Password changed".to_owned(),
                    (false, false) => {
                        format!("Password changed; profile changed: {}", others.join(", "))
                    }
                    (true, _) => format!("Profile changed: {}", others.join(", ")),
                }
            }
            EventKind::SupportProfileReplaced if detail.is_empty() => {
                "Support profile saved without changes".to_owned()
            }
            EventKind::SupportProfileReplaced => {
                format!("Support profile replaced: {}", fields())
            }
            EventKind::TotpEnabled => "Two-factor sign-in turned on (authenticator app)".to_owned(),
            EventKind::TotpDisabled => "Two-factor sign-in turned off".to_owned(),
            EventKind::RecoveryCodesRegenerated => {
                "New recovery codes made; the old ones no longer work".to_owned()
            }
            EventKind::SecondFactorFailed => {
                "Sign-in stopped at the second step: wrong or reused code".to_owned()
            }
            EventKind::PasskeyAdded => format!("Passkey added: {detail}"),
            EventKind::PasskeyRemoved => format!("Passkey removed: {detail}"),
            EventKind::OperatorAction => match detail {
                "created" => "Account created by the portal's operator".to_owned(),
                "password_set" => {
                    "Password set by the portal's operator; every session ended".to_owned()
                }
                "reset_link_sent" => "The portal's operator sent a password reset link".to_owned(),
                "sessions_ended" => "Every session ended by the portal's operator".to_owned(),
                "disabled" => {
                    "Account disabled by the portal's operator; every session ended".to_owned()
                }
                "enabled" => "Account enabled again by the portal's operator".to_owned(),
                other => format!("The portal's operator acted on the account ({other})"),
            },
        }
    }
}

/// The browser and system a User-Agent names, as a member reads them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Device {
    /// The browser and its major version, e.g. `Chrome 131`; `Unknown browser` when the
    /// User-Agent names none.
    pub browser: String,
    /// The operating system, e.g. `Windows 10`, `Mac OSX`, `Android`; `Unknown system`.
    pub system: String,
    /// `pc`, `smartphone`, `mobilephone`, `appliance`, `crawler`, `misc` or `unknown`.
    pub category: String,
}

impl Device {
    /// `Chrome 131 on Linux`.
    pub fn description(&self) -> String {
        format!("{} on {}", self.browser, self.system)
    }
}

/// A live session of the member.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct SessionInfo {
    /// Names the session to end it (`DELETE /api/account/sessions/{id}`).
    pub id: i64,
    pub device: Device,
    /// The User-Agent it signed in with (at most 256 characters).
    pub user_agent: String,
    /// The client address it signed in from, as `TRUSTED_PROXIES` decides.
    pub client_address: String,
    /// Unix seconds.
    pub signed_in_at: i64,
    /// Unix seconds; recorded at most once a minute.
    pub last_active_at: i64,
    /// The session this request came with.
    pub current: bool,
}

/// One entry of the log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct LogEntry {
    /// Unix seconds.
    pub at: i64,
    /// `signed_up`, `signed_in`, `sign_in_failed`, `sign_in_throttled`, `signed_out`,
    /// `session_ended`, `other_sessions_ended`, `password_reset`, `email_verified`,
    /// `email_changed`, `email_change_undone`, `profile_changed`, `support_profile_replaced`,
    /// `totp_enabled`, `totp_disabled`, `recovery_codes_regenerated`, `second_factor_failed`.
    pub kind: String,
    /// What happened, as the security page says it.
    pub description: String,
    /// The names of the fields a profile change or support-profile replacement changed
    /// (never their values); empty for other events.
    pub fields: Vec<String>,
    pub device: Device,
    pub client_address: String,
}

/// A page of the log, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct LogPage {
    /// 1 is the newest.
    pub page: i64,
    pub entries: Vec<LogEntry>,
    /// Whether there are older entries (on page `page + 1`).
    pub has_older: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name_and_a_password_change_says_so() {
        for kind in KINDS {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(
            EventKind::ProfileChanged.describe("City,Password"),
            "Password changed; profile changed: City"
        );
        assert_eq!(
            EventKind::ProfileChanged.describe("Password"),
            "Password changed"
        );
        assert_eq!(
            EventKind::ProfileChanged.describe("City,PostCode"),
            "Profile changed: City, PostCode"
        );
        assert_eq!(
            EventKind::OtherSessionsEnded.describe("2"),
            "Ended 2 other sessions"
        );
    }
}
