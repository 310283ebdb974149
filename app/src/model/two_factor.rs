//! Two-factor sign-in: the forms that carry a code, and what a code looks like. Shared by the
//! pages, the JSON API and the server (see `server::identity::two_factor`).

use serde::{Deserialize, Serialize};

use super::field_error::FieldError;

/// The digits of an authenticator-app code (RFC 6238, 30-second steps).
pub const TOTP_DIGITS: usize = 6;
/// The letters a recovery code is made of: no 0/o, 1/l/i, so it can be read off paper.
pub const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
/// A recovery code's length without its dash (`abcde-fghjk`).
pub const RECOVERY_CODE_LEN: usize = 10;

/// What a typed code is, once spaces and dashes are gone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Code {
    Totp(String),
    Recovery(String),
}

/// Reads `code` (as typed: spaces, dashes and case do not matter) or says what is wrong with it,
/// as an error on `property`.
pub fn parse_code(property: &str, code: &str) -> Result<Code, FieldError> {
    let cleaned: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .flat_map(char::to_lowercase)
        .collect();
    if cleaned.is_empty() {
        return Err(FieldError::secret(property, "Code", "is required"));
    }
    if cleaned.len() == TOTP_DIGITS && cleaned.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(Code::Totp(cleaned));
    }
    if cleaned.len() == RECOVERY_CODE_LEN && cleaned.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
    {
        return Ok(Code::Recovery(cleaned));
    }
    Err(FieldError::secret(
        property,
        "Code",
        "must be the 6 digits your authenticator app shows, or one of your recovery codes",
    ))
}

/// `POST /api/account/two-factor/totp/confirm`: a code from the app being set up.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TotpCode {
    pub code: String,
}

/// `POST /api/auth/login/second-factor`: the challenge `/api/auth/login` answered with, and a
/// code from the app or a recovery code.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct SecondFactor {
    pub challenge: String,
    pub code: String,
}

/// The member's two-factor sign-in, as the security page and the API show it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TwoFactorStatus {
    /// Whether sign-in asks for an authenticator code after the password.
    pub totp_enabled: bool,
    /// Unix seconds; `null` while it is off.
    pub totp_enabled_at: Option<i64>,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// The longest name of a passkey, in characters.
pub const PASSKEY_NAME_MAX: usize = 60;
/// Passkeys one member may register.
pub const MAX_PASSKEYS: i64 = 10;

/// A passkey's name as stored (trimmed), or the rule it breaks.
pub fn passkey_name(name: &str) -> Result<String, FieldError> {
    let name = name.trim();
    let rule = if name.is_empty() {
        "is required, such as \"Laptop\" or \"Phone\"".to_owned()
    } else if name.chars().count() > PASSKEY_NAME_MAX {
        format!("must be at most {PASSKEY_NAME_MAX} characters")
    } else if name.chars().any(char::is_control) {
        "must not contain control characters".to_owned()
    } else {
        return Ok(name.to_owned());
    };
    Err(FieldError::new("Name", "Name", &rule, name))
}

/// A registered passkey, as the security page and the API list it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct PasskeySummary {
    pub id: i64,
    pub name: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `null` until it is first used.
    pub last_used_at: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_read_as_typed_and_anything_else_is_refused_naming_the_field() {
        assert_eq!(
            parse_code("Code", " 123 456 "),
            Ok(Code::Totp("123456".into()))
        );
        assert_eq!(
            parse_code("Code", "ABCDE-FGHJK"),
            Ok(Code::Recovery("abcdefghjk".into()))
        );
        for wrong in ["12345", "1234567", "abcde-fghj0", "abcdefghjkm"] {
            let error = parse_code("Code", wrong).expect_err(wrong);
            assert_eq!(error.property_name, "Code");
            assert!(error.message.contains("6 digits"), "{}", error.message);
            assert_eq!(error.attempted_value, None);
        }
        assert_eq!(
            parse_code("Code", " - ").expect_err("empty").message,
            "Code is required."
        );
    }

    #[test]
    fn a_passkey_name_is_trimmed_and_short_and_printable() {
        assert_eq!(passkey_name("  Laptop ").as_deref(), Ok("Laptop"));
        assert_eq!(
            passkey_name(&"é".repeat(60)).map(|name| name.chars().count()),
            Ok(60)
        );
        for bad in ["", "   ", "Lap\ntop"] {
            assert_eq!(
                passkey_name(bad).map_err(|error| error.property_name),
                Err("Name".to_owned()),
                "{bad:?}"
            );
        }
        let long = passkey_name(&"x".repeat(61)).expect_err("too long");
        assert!(long.message.contains("60 characters"), "{}", long.message);
    }
}
