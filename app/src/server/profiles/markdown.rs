//! Member-written Markdown to HTML that is safe to put into a page: CommonMark by
//! pulldown-cmark, then every tag, attribute and URL scheme checked by ammonia's allow-list.

use std::{
    convert::Infallible,
    sync::{Arc, LazyLock},
};

use pulldown_cmark::{html, Options, Parser};
use quick_cache::{sync::Cache, Weighter};

/// Only http(s) and mail links survive; ammonia removes `<script>`, `on*=` handlers, `style`
/// and `javascript:` URLs, and marks links `rel="noopener noreferrer nofollow"`. Images go too:
/// a remote image in a bio would tell its author who reads the directory (and the pages' CSP
/// would not load it anyway), and member-written images rarely come with alternative text.
static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .rm_tags(["img"]);
    builder
});

/// Summaries rendered before, by their text: the output is a pure function of the input, so an
/// entry never goes stale. The directory renders every card's summary on every view, and
/// sanitising was a fifth of that page's CPU. Bounded by bytes (text and HTML), so many or long
/// summaries evict older ones instead of growing the process.
static RENDERED: LazyLock<Cache<String, Arc<str>, ByLength>> =
    LazyLock::new(|| Cache::with_weighter(4_096, RENDERED_BYTES, ByLength));

/// What the memo of rendered summaries may hold, in bytes of text and HTML.
const RENDERED_BYTES: u64 = 8 * 1024 * 1024;

#[derive(Clone)]
struct ByLength;

impl Weighter<String, Arc<str>> for ByLength {
    fn weight(&self, markdown: &String, html: &Arc<str>) -> u64 {
        (markdown.len() + html.len()) as u64
    }
}

/// Renders a profile summary for display.
pub fn render(markdown: &str) -> String {
    let html = RENDERED.get_or_insert_with(markdown, || {
        Ok::<_, Infallible>(Arc::from(render_uncached(markdown)))
    });
    match html {
        Ok(html) => html.to_string(),
        Err(never) => match never {},
    }
}

fn render_uncached(markdown: &str) -> String {
    let parser = Parser::new_ext(
        markdown,
        Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TABLES,
    );
    let mut unsafe_html = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut unsafe_html, parser);
    SANITIZER.clean(&unsafe_html).to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_becomes_html() {
        let html = render("**Designer** at [Acme](https://acme.example)\n\n- maps\n- type");
        assert!(html.contains("<strong>Designer</strong>"), "{html}");
        assert!(
            html.contains(
                r#"<a href="https://acme.example" rel="noopener noreferrer nofollow">Acme</a>"#
            ),
            "{html}"
        );
        assert!(html.contains("<li>maps</li>"), "{html}");
    }

    #[test]
    fn a_summary_rendered_again_is_the_same_html() {
        let text = "Writes about *cache* <script>alert(1)</script> [x](javascript:alert(1))";
        let first = render(text);
        assert_eq!(render(text), first);
        assert!(
            super::RENDERED.get(text).is_some(),
            "kept after the first render"
        );
        assert_eq!(first, super::render_uncached(text));
        assert!(
            !first.contains("<script") && !first.contains("javascript:"),
            "{first}"
        );
        assert_ne!(render("Writes about *caches*"), first);
    }

    #[test]
    fn images_are_removed() {
        for image in [
            "![tracker](https://tracker.example/pixel.gif)",
            r#"<img src="https://tracker.example/pixel.gif" alt="x">"#,
        ] {
            let html = render(image);
            assert!(!html.contains("<img"), "{image}: {html}");
            assert!(!html.contains("tracker.example"), "{image}: {html}");
        }
    }

    #[test]
    fn scripts_handlers_and_javascript_links_come_out_inert() {
        let cases = [
            "<script>alert(1)</script>",
            r#"<img src="x" onerror="alert(1)">"#,
            "[click](javascript:alert(1))",
            r#"<a href="javascript:alert(1)">click</a>"#,
            r#"<a href="JaVaScRiPt:alert(1)">click</a>"#,
            r#"<iframe src="https://evil.example"></iframe>"#,
            r#"<p style="position:fixed" onclick="alert(1)">x</p>"#,
            "<svg><script>alert(1)</script></svg>",
        ];
        for case in cases {
            let html = render(case).to_lowercase();
            for needle in [
                "<script",
                "onerror",
                "onclick",
                "javascript:",
                "<iframe",
                "style=",
            ] {
                assert!(!html.contains(needle), "{case:?} gave {html:?}");
            }
        }
    }

    #[test]
    fn raw_text_is_escaped_not_dropped() {
        assert_eq!(render("1 < 2 & 3 > 2"), "<p>1 &lt; 2 &amp; 3 &gt; 2</p>\n");
    }
}
