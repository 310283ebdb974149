//! What a draft of the profile summary is written from, the built-in composer that writes one
//! without a language model, and the clean-up every draft gets before a member sees it.

use serde::Serialize;

use super::{
    field::{ProfileField, SUMMARY_MAX_CHARS},
    patch::{stored_text, ProfileValues},
    rules::split_tags,
};
use crate::model::field_error::FieldError;

/// At most this many tags are mentioned, in the member's order.
const MENTIONED_TAGS: usize = 6;

/// The professional facts a draft is written from. Nothing else of the profile (e-mail, phones,
/// address, date of birth, billing data, passwords) is ever handed to a drafter.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProfessionalFacts {
    pub name: String,
    pub position: String,
    pub company: Option<String>,
    pub industry: Option<String>,
    pub tags: Vec<String>,
    pub website: Option<String>,
}

impl ProfessionalFacts {
    /// The facts of a stored profile, or one error per field the member should fill first: a
    /// position, and at least one of company, industry or tags.
    pub fn from_profile(fields: &ProfileValues) -> Result<Self, Vec<FieldError>> {
        let text = |field: ProfileField| stored_text(fields, field).map(str::to_owned);
        let position = text(ProfileField::Position);
        let company = text(ProfileField::CompanyName);
        let industry = text(ProfileField::Industry);
        let tags = text(ProfileField::ProfileTags)
            .map(|tags| split_tags(&tags))
            .unwrap_or_default();

        let mut missing = Vec::new();
        if position.is_none() {
            missing.push(missing_fact(
                ProfileField::Position,
                "Position is needed for a draft: add the role you work in.",
            ));
        }
        if company.is_none() && industry.is_none() && tags.is_empty() {
            for field in [
                ProfileField::CompanyName,
                ProfileField::Industry,
                ProfileField::ProfileTags,
            ] {
                missing.push(missing_fact(
                    field,
                    "A draft needs at least one of Company, Industry and Tags: fill in one of them.",
                ));
            }
        }
        match position {
            Some(position) if missing.is_empty() => Ok(ProfessionalFacts {
                name: text(ProfileField::FullName).unwrap_or_default(),
                position,
                company,
                industry,
                tags,
                website: text(ProfileField::ProfileWebsite),
            }),
            _ => Err(missing),
        }
    }
}

fn missing_fact(field: ProfileField, message: &str) -> FieldError {
    FieldError {
        property_name: field.wire_name().to_owned(),
        message: message.to_owned(),
        attempted_value: None,
    }
}

/// A short Markdown summary written from the facts alone, the same every time.
pub fn compose(facts: &ProfessionalFacts) -> String {
    let subject = if facts.name.is_empty() {
        "This member".to_owned()
    } else {
        format!("**{}**", escape_markdown(&facts.name))
    };
    let position = escape_markdown(&facts.position);
    let mut opening = format!("{subject} is {} {position}", article(&facts.position));
    if let Some(company) = &facts.company {
        opening.push_str(&format!(" at {}", escape_markdown(company)));
    }
    if let Some(industry) = &facts.industry {
        opening.push_str(&format!(", working in {}", escape_markdown(industry)));
    }
    opening.push('.');

    let mut paragraphs = vec![opening];
    if !facts.tags.is_empty() {
        let tags: Vec<String> = facts
            .tags
            .iter()
            .take(MENTIONED_TAGS)
            .map(|tag| escape_markdown(tag))
            .collect();
        let who = facts
            .name
            .split_whitespace()
            .next()
            .map_or_else(|| "They".to_owned(), escape_markdown);
        let (talk, is) = if facts.name.is_empty() {
            ("talk", "are")
        } else {
            ("talks", "is")
        };
        paragraphs.push(format!(
            "{who} {talk} about {} and {is} happy to compare notes with other members.",
            spoken_list(&tags)
        ));
    }
    if let Some(website) = &facts.website {
        let shown = website
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_start_matches("www.")
            .trim_end_matches('/');
        // Angle brackets keep a link whole when its address has parentheses or spaces.
        let target = if website.contains(['(', ')', ' ']) {
            format!("<{website}>")
        } else {
            website.clone()
        };
        paragraphs.push(format!("More at [{}]({target}).", escape_markdown(shown)));
    }
    paragraphs.join("\n\n")
}

/// "a" or "an" before a position, by how it is most likely read aloud.
fn article(position: &str) -> &'static str {
    let lower = position.to_ascii_lowercase();
    let read_as_consonant = ["uni", "use", "usu", "ux", "eu", "one"];
    let read_as_vowel = ["hour", "honest", "mba", "seo", "sre"];
    let starts_with_vowel = lower.starts_with(['a', 'e', 'i', 'o', 'u']);
    if read_as_vowel.iter().any(|prefix| lower.starts_with(prefix))
        || (starts_with_vowel
            && !read_as_consonant
                .iter()
                .any(|prefix| lower.starts_with(prefix)))
    {
        "an"
    } else {
        "a"
    }
}

