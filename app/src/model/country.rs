//! A country of the ISO 3166-1 list that `CountryId` and `BillingCountryId` refer to.

use serde::{Deserialize, Serialize};

use crate::html::escape_html;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow, utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Country {
    /// The ISO 3166-1 numeric code.
    pub id: i64,
    pub name: String,
    /// The ISO 3166-1 alpha-2 code.
    pub two_digits_code: String,
}

/// The countries as a page's select offers them: the list, and its options as HTML, made once
/// (249 options were a quarter of a profile page's render, and the list in the form's props
/// another 13 KB of JSON per page). Built on the server only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CountryChoices {
    pub list: Vec<Country>,
    /// `<option value="">Choose a country</option>` then one option per country.
    options_html: String,
}

impl CountryChoices {
    pub fn new(list: Vec<Country>) -> Self {
        let mut options_html = String::from(r#"<option value="">Choose a country</option>"#);
        for country in &list {
            options_html.push_str(&format!(
                r#"<option value="{}">{}</option>"#,
                country.id,
                escape_html(&country.name)
            ));
        }
        Self { list, options_html }
    }

    /// The options with `selected` (the stored value; an empty one selects the prompt).
    pub fn options_html(&self, selected: &str) -> String {
        let mut html = String::with_capacity(self.options_html.len() + 9);
        let marker = format!(r#"<option value="{}""#, escape_html(selected));
        match self.options_html.find(&marker) {
            Some(at) => {
                let end = at + marker.len();
                html.push_str(&self.options_html[..end]);
                html.push_str(" selected");
                html.push_str(&self.options_html[end..]);
            }
            None => html.push_str(&self.options_html),
        }
        html
    }

    /// The two-letter code of country `id`, or `None` if there is no such country.
    pub fn code_of(&self, id: i64) -> Option<&str> {
        self.list
            .iter()
            .find(|country| country.id == id)
            .map(|country| country.two_digits_code.as_str())
    }

    /// Each country's Id and two-letter code.
    pub fn codes(&self) -> Vec<(i64, String)> {
        self.list
            .iter()
            .map(|country| (country.id, country.two_digits_code.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choices() -> CountryChoices {
        CountryChoices::new(vec![
            Country {
                id: 4,
                name: "Afghanistan".into(),
                two_digits_code: "AF".into(),
            },
            Country {
                id: 40,
                name: "Austria".into(),
                two_digits_code: "AT".into(),
            },
            Country {
                id: 248,
                name: "Åland & <Islands>".into(),
                two_digits_code: "AX".into(),
            },
        ])
    }

    #[test]
    fn the_stored_country_is_the_selected_option_and_only_it() {
        let html = choices().options_html("40");
        assert_eq!(html.matches(" selected").count(), 1, "{html}");
        assert!(
            html.contains(r#"<option value="40" selected>Austria</option>"#),
            "{html}"
        );
        // 4 is a prefix of 40 and 248's text: the whole value must match.
        assert!(
            html.contains(r#"<option value="4">Afghanistan</option>"#),
            "{html}"
        );
        assert!(html.contains("Åland &amp; &lt;Islands&gt;"), "{html}");
    }

    #[test]
    fn no_country_selects_the_prompt_and_an_unknown_one_selects_nothing() {
        let choices = choices();
        assert!(choices
            .options_html("")
            .starts_with(r#"<option value="" selected>Choose a country</option>"#));
        for unknown in ["999", "\"><script>"] {
            let html = choices.options_html(unknown);
            assert!(!html.contains(" selected"), "{html}");
            assert!(!html.contains("<script>"), "{html}");
        }
        assert_eq!(choices.codes()[1], (40, "AT".to_owned()));
    }
}
