//! Sign-up and sign-in input, and the rules they must meet before anything is stored.

use serde::{Deserialize, Serialize};

use super::{
    field_error::FieldError,
    password_policy::{PasswordCandidate, PasswordPolicy, PasswordRule},
    profile::{
        field::{FieldKind, ProfileField},
        rules,
    },
};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct SignUp {
    pub email: String,
    pub password: String,
    pub full_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct SignIn {
    pub email: String,
    pub password: String,
}

/// `POST /api/auth/password/forgot`: where to send a reset link.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ForgotPassword {
    pub email: String,
}

/// `POST /api/auth/password/reset`: the token of a reset link and the new password.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ResetPassword {
    pub token: String,
    pub new_password: String,
}

/// A link from a message: the token it carries (verification, e-mail change, undo).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct FollowLink {
    pub token: String,
}

/// `POST /api/account/reauthenticate`: the current password, confirming it is still the member
/// at this device (a data export asks for it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmPassword {
    pub current_password: String,
    /// A code from the authenticator app, or a recovery code: needed when two-factor sign-in
    /// is on.
    #[serde(default)]
    pub code: String,
}

/// `POST /api/account/delete`: the current password and the sign-in address, typed out.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct DeleteAccount {
    pub current_password: String,
    pub email: String,
    /// Needed when two-factor sign-in is on, as for [`ConfirmPassword`].
    #[serde(default)]
    pub code: String,
}

impl DeleteAccount {
    /// The rules that need nothing stored: both given, and `Email` the address of the account
    /// (`current`), whatever its case.
    pub fn validate(&self, current: &str) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if normalize_email(&self.email) != normalize_email(current) {
            errors.push(FieldError::new(
                "Email",
                "E-mail address",
                "must be the address you sign in with, typed out, to confirm the deletion",
                self.email.trim(),
            ));
        }
        if self.current_password.is_empty() {
            errors.push(FieldError::secret(
                "CurrentPassword",
                "Current password",
                "is required to delete the account",
            ));
        }
        errors
    }
}

/// `POST /api/auth/email/change`: the new sign-in address, confirmed by the current password
/// (and, with two-factor sign-in on, a code from the app or a recovery code).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ChangeEmail {
    pub new_email: String,
    pub current_password: String,
    #[serde(default)]
    pub code: String,
}

impl ChangeEmail {
    /// The rules that need nothing stored: a well-formed new address other than `current`,
    /// and a current password.
    pub fn validate(&self, current: &str) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = validate_email("NewEmail", &self.new_email)
            .into_iter()
            .collect();
        if errors.is_empty() && normalize_email(&self.new_email) == normalize_email(current) {
            errors.push(FieldError::new(
                "NewEmail",
                "New e-mail address",
                "is the address you sign in with already",
                self.new_email.trim(),
            ));
        }
        if self.current_password.is_empty() {
            errors.push(FieldError::secret(
                "CurrentPassword",
                "Current password",
                "is required to change the e-mail address",
            ));
        }
        errors
    }
}

/// The form of an address used to find an account: case does not matter.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// `Email` is required and must pass the same address rule as every e-mail field of the
/// profile ([`rules::email`]).
pub fn validate_email(property_name: &str, email: &str) -> Option<FieldError> {
    let rule = match rules::email(email) {
        Ok(Some(_)) => return None,
        Ok(None) => "is required".to_owned(),
        Err(rule) => rule,
    };
    Some(FieldError::new(
        property_name,
        "E-mail address",
        &rule,
        email.trim(),
    ))
}

/// `FullName` follows the profile's own rule for the field: required, at most 100 characters.
pub fn validate_full_name(full_name: &str) -> Option<FieldError> {
    let field = ProfileField::FullName;
    let FieldKind::Text { max, required } = field.kind() else {
        return None;
    };
    rules::text(full_name, max, required)
        .err()
        .map(|rule| FieldError::new(field.wire_name(), field.label(), &rule, full_name.trim()))
}

/// One error per failed password rule, without echoing the password.
pub fn password_errors(
    property_name: &str,
    label: &str,
    rules: &[PasswordRule],
) -> Vec<FieldError> {
    rules
        .iter()
        .map(|rule| FieldError::secret(property_name, label, &rule.failure_message()))
        .collect()
}

