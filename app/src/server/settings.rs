//! What the operator configures about security, shared by every door: the throttles' limits,
//! the trusted proxies, the site's public origin and the key that signs device cookies.

use super::{client::TrustedProxies, device::DeviceKey};

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

#[derive(Clone, Debug)]
pub struct SecuritySettings {
    pub limits: Limits,
    pub trusted_proxies: TrustedProxies,
    /// The origin members reach the site at (`PUBLIC_URL`), such as `https://portal.example`;
    /// `None` when unset, and then the request's `Host` stands in for it.
    pub public_origin: Option<String>,
    pub device_key: DeviceKey,
}

impl SecuritySettings {
    /// The defaults: the default limits, no trusted proxy, no public address.
    pub fn with_defaults(device_key: DeviceKey) -> Self {
        SecuritySettings {
            limits: Limits::default(),
            trusted_proxies: TrustedProxies::default(),
            public_origin: None,
            device_key,
        }
    }

    /// Whether the public origin is https: then every response is treated as served over https.
    pub fn public_https(&self) -> bool {
        self.public_origin
            .as_deref()
            .is_some_and(|origin| origin.starts_with("https://"))
    }
}
