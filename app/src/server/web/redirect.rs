//! Where a sign-in may send the browser next: only somewhere on this site.
//!
//! `next` is resolved with the WHATWG URL parser (the one browsers use) against the site's
//! origin, and followed only if the result is still on that origin. This catches what string
//! checks miss: `/\t/evil.example` (browsers drop the tab and read `//evil.example`),
//! `/\evil.example`, and paths that normalise to `//host`. The path, query and fragment are
//! kept, percent-encoded, so the `Location` header is always valid.

use url::{Position, Url};

/// Where a sign-in goes when `next` is missing or leads elsewhere.
pub const DEFAULT_NEXT: &str = "/profile";

/// Stands in for the site's own origin: only the path, query and fragment are kept, so which
/// origin it is does not matter, only that a target on any other one is refused.
const SITE: &str = "http://portal.invalid/";

/// The path (with query and fragment) on this site that `next` leads to, or `DEFAULT_NEXT`.
pub fn safe_next(next: Option<&str>) -> String {
    next.and_then(on_this_site)
        .unwrap_or_else(|| DEFAULT_NEXT.to_owned())
}

fn on_this_site(next: &str) -> Option<String> {
    if next.trim().is_empty() {
        return None;
    }
    let site = Url::parse(SITE).ok()?;
    let target = site.join(next).ok()?;
    if target.origin() != site.origin() {
        return None;
    }
    let local = &target[Position::BeforePath..];
    // A path that starts with `//` would be read as another host in a `Location` header.
    (local.starts_with('/') && !local.starts_with("//")).then(|| local.to_owned())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn paths_on_this_site_are_kept_with_their_query_and_fragment() {
        assert_eq!(safe_next(Some("/profile/billing")), "/profile/billing");
        assert_eq!(safe_next(Some("/profile?tab=1#top")), "/profile?tab=1#top");
        assert_eq!(safe_next(Some("/a b?c d")), "/a%20b?c%20d");
        assert_eq!(safe_next(Some("/directory/../profile")), "/profile");
        assert_eq!(safe_next(Some("/caf\u{e9}")), "/caf%C3%A9");
        // A same-scheme URL without slashes is a relative path in the URL Standard.
        assert_eq!(safe_next(Some("http:evil.example")), "/evil.example");
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }

    #[test]
    fn anything_that_leaves_the_site_goes_to_the_profile() {
        for elsewhere in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "\\\\evil.example",
            "/.//evil.example",
            "javascript:alert(1)",
            "data:text/html,hi",
            "",
            "   ",
        ] {
            assert_eq!(safe_next(Some(elsewhere)), DEFAULT_NEXT, "{elsewhere:?}");
        }
    }

    #[test]
    fn a_newline_never_reaches_the_location_header() {
        let target = safe_next(Some("/profile\r\nSet-Cookie: x=1"));
        assert!(http::HeaderValue::from_str(&target).is_ok(), "{target}");
        assert!(target.starts_with("/profile"), "{target}");
    }

    /// Where a browser on the site would go with this `Location`.
    fn followed_from(origin: &str, location: &str) -> Url {
        Url::parse(origin)
            .expect("origin")
            .join(location)
            .expect("a Location the browser can follow")
    }

    fn assert_stays(next: &str) {
        let target = safe_next(Some(next));
        assert!(
            http::HeaderValue::from_str(&target).is_ok(),
            "{next:?} -> {target:?} is no valid header"
        );
        for origin in [
            "https://portal.example/login",
            "http://127.0.0.1:3000/signup",
        ] {
            let followed = followed_from(origin, &target);
            assert_eq!(
                followed.origin(),
                Url::parse(origin).expect("origin").origin(),
                "{next:?} -> {target:?} leaves {origin}"
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4_000))]

        #[test]
        fn no_string_leads_off_the_site_or_makes_an_invalid_header(next in any::<String>()) {
            assert_stays(&next);
        }

        #[test]
        fn nor_does_any_mix_of_slashes_schemes_and_white_space(
            next in "[/\\\\\t\n\r .:@?#%a-z\u{0}\u{7f}\u{3000}]{0,24}"
        ) {
            assert_stays(&next);
        }
    }
}
