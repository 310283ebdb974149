//! What the operator configures about security, shared by every door: the throttles' limits,
//! the trusted proxies, the site's public origin and the key that signs device cookies.

use super::{client::TrustedProxies, device::DeviceKey};
use crate::server::settings::Limits;

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
