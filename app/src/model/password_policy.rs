//! A location's password policy (SPEC 3.4) and the one function that checks a password against it.
//!
//! Runs in the browser (the live checklist) and on the server (authoritative). Only the
//! common-password lookup is server-side: the list is not shipped in the wasm bundle, so the
//! caller passes its answer in [`PasswordCandidate::is_common`].

use serde::{Deserialize, Serialize};

/// No policy may ask for fewer characters than this.
pub const LOWEST_MIN_LENGTH: u32 = 8;
/// No policy may cap passwords below this: long passphrases are always welcome.
pub const LOWEST_MAX_LENGTH: u32 = 64;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub min_length: u32,
    pub max_length: u32,
    pub require_digit: bool,
    pub require_upper: bool,
    pub require_lower: bool,
    pub require_symbol: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        PasswordPolicy {
            min_length: LOWEST_MIN_LENGTH,
            max_length: 128,
            require_digit: false,
            require_upper: false,
            require_lower: false,
            require_symbol: false,
        }
    }
}

/// One rule of the policy; the checklist shows them, a failed one becomes an error message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PasswordRule {
    MinLength(u32),
    MaxLength(u32),
    Digit,
    Upper,
    Lower,
    Symbol,
    NotCommon,
    NotEmail,
    NotCurrent,
}

impl PasswordRule {
    /// The rule as a checklist item.
    pub fn description(self) -> String {
        match self {
            PasswordRule::MinLength(min) => format!("At least {min} characters"),
            PasswordRule::MaxLength(max) => format!("At most {max} characters"),
            PasswordRule::Digit => "At least one digit".to_owned(),
            PasswordRule::Upper => "At least one upper-case letter".to_owned(),
            PasswordRule::Lower => "At least one lower-case letter".to_owned(),
            PasswordRule::Symbol => "At least one symbol, such as ! or #".to_owned(),
            PasswordRule::NotCommon => "Not a commonly used password".to_owned(),
            PasswordRule::NotEmail => "Not your e-mail address".to_owned(),
            PasswordRule::NotCurrent => "Different from your current password".to_owned(),
        }
    }

    /// What to tell the member when the rule fails.
    pub fn failure_message(self) -> String {
        match self {
            PasswordRule::MinLength(min) => format!("must be at least {min} characters long"),
            PasswordRule::MaxLength(max) => format!("must be at most {max} characters long"),
            PasswordRule::Digit => "must contain at least one digit".to_owned(),
            PasswordRule::Upper => "must contain at least one upper-case letter".to_owned(),
            PasswordRule::Lower => "must contain at least one lower-case letter".to_owned(),
            PasswordRule::Symbol => "must contain at least one symbol".to_owned(),
            PasswordRule::NotCommon => {
                "is one of the most commonly used passwords; choose a less predictable one"
                    .to_owned()
            }
            PasswordRule::NotEmail => "must not be your e-mail address".to_owned(),
            PasswordRule::NotCurrent => "must differ from your current password".to_owned(),
        }
    }
}

/// A proposed password and what it must not be.
#[derive(Clone, Copy, Debug, Default)]
pub struct PasswordCandidate<'a> {
    pub password: &'a str,
    /// The account's e-mail address, when known.
    pub email: Option<&'a str>,
    /// The password being replaced, on a change.
    pub current_password: Option<&'a str>,
    /// Whether the password is on the common-password list; `None` where the list is not
    /// available (the browser), which leaves that rule out.
    pub is_common: Option<bool>,
}

impl PasswordPolicy {
    /// The policy with its limits raised to the floors every location must respect.
    pub fn with_floors(self) -> Self {
        let min_length = self.min_length.max(LOWEST_MIN_LENGTH);
        PasswordPolicy {
            min_length,
            max_length: self.max_length.max(LOWEST_MAX_LENGTH).max(min_length),
            ..self
        }
    }

    /// Every rule that applies to `candidate`, in display order, with whether it is met.
    /// Passwords are checked exactly as typed: no trimming, no truncation.
    pub fn checklist(&self, candidate: &PasswordCandidate<'_>) -> Vec<(PasswordRule, bool)> {
        let policy = self.clone().with_floors();
        let password = candidate.password;
        let length = password.chars().count();

        let mut rules = vec![
            (
                PasswordRule::MinLength(policy.min_length),
                length >= policy.min_length as usize,
            ),
            (
                PasswordRule::MaxLength(policy.max_length),
                length <= policy.max_length as usize,
            ),
        ];
        let composition = [
            (policy.require_digit, PasswordRule::Digit),
            (policy.require_upper, PasswordRule::Upper),
            (policy.require_lower, PasswordRule::Lower),
            (policy.require_symbol, PasswordRule::Symbol),
        ];
        rules.extend(
            composition
                .into_iter()
                .filter(|(required, _)| *required)
                .map(|(_, rule)| (rule, password.chars().any(|c| is_of_class(rule, c)))),
        );
        if let Some(is_common) = candidate.is_common {
            rules.push((PasswordRule::NotCommon, !is_common));
        }
        if let Some(email) = candidate.email {
            let same =
                !email.trim().is_empty() && password.trim().eq_ignore_ascii_case(email.trim());
            rules.push((PasswordRule::NotEmail, !same));
        }
        if let Some(current) = candidate.current_password {
            rules.push((PasswordRule::NotCurrent, password != current));
        }
        rules
    }

