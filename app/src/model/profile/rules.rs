//! The rules of SPEC 3.4, one function per kind of field. Each takes the value as sent and
//! returns it normalised (trimmed, empty as `None`, bare host as https URL, social URL as
//! handle, tags cleaned), or the rule it breaks, worded to follow the field's label.

use chrono::{Months, NaiveDate};

use super::{field::SocialNetwork, web_address};

/// A rule broken by a value: "must be at most 100 characters long".
pub type Broken = String;

/// Trimmed text; empty means "no value". The length limit counts the characters (not bytes)
/// as sent, spaces included, as a form's `maxlength` and the API's `maxLength` do.
pub fn text(value: &str, max: usize, required: bool) -> Result<Option<String>, Broken> {
    if value.chars().count() > max {
        return Err(format!("must be at most {max} characters long"));
    }
    let value = value.trim();
    if value.is_empty() {
        return if required {
            Err("is required".to_owned())
        } else {
            Ok(None)
        };
    }
    Ok(Some(value.to_owned()))
}

/// An ISO 8601 calendar date (`1990-06-15`), not in the future, at most 130 years ago.
pub fn date_of_birth(value: &str, today: NaiveDate) -> Result<Option<String>, Broken> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let date = parse_iso_date(value).ok_or_else(|| "must be a date like 1990-06-15".to_owned())?;
    if date > today {
        return Err("must not be in the future".to_owned());
    }
    let earliest = today
        .checked_sub_months(Months::new(130 * 12))
        .unwrap_or(NaiveDate::MIN);
    if date < earliest {
        return Err("must be within the last 130 years".to_owned());
    }
    Ok(Some(value.to_owned()))
}

/// `YYYY-MM-DD` exactly, as a real calendar date. Parsed by hand rather than with chrono's
/// format-string parser, which would add its whole formatting engine to the browser bundle.
fn parse_iso_date(value: &str) -> Option<NaiveDate> {
    let bytes = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = value.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let year = i32::try_from(digits(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, digits(5..7)?, digits(8..10)?)
}

/// A phone number in any human format: 5 to 20 digits once spaces, dashes, dots, parentheses
/// and a leading + are set aside. Stored as typed (trimmed).
pub fn phone(value: &str) -> Result<Option<String>, Broken> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let rest = value.strip_prefix('+').unwrap_or(value);
    if rest.chars().any(|c| c.is_alphabetic()) {
        return Err("must not contain letters".to_owned());
    }
    if rest
        .chars()
        .any(|c| !(c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')')))
    {
        return Err(
            "may contain only digits, spaces, dashes, dots, parentheses and a leading +".to_owned(),
        );
    }
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    if !(5..=20).contains(&digits) {
        return Err(format!("must have 5 to 20 digits (it has {digits})"));
    }
    Ok(Some(value.to_owned()))
}

/// A country Id as listed by `/api/public/countries`; that it exists is checked where the
/// list is (the countries table).
pub fn country_id(value: i64) -> Result<i64, Broken> {
    if (1..=999).contains(&value) {
        Ok(value)
    } else {
        Err("must be an Id from /api/public/countries".to_owned())
    }
}

/// An e-mail address, checked by the `email_address` crate (RFC 5322).
pub fn email(value: &str) -> Result<Option<String>, Broken> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > 254 {
        return Err("must be at most 254 characters long".to_owned());
    }
    let (_, domain) = value.rsplit_once('@').unwrap_or_default();
    if !email_address::EmailAddress::is_valid(value) || !domain.contains('.') {
        return Err("must look like name@example.com".to_owned());
    }
    Ok(Some(value.to_owned()))
}

