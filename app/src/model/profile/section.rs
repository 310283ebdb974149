//! The profile pages as slices of the one profile patch: which fields each page edits, and how
//! a page's form values (strings, as a form holds them) become a patch of what changed.

use serde::{Deserialize, Serialize};

use super::{
    field::{FieldKind, FormValues, ProfileField},
    patch::{ProfilePatch, ProfileValues, StoredValue},
};
use crate::model::{gender::Gender, support::SupportField};

/// A field of a page's form: one of the profile patch, or one of the support profile (which is
/// replaced whole, never patched).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormField {
    Profile(ProfileField),
    Support(SupportField),
}

impl FormField {
    /// The name of its input, of its value in the form and of its errors.
    pub fn wire_name(self) -> &'static str {
        match self {
            FormField::Profile(field) => field.wire_name(),
            FormField::Support(field) => field.form_name(),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FormField::Profile(field) => field.label(),
            FormField::Support(field) => field.label(),
        }
    }

    pub fn kind(self) -> FieldKind {
        match self {
            FormField::Profile(field) => field.kind(),
            FormField::Support(field) => field.kind(),
        }
    }

    pub fn is_secret(self) -> bool {
        self.kind() == FieldKind::Secret
    }
}

/// One profile page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProfileSection {
    Personal,
    Professional,
    Billing,
    Notifications,
    Credentials,
    /// The support profile (seed 000), replaced whole rather than patched.
    Support,
}

impl ProfileSection {
    pub const ALL: [ProfileSection; 6] = [
        ProfileSection::Personal,
        ProfileSection::Professional,
        ProfileSection::Billing,
        ProfileSection::Notifications,
        ProfileSection::Credentials,
        ProfileSection::Support,
    ];

