//! Entity tags for optimistic concurrency: `"<kind><id>-v<version>"`, and what an `If-Match`
//! header asks for.

use app::{
    model::field_error::FieldError,
    server::{error::ServiceError, profiles::IfMatch},
};
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

/// The version an `If-Match` header asks of resource `id` of a kind (see `IfMatch::version_for`):
/// `None` when absent or `*`.
pub fn expected_version(
    headers: &HeaderMap,
    kind: char,
    id: i64,
) -> Result<Option<i64>, ServiceError> {
    Ok(if_match(headers, kind)?.version_for(id))
}

/// The versions an `If-Match` header names of resources of a kind: each tag as the id and
/// version it names, or `None` for a tag of anything else. A value that is not `*` or a list of
/// entity tags (`"p7-v3"`, `W/"p7-v3"`) is refused with 400.
pub fn if_match(headers: &HeaderMap, kind: char) -> Result<IfMatch, ServiceError> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(IfMatch::Any);
    };
    let value = value.to_str().unwrap_or_default().trim();
    if value == "*" {
        return Ok(IfMatch::Any);
    }
    let mut tags = Vec::new();
    for tag in value.split(',').map(str::trim) {
        let opaque = tag
            .trim_start_matches("W/")
            .strip_prefix('"')
            .and_then(|rest| rest.strip_suffix('"'))
            .filter(|opaque| !opaque.contains('"'))
            .ok_or_else(not_a_tag)?;
        tags.push(
            opaque
                .strip_prefix(kind)
                .and_then(|rest| rest.split_once("-v"))
                .and_then(|(id, version)| Some((id.parse().ok()?, version.parse().ok()?))),
        );
    }
    Ok(IfMatch::Tags(tags))
}

fn not_a_tag() -> ServiceError {
    ServiceError::Validation(vec![FieldError {
        property_name: "If-Match".to_owned(),
        message: "If-Match must be the ETag of the version you read (such as \"p7-v3\") or *."
            .to_owned(),
        attempted_value: None,
    }])
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
        let version = |value: &str| expected_version(&headers(value), 'p', 7).ok();
        assert_eq!(expected_version(&HeaderMap::new(), 'p', 7).ok(), Some(None));
        assert_eq!(version("*"), Some(None));
        assert_eq!(version(&tag('p', 7, 3)), Some(Some(3)));
        assert_eq!(version("W/\"p7-v3\""), Some(Some(3)));
        assert_eq!(version(&tag('p', 8, 3)), Some(Some(-1)));
        assert_eq!(version(&tag('s', 7, 3)), Some(Some(-1)));
        assert_eq!(version("\"p7-vx\""), Some(Some(-1)));
        assert_eq!(version("\"s7-v1\", \"p7-v4\""), Some(Some(4)));
        // What a write can check before it knows the session's profile.
        let tags = |value: &str| if_match(&headers(value), 'p').ok();
        assert_eq!(
            tags(&tag('p', 7, 3)),
            Some(IfMatch::Tags(vec![Some((7, 3))]))
        );
        assert_eq!(tags("\"s7-v3\""), Some(IfMatch::Tags(vec![None])));
        assert_eq!(tags("*"), Some(IfMatch::Any));
        for garbage in [
            "garbage",
            "",
            "\"p7-v3",
            "p7-v3\"",
            "\"p7-v3\", x",
            "\"a\"b\"",
        ] {
            let error = expected_version(&headers(garbage), 'p', 7).expect_err(garbage);
            assert!(
                matches!(&error, ServiceError::Validation(errors) if errors[0].property_name == "If-Match"),
                "{garbage}: {error:?}"
            );
        }
    }
}
