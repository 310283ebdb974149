//! The limits the operator configures, shared by every door and capability: the throttles on
//! passwords and sign-ups, the mail and drafting budgets, and how long the security log keeps
//! an entry. The rest of the security settings are `identity::settings`.

/// The default of `DRAFTS_PER_HOUR`: profile drafts one member may ask for in an hour.
pub const DRAFTS_PER_HOUR: i64 = 10;

/// How many attempts each throttle allows, and within which sliding window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The window of the sign-in (and current-password) limits.
    pub sign_in_window_secs: i64,
    /// Failed passwords for one account from clients without its device cookie.
    pub sign_in_per_account: i64,
    /// Failed passwords from one client address, whatever the account.
    pub sign_in_per_client: i64,
    /// Failed passwords from one device that signed in to the account before.
    pub sign_in_per_device: i64,
    pub sign_up_window_secs: i64,
    /// Accounts created from one client address.
    pub sign_ups_per_client: i64,
    /// Profile drafts one member may ask for in an hour.
    pub drafts_per_hour: i64,
    /// The window of the limits on mail asked for (reset, verification and change links).
    pub mail_window_secs: i64,
    /// Messages asked for to one address from clients without its device cookie.
    pub mails_per_address: i64,
    /// Messages asked for from one device that signed in to the address's account before.
    pub mails_per_device: i64,
    /// Messages asked for from one client address, whatever the address mailed.
    pub mails_per_client: i64,
    /// How long the security log keeps an entry (`SECURITY_LOG_RETENTION_DAYS`); the clean-up
    /// deletes older ones.
    pub security_log_kept_secs: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            sign_in_window_secs: 15 * 60,
            sign_in_per_account: 10,
            sign_in_per_client: 50,
            sign_in_per_device: 5,
            sign_up_window_secs: 60 * 60,
            sign_ups_per_client: 20,
            drafts_per_hour: DRAFTS_PER_HOUR,
            mail_window_secs: 60 * 60,
            mails_per_address: 5,
            mails_per_device: 5,
            mails_per_client: 30,
            security_log_kept_secs: 180 * 24 * 60 * 60,
        }
    }
}