    /// Every rule `candidate` fails; empty when the password is acceptable.
    pub fn violations(&self, candidate: &PasswordCandidate<'_>) -> Vec<PasswordRule> {
        self.checklist(candidate)
            .into_iter()
            .filter(|(_, met)| !met)
            .map(|(rule, _)| rule)
            .collect()
    }
}

/// Whether `c` counts towards a composition rule.
fn is_of_class(rule: PasswordRule, c: char) -> bool {
    match rule {
        PasswordRule::Digit => c.is_numeric(),
        PasswordRule::Upper => c.is_uppercase(),
        PasswordRule::Lower => c.is_lowercase(),
        PasswordRule::Symbol => !c.is_alphanumeric() && !c.is_whitespace(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict() -> PasswordPolicy {
        PasswordPolicy {
            min_length: 12,
            max_length: 64,
            require_digit: true,
            require_upper: true,
            require_lower: true,
            require_symbol: true,
        }
    }

    fn violations(policy: &PasswordPolicy, password: &str) -> Vec<PasswordRule> {
        policy.violations(&PasswordCandidate {
            password,
            ..PasswordCandidate::default()
        })
    }

    #[test]
    fn the_default_policy_asks_only_for_length() {
        let policy = PasswordPolicy::default();
        assert_eq!(violations(&policy, "correct horse"), vec![]);
        assert_eq!(violations(&policy, "abcdefgh"), vec![]);
        assert_eq!(
            violations(&policy, "abcdefg"),
            vec![PasswordRule::MinLength(8)]
        );
        assert_eq!(violations(&policy, &"a".repeat(128)), vec![]);
        assert_eq!(
            violations(&policy, &"a".repeat(129)),
            vec![PasswordRule::MaxLength(128)]
        );
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let policy = PasswordPolicy::default();
        // Eight characters, sixteen bytes.
        assert_eq!(violations(&policy, "ééééèèèè"), vec![]);
        assert_eq!(
            violations(&policy, "ééééèèè"),
            vec![PasswordRule::MinLength(8)]
        );
    }

    #[test]
    fn a_strict_policy_reports_every_failed_rule_at_once() {
        assert_eq!(
            violations(&strict(), "short"),
            vec![
                PasswordRule::MinLength(12),
                PasswordRule::Digit,
                PasswordRule::Upper,
                PasswordRule::Symbol,
            ]
        );
        assert_eq!(violations(&strict(), "Tr0ub4dor&3xyz"), vec![]);
        assert_eq!(
            violations(&strict(), "TR0UB4DOR&3XYZ"),
            vec![PasswordRule::Lower]
        );
    }

    #[test]
    fn floors_apply_even_to_a_policy_that_asks_for_less() {
        let lax = PasswordPolicy {
            min_length: 4,
            max_length: 10,
            ..PasswordPolicy::default()
        };
        assert_eq!(violations(&lax, "abcde"), vec![PasswordRule::MinLength(8)]);
        assert_eq!(violations(&lax, &"a".repeat(64)), vec![]);
        assert_eq!(
            violations(&lax, &"a".repeat(65)),
            vec![PasswordRule::MaxLength(64)]
        );
    }

    #[test]
    fn email_current_password_and_common_list_are_checked_when_known() {
        let policy = PasswordPolicy::default();
        let candidate = PasswordCandidate {
            password: "Jane.Doe@Example.com",
            email: Some("jane.doe@example.com"),
            current_password: Some("Jane.Doe@Example.com"),
            is_common: Some(true),
        };
        assert_eq!(
            policy.violations(&candidate),
            vec![
                PasswordRule::NotCommon,
                PasswordRule::NotEmail,
                PasswordRule::NotCurrent
            ]
        );
        let fine = PasswordCandidate {
            password: "a long and unusual phrase",
            is_common: Some(false),
            ..candidate
        };
        assert_eq!(policy.violations(&fine), vec![]);
    }

    #[test]
    fn the_checklist_leaves_out_what_the_browser_cannot_know() {
        let items: Vec<PasswordRule> = strict()
            .checklist(&PasswordCandidate {
                password: "",
                ..PasswordCandidate::default()
            })
            .into_iter()
            .map(|(rule, _)| rule)
            .collect();
        assert!(!items.contains(&PasswordRule::NotCommon));
        assert!(!items.contains(&PasswordRule::NotCurrent));
        assert_eq!(items.len(), 6);
    }

    #[test]
    fn messages_name_the_limit() {
        assert_eq!(
            PasswordRule::MinLength(12).failure_message(),
            "must be at least 12 characters long"
        );
        assert_eq!(
            PasswordRule::MaxLength(64).description(),
            "At most 64 characters"
        );
    }
}
