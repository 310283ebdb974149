//! Text as HTML, for the few places where markup is assembled as a string.

/// Text as HTML character data or a quoted attribute value.
pub fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
