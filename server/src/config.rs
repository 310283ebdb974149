//! Configuration from the environment, with defaults that let a fresh checkout start as it is.

use std::{net::SocketAddr, time::Duration};

use app::server::{
    identity::client::TrustedProxies, profiles::drafting::openai::OpenAiSettings,
    profiles::profile_writer::WriteMode, settings::Limits,
};
use leptos::prelude::LeptosOptions;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://portal.db";
pub const DEFAULT_SITE_ADDR: &str = "127.0.0.1:3000";
/// Where `cargo leptos build` writes the wasm, js, css and copied assets.
pub const DEFAULT_SITE_ROOT: &str = "target/site";
pub const DEFAULT_SITE_PKG_DIR: &str = "pkg";
/// Where `OPENAI_API_KEY` alone sends drafts.
pub const DEFAULT_OPENAI_BASE_URL: &str = "https://api.openai.com/v1";
pub const DEFAULT_OPENAI_TIMEOUT_SECS: u64 = 30;
/// Where messages go when no SMTP server is configured.
pub const DEFAULT_MAIL_OUTBOX: &str = "mail-outbox";
/// The sender of messages written to the outbox.
pub const DEFAULT_MAIL_FROM: &str = "Member Portal <portal@localhost>";

#[derive(Clone, Debug)]
pub struct Config {
    pub database_url: String,
    /// How long a session stays valid after its last use (`SESSION_TTL_DAYS`, default 30).
    pub session_ttl_secs: i64,
    pub leptos_options: LeptosOptions,
    /// The language model that drafts profile summaries; `None` means the built-in composer.
    pub openai: Option<OpenAiSettings>,
    /// The throttles' limits (`SIGN_IN_*`, `SIGN_UP_*`, `DRAFTS_PER_HOUR`).
    pub limits: Limits,
    /// Proxies whose forwarding headers are believed (`TRUSTED_PROXIES`; none by default).
    pub trusted_proxies: TrustedProxies,
    /// The origin members reach the site at (`PUBLIC_URL`), e.g. `https://portal.example`.
    pub public_origin: Option<String>,
    /// How profile updates are committed (`PROFILE_WRITES`); `None`: the backend's default.
    pub profile_writes: Option<WriteMode>,
    pub mail: MailConfig,
    /// Where Prometheus metrics are served (`METRICS_ADDR`); `None`: nowhere.
    pub metrics_addr: Option<SocketAddr>,
}

