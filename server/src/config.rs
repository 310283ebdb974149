//! Configuration from the environment, with defaults that let a fresh checkout start as it is.

use std::net::SocketAddr;

use leptos::prelude::LeptosOptions;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://portal.db";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
/// Where `cargo leptos build` writes the wasm, js, css and copied assets.
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_SITE_PKG_DIR: &str = "pkg";

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// How long a session stays valid after its last use (`SESSION_TTL_DAYS`, default 30).
    pub session_ttl_secs: i64,
    pub leptos_options: LeptosOptions,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("LEPTOS_SITE_ADDR {value:?} is not an address like 127.0.0.1:3000: {source}")]
    SiteAddr {
        value: String,
        source: std::net::AddrParseError,
    },
    #[error("SESSION_TTL_DAYS {value:?} must be a whole number of days from 1 to 3650")]
    SessionTtl { value: String },
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Builds the configuration from `lookup`, which returns the value of a variable if set.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let get = |name: &str, default: &str| {
            lookup(name)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
                .unwrap_or_else(|| default.to_owned())
        };
        let addr_value = get("LEPTOS_SITE_ADDR", DEFAULT_SITE_ADDR);
        let site_addr: SocketAddr = addr_value.parse().map_err(|source| ConfigError::SiteAddr {
            value: addr_value.clone(),
            source,
        })?;
        let leptos_options = LeptosOptions::builder()
            .output_name(get("LEPTOS_OUTPUT_NAME", app::BUNDLE_NAME))
            .site_root(get("LEPTOS_SITE_ROOT", DEFAULT_SITE_ROOT))
            .site_pkg_dir(get("LEPTOS_SITE_PKG_DIR", DEFAULT_SITE_PKG_DIR))
            .site_addr(site_addr)
            .build();
        let ttl_value = get("SESSION_TTL_DAYS", "30");
        let ttl_days: i64 = ttl_value
            .parse()
            .ok()
            .filter(|days| (1..=3650).contains(days))
            .ok_or(ConfigError::SessionTtl { value: ttl_value })?;
        Ok(Config {
            database_url: get("DATABASE_URL", DEFAULT_DATABASE_URL),
            session_ttl_secs: ttl_days * 24 * 60 * 60,
            leptos_options,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        Config::from_lookup(|name| vars.get(name).cloned())
    }

    #[test]
    fn defaults_serve_the_built_site_on_port_3000_with_a_local_database() {
        let config = config(&[]).expect("defaults are valid");
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(
            config.leptos_options.site_addr.to_string(),
            "127.0.0.1:3000"
        );
        assert_eq!(&*config.leptos_options.site_root, "target/site");
        assert_eq!(&*config.leptos_options.output_name, app::BUNDLE_NAME);
        assert_eq!(config.session_ttl_secs, 30 * 24 * 60 * 60);
    }

    #[test]
    fn the_session_lifetime_is_configurable_in_days_within_bounds() {
        let config = config(&[("SESSION_TTL_DAYS", "7")]).expect("valid");
        assert_eq!(config.session_ttl_secs, 7 * 24 * 60 * 60);
        for bad in ["0", "-1", "abc", "5000"] {
            let error = config_error(&[("SESSION_TTL_DAYS", bad)]);
            assert!(error.contains("SESSION_TTL_DAYS"), "{error}");
        }
    }

    fn config_error(vars: &[(&str, &str)]) -> String {
        match config(vars) {
            Ok(_) => panic!("{vars:?} should be rejected"),
            Err(error) => error.to_string(),
        }
    }

    #[test]
    fn variables_override_defaults_and_blank_ones_are_ignored() {
        let config = config(&[
            ("LEPTOS_SITE_ADDR", "0.0.0.0:8080"),
            ("DATABASE_URL", "sqlite:///var/lib/portal/portal.db"),
            ("LEPTOS_SITE_ROOT", "  "),
        ])
        .expect("valid");
        assert_eq!(config.leptos_options.site_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(config.database_url, "sqlite:///var/lib/portal/portal.db");
        assert_eq!(&*config.leptos_options.site_root, DEFAULT_SITE_ROOT);
    }

    #[test]
    fn a_malformed_address_names_the_variable_and_the_value() {
        let error = config(&[("LEPTOS_SITE_ADDR", "localhost")]).expect_err("invalid");
        let message = error.to_string();
        assert!(message.contains("LEPTOS_SITE_ADDR"), "{message}");
        assert!(message.contains("\"localhost\""), "{message}");
    }
}
