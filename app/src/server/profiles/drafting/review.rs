//! The review of a draft, rendered on the server: the current summary and the draft side by
//! side, words only in the current summary marked `<del>`, words only in the draft marked
//! `<ins>`, everything else escaped text. The page shows it as it comes.

use similar::{ChangeTag, TextDiff};

use super::Draft;
use crate::html::escape_html;

/// The review's HTML, with its two buttons: `data-draft="accept"` and `data-draft="discard"`.
/// The draft's own Markdown is the `data-markdown` attribute of its column, which is what
/// accepting it puts into the form.
pub fn render(current: &str, draft: &Draft) -> String {
    let (before, after) = side_by_side(current, &draft.markdown);
    let source = if draft.by_language_model {
        "Written by a language model from your saved position, company, industry, tags and \
         website. Read it before you accept it."
    } else {
        "Composed from your saved position, company, industry, tags and website."
    };
    format!(
        r#"<section class="draft-review" aria-labelledby="draft-review-title"><h2 id="draft-review-title">Suggested summary</h2><div class="draft-columns"><section aria-labelledby="draft-current-title"><h3 id="draft-current-title">Your summary</h3><div class="diff">{before}</div></section><section aria-labelledby="draft-new-title"><h3 id="draft-new-title">Draft</h3><div class="diff" data-markdown="{markdown}">{after}</div></section></div><p class="hint">{source}</p><div class="draft-actions"><button type="button" class="button-primary" data-draft="accept">Accept and save</button><button type="button" class="button-secondary" data-draft="discard">Discard</button></div></section>"#,
        markdown = escape_html(&draft.markdown),
    )
}

/// `(current, draft)` with their differences marked, word by word.
pub fn side_by_side(current: &str, draft: &str) -> (String, String) {
    let diff = TextDiff::from_words(current, draft);
    let (mut before, mut after) = (String::new(), String::new());
    for change in diff.iter_all_changes() {
        let text = escape_html(change.value());
        match change.tag() {
            ChangeTag::Equal => {
                before.push_str(&text);
                after.push_str(&text);
            }
            ChangeTag::Delete => mark(&mut before, "del", &text),
            ChangeTag::Insert => mark(&mut after, "ins", &text),
        }
    }
    (before, after)
}

/// Appends `text` inside `<tag>`, joining it to the run just before when that run has the same
/// tag, so that a changed phrase reads as one mark rather than a mark per word.
fn mark(html: &mut String, tag: &str, text: &str) {
    let close = format!("</{tag}>");
    if text.trim().is_empty() {
        // Whitespace between two changed words stays inside the mark; elsewhere it is plain.
        if html.ends_with(&close) {
            html.truncate(html.len() - close.len());
            html.push_str(text);
            html.push_str(&close);
        } else {
            html.push_str(text);
        }
        return;
    }
    if html.ends_with(&close) {
        html.truncate(html.len() - close.len());
    } else {
        html.push_str(&format!("<{tag}>"));
    }
    html.push_str(text);
    html.push_str(&close);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_words_are_marked_on_their_side_only() {
        let (before, after) = side_by_side("Jane designs apps.", "Jane designs games and apps.");
        assert_eq!(before, "Jane designs apps.");
        assert_eq!(after, "Jane designs <ins>games and </ins>apps.");

        let (before, after) = side_by_side("Jane writes code.", "Jane reviews code.");
        assert_eq!(before, "Jane <del>writes</del> code.");
        assert_eq!(after, "Jane <ins>reviews</ins> code.");
    }

    #[test]
    fn an_empty_summary_makes_the_whole_draft_new() {
        let (before, after) = side_by_side("", "**Jane** designs.");
        assert_eq!(before, "");
        assert_eq!(after, "<ins>**Jane** designs.</ins>");
    }

    #[test]
    fn the_review_carries_the_draft_and_says_where_it_came_from() {
        let draft = Draft {
            markdown: "Say \"hi\" <b>".to_owned(),
            by_language_model: true,
        };
        let html = render("Old", &draft);
        assert!(
            html.contains(r#"data-markdown="Say &quot;hi&quot; &lt;b&gt;""#),
            "{html}"
        );
        assert!(html.contains("<del>Old</del>"), "{html}");
        assert!(html.contains("language model"), "{html}");
        let composed = render(
            "",
            &Draft {
                by_language_model: false,
                ..draft
            },
        );
        assert!(composed.contains("Composed from"), "{composed}");
    }

    #[test]
    fn text_is_escaped_so_a_summary_cannot_inject_markup() {
        let (before, after) = side_by_side("<script>x</script> & co", "<b>bold</b> & co");
        assert!(!before.contains("<script>"), "{before}");
        assert!(before.contains("&lt;script&gt;"), "{before}");
        assert!(after.contains("&lt;b&gt;bold&lt;/b&gt;"), "{after}");
        assert!(after.ends_with(" &amp; co"), "{after}");
    }
}