/// Where outgoing mail goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailConfig {
    /// The SMTP server (`SMTP_URL`); `None`: messages are written to `outbox`.
    pub smtp_url: Option<String>,
    /// The sender (`MAIL_FROM`); required with `SMTP_URL`.
    pub from: String,
    /// The folder messages are written to when there is no SMTP server (`MAIL_OUTBOX`).
    pub outbox: std::path::PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("LEPTOS_SITE_ADDR {value:?} is not an address like 127.0.0.1:3000: {source}")]
    SiteAddr {
        value: String,
        source: std::net::AddrParseError,
    },
    #[error("METRICS_ADDR {value:?} is not an address like 127.0.0.1:9100: {source}")]
    MetricsAddr {
        value: String,
        source: std::net::AddrParseError,
    },
    #[error("SESSION_TTL_DAYS {value:?} must be a whole number of days from 1 to 3650")]
    SessionTtl { value: String },
    #[error("OPENAI_BASE_URL {value:?} must be an http:// or https:// address, e.g. http://127.0.0.1:11434/v1")]
    OpenAiBaseUrl { value: String },
    #[error(
        "OPENAI_MODEL must name the model to use when OPENAI_BASE_URL or OPENAI_API_KEY is set"
    )]
    OpenAiModel,
    #[error("OPENAI_TIMEOUT_SECS {value:?} must be a whole number of seconds from 1 to 600")]
    OpenAiTimeout { value: String },
    #[error("{name} {value:?} must be a whole number from {min} to {max}")]
    Number {
        name: &'static str,
        value: String,
        min: i64,
        max: i64,
    },
    #[error(
        "TRUSTED_PROXIES entry {entry:?} is not an IP address or a CIDR block such as 10.0.0.0/8"
    )]
    TrustedProxies { entry: String },
    #[error("PUBLIC_URL {value:?} must be the site's http:// or https:// address, such as https://portal.example")]
    PublicUrl { value: String },
    #[error(
        "PROFILE_WRITES {value:?} must be batched or each (or unset for the database's default)"
    )]
    ProfileWrites { value: String },
    #[error("MAIL_FROM must be set with SMTP_URL: the address messages come from, such as \"Member Portal <portal@example.com>\"")]
    MailFrom,
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
            .hash_files(hash_file_beside_binary())
            .build();
        let metrics_addr = match get("METRICS_ADDR", "") {
            value if value.is_empty() => None,
            value => Some(
                value
                    .parse()
                    .map_err(|source| ConfigError::MetricsAddr { value, source })?,
            ),
        };
        let ttl_value = get("SESSION_TTL_DAYS", "30");
        let ttl_days: i64 = ttl_value
            .parse()
            .ok()
            .filter(|days| (1..=3650).contains(days))
            .ok_or(ConfigError::SessionTtl { value: ttl_value })?;
        let trusted_proxies = TrustedProxies::parse(&get("TRUSTED_PROXIES", ""))
            .map_err(|entry| ConfigError::TrustedProxies { entry })?;
        Ok(Config {
            database_url: get("DATABASE_URL", DEFAULT_DATABASE_URL),
            session_ttl_secs: ttl_days * 24 * 60 * 60,
            leptos_options,
            openai: openai_settings(&get)?,
            limits: limits(&get)?,
            trusted_proxies,
            public_origin: public_origin(&get("PUBLIC_URL", ""))?,
            mail: mail(&get)?,
            metrics_addr,
            profile_writes: match get("PROFILE_WRITES", "").as_str() {
                "" => None,
                value => {
                    Some(
                        WriteMode::parse(value).ok_or_else(|| ConfigError::ProfileWrites {
                            value: value.to_owned(),
                        })?,
                    )
                }
            },
        })
    }
}

/// Whether the build named its assets by their content: cargo-leptos then wrote their hashes to
/// `hash.txt` beside the server binary, where Leptos reads them to link the assets.
fn hash_file_beside_binary() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join("hash.txt").is_file()))
        .unwrap_or(false)
}

/// A whole number from `min` to `max`, or `default` when unset.
fn number(
    get: &impl Fn(&str, &str) -> String,
    name: &'static str,
    default: i64,
    (min, max): (i64, i64),
) -> Result<i64, ConfigError> {
    let value = get(name, &default.to_string());
    value
        .parse()
        .ok()
        .filter(|number| (min..=max).contains(number))
        .ok_or(ConfigError::Number {
            name,
            value,
            min,
            max,
        })
}

