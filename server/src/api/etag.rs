//! Entity tags for optimistic concurrency: `"<kind><id>-v<version>"`, and what an `If-Match`
//! header asks for.

use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;

/// The tag of version `version` of resource `id` of a kind (`p`: profile, `s`: support profile).
pub fn tag(kind: char, id: i64, version: i64) -> String {
    format!("\"{kind}{id}-v{version}\"")
}

pub fn with_tag(mut response: Response, kind: char, id: i64, version: i64) -> Response {
    if let Ok(value) = HeaderValue::from_str(&tag(kind, id, version)) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

/// The version an `If-Match` header asks for: `None` when absent or `*`. A tag for another
/// resource, or one that cannot be read, asks for a version that never exists (-1).
pub fn expected_version(headers: &HeaderMap, kind: char, id: i64) -> Option<i64> {
    let value = headers.get(header::IF_MATCH)?;
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return None;
    }
    let tag = value.trim_start_matches("W/").trim_matches('"');
    let version = tag
        .strip_prefix(&format!("{kind}{id}-v"))
        .and_then(|version| version.parse::<i64>().ok());
    Some(version.unwrap_or(-1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_names_a_version_of_this_resource_or_none_that_exists() {
        let headers = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(
                header::IF_MATCH,
                HeaderValue::from_str(value).expect("header"),
            );
            headers
        };
        assert_eq!(expected_version(&HeaderMap::new(), 'p', 7), None);
        assert_eq!(expected_version(&headers("*"), 'p', 7), None);
        assert_eq!(expected_version(&headers(&tag('p', 7, 3)), 'p', 7), Some(3));
        assert_eq!(expected_version(&headers("W/\"p7-v3\""), 'p', 7), Some(3));
        assert_eq!(
            expected_version(&headers(&tag('p', 8, 3)), 'p', 7),
            Some(-1)
        );
        assert_eq!(
            expected_version(&headers(&tag('s', 7, 3)), 'p', 7),
            Some(-1)
        );
        assert_eq!(expected_version(&headers("garbage"), 'p', 7), Some(-1));
    }
}
