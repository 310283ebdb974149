//! `server demo`: sample members for a first look at the portal, so that the directory and the
//! profile pages are not empty. They go only into a database that has no member yet, and
//! through the same services as every door: the operator's `create_member` (the location's
//! password policy, a verification link queued), then one profile patch each, checked by the
//! same rules as a page's save.

use serde_json::{json, Value};

use crate::model::{profile::patch::ProfilePatch, security::Origin};
use crate::server::{
    error::ServiceError,
    identity::{
        security_log::EventKind,
        sessions::{self, Start},
    },
    operations::operator,
    profiles::{self, Services},
    settings::Limits,
    store::{security_log::NewEvent, sessions::Ending},
};

/// Every sample member's password (it meets the default location's policy).
pub const PASSWORD: &str = "Demo-portal-2026";

/// The sample members' addresses are at this reserved domain (RFC 2606), which no mail reaches.
pub const DOMAIN: &str = "demo.example";

/// How many sample members there are.
pub const MEMBERS: usize = 36;

/// What `seed` made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seeded {
    /// Every sample member's sign-in address, in the order they were made.
    pub emails: Vec<String>,
    /// How many of them show in the directory.
    pub public: usize,
}

const FIRST: [&str; MEMBERS] = [
    "Ada", "Bruno", "Chiara", "Dmitri", "Elif", "Farid", "Greta", "Hugo", "Ines", "Jonas", "Kaja",
    "Luca", "Maren", "Nils", "Olga", "Pablo", "Quinn", "Rosa", "Sami", "Tess", "Ugo", "Vera",
    "Wim", "Xenia", "Yusuf", "Zoe", "Amara", "Björn", "Carmen", "Davide", "Emma", "Felix", "Gaia",
    "Hannes", "Irene", "Jakob",
];

const LAST: [&str; 12] = [
    "Lindqvist",
    "Moreau",
    "Rossi",
    "Novak",
    "Yilmaz",
    "Haddad",
    "Berger",
    "Laurent",
    "Costa",
    "Weber",
    "Kowalska",
    "Romano",
];

/// Position, industry and tags: a trade each.
const TRADES: [(&str, &str, &str); 9] = [
    ("Product Designer", "Design", "ux, research, figma"),
    ("Backend Engineer", "Software", "rust, postgres, apis"),
    ("Illustrator", "Publishing", "illustration, picture books"),
    (
        "Data Analyst",
        "Market research",
        "sql, statistics, dashboards",
    ),
    ("Architect", "Construction", "timber, housing, retrofit"),
    ("Copywriter", "Marketing", "copy, brand voice, newsletters"),
    ("Photographer", "Media", "portraits, events, film"),
    ("Bookkeeper", "Accounting", "vat, payroll, small business"),
    (
        "Community Manager",
        "Non-profit",
        "events, volunteers, workshops",
    ),
];

const COMPANIES: [&str; 8] = [
    "Harbour Studio",
    "Northlight Labs",
    "Paper Crane Press",
    "Tidewater Analytics",
    "Oak & Slate",
    "Wordsmith Collective",
    "Silver Grain",
    "Ledger Lane",
];

/// City and its country (ISO 3166-1 numeric, as `CountryId` takes it).
const CITIES: [(&str, i64); 6] = [
    ("Berlin", 276),
    ("Lyon", 250),
    ("Valencia", 724),
    ("Porto", 620),
    ("Rotterdam", 528),
    ("Bristol", 826),
];

/// The sign-in address of sample member `index`.
pub fn email(index: usize) -> String {
    let first = FIRST[index % MEMBERS].to_lowercase().replace('ö', "o");
    let last = LAST[index % LAST.len()].to_lowercase();
    format!("{first}.{last}@{DOMAIN}")
}

fn full_name(index: usize) -> String {
    format!("{} {}", FIRST[index % MEMBERS], LAST[index % LAST.len()])
}

/// Two in three are public.
fn is_public(index: usize) -> bool {
    index % 3 != 2
}

/// Sample member `index`'s profile, as a patch in the API's wire names.
fn profile(index: usize) -> Value {
    let (position, industry, tags) = TRADES[index % TRADES.len()];
    let company = COMPANIES[index % COMPANIES.len()];
    let (city, country) = CITIES[index % CITIES.len()];
    let first = FIRST[index % MEMBERS];
    let years = 3 + index % 12;
    let summary = format!(
        "**{first}** is a {} at *{company}*, in {city}, with {years} years in {}.\n\n\
         At the space most days; ask about:\n\n\
         - {}\n- working together on a project\n- a coffee and a chat",
        position.to_lowercase(),
        industry.to_lowercase(),
        tags.split(", ").next().unwrap_or(tags),
    );
    let slug: String = company
        .to_lowercase()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    let mut profile = json!({
        "Position": position,
        "CompanyName": company,
        "Industry": industry,
        "ProfileTags": tags,
        "ProfileSummary": summary,
        "CityName": city,
        "CountryId": country,
        "ProfileIsPublic": is_public(index),
    });
    if index.is_multiple_of(2) {
        profile["ProfileWebsite"] = json!(format!("https://{slug}.example"));
    }
    if index % 4 == 1 {
        profile["Github"] = json!(format!("{}-{slug}", first.to_lowercase().replace('ö', "o")));
    }
    profile
}

