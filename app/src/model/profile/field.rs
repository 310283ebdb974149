//! The fields of the profile patch: their wire names, labels and what kind of value they take.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A page's form: wire name to the text its input holds (`"true"`/`"false"` for switches).
pub type FormValues = BTreeMap<String, String>;

/// What a field holds, which decides how it is parsed and checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// Free text of at most this many characters; `required` fields cannot be cleared.
    Text {
        max: usize,
        required: bool,
    },
    Gender,
    Date,
    Phone,
    CountryId,
    Email,
    TaxId,
    Markdown {
        max: usize,
    },
    Url,
    Tags,
    Social(SocialNetwork),
    /// A true/false switch; it has no "unset" state, so it cannot be cleared.
    Flag,
    /// A password field: checked, never stored as sent, never echoed.
    Secret,
}

/// The longest profile summary stored.
pub const SUMMARY_MAX_CHARS: usize = 4000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SocialNetwork {
    Twitter,
    Github,
    Instagram,
    Linkedin,
}

macro_rules! profile_fields {
    ($($variant:ident => $wire:literal, $label:literal, $kind:expr;)*) => {
        /// Every field of the profile patch (the support profile's are `SupportField`s).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        pub enum ProfileField {
            $($variant,)*
        }

        impl ProfileField {
            pub const ALL: &'static [ProfileField] = &[$(ProfileField::$variant,)*];

            /// The PascalCase name used on the wire and in `PropertyName`.
            pub fn wire_name(self) -> &'static str {
                match self {
                    $(ProfileField::$variant => $wire,)*
                }
            }

            /// How the field is named in messages.
            pub fn label(self) -> &'static str {
                match self {
                    $(ProfileField::$variant => $label,)*
                }
            }

            pub fn kind(self) -> FieldKind {
                match self {
                    $(ProfileField::$variant => $kind,)*
                }
            }
        }
    };
}

const fn text(max: usize) -> FieldKind {
    FieldKind::Text {
        max,
        required: false,
    }
}

profile_fields! {
    FullName => "FullName", "Full name", FieldKind::Text { max: 100, required: true };
    NickName => "NickName", "Nickname", text(50);
    Gender => "Gender", "Gender", FieldKind::Gender;
    DateOfBirth => "DateOfBirth", "Date of birth", FieldKind::Date;
    MobilePhone => "MobilePhone", "Mobile phone", FieldKind::Phone;
    LandLine => "LandLine", "Landline", FieldKind::Phone;
    Address => "Address", "Address", text(200);
    PostCode => "PostCode", "Post code", text(20);
    CityName => "CityName", "City", text(100);
    State => "State", "State or region", text(100);
    CountryId => "CountryId", "Country", FieldKind::CountryId;
    Position => "Position", "Position", text(100);
    CompanyName => "CompanyName", "Company", text(100);
    Industry => "Industry", "Industry", text(100);
    ProfileSummary => "ProfileSummary", "Profile summary", FieldKind::Markdown { max: SUMMARY_MAX_CHARS };
    ProfileWebsite => "ProfileWebsite", "Website", FieldKind::Url;
    ProfileIsPublic => "ProfileIsPublic", "Public profile", FieldKind::Flag;
    ProfileTags => "ProfileTags", "Tags", FieldKind::Tags;
    Twitter => "Twitter", "Twitter", FieldKind::Social(SocialNetwork::Twitter);
    Github => "Github", "GitHub", FieldKind::Social(SocialNetwork::Github);
    Instagram => "Instagram", "Instagram", FieldKind::Social(SocialNetwork::Instagram);
    Linkedin => "Linkedin", "LinkedIn", FieldKind::Social(SocialNetwork::Linkedin);
    BillingName => "BillingName", "Billing name", text(100);
    BillingEmail => "BillingEmail", "Billing e-mail", FieldKind::Email;
    BillingAddress => "BillingAddress", "Billing address", text(200);
    BillingPostCode => "BillingPostCode", "Billing post code", text(20);
    BillingCityName => "BillingCityName", "Billing city", text(100);
    BillingState => "BillingState", "Billing state or region", text(100);
    BillingCountryId => "BillingCountryId", "Billing country", FieldKind::CountryId;
    TaxIdNumber => "TaxIDNumber", "Tax ID number", FieldKind::TaxId;
    NotifyOnHelpDeskReplies => "NotifyOnHelpDeskReplies", "Help desk replies", FieldKind::Flag;
    NotifyOnCommunityBoardPosts => "NotifyOnCommunityBoardPosts", "Community board posts", FieldKind::Flag;
    NotifyOnBlogComments => "NotifyOnBlogComments", "Blog comments", FieldKind::Flag;
    NotifyOnEventComments => "NotifyOnEventComments", "Event comments", FieldKind::Flag;
    ReceiveActivityDigest => "ReceiveActivityDigest", "Activity digest", FieldKind::Flag;
    SignUpToNewsletter => "SignUpToNewsletter", "Newsletter", FieldKind::Flag;
    NotifyOnNewSignIn => "NotifyOnNewSignIn", "New sign-ins", FieldKind::Flag;
    CurrentPassword => "CurrentPassword", "Current password", FieldKind::Secret;
    NewPassword => "NewPassword", "New password", FieldKind::Secret;
    ConfirmPassword => "ConfirmPassword", "Password confirmation", FieldKind::Secret;
    // Asked with a password change when two-factor sign-in is on: the app's or a recovery code.
    TwoFactorCode => "TwoFactorCode", "Two-factor code", FieldKind::Secret;
}

impl ProfileField {
    /// The field of the profile patch with this exact wire name.
    pub fn from_wire_name(name: &str) -> Option<ProfileField> {
        ProfileField::ALL
            .iter()
            .copied()
            .find(|field| field.wire_name() == name)
    }

    /// The known name closest to a misspelt one, if any is reasonably close.
    pub fn closest_to(name: &str) -> Option<ProfileField> {
        let lowered = name.to_ascii_lowercase();
        ProfileField::ALL
            .iter()
            .copied()
            .map(|field| {
                let similarity = strsim::normalized_damerau_levenshtein(
                    &lowered,
                    &field.wire_name().to_ascii_lowercase(),
                );
                (field, similarity)
            })
            .filter(|(_, similarity)| *similarity >= 0.6)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(field, _)| field)
    }

    pub fn is_secret(self) -> bool {
        self.kind() == FieldKind::Secret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_unique_and_round_trip() {
        let mut names: Vec<&str> = ProfileField::ALL.iter().map(|f| f.wire_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ProfileField::ALL.len());
        for field in ProfileField::ALL {
            assert_eq!(
                ProfileField::from_wire_name(field.wire_name()),
                Some(*field)
            );
        }
        assert_eq!(
            ProfileField::from_wire_name("SupportEmail"),
            None,
            "the support page's field is not a PATCH field"
        );
        assert_eq!(
            ProfileField::from_wire_name("fullname"),
            None,
            "names are exact"
        );
    }

    #[test]
    fn misspelt_names_suggest_the_closest_field() {
        let cases = [
            ("Fullname", Some(ProfileField::FullName)),
            ("full_name", Some(ProfileField::FullName)),
            ("TaxIdNumber", Some(ProfileField::TaxIdNumber)),
            ("ProfileIsPublik", Some(ProfileField::ProfileIsPublic)),
            ("GitHub", Some(ProfileField::Github)),
            ("Favourite colour", None),
        ];
        for (name, expected) in cases {
            assert_eq!(ProfileField::closest_to(name), expected, "{name}");
        }
    }
}