/// EU member states and the prefix their VAT numbers carry (Greece uses EL).
const EU_VAT_PREFIXES: [(&str, &str); 27] = [
    ("AT", "AT"),
    ("BE", "BE"),
    ("BG", "BG"),
    ("HR", "HR"),
    ("CY", "CY"),
    ("CZ", "CZ"),
    ("DK", "DK"),
    ("EE", "EE"),
    ("FI", "FI"),
    ("FR", "FR"),
    ("DE", "DE"),
    ("GR", "EL"),
    ("HU", "HU"),
    ("IE", "IE"),
    ("IT", "IT"),
    ("LV", "LV"),
    ("LT", "LT"),
    ("LU", "LU"),
    ("MT", "MT"),
    ("NL", "NL"),
    ("PL", "PL"),
    ("PT", "PT"),
    ("RO", "RO"),
    ("SK", "SK"),
    ("SI", "SI"),
    ("ES", "ES"),
    ("SE", "SE"),
];

/// A tax ID: 2 to 20 letters and digits (spaces, dots and dashes are dropped, letters
/// upper-cased). When the billing country (its two-letter code) is in the EU, the number must
/// start with that country's VAT prefix.
pub fn tax_id(value: &str, billing_country: Option<&str>) -> Result<Option<String>, Broken> {
    let compact: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if compact.is_empty() {
        return Ok(None);
    }
    if !compact.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err("may contain only letters and digits".to_owned());
    }
    if !(2..=20).contains(&compact.len()) {
        return Err("must be 2 to 20 letters and digits long".to_owned());
    }
    let eu_prefix = billing_country.and_then(|code| {
        EU_VAT_PREFIXES
            .iter()
            .find(|(country, _)| country.eq_ignore_ascii_case(code))
            .map(|(_, prefix)| *prefix)
    });
    if let Some(prefix) = eu_prefix {
        if !compact.starts_with(prefix) {
            return Err(format!(
                "must start with {prefix}, the VAT prefix of the billing country"
            ));
        }
    }
    Ok(Some(compact))
}

/// Markdown text of at most `max` characters (rendered only through the sanitiser).
pub fn markdown(value: &str, max: usize) -> Result<Option<String>, Broken> {
    text(value, max, false)
}

/// An http(s) URL, parsed by the `url` crate; a bare host such as `www.example.com` is taken
/// as `https://www.example.com`.
pub fn website(value: &str) -> Result<Option<String>, Broken> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let has_scheme = value.contains("://");
    let candidate = if has_scheme {
        value.to_owned()
    } else {
        format!("https://{value}")
    };
    let parsed = web_address::parse(&candidate)
        .ok_or_else(|| "must be a web address like https://example.com".to_owned())?;
    if !matches!(parsed.scheme.as_str(), "http" | "https") {
        return Err("must start with http:// or https://".to_owned());
    }
    let host = &parsed.host;
    let host_ok = host.contains('.') && !host.starts_with('.') && !host.ends_with('.');
    if !host_ok || value.chars().any(char::is_whitespace) {
        return Err("must be a web address like https://example.com".to_owned());
    }
    if candidate.chars().count() > 300 {
        return Err("must be at most 300 characters long".to_owned());
    }
    Ok(Some(candidate))
}

pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_LENGTH: usize = 30;

/// Comma-separated tags: trimmed, empty ones dropped, duplicates (ignoring case) removed,
/// at most 20 of at most 30 characters. Stored as `tag, tag, tag`.
pub fn tags(value: &str) -> Result<Option<String>, Broken> {
    let mut kept: Vec<&str> = Vec::new();
    for tag in value
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
    {
        if tag.chars().count() > MAX_TAG_LENGTH {
            return Err(format!(
                "must each be at most {MAX_TAG_LENGTH} characters long (\"{tag}\" is longer)"
            ));
        }
        if !kept.iter().any(|seen| lowercase(seen) == lowercase(tag)) {
            kept.push(tag);
        }
    }
    if kept.len() > MAX_TAGS {
        return Err(format!(
            "must be at most {MAX_TAGS} (there are {})",
            kept.len()
        ));
    }
    Ok((!kept.is_empty()).then(|| kept.join(", ")))
}

/// Unicode lower case, for comparing tags: Rust's tables on the server, the browser's own
/// (`String.prototype.toLowerCase`, the same Unicode mapping) in wasm, which keeps the case
/// tables out of the bundle.
fn lowercase(text: &str) -> String {
    #[cfg(not(target_arch = "wasm32"))]
    {
        text.to_lowercase()
    }
    #[cfg(target_arch = "wasm32")]
    {
        String::from(js_sys::JsString::from(text).to_lower_case())
    }
}