impl SignUp {
    /// Every failed rule of a sign-up. `is_common` is the server's answer for the password
    /// (`None` in the browser, where the list is not available).
    pub fn validate(&self, policy: &PasswordPolicy, is_common: Option<bool>) -> Vec<FieldError> {
        let mut errors: Vec<FieldError> = [
            validate_email("Email", &self.email),
            validate_full_name(&self.full_name),
        ]
        .into_iter()
        .flatten()
        .collect();
        let violations = policy.violations(&PasswordCandidate {
            password: &self.password,
            email: Some(&self.email),
            current_password: None,
            is_common,
        });
        errors.extend(password_errors("Password", "Password", &violations));
        errors
    }
}

// The account as the API shows it (`GET /login/me`, the profiles list).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct UserSummary {
    pub id: i64,
    pub email: String,
    /// Whether the member followed a link mailed to this address (verification, reset or
    /// e-mail change).
    pub email_verified: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct ProfileSummary {
    pub id: i64,
    pub full_name: String,
    pub company_name: Option<String>,
    pub active: bool,
    pub is_default_profile: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct NotificationPreferences {
    pub notify_on_help_desk_replies: bool,
    pub notify_on_community_board_posts: bool,
    pub notify_on_blog_comments: bool,
    pub notify_on_event_comments: bool,
    pub receive_activity_digest: bool,
    pub sign_up_to_newsletter: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign_up(email: &str, password: &str, full_name: &str) -> SignUp {
        SignUp {
            email: email.to_owned(),
            password: password.to_owned(),
            full_name: full_name.to_owned(),
        }
    }

    fn failed_fields(errors: &[FieldError]) -> Vec<&str> {
        errors
            .iter()
            .map(|error| error.property_name.as_str())
            .collect()
    }

    #[test]
    fn emails_are_checked_by_shape_and_length() {
        for good in ["jane@example.com", " Jane.Doe+portal@Example.co.uk "] {
            assert_eq!(validate_email("Email", good), None, "{good}");
        }
        for bad in [
            "",
            "jane",
            "jane@",
            "@example.com",
            "jane@@example.com",
            "jane@localhost",
        ] {
            let error = validate_email("Email", bad).expect(bad);
            assert_eq!(error.property_name, "Email");
        }
        let long = format!("{}@example.com", "a".repeat(250));
        assert!(validate_email("Email", &long)
            .expect("too long")
            .message
            .contains("254"));
    }

    #[test]
    fn a_valid_sign_up_has_no_errors() {
        let form = sign_up("jane@example.com", "a quiet harbour", "Jane Doe");
        assert_eq!(
            form.validate(&PasswordPolicy::default(), Some(false)),
            vec![]
        );
    }

    #[test]
    fn every_failed_rule_is_reported_and_passwords_are_never_echoed() {
        let form = sign_up("not-an-email", "short", "   ");
        let errors = form.validate(&PasswordPolicy::default(), Some(true));
        assert_eq!(
            failed_fields(&errors),
            vec!["Email", "FullName", "Password", "Password"]
        );
        let password_errors: Vec<&FieldError> = errors
            .iter()
            .filter(|error| error.property_name == "Password")
            .collect();
        assert!(password_errors
            .iter()
            .all(|error| error.attempted_value.is_none()));
        assert_eq!(
            password_errors[0].message,
            "Password must be at least 8 characters long."
        );
    }

    #[test]
    fn the_password_may_not_be_the_email_in_any_case() {
        let form = sign_up("Jane@Example.com", "jane@example.com", "Jane");
        let errors = form.validate(&PasswordPolicy::default(), Some(false));
        assert_eq!(failed_fields(&errors), vec!["Password"]);
        assert!(
            errors[0].message.contains("e-mail"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn full_names_are_trimmed_and_limited_to_100_characters() {
        assert_eq!(validate_full_name(&"é".repeat(100)), None);
        assert!(validate_full_name(&"é".repeat(101)).is_some());
        assert_eq!(normalize_email("  Jane@Example.COM "), "jane@example.com");
    }
}
