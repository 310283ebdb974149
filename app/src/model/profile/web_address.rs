//! The parts of an absolute web address that the rules look at, parsed per the WHATWG URL
//! Standard: by the `url` crate on the server, and by the browser's own `URL` in wasm (the same
//! standard, without shipping a second URL parser and its IDNA tables in the bundle).

/// An absolute URL, as the rules need it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebAddress {
    /// Without the colon: `https`.
    pub scheme: String,
    /// Lower case, internationalised names in their ASCII (punycode) form; empty if none.
    pub host: String,
    /// The non-empty path segments, still percent-encoded.
    pub path_segments: Vec<String>,
}

#[cfg(not(target_arch = "wasm32"))]
pub fn parse(text: &str) -> Option<WebAddress> {
    let url = url::Url::parse(text).ok()?;
    Some(WebAddress {
        scheme: url.scheme().to_owned(),
        host: url.host_str().unwrap_or_default().to_ascii_lowercase(),
        path_segments: segments(url.path()),
    })
}

#[cfg(target_arch = "wasm32")]
pub fn parse(text: &str) -> Option<WebAddress> {
    let url = web_sys::Url::new(text).ok()?;
    let protocol = url.protocol();
    Some(WebAddress {
        scheme: protocol.trim_end_matches(':').to_owned(),
        host: url.hostname().to_ascii_lowercase(),
        path_segments: segments(&url.pathname()),
    })
}

fn segments(path: &str) -> Vec<String> {
    path.split('/')
        .filter(|segment| !segment.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_split_as_the_standard_says() {
        let parsed = parse("HTTPS://Www.Example.COM:8080/a//b/?q=1#top").expect("parses");
        assert_eq!(parsed.scheme, "https");
        assert_eq!(parsed.host, "www.example.com");
        assert_eq!(parsed.path_segments, vec!["a", "b"]);
        assert_eq!(
            parse("https://münchen.de").expect("idn").host,
            "xn--mnchen-3ya.de"
        );
        assert_eq!(parse("not a url"), None);
        assert_eq!(parse("https://exa mple.com"), None);
    }
}