fn limits(get: &impl Fn(&str, &str) -> String) -> Result<Limits, ConfigError> {
    let defaults = Limits::default();
    const ATTEMPTS: (i64, i64) = (1, 1_000_000);
    const WINDOW: (i64, i64) = (1, 7 * 24 * 60 * 60);
    Ok(Limits {
        sign_in_window_secs: number(
            get,
            "SIGN_IN_WINDOW_SECS",
            defaults.sign_in_window_secs,
            WINDOW,
        )?,
        sign_in_per_account: number(
            get,
            "SIGN_IN_ACCOUNT_LIMIT",
            defaults.sign_in_per_account,
            ATTEMPTS,
        )?,
        sign_in_per_client: number(
            get,
            "SIGN_IN_CLIENT_LIMIT",
            defaults.sign_in_per_client,
            ATTEMPTS,
        )?,
        sign_in_per_device: number(
            get,
            "SIGN_IN_DEVICE_LIMIT",
            defaults.sign_in_per_device,
            ATTEMPTS,
        )?,
        sign_up_window_secs: number(
            get,
            "SIGN_UP_WINDOW_SECS",
            defaults.sign_up_window_secs,
            WINDOW,
        )?,
        sign_ups_per_client: number(
            get,
            "SIGN_UP_CLIENT_LIMIT",
            defaults.sign_ups_per_client,
            ATTEMPTS,
        )?,
        drafts_per_hour: number(get, "DRAFTS_PER_HOUR", defaults.drafts_per_hour, ATTEMPTS)?,
        mail_window_secs: number(
            get,
            "MAIL_REQUEST_WINDOW_SECS",
            defaults.mail_window_secs,
            WINDOW,
        )?,
        mails_per_address: number(
            get,
            "MAIL_REQUEST_ADDRESS_LIMIT",
            defaults.mails_per_address,
            ATTEMPTS,
        )?,
        mails_per_device: number(
            get,
            "MAIL_REQUEST_DEVICE_LIMIT",
            defaults.mails_per_device,
            ATTEMPTS,
        )?,
        mails_per_client: number(
            get,
            "MAIL_REQUEST_CLIENT_LIMIT",
            defaults.mails_per_client,
            ATTEMPTS,
        )?,
        security_log_kept_secs: number(
            get,
            "SECURITY_LOG_RETENTION_DAYS",
            defaults.security_log_kept_secs / DAY,
            (1, 100 * 365),
        )? * DAY,
    })
}

const DAY: i64 = 24 * 60 * 60;

fn mail(get: &impl Fn(&str, &str) -> String) -> Result<MailConfig, ConfigError> {
    let smtp_url = Some(get("SMTP_URL", "")).filter(|url| !url.is_empty());
    let from = get("MAIL_FROM", "");
    if smtp_url.is_some() && from.is_empty() {
        return Err(ConfigError::MailFrom);
    }
    Ok(MailConfig {
        smtp_url,
        from: if from.is_empty() {
            DEFAULT_MAIL_FROM.to_owned()
        } else {
            from
        },
        outbox: get("MAIL_OUTBOX", DEFAULT_MAIL_OUTBOX).into(),
    })
}

/// The origin of `PUBLIC_URL` (scheme, host and port; a path is allowed and ignored).
fn public_origin(value: &str) -> Result<Option<String>, ConfigError> {
    if value.is_empty() {
        return Ok(None);
    }
    url::Url::parse(value)
        .ok()
        .filter(|url| matches!(url.scheme(), "http" | "https") && url.host().is_some())
        .map(|url| Some(url.origin().ascii_serialization()))
        .ok_or_else(|| ConfigError::PublicUrl {
            value: value.to_owned(),
        })
}

