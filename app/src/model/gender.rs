//! Gender (SPEC 3.4) and the salutation it produces in the UI ("Dear Ms Doe").

use serde::{Deserialize, Serialize};

/// The member's gender as the seed API spells it on the wire.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Gender {
    #[default]
    NotSet,
    Male,
    Female,
    Other,
    RatherNotSay,
}

/// A value that is not one of the [`Gender`] wire names.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("must be one of NotSet, Male, Female, Other, RatherNotSay")]
pub struct UnknownGender;

impl Gender {
    pub const ALL: [Gender; 5] = [
        Gender::NotSet,
        Gender::Male,
        Gender::Female,
        Gender::Other,
        Gender::RatherNotSay,
    ];

    /// The wire name, as accepted by the API and used as form value.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::NotSet => "NotSet",
            Gender::Male => "Male",
            Gender::Female => "Female",
            Gender::Other => "Other",
            Gender::RatherNotSay => "RatherNotSay",
        }
    }

    /// How the option reads in a form.
    pub fn label(self) -> &'static str {
        match self {
            Gender::NotSet => "Not set",
            Gender::Male => "Male",
            Gender::Female => "Female",
            Gender::Other => "Other",
            Gender::RatherNotSay => "Rather not say",
        }
    }

    /// The honorific used before the surname, when the gender implies one.
    fn honorific(self) -> Option<&'static str> {
        match self {
            Gender::Male => Some("Mr"),
            Gender::Female => Some("Ms"),
            Gender::NotSet | Gender::Other | Gender::RatherNotSay => None,
        }
    }
}

impl std::str::FromStr for Gender {
    type Err = UnknownGender;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Gender::ALL
            .into_iter()
            .find(|gender| gender.as_str() == value.trim())
            .ok_or(UnknownGender)
    }
}

/// The greeting used in e-mails and on the personal page: "Dear Ms Doe" when the gender gives an
/// honorific, otherwise the full name, so nobody is addressed with a title they did not choose.
pub fn salutation(gender: Gender, full_name: &str) -> String {
    let words: Vec<&str> = full_name.split_whitespace().collect();
    let Some(surname) = words.last() else {
        return "Dear member".to_owned();
    };
    match gender.honorific() {
        Some(honorific) => format!("Dear {honorific} {surname}"),
        None => format!("Dear {}", words.join(" ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salutation_uses_the_honorific_and_surname_or_the_full_name() {
        let cases = [
            (Gender::Female, "Jane Doe", "Dear Ms Doe"),
            (Gender::Male, "John  Q.  Public ", "Dear Mr Public"),
            (Gender::Male, "Madonna", "Dear Mr Madonna"),
            (Gender::Other, "Alex   Kim", "Dear Alex Kim"),
            (Gender::RatherNotSay, "Sam Lee", "Dear Sam Lee"),
            (Gender::NotSet, " Jane Doe ", "Dear Jane Doe"),
            (Gender::Female, "   ", "Dear member"),
            (Gender::NotSet, "", "Dear member"),
        ];
        for (gender, name, expected) in cases {
            assert_eq!(salutation(gender, name), expected, "{gender:?} {name:?}");
        }
    }

    #[test]
    fn wire_names_round_trip_and_unknown_values_are_rejected() {
        for gender in Gender::ALL {
            assert_eq!(gender.as_str().parse::<Gender>(), Ok(gender));
            let json = serde_json::to_string(&gender).expect("serialises");
            assert_eq!(json, format!("\"{}\"", gender.as_str()));
            assert_eq!(serde_json::from_str::<Gender>(&json).ok(), Some(gender));
        }
        assert_eq!("female".parse::<Gender>(), Err(UnknownGender));
        assert_eq!("".parse::<Gender>(), Err(UnknownGender));
        assert!(serde_json::from_str::<Gender>("\"Mrs\"").is_err());
    }
}
