//! The current time as the database stores it: whole seconds since the Unix epoch.

pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// An RFC 3339 rendering of a stored timestamp, for API responses.
pub fn to_rfc3339(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