/// "a", "a and b", "a, b and c".
fn spoken_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// Text that Markdown shows as typed (a tag like `*nix` is not emphasis). Only the characters
/// that mean something inside a sentence are escaped, so the source stays readable; a fact never
/// starts a line, where `#`, `-` or `1.` would matter.
fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if "\\`*_[]<>|~".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}

/// What a language model answered, made into a summary: surrounding whitespace, a code fence
/// around the whole answer and wrapping quotes removed, and cut at a paragraph, sentence or word
/// end to fit the summary's limit. `None` when nothing usable is left.
pub fn clean_answer(answer: &str) -> Option<String> {
    let mut text = answer.trim();
    if let Some(fenced) = text.strip_prefix("```") {
        let body = fenced.split_once('\n').map_or("", |(_, body)| body);
        text = body.trim_end().strip_suffix("```").unwrap_or(body).trim();
    }
    if text.len() >= 2 && text.starts_with('"') && text.ends_with('"') {
        text = text[1..text.len() - 1].trim();
    }
    if text.is_empty() {
        return None;
    }
    if text.chars().count() <= SUMMARY_MAX_CHARS {
        return Some(text.to_owned());
    }
    let end = text
        .char_indices()
        .nth(SUMMARY_MAX_CHARS)
        .map_or(text.len(), |(index, _)| index);
    let head = &text[..end];
    let cut = head
        .rfind("\n\n")
        .or_else(|| head.rfind(". ").map(|index| index + 1))
        .or_else(|| head.rfind(char::is_whitespace))
        .unwrap_or(end);
    Some(head[..cut].trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::model::profile::patch::StoredValue;

    /// The facts of a profile written as the API shows it.
    fn facts(profile: Value) -> Result<ProfessionalFacts, Vec<FieldError>> {
        let values: ProfileValues = profile
            .as_object()
            .expect("an object")
            .iter()
            .map(|(name, value)| {
                let field = ProfileField::from_wire_name(name).expect("a field");
                let stored = match value {
                    Value::String(text) => Some(StoredValue::Text(text.clone())),
                    Value::Number(number) => number.as_i64().map(StoredValue::Integer),
                    Value::Bool(flag) => Some(StoredValue::Flag(*flag)),
                    _ => None,
                };
                (field, stored)
            })
            .collect();
        ProfessionalFacts::from_profile(&values)
    }

    fn jane() -> ProfessionalFacts {
        ProfessionalFacts {
            name: "Jane Doe".to_owned(),
            position: "Product Designer".to_owned(),
            company: Some("Acme".to_owned()),
            industry: Some("software".to_owned()),
            tags: vec!["design".into(), "research".into(), "coffee".into()],
            website: Some("https://www.acme.example/".to_owned()),
        }
    }

    #[test]
    fn the_facts_are_the_professional_fields_and_nothing_private() {
        let facts = facts(json!({
            "FullName": " Jane Doe ", "Position": "Designer", "CompanyName": "Acme",
            "Industry": null, "ProfileTags": "ux, , research", "ProfileWebsite": "https://acme.example",
            "MobilePhone": "+351 912 345 678", "BillingEmail": "billing@acme.example",
            "Address": "Rua Augusta 1", "DateOfBirth": "1990-01-01", "TaxIDNumber": "PT123456789",
        }))
        .expect("enough to write about");
        assert_eq!(
            facts,
            ProfessionalFacts {
                name: "Jane Doe".into(),
                position: "Designer".into(),
                company: Some("Acme".into()),
                industry: None,
                tags: vec!["ux".into(), "research".into()],
                website: Some("https://acme.example".into()),
            }
        );
        let sent = serde_json::to_string(&facts).expect("serialises");
        for private in ["+351", "billing@", "Rua Augusta", "1990", "PT123"] {
            assert!(!sent.contains(private), "{private} in {sent}");
        }
    }

    #[test]
    fn too_little_to_write_about_names_the_fields_to_fill() {
        let fields = |errors: Vec<FieldError>| -> Vec<String> {
            errors
                .into_iter()
                .map(|error| error.property_name)
                .collect()
        };
        let no_position =
            facts(json!({"FullName": "Jane", "CompanyName": "Acme"})).expect_err("no position");
        assert_eq!(fields(no_position), ["Position"]);

        let position_only =
            facts(json!({"FullName": "Jane", "Position": "Designer", "ProfileTags": " "}))
                .expect_err("nothing about the work");
        assert_eq!(
            fields(position_only.clone()),
            ["CompanyName", "Industry", "ProfileTags"]
        );
        assert!(position_only[0]
            .message
            .contains("Company, Industry and Tags"));

        let nothing = facts(json!({"Position": "  "})).expect_err("empty");
        assert_eq!(
            fields(nothing),
            ["Position", "CompanyName", "Industry", "ProfileTags"]
        );

        for enough in [
            json!({"Position": "Designer", "CompanyName": "Acme"}),
            json!({"Position": "Designer", "Industry": "Media"}),
            json!({"Position": "Designer", "ProfileTags": "ux"}),
        ] {
            assert!(facts(enough.clone()).is_ok(), "{enough}");
        }
    }

    #[test]
    fn the_composer_writes_a_natural_summary_from_every_fact() {
        assert_eq!(
            compose(&jane()),
            "**Jane Doe** is a Product Designer at Acme, working in software.\n\n\
             Jane talks about design, research and coffee and is happy to compare notes with \
             other members.\n\n\
             More at [acme.example](https://www.acme.example/)."
        );
    }

    #[test]
    fn the_composer_leaves_out_what_is_missing() {
        let sparse = ProfessionalFacts {
            name: String::new(),
            position: "Engineer".into(),
            company: None,
            industry: Some("Energy".into()),
            tags: vec!["solar".into()],
            website: None,
        };
        assert_eq!(
            compose(&sparse),
            "This member is an Engineer, working in Energy.\n\n\
             They talk about solar and are happy to compare notes with other members."
        );
        let company_only = ProfessionalFacts {
            tags: Vec::new(),
            industry: None,
            company: Some("Acme".into()),
            ..jane()
        };
        assert_eq!(
            compose(&company_only),
            "**Jane Doe** is a Product Designer at Acme.\n\nMore at [acme.example](https://www.acme.example/)."
        );
    }

    #[test]
    fn the_composer_is_deterministic_and_mentions_at_most_six_tags() {
        let many = ProfessionalFacts {
            tags: (1..=9).map(|n| format!("t{n}")).collect(),
            ..jane()
        };
        assert_eq!(compose(&many), compose(&many));
        let text = compose(&many);
        assert!(text.contains("t1, t2, t3, t4, t5 and t6"), "{text}");
        assert!(!text.contains("t7"), "{text}");
    }

    #[test]
    fn what_members_typed_is_not_read_as_markdown() {
        let odd = ProfessionalFacts {
            name: "Ann [x](javascript:alert(1))".into(),
            tags: vec!["*nix".into(), "c#".into()],
            ..jane()
        };
        let text = compose(&odd);
        assert!(
            text.contains("**Ann \\[x\\](javascript:alert(1))**"),
            "{text}"
        );
        assert!(text.contains("about \\*nix and c# and"), "{text}");
    }

    #[test]
    fn articles_follow_how_the_position_is_read() {
        for (position, expected) in [
            ("Engineer", "an"),
            ("architect", "an"),
            ("UX Designer", "a"),
            ("University lecturer", "a"),
            ("Designer", "a"),
            ("Head of Sales", "a"),
            ("SEO specialist", "an"),
            ("Operations lead", "an"),
        ] {
            assert_eq!(article(position), expected, "{position}");
        }
    }

    #[test]
    fn answers_are_cleaned_and_cut_to_the_summary_limit() {
        assert_eq!(clean_answer("  Hello.  ").as_deref(), Some("Hello."));
        assert_eq!(
            clean_answer("```markdown\n**Jane** designs.\n```").as_deref(),
            Some("**Jane** designs.")
        );
        assert_eq!(clean_answer("\"Quoted.\"").as_deref(), Some("Quoted."));
        for nothing in ["", "   ", "```\n```", "\"\""] {
            assert_eq!(clean_answer(nothing), None, "{nothing:?}");
        }

        let sentence = "This sentence is exactly forty chars ok. ";
        let long = sentence.repeat(200);
        let cut = clean_answer(&long).expect("text");
        assert!(cut.chars().count() <= SUMMARY_MAX_CHARS);
        assert!(cut.ends_with("ok."), "{}", &cut[cut.len() - 20..]);

        let paragraphs = format!("{}\n\n{}", "a ".repeat(1500), "b ".repeat(1500));
        let cut = clean_answer(&paragraphs).expect("text");
        assert!(!cut.contains('b'), "cut at the paragraph break");

        let wide = "é".repeat(SUMMARY_MAX_CHARS + 10);
        let cut = clean_answer(&wide).expect("text");
        assert_eq!(cut.chars().count(), SUMMARY_MAX_CHARS);
    }
}