    /// The fields the page edits, in the order it shows them.
    pub fn fields(self) -> &'static [FormField] {
        use FormField::Profile as P;
        use ProfileField::*;
        match self {
            ProfileSection::Personal => &[
                P(FullName),
                P(NickName),
                P(Gender),
                P(DateOfBirth),
                P(MobilePhone),
                P(LandLine),
                P(Address),
                P(PostCode),
                P(CityName),
                P(State),
                P(CountryId),
            ],
            ProfileSection::Professional => &[
                P(Position),
                P(CompanyName),
                P(Industry),
                P(ProfileSummary),
                P(ProfileWebsite),
                P(ProfileTags),
                P(Twitter),
                P(Github),
                P(Instagram),
                P(Linkedin),
                P(ProfileIsPublic),
            ],
            ProfileSection::Billing => &[
                P(BillingName),
                P(BillingEmail),
                P(BillingAddress),
                P(BillingPostCode),
                P(BillingCityName),
                P(BillingState),
                P(BillingCountryId),
                P(TaxIdNumber),
            ],
            ProfileSection::Notifications => &[
                P(NotifyOnHelpDeskReplies),
                P(NotifyOnCommunityBoardPosts),
                P(NotifyOnBlogComments),
                P(NotifyOnEventComments),
                P(ReceiveActivityDigest),
                P(SignUpToNewsletter),
                P(NotifyOnNewSignIn),
            ],
            ProfileSection::Credentials => &[
                P(CurrentPassword),
                P(NewPassword),
                P(ConfirmPassword),
                P(TwoFactorCode),
            ],
            ProfileSection::Support => &[
                FormField::Support(SupportField::Email),
                FormField::Support(SupportField::Telephone),
                FormField::Support(SupportField::Website),
            ],
        }
    }

    /// The profile's fields on this page (none of the support contact's).
    pub fn profile_fields(self) -> impl Iterator<Item = ProfileField> {
        self.fields().iter().filter_map(|field| match field {
            FormField::Profile(field) => Some(*field),
            FormField::Support(_) => None,
        })
    }

    pub fn path(self) -> &'static str {
        match self {
            ProfileSection::Personal => "/profile",
            ProfileSection::Professional => "/profile/professional",
            ProfileSection::Billing => "/profile/billing",
            ProfileSection::Notifications => "/profile/notifications",
            ProfileSection::Credentials => "/profile/password",
            ProfileSection::Support => "/profile/support",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            ProfileSection::Personal => "Personal information",
            ProfileSection::Professional => "Professional profile",
            ProfileSection::Billing => "Billing information",
            ProfileSection::Notifications => "Notifications",
            ProfileSection::Credentials => "Password",
            ProfileSection::Support => "Support contact",
        }
    }

    pub fn summary(self) -> &'static str {
        match self {
            ProfileSection::Personal => "Your name, date of birth, phone numbers and address.",
            ProfileSection::Professional => {
                "What other members see in the directory: position, company, bio and links."
            }
            ProfileSection::Billing => "Who invoices are made out to and where they are sent.",
            ProfileSection::Notifications => {
                "Which e-mails you receive from the community, and whether you hear of new sign-ins."
            }
            ProfileSection::Credentials => {
                "Change the password and the e-mail address you sign in with."
            }
            ProfileSection::Support => {
                "Where your own customers reach you for help. Saving replaces all three."
            }
        }
    }

    /// The section served at `path`, ignoring a trailing slash.
    pub fn from_path(path: &str) -> Option<ProfileSection> {
        let path = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        ProfileSection::ALL
            .into_iter()
            .find(|section| section.path() == path)
    }

    /// The page's slice of a stored profile, as form values.
    pub fn form_values(self, profile: &ProfileValues) -> FormValues {
        self.profile_fields()
            .filter(|field| !field.is_secret())
            .map(|field| {
                let text = match profile.get(&field) {
                    // The select shows "Not set" for a gender never chosen.
                    None | Some(None) if field.kind() == FieldKind::Gender => {
                        Gender::NotSet.as_str().to_owned()
                    }
                    None | Some(None) => String::new(),
                    Some(Some(StoredValue::Text(text))) => text.clone(),
                    Some(Some(StoredValue::Integer(number))) => number.to_string(),
                    Some(Some(StoredValue::Flag(flag))) => flag.to_string(),
                };
                (field.wire_name().to_owned(), text)
            })
            .collect()
    }

    /// Whether the form holds anything other than what it was filled with (`loaded`): what
    /// leaving the page would lose.
    pub fn has_changes(self, values: &FormValues, loaded: &FormValues) -> bool {
        match self {
            ProfileSection::Support => self.fields().iter().any(|field| {
                let text = |form: &FormValues| {
                    form.get(field.wire_name())
                        .map_or(String::new(), |value| value.trim().to_owned())
                };
                text(values) != text(loaded)
            }),
            _ => !self.patch_from_form(values, loaded).is_empty(),
        }
    }

    /// The patch of what the page's form changed compared with `loaded` (the values it was
    /// filled with), so that saving a page never overwrites a field someone else changed
    /// meanwhile. Only this page's fields are read. A switch missing from `values` is off (an
    /// unticked checkbox is not submitted); any other missing field is left as it is.
    pub fn patch_from_form(self, values: &FormValues, loaded: &FormValues) -> ProfilePatch {
        // Built directly rather than through the JSON parser, which would bring serde_json's
        // `Value` into the browser bundle for nothing.
        let mut patch = ProfilePatch::new();
        for field in self.profile_fields() {
            let name = field.wire_name();
            let sent = match (field.kind(), values.get(name)) {
                (FieldKind::Flag, value) => {
                    let on = value.is_some_and(|value| matches!(value.as_str(), "true" | "on"));
                    on.to_string()
                }
                (FieldKind::Secret, Some(value)) if !value.is_empty() => value.clone(),
                (FieldKind::Secret, _) | (_, None) => continue,
                (_, Some(value)) => value.clone(),
            };
            if loaded.get(name) == Some(&sent) {
                continue;
            }
            patch = match field.kind() {
                FieldKind::Flag => patch.set_flag(field, sent == "true"),
                FieldKind::CountryId if sent.trim().is_empty() => patch.clear(field),
                FieldKind::CountryId => match sent.trim().parse::<i64>() {
                    Ok(id) => patch.set_integer(field, id),
                    Err(_) => patch.wrong_type(field, "a whole number", sent),
                },
                _ => patch.set_text(field, sent),
            };
        }
        patch
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::profile::patch::SentValue;

    fn values(pairs: &[(&str, &str)]) -> FormValues {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn every_section_is_found_by_its_own_path() {
        for section in ProfileSection::ALL {
            assert_eq!(ProfileSection::from_path(section.path()), Some(section));
            let with_slash = format!("{}/", section.path());
            assert_eq!(ProfileSection::from_path(&with_slash), Some(section));
        }
        assert_eq!(ProfileSection::from_path("/profile/unknown"), None);
        assert_eq!(ProfileSection::from_path("/"), None);
    }

    #[test]
    fn the_sections_share_out_every_field_exactly_once() {
        let seen: Vec<FormField> = ProfileSection::ALL
            .iter()
            .flat_map(|section| section.fields().iter().copied())
            .collect();
        let every: Vec<FormField> = (ProfileField::ALL.iter().copied().map(FormField::Profile))
            .chain(SupportField::ALL.map(FormField::Support))
            .collect();
        assert_eq!(seen.len(), every.len(), "no field is on two pages");
        for field in &every {
            assert!(seen.contains(field), "{field:?} is on no page");
        }
        let mut names: Vec<&str> = seen.iter().map(|field| field.wire_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), every.len(), "every input has its own name");
    }

    #[test]
    fn stored_values_become_form_text_and_secrets_are_left_out() {
        let profile: ProfileValues = [
            (
                ProfileField::FullName,
                Some(StoredValue::Text("Jane".to_owned())),
            ),
            (ProfileField::NickName, None),
            (ProfileField::CountryId, Some(StoredValue::Integer(620))),
            (
                ProfileField::NotifyOnBlogComments,
                Some(StoredValue::Flag(true)),
            ),
        ]
        .into_iter()
        .collect();
        let personal = ProfileSection::Personal.form_values(&profile);
        assert_eq!(personal["FullName"], "Jane");
        assert_eq!(personal["NickName"], "");
        assert_eq!(personal["CountryId"], "620");
        assert_eq!(personal.len(), ProfileSection::Personal.fields().len());
        assert_eq!(
            ProfileSection::Notifications.form_values(&profile)["NotifyOnBlogComments"],
            "true"
        );
        assert!(ProfileSection::Credentials.form_values(&profile).is_empty());
    }

    #[test]
    fn only_changed_fields_of_the_page_enter_the_patch() {
        let loaded = values(&[("FullName", "Jane"), ("NickName", "JD"), ("CountryId", "")]);
        let sent = values(&[
            ("FullName", "Jane"),
            ("NickName", ""),
            ("CountryId", "620"),
            ("Position", "Not on this page"),
        ]);
        let patch = ProfileSection::Personal.patch_from_form(&sent, &loaded);
        assert_eq!(
            patch.fields().collect::<Vec<_>>(),
            vec![ProfileField::NickName, ProfileField::CountryId]
        );
        assert_eq!(
            patch.get(ProfileField::NickName),
            Some(Some(&SentValue::Text(String::new())))
        );
        assert_eq!(
            patch.get(ProfileField::CountryId),
            Some(Some(&SentValue::Integer(620)))
        );
    }

    #[test]
    fn a_cleared_country_is_null_and_a_non_number_is_a_type_error() {
        let loaded = values(&[("CountryId", "620")]);
        let cleared =
            ProfileSection::Personal.patch_from_form(&values(&[("CountryId", "")]), &loaded);
        assert_eq!(cleared.get(ProfileField::CountryId), Some(None));
        let garbage =
            ProfileSection::Personal.patch_from_form(&values(&[("CountryId", "Spain")]), &loaded);
        assert!(garbage.get(ProfileField::CountryId).is_none());
        assert_eq!(garbage.to_json(), json!({}), "rejected, not sent");
    }

    #[test]
    fn an_unticked_switch_is_off_and_unchanged_switches_are_left_out() {
        let loaded = values(&[
            ("NotifyOnBlogComments", "true"),
            ("SignUpToNewsletter", "false"),
            ("ReceiveActivityDigest", "true"),
        ]);
        // A browser submits only ticked boxes, with their value "true" (or "on" by default).
        let sent = values(&[
            ("SignUpToNewsletter", "on"),
            ("ReceiveActivityDigest", "true"),
        ]);
        let patch = ProfileSection::Notifications.patch_from_form(&sent, &loaded);
        assert_eq!(
            patch.to_json(),
            json!({"NotifyOnBlogComments": false, "SignUpToNewsletter": true,
                "NotifyOnHelpDeskReplies": false, "NotifyOnCommunityBoardPosts": false,
                "NotifyOnEventComments": false, "NotifyOnNewSignIn": false})
        );
    }

    #[test]
    fn the_support_page_is_never_a_patch_but_knows_when_it_changed() {
        let loaded = values(&[
            ("SupportEmail", "help@acme.example"),
            ("SupportWebsite", ""),
        ]);
        let same = values(&[
            ("SupportEmail", " help@acme.example "),
            ("SupportWebsite", ""),
        ]);
        let edited = values(&[
            ("SupportEmail", "help@acme.example"),
            ("SupportWebsite", "acme.example"),
        ]);
        for form in [&same, &edited] {
            assert!(ProfileSection::Support
                .patch_from_form(form, &loaded)
                .is_empty());
        }
        assert!(!ProfileSection::Support.has_changes(&same, &loaded));
        assert!(ProfileSection::Support.has_changes(&edited, &loaded));
        assert!(ProfileSection::Personal
            .has_changes(&values(&[("FullName", "Ann")]), &FormValues::new()));
    }

    #[test]
    fn passwords_are_sent_only_when_typed() {
        let empty = ProfileSection::Credentials.patch_from_form(
            &values(&[("CurrentPassword", ""), ("NewPassword", "")]),
            &FormValues::new(),
        );
        assert!(empty.is_empty());
        let typed = ProfileSection::Credentials.patch_from_form(
            &values(&[
                ("CurrentPassword", "old one"),
                ("NewPassword", "new one"),
                ("ConfirmPassword", "new one"),
            ]),
            &FormValues::new(),
        );
        assert_eq!(typed.fields().count(), 3);
    }
}