/// The drafting backend: configured by `OPENAI_BASE_URL` or `OPENAI_API_KEY` (either is
/// enough; a key alone means OpenAI itself), always with `OPENAI_MODEL`.
fn openai_settings(
    get: &impl Fn(&str, &str) -> String,
) -> Result<Option<OpenAiSettings>, ConfigError> {
    let base_url = get("OPENAI_BASE_URL", "");
    let api_key = get("OPENAI_API_KEY", "");
    if base_url.is_empty() && api_key.is_empty() {
        return Ok(None);
    }
    let base_url = if base_url.is_empty() {
        DEFAULT_OPENAI_BASE_URL.to_owned()
    } else {
        base_url
    };
    if !url::Url::parse(&base_url).is_ok_and(|url| matches!(url.scheme(), "http" | "https")) {
        return Err(ConfigError::OpenAiBaseUrl { value: base_url });
    }
    let model = get("OPENAI_MODEL", "");
    if model.is_empty() {
        return Err(ConfigError::OpenAiModel);
    }
    let timeout_value = get(
        "OPENAI_TIMEOUT_SECS",
        &DEFAULT_OPENAI_TIMEOUT_SECS.to_string(),
    );
    let timeout_secs: u64 = timeout_value
        .parse()
        .ok()
        .filter(|secs| (1..=600).contains(secs))
        .ok_or(ConfigError::OpenAiTimeout {
            value: timeout_value,
        })?;
    Ok(Some(OpenAiSettings {
        base_url,
        api_key: (!api_key.is_empty()).then_some(api_key),
        model,
        timeout: Duration::from_secs(timeout_secs),
    }))
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

    #[test]
    fn mail_goes_to_the_outbox_unless_an_smtp_server_and_its_sender_are_set() {
        let defaults = config(&[]).expect("defaults").mail;
        assert_eq!(defaults.smtp_url, None);
        assert_eq!(
            defaults.outbox,
            std::path::PathBuf::from(DEFAULT_MAIL_OUTBOX)
        );
        let smtp = config(&[
            ("SMTP_URL", "smtp://relay.example:587"),
            ("MAIL_FROM", "Portal <portal@example.com>"),
        ])
        .expect("valid")
        .mail;
        assert_eq!(smtp.smtp_url.as_deref(), Some("smtp://relay.example:587"));
        assert_eq!(smtp.from, "Portal <portal@example.com>");
        let error = config_error(&[("SMTP_URL", "smtp://relay.example:587")]);
        assert!(error.contains("MAIL_FROM"), "{error}");
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
    fn profile_writes_are_the_databases_default_unless_named() {
        assert_eq!(config(&[]).expect("valid").profile_writes, None);
        assert_eq!(
            config(&[("PROFILE_WRITES", "batched")])
                .expect("valid")
                .profile_writes,
            Some(WriteMode::Batched)
        );
        assert_eq!(
            config(&[("PROFILE_WRITES", "each")])
                .expect("valid")
                .profile_writes,
            Some(WriteMode::EachAlone)
        );
        let error = config_error(&[("PROFILE_WRITES", "sometimes")]);
        assert!(
            error.contains("PROFILE_WRITES") && error.contains("batched"),
            "{error}"
        );
    }

    #[test]
    fn without_openai_variables_the_built_in_composer_drafts() {
        assert!(config(&[]).expect("valid").openai.is_none());
        assert!(config(&[("OPENAI_MODEL", "llama3.2")])
            .expect("a model alone configures nothing")
            .openai
            .is_none());
    }

    #[test]
    fn a_local_openai_compatible_server_needs_no_key() {
        let settings = config(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1"),
            ("OPENAI_MODEL", "llama3.2"),
        ])
        .expect("valid")
        .openai
        .expect("configured");
        assert_eq!(settings.base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(settings.api_key, None);
        assert_eq!(settings.model, "llama3.2");
        assert_eq!(
            settings.timeout,
            Duration::from_secs(DEFAULT_OPENAI_TIMEOUT_SECS)
        );
    }

    #[test]
    fn a_key_alone_means_openai_itself() {
        let settings = config(&[
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_MODEL", "gpt-4o-mini"),
            ("OPENAI_TIMEOUT_SECS", "5"),
        ])
        .expect("valid")
        .openai
        .expect("configured");
        assert_eq!(settings.base_url, DEFAULT_OPENAI_BASE_URL);
        assert_eq!(settings.api_key.as_deref(), Some("sk-test"));
        assert_eq!(settings.timeout, Duration::from_secs(5));
    }

    #[test]
    fn openai_mistakes_name_the_variable() {
        let cases: [(&[(&str, &str)], &str); 4] = [
            (
                &[("OPENAI_BASE_URL", "http://127.0.0.1:8080/v1")],
                "OPENAI_MODEL",
            ),
            (
                &[("OPENAI_BASE_URL", "127.0.0.1:8080"), ("OPENAI_MODEL", "m")],
                "OPENAI_BASE_URL",
            ),
            (
                &[
                    ("OPENAI_BASE_URL", "ftp://models.example"),
                    ("OPENAI_MODEL", "m"),
                ],
                "OPENAI_BASE_URL",
            ),
            (
                &[
                    ("OPENAI_API_KEY", "k"),
                    ("OPENAI_MODEL", "m"),
                    ("OPENAI_TIMEOUT_SECS", "0"),
                ],
                "OPENAI_TIMEOUT_SECS",
            ),
        ];
        for (vars, variable) in cases {
            let error = config_error(vars);
            assert!(error.contains(variable), "{vars:?}: {error}");
        }
    }

    #[test]
    fn every_throttle_limit_is_configurable_within_bounds() {
        let set = config(&[
            ("SIGN_IN_ACCOUNT_LIMIT", "5"),
            ("SIGN_IN_CLIENT_LIMIT", "500"),
            ("SIGN_IN_DEVICE_LIMIT", "3"),
            ("SIGN_IN_WINDOW_SECS", "60"),
            ("SIGN_UP_CLIENT_LIMIT", "1000"),
            ("SIGN_UP_WINDOW_SECS", "600"),
            ("DRAFTS_PER_HOUR", "2"),
            ("MAIL_REQUEST_WINDOW_SECS", "120"),
            ("MAIL_REQUEST_ADDRESS_LIMIT", "2"),
            ("MAIL_REQUEST_DEVICE_LIMIT", "4"),
            ("MAIL_REQUEST_CLIENT_LIMIT", "9"),
            ("SECURITY_LOG_RETENTION_DAYS", "30"),
        ])
        .expect("valid");
        assert_eq!(
            set.limits,
            Limits {
                sign_in_window_secs: 60,
                sign_in_per_account: 5,
                sign_in_per_client: 500,
                sign_in_per_device: 3,
                sign_up_window_secs: 600,
                sign_ups_per_client: 1000,
                drafts_per_hour: 2,
                mail_window_secs: 120,
                mails_per_address: 2,
                mails_per_device: 4,
                mails_per_client: 9,
                security_log_kept_secs: 30 * 24 * 60 * 60,
            }
        );
        assert_eq!(config(&[]).expect("defaults").limits, Limits::default());
        for name in [
            "SIGN_IN_ACCOUNT_LIMIT",
            "SIGN_UP_CLIENT_LIMIT",
            "SIGN_IN_WINDOW_SECS",
        ] {
            for bad in ["0", "-3", "many", "99999999999"] {
                let error = config_error(&[(name, bad)]);
                assert!(error.contains(name) && error.contains(bad), "{error}");
            }
        }
    }

    #[test]
    fn proxies_and_the_public_address_are_checked_and_off_by_default() {
        let defaults = config(&[]).expect("valid");
        assert!(defaults.trusted_proxies.is_empty());
        assert_eq!(defaults.public_origin, None);
        let set = config(&[
            ("TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1"),
            ("PUBLIC_URL", "https://Portal.Example/members/"),
        ])
        .expect("valid");
        assert!(set
            .trusted_proxies
            .contains("10.9.8.7".parse().expect("ip")));
        assert_eq!(set.public_origin.as_deref(), Some("https://portal.example"));
        let error = config_error(&[("TRUSTED_PROXIES", "10.0.0.0/8, proxy.local")]);
        assert!(error.contains("proxy.local"), "{error}");
        for bad in ["portal.example", "ftp://portal.example", "https://"] {
            let error = config_error(&[("PUBLIC_URL", bad)]);
            assert!(error.contains("PUBLIC_URL"), "{error}");
        }
    }

    #[test]
    fn a_malformed_address_names_the_variable_and_the_value() {
        let error = config(&[("LEPTOS_SITE_ADDR", "localhost")]).expect_err("invalid");
        let message = error.to_string();
        assert!(message.contains("LEPTOS_SITE_ADDR"), "{message}");
        assert!(message.contains("\"localhost\""), "{message}");
        let error = config(&[("METRICS_ADDR", "9100")]).expect_err("invalid");
        assert!(
            error.to_string().contains("METRICS_ADDR \"9100\""),
            "{error}"
        );
        assert_eq!(config(&[]).expect("defaults").metrics_addr, None);
    }
}