/// Where the sample members' changes come from, as their security log shows it.
fn origin() -> Origin {
    Origin {
        client_addr: "demo".to_owned(),
        user_agent: "server demo".to_owned(),
    }
}

/// Makes the sample members and fills in their profiles, or refuses, changing nothing, when
/// the database has any member already.
pub async fn seed(services: Services<'_>, limits: &Limits) -> Result<Seeded, ServiceError> {
    let store = services.store;
    let members = store.member_count().await?;
    if members > 0 {
        return Err(ServiceError::PreconditionFailed(format!(
            "sample members go only into a new database, and this one has {members} member(s)"
        )));
    }
    let origin = origin();
    let mut emails = Vec::with_capacity(MEMBERS);
    for index in 0..MEMBERS {
        let email = email(index);
        let member = operator::create_member(
            store,
            services.mail,
            &email,
            &full_name(index),
            None,
            PASSWORD.to_owned(),
        )
        .await?;
        // The profile is saved as a member's own save is: by a session of theirs, through
        // the same rules; the session ends once it is saved.
        let profile_id = store.first_profile_of(member.id).await?;
        let token = sessions::create(
            store,
            Start {
                user_id: member.id,
                profile_id,
                ttl_secs: 60,
                origin: &origin,
                kind: EventKind::SignedIn,
                detail: "",
            },
        )
        .await?
        .token;
        let session = sessions::authenticate(store, &token, 60, false)
            .await?
            .ok_or_else(sessions::signed_out)?;
        let patch = ProfilePatch::from_json(&profile(index));
        profiles::update(services, &session, &patch, None, (limits, &origin)).await?;
        store
            .end_sessions(
                member.id,
                Ending::All,
                NewEvent {
                    user_id: member.id,
                    kind: EventKind::SignedOut.as_str(),
                    detail: "",
                    origin: &origin,
                    at: crate::server::clock::now(),
                },
                |_| String::new(),
            )
            .await?;
        emails.push(email);
    }
    Ok(Seeded {
        emails,
        public: (0..MEMBERS).filter(|index| is_public(*index)).count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::{
        mail::MailQueue,
        profiles::{countries::CountryList, directory, profile_writer::ProfileWriter},
        store::scratch,
    };

    #[tokio::test]
    async fn sample_members_fill_a_new_database_and_never_an_old_one() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = scratch::open(dir.path()).await.expect("opens");
        let writer = ProfileWriter::start(&store).await.expect("writer");
        let (mail, countries) = (
            MailQueue::new("http://127.0.0.1:3000"),
            CountryList::default(),
        );
        let services = Services {
            store: &store,
            writer: &writer,
            mail: &mail,
            countries: &countries,
        };
        let limits = Limits::default();

        let seeded = seed(services, &limits).await.expect("seeds");
        assert_eq!(seeded.emails.len(), MEMBERS);
        assert_eq!(seeded.public, 24);
        let mut unique = seeded.emails.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), MEMBERS, "every address is its own");

        // Every public one is in the directory, with what the patch set, rendered.
        let listed = directory::public_profiles(&store, &Default::default())
            .await
            .expect("directory");
        assert_eq!(listed.len(), 24);
        let ada = listed
            .iter()
            .find(|entry| &*entry.full_name == "Ada Lindqvist")
            .expect("Ada is public");
        assert_eq!(ada.position.as_deref(), Some("Product Designer"));
        assert!(
            ada.bio_html.contains("<strong>Ada</strong>"),
            "{}",
            ada.bio_html
        );
        assert_eq!(&*ada.tags, ["ux".into(), "research".into(), "figma".into()]);

        // The sample password signs in, and no session is left behind.
        let (user_id, hash) = store
            .credentials(&seeded.emails[0])
            .await
            .expect("query")
            .expect("member");
        assert!(
            crate::server::identity::passwords::verify(PASSWORD.to_owned(), Some(hash))
                .await
                .expect("verifies")
        );
        let sessions: i64 = store
            .scalar_sql(&format!(
                "SELECT COUNT(*) FROM sessions WHERE user_id = {user_id}"
            ))
            .await
            .expect("count");
        assert_eq!(sessions, 0);

        // A second run, or a real database, is refused and changes nothing.
        let again = seed(services, &limits).await;
        assert!(
            matches!(&again, Err(ServiceError::PreconditionFailed(message)) if message.contains("36 member")),
            "{again:?}"
        );
        assert_eq!(store.member_count().await.expect("count"), 36);
    }
}