/// The tags of a comma-separated list as typed or stored, trimmed, empty ones dropped (what
/// the chips show; [`tags`] also deduplicates and checks the limits).
pub fn split_tags(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(str::to_owned)
        .collect()
}

impl SocialNetwork {
    fn hosts(self) -> &'static [&'static str] {
        match self {
            SocialNetwork::Twitter => &["twitter.com", "x.com"],
            SocialNetwork::Github => &["github.com"],
            SocialNetwork::Instagram => &["instagram.com"],
            SocialNetwork::Linkedin => &["linkedin.com"],
        }
    }

    fn handle_rule(self) -> &'static str {
        match self {
            SocialNetwork::Twitter => "must be a handle of 1 to 15 letters, digits or _",
            SocialNetwork::Github => {
                "must be a username of 1 to 39 letters, digits or single hyphens, not at either end"
            }
            SocialNetwork::Instagram => {
                "must be a handle of 1 to 30 letters, digits, _ or ., not ending in ."
            }
            SocialNetwork::Linkedin => {
                "must be a profile address like linkedin.com/in/your-name (3 to 100 letters, digits or hyphens)"
            }
        }
    }

    fn accepts(self, handle: &str) -> bool {
        let length = handle.chars().count();
        match self {
            SocialNetwork::Twitter => {
                (1..=15).contains(&length)
                    && handle
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_')
            }
            SocialNetwork::Github => {
                (1..=39).contains(&length)
                    && handle
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !handle.starts_with('-')
                    && !handle.ends_with('-')
                    && !handle.contains("--")
            }
            SocialNetwork::Instagram => {
                (1..=30).contains(&length)
                    && handle
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                    && !handle.ends_with('.')
                    && !handle.contains("..")
            }
            SocialNetwork::Linkedin => {
                let Some((section, name)) = handle.split_once('/') else {
                    return false;
                };
                matches!(section, "in" | "company")
                    && (3..=100).contains(&name.chars().count())
                    && name.chars().all(|c| c.is_alphanumeric() || c == '-')
            }
        }
    }
}

/// A profile on a social network, given as its URL or as a handle (with or without @).
/// Stored as the handle; for LinkedIn as the path of the profile URL (`in/jane-doe`).
pub fn social(network: SocialNetwork, value: &str) -> Result<Option<String>, Broken> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let looks_like_url = value.contains("://")
        || network.hosts().iter().any(|host| {
            value
                .to_ascii_lowercase()
                .trim_start_matches("www.")
                .starts_with(host)
        });
    let handle = if looks_like_url {
        handle_from_url(network, value).ok_or_else(|| {
            format!(
                "must be a {} profile address or a handle",
                network_name(network)
            )
        })?
    } else {
        let bare = value.strip_prefix('@').unwrap_or(value);
        match network {
            SocialNetwork::Linkedin if !bare.contains('/') => format!("in/{bare}"),
            _ => bare.to_owned(),
        }
    };
    if !network.accepts(&handle) {
        return Err(network.handle_rule().to_owned());
    }
    Ok(Some(handle))
}

fn network_name(network: SocialNetwork) -> &'static str {
    match network {
        SocialNetwork::Twitter => "Twitter/X",
        SocialNetwork::Github => "GitHub",
        SocialNetwork::Instagram => "Instagram",
        SocialNetwork::Linkedin => "LinkedIn",
    }
}

