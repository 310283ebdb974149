//! The member directory: what a public profile shows to other members.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::profile::field::SocialNetwork;

/// One public profile, ready to show. `bio_html` is already sanitised by the server. Its text is
/// shared (`Arc`): the server keeps the directory as last read and every page that shows it
/// takes its entries from there, so a clone of an entry copies no string.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DirectoryEntry {
    pub id: i64,
    pub full_name: Arc<str>,
    pub position: Option<Arc<str>>,
    pub company_name: Option<Arc<str>>,
    pub industry: Option<Arc<str>>,
    pub tags: Arc<[Arc<str>]>,
    pub website: Option<Arc<str>>,
    pub social: Arc<[SocialLink]>,
    pub bio_html: Arc<str>,
}

/// A link to the member's profile on a social network, built from the stored handle.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SocialLink {
    pub network: SocialNetwork,
    pub handle: Arc<str>,
}

impl SocialLink {
    pub fn label(&self) -> &'static str {
        match self.network {
            SocialNetwork::Twitter => "X (Twitter)",
            SocialNetwork::Github => "GitHub",
            SocialNetwork::Instagram => "Instagram",
            SocialNetwork::Linkedin => "LinkedIn",
        }
    }

    /// The profile address. Handles were validated against each network's character set
    /// when saved, so they need no escaping here.
    pub fn url(&self) -> String {
        match self.network {
            SocialNetwork::Twitter => format!("https://x.com/{}", self.handle),
            SocialNetwork::Github => format!("https://github.com/{}", self.handle),
            SocialNetwork::Instagram => format!("https://www.instagram.com/{}", self.handle),
            SocialNetwork::Linkedin => format!("https://www.linkedin.com/{}", self.handle),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_handles_become_profile_addresses() {
        let cases = [
            (SocialNetwork::Twitter, "jane_doe", "https://x.com/jane_doe"),
            (
                SocialNetwork::Github,
                "jane-doe",
                "https://github.com/jane-doe",
            ),
            (
                SocialNetwork::Instagram,
                "jane.doe",
                "https://www.instagram.com/jane.doe",
            ),
            (
                SocialNetwork::Linkedin,
                "in/jane-doe",
                "https://www.linkedin.com/in/jane-doe",
            ),
        ];
        for (network, handle, url) in cases {
            let link = SocialLink {
                network,
                handle: handle.into(),
            };
            assert_eq!(link.url(), url);
        }
    }
}
