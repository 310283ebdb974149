//! Text as HTML, for the few places where markup is assembled as a string.

/// Text as HTML character data.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