fn handle_from_url(network: SocialNetwork, value: &str) -> Option<String> {
    let candidate = if value.contains("://") {
        value.to_owned()
    } else {
        format!("https://{value}")
    };
    let url = web_address::parse(&candidate)?;
    let host = url.host;
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("mobile."))
        .unwrap_or(&host);
    if !network.hosts().contains(&host) {
        return None;
    }
    let segments = url.path_segments;
    match network {
        SocialNetwork::Linkedin => match segments.as_slice() {
            [section, name, ..] => Some(format!("{section}/{name}")),
            _ => None,
        },
        _ => segments
            .first()
            .map(|handle| handle.trim_start_matches('@').to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(value: &str) -> NaiveDate {
        NaiveDate::parse_from_str(value, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn text_is_trimmed_empty_means_none_and_length_counts_characters() {
        assert_eq!(text("  Jane  ", 100, true), Ok(Some("Jane".to_owned())));
        assert_eq!(text("   ", 50, false), Ok(None));
        assert_eq!(text("", 100, true), Err("is required".to_owned()));
        assert_eq!(text(&"ß".repeat(100), 100, true), Ok(Some("ß".repeat(100))));
        assert!(text(&"ß".repeat(101), 100, true).is_err());
        // Spaces count: a value the API's maxLength refuses is refused here too.
        assert_eq!(
            text(&format!("Jane{}", " ".repeat(97)), 100, true),
            Err("must be at most 100 characters long".to_owned())
        );
        assert_eq!(
            text("Zoë Ångström-Łukasiewicz", 100, true).map(|v| v.is_some()),
            Ok(true)
        );
    }

    #[test]
    fn dates_of_birth_are_iso_past_and_within_130_years() {
        let today = day("2026-11-22");
        let cases = [
            ("1990-06-15", Ok(Some("1990-06-15".to_owned()))),
            ("2024-02-29", Ok(Some("2024-02-29".to_owned()))),
            ("2023-02-29", Err("must be a date like 1990-06-15")),
            ("15/06/1990", Err("must be a date like 1990-06-15")),
            ("1990-6-15", Err("must be a date like 1990-06-15")),
            ("1990-13-01", Err("must be a date like 1990-06-15")),
            ("1990-06-1x", Err("must be a date like 1990-06-15")),
            ("+990-06-15", Err("must be a date like 1990-06-15")),
            ("1990/06/15", Err("must be a date like 1990-06-15")),
            ("1990-06-15T00:00", Err("must be a date like 1990-06-15")),
            ("2026-11-22", Ok(Some("2026-11-22".to_owned()))),
            ("2026-11-23", Err("must not be in the future")),
            ("1896-11-22", Ok(Some("1896-11-22".to_owned()))),
            ("1896-11-21", Err("must be within the last 130 years")),
            ("", Ok(None)),
        ];
        for (value, expected) in cases {
            assert_eq!(
                date_of_birth(value, today),
                expected.map_err(str::to_owned),
                "{value}"
            );
        }
    }

    #[test]
    fn phones_take_any_human_format_with_5_to_20_digits() {
        for good in [
            "+44 20 7946 0958",
            "(555) 123-4567",
            "555.123.4567",
            "12345",
            "+1 234 567 890 123 456 78",
        ] {
            assert_eq!(phone(good), Ok(Some(good.to_owned())), "{good}");
        }
        assert_eq!(
            phone("1234"),
            Err("must have 5 to 20 digits (it has 4)".to_owned())
        );
        assert!(phone("123456789012345678901").is_err(), "21 digits");
        assert_eq!(
            phone("555-CALL-NOW"),
            Err("must not contain letters".to_owned())
        );
        assert!(phone("555#1234").is_err());
        assert!(phone("12+345678").is_err(), "+ only at the start");
        assert_eq!(phone("  "), Ok(None));
    }

    #[test]
    fn tax_ids_are_compacted_and_follow_the_eu_vat_prefix() {
        assert_eq!(
            tax_id("de 123.456-789", Some("DE")),
            Ok(Some("DE123456789".to_owned()))
        );
        assert_eq!(
            tax_id("EL123456789", Some("GR")),
            Ok(Some("EL123456789".to_owned()))
        );
        assert!(tax_id("123456789", Some("DE")).unwrap_err().contains("DE"));
        assert!(tax_id("GR123456789", Some("gr"))
            .unwrap_err()
            .contains("EL"));
        assert_eq!(
            tax_id("123456789", Some("US")),
            Ok(Some("123456789".to_owned()))
        );
        assert_eq!(tax_id("12", None), Ok(Some("12".to_owned())));
        assert!(tax_id("1", None).is_err());
        assert!(tax_id(&"1".repeat(21), None).is_err());
        assert!(tax_id("DE12345/6", None).is_err());
    }

    #[test]
    fn websites_accept_bare_hosts_as_https() {
        let cases = [
            ("www.example.com", Ok(Some("https://www.example.com"))),
            (
                "https://example.com/about",
                Ok(Some("https://example.com/about")),
            ),
            ("http://example.org", Ok(Some("http://example.org"))),
            ("ftp://example.org", Err(())),
            ("javascript:alert(1)", Err(())),
            ("not a url", Err(())),
            ("localhost", Err(())),
            ("", Ok(None)),
        ];
        for (value, expected) in cases {
            let got = website(value)
                .map(|v| v.map(|s| s.to_owned()))
                .map_err(|_| ());
            assert_eq!(got, expected.map(|v| v.map(str::to_owned)), "{value}");
        }
    }

    #[test]
    fn tags_are_cleaned_deduplicated_and_limited() {
        assert_eq!(
            tags(" rust, Design ,, rust , RUST,ux "),
            Ok(Some("rust, Design, ux".to_owned()))
        );
        assert_eq!(tags(" , ,"), Ok(None));
        let twenty: Vec<String> = (1..=20).map(|n| format!("tag{n}")).collect();
        assert!(tags(&twenty.join(",")).is_ok());
        let twenty_one: Vec<String> = (1..=21).map(|n| format!("tag{n}")).collect();
        assert_eq!(
            tags(&twenty_one.join(",")),
            Err("must be at most 20 (there are 21)".to_owned())
        );
        assert!(tags(&"x".repeat(30)).is_ok());
        assert!(tags(&"x".repeat(31)).is_err());
    }

    #[test]
    fn markdown_is_limited_to_4000_characters() {
        assert!(markdown(&"a".repeat(4000), 4000).is_ok());
        assert!(markdown(&"a".repeat(4001), 4000).is_err());
    }

    #[test]
    fn social_profiles_are_stored_as_handles() {
        use SocialNetwork::*;
        let cases = [
            (Twitter, "https://twitter.com/jane_doe", Ok("jane_doe")),
            (Twitter, "x.com/jane_doe?lang=en", Ok("jane_doe")),
            (Twitter, "@jane_doe", Ok("jane_doe")),
            (Twitter, "jane.doe", Err(())),
            (Twitter, "a_handle_far_too_long", Err(())),
            (Github, "https://github.com/jane-doe", Ok("jane-doe")),
            (Github, "jane-doe", Ok("jane-doe")),
            (Github, "-jane", Err(())),
            (Github, "https://gitlab.com/jane", Err(())),
            (
                Instagram,
                "https://www.instagram.com/jane.doe/",
                Ok("jane.doe"),
            ),
            (Instagram, "jane.", Err(())),
            (
                Linkedin,
                "https://www.linkedin.com/in/jane-doe/",
                Ok("in/jane-doe"),
            ),
            (
                Linkedin,
                "linkedin.com/company/acme-ltd",
                Ok("company/acme-ltd"),
            ),
            (Linkedin, "jane-doe", Ok("in/jane-doe")),
            (Linkedin, "https://www.linkedin.com/feed/", Err(())),
        ];
        for (network, value, expected) in cases {
            let got = social(network, value)
                .map(|v| v.unwrap_or_default())
                .map_err(|_| ());
            assert_eq!(got, expected.map(str::to_owned), "{network:?} {value}");
        }
        assert_eq!(social(Github, " "), Ok(None));
    }

    #[test]
    fn emails_and_country_ids() {
        assert_eq!(
            email(" billing@example.com "),
            Ok(Some("billing@example.com".to_owned()))
        );
        assert!(email("billing@example").is_err());
        assert_eq!(email(""), Ok(None));
        assert_eq!(country_id(276), Ok(276));
        assert!(country_id(0).is_err());
        assert!(country_id(1000).is_err());
    }
}
