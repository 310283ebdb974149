//! The OpenAPI 3.1 description of the JSON API, served at `GET /api/openapi.json`.
//!
//! utoipa builds it from the handlers' `#[utoipa::path]` attributes and the types they name;
//! `routes::api` registers each handler through utoipa-axum's `routes!`, which adds the route
//! and its description together, and hands the result to `finish` (this module does not
//! import the router, so the router can import it). This module adds what the attributes cannot say: the profile's
//! field schemas (made from `ProfileField::ALL`, so a new field is described as soon as it
//! exists), the security schemes, and the links the stateful tests follow.

use std::{borrow::Cow, sync::Arc};

use app::model::{
    gender::Gender,
    profile::field::{FieldKind, ProfileField},
};
use axum::{http::header, response::IntoResponse, Extension};
use serde_json::{json, Value};
use utoipa::{
    openapi::{
        schema::{AdditionalProperties, SchemaType, Type},
        security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme},
        ContentBuilder, HeaderBuilder, ObjectBuilder, OpenApi, Ref, RefOr, Response,
        ResponseBuilder, Schema,
    },
    Modify, PartialSchema, ToResponse, ToSchema,
};

/// The name of the bearer-token scheme in the document.
pub const BEARER: &str = "bearer";
/// The name of the session-cookie scheme (what the browser pages use).
pub const SESSION_COOKIE: &str = "session_cookie";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Member portal API",
        description = "The member's profile (partial updates with optimistic concurrency), the \
            session, linked profiles, countries, AI drafts of the profile summary, and the partner \
            support profile. Portal endpoints answer in the ActionConfirmation envelope; the \
            partner endpoints under /v1 answer in their own shapes.",
    ),
    servers((url = "/", description = "The server this document is served by.")),
    components(
        schemas(ResourceName),
        responses(Unauthorized, CrossSite, NotJson, ServerError),
    ),
    modifiers(&Described),
)]
pub struct ApiDoc;

/// The resources `GET /en/profile` can read (the seed's `_resource`); only one is offered.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Named in the OpenAPI document only.
pub enum ResourceName {
    Coworker,
}

/// Adds the security schemes.
struct Described;

impl Modify for Described {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "The AccessToken answered by /api/auth/signup or /api/auth/login.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            SESSION_COOKIE,
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                app::server::identity::session_cookie::SESSION_COOKIE,
                "The session cookie set by sign-in; requests that change something must then \
                 come from a page of this site (Sec-Fetch-Site, Origin or Referer), or they get \
                 403.",
            ))),
        );
    }
}

/// The links the stateful phase of an API fuzzer follows: from a read to the write that uses
/// its `ETag`, and from the list of profiles to activating one. Added to the JSON, because
/// utoipa 5.5 writes a link's `operationId` as `operation_id`.
fn add_links(document: &mut Value) {
    let links = [
        (
            "/en/profile",
            "UpdateProfile",
            "update_profile",
            ("If-Match", "$response.header.ETag"),
        ),
        (
            "/v1/profiles/support",
            "ReplaceSupportProfile",
            "replace_support_profile",
            ("If-Match", "$response.header.ETag"),
        ),
        (
            "/api/public/coworkers/profiles",
            "ActivateProfile",
            "activate_profile",
            ("id", "$response.body#/Value/Profiles/0/Id"),
        ),
    ];
    for (path, name, operation_id, (parameter, expression)) in links {
        let pointer = format!("/paths/{}/get/responses/200", path.replace('/', "~1"));
        if let Some(Value::Object(response)) = document.pointer_mut(&pointer) {
            let links = response.entry("links").or_insert_with(|| json!({}));
            links[name] = json!({
                "operationId": operation_id,
                "parameters": { parameter: expression },
            });
        }
    }
}

/// Operations that need no session say so (`security: []`), rather than leaving a reader to
/// guess whether the authentication was forgotten.
fn mark_public_operations(document: &mut Value) {
    let Some(Value::Object(paths)) = document.get_mut("paths") else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|operations| operations.values_mut())
        .filter_map(Value::as_object_mut)
    {
        operation
            .entry("security")
            .or_insert_with(|| Value::Array(Vec::new()));
    }
}

/// Every `$ref` target in `value`.
fn references(value: &Value, found: &mut std::collections::BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            for (key, item) in map {
                match (key.as_str(), item) {
                    ("$ref", Value::String(target)) => {
                        found.insert(target.clone());
                    }
                    _ => references(item, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

/// Drops the schemas nothing refers to: utoipa registers the type of every envelope's `Value`
/// although the envelope schemas write it out in place.
fn drop_unreferenced_schemas(document: &mut Value) {
    loop {
        let mut referenced = std::collections::BTreeSet::new();
        references(document, &mut referenced);
        let Some(Value::Object(schemas)) = document.pointer_mut("/components/schemas") else {
            return;
        };
        let before = schemas.len();
        schemas.retain(|name, _| referenced.contains(&format!("#/components/schemas/{name}")));
        if schemas.len() == before {
            return;
        }
    }
}

/// The served document: what utoipa built from the routes (`routes::api_document`), plus the
/// links, the public operations' `security: []`, and only the schemas something refers to.
pub fn finish(openapi: OpenApi) -> Value {
    let mut document =
        serde_json::to_value(openapi).unwrap_or_else(|error| json!({ "error": error.to_string() }));
    add_links(&mut document);
    mark_public_operations(&mut document);
    drop_unreferenced_schemas(&mut document);
    document
}

/// The document as the router serves it: serialised once when the router is built, and
/// handed to `openapi_json` as a request extension (so this module needs nothing of `routes`).
#[derive(Clone, Debug)]
pub struct ServedDocument(Arc<str>);

impl ServedDocument {
    pub fn new(document: &Value) -> Self {
        ServedDocument(document.to_string().into())
    }
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(
    get,
    path = "/api/openapi.json",
    operation_id = "openapi",
    tag = "meta",
    responses((status = 200, description = "The OpenAPI 3.1 description of this API.", content_type = "application/json")),
)]
pub async fn openapi_json(Extension(document): Extension<ServedDocument>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/json")],
        document.0.to_string(),
    )
}

/// The failures many portal operations can answer, each described once and referred to by
/// the operations (`response = Unauthorized`).
macro_rules! envelope_failures {
    ($($name:ident: $description:literal $(, header $header:literal: $meaning:literal)?;)*) => {$(
        pub struct $name;

        impl<'r> ToResponse<'r> for $name {
            fn response() -> (&'r str, RefOr<Response>) {
                // The component the operations' own `ActionConfirmation<NoValue>` bodies make.
                // (`ActionConfirmation::<NoValue>::schema()` would describe `Value` as "null or
                // NoValue", which JSON Schema's oneOf refuses for null: both match.)
                let content = ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ActionConfirmation_NoValue")))
                    .build();
                let response = ResponseBuilder::new()
                    .description($description)
                    .content("application/json", content)
                    $(.header(
                        $header,
                        HeaderBuilder::new()
                            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                            .description(Some($meaning))
                            .build(),
                    ))?
                    .build();
                (stringify!($name), response.into())
            }
        }
    )*};
}

envelope_failures! {
    Unauthorized: "No valid session: the bearer token or session cookie is missing, expired or \
        revoked.", header "WWW-Authenticate": "Bearer";
    CrossSite: "Sent by a browser from a page of another site (as its Sec-Fetch-Site, Origin or \
        Referer header says), or with the session cookie and none of them; nothing was changed.";
    NotJson: "The body is not sent as application/json.";
    ServerError: "Something failed on the server; nothing was changed.";
}

/// Whether a schema is read from a request or written in a response.
#[derive(Clone, Copy, PartialEq)]
enum Direction {
    Request,
    Response,
}

fn types(types: &[Type]) -> SchemaType {
    match types {
        [one] => SchemaType::Type(one.clone()),
        many => SchemaType::Array(many.to_vec()),
    }
}

/// One profile field's schema. Requests may send `null` to clear any field that can be empty;
/// the rules that need more than a type (formats, allowed values, country ids) are described
/// and enforced by the server, which answers 400 naming the field and the rule.
fn field_schema(field: ProfileField, direction: Direction) -> Schema {
    use Type::{Boolean, Integer, Null, String};
    let label = field.label();
    let (kinds, max, description): (&[Type], Option<usize>, Cow<str>) = match field.kind() {
        FieldKind::Text {
            max,
            required: true,
        } => (&[String], Some(max), "Required.".into()),
        FieldKind::Text { max, .. } => (&[String, Null], Some(max), "".into()),
        FieldKind::Markdown { max } => (
            &[String, Null],
            Some(max),
            "Markdown; links and emphasis are kept, raw HTML and images are removed.".into(),
        ),
        FieldKind::Gender => (
            &[String, Null],
            None,
            format!("One of {}.", Gender::ALL.map(Gender::as_str).join(", ")).into(),
        ),
        FieldKind::Date => (
            &[String, Null],
            None,
            "An ISO 8601 date (1990-06-15), not in the future, at most 130 years ago.".into(),
        ),
        FieldKind::Phone => (
            &[String, Null],
            None,
            "5 to 20 digits in any human format (+44 20 7946 0958).".into(),
        ),
        FieldKind::CountryId => (
            &[Integer, Null],
            None,
            "The ISO 3166-1 numeric code of a country of /api/public/countries.".into(),
        ),
        FieldKind::Email => (&[String, Null], None, "An e-mail address.".into()),
        FieldKind::TaxId => (
            &[String, Null],
            None,
            "Letters and digits; in the EU, the billing country's VAT prefix.".into(),
        ),
        FieldKind::Url => (
            &[String, Null],
            None,
            "An http(s) address or a bare host name.".into(),
        ),
        FieldKind::Tags => (
            &[String, Null],
            None,
            "Comma-separated tags, duplicates removed.".into(),
        ),
        FieldKind::Social(_) => (
            &[String, Null],
            None,
            "A handle or the address of the profile.".into(),
        ),
        FieldKind::Flag => (&[Boolean], None, "".into()),
        FieldKind::Secret => (
            &[String, Null],
            None,
            "Write-only: CurrentPassword, NewPassword and ConfirmPassword change the password \
             together."
                .into(),
        ),
    };
    let description = match description.as_ref() {
        "" => label.to_owned(),
        more => format!("{label}. {more}"),
    };
    let mut schema = ObjectBuilder::new()
        .schema_type(types(kinds))
        .description(Some(description));
    if let Some(max) = max {
        schema = schema.max_length(Some(max));
        if kinds == [String] && direction == Direction::Request {
            schema = schema.min_length(Some(1));
        }
    }
    if field.is_secret() {
        schema = schema.write_only(true);
    }
    schema.build().into()
}

/// The profile as an object of its fields: every patchable field for a request, every stored
/// one (and the profile's `Id`) for a response. No other property is allowed.
fn profile_schema(direction: Direction) -> Schema {
    let mut object = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::<Schema>::FreeForm(false)));
    if direction == Direction::Response {
        object = object
            .property(
                "Id",
                ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                    utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int64),
                )),
            )
            .required("Id");
    }
    for &field in ProfileField::ALL {
        if direction == Direction::Response && field.is_secret() {
            continue;
        }
        object = object.property(field.wire_name(), field_schema(field, direction));
        if direction == Direction::Response {
            object = object.required(field.wire_name());
        }
    }
    object.build().into()
}

/// The body of `PATCH /api/public/coworker/profile`: any subset of the fields.
pub struct ProfilePatchBody;

impl PartialSchema for ProfilePatchBody {
    fn schema() -> RefOr<Schema> {
        let mut schema = profile_schema(Direction::Request);
        if let Schema::Object(object) = &mut schema {
            object.description = Some(
                "The fields to change, by wire name; the others keep their values. All or \
                 nothing: one failed rule and nothing is saved."
                    .to_owned(),
            );
        }
        schema.into()
    }
}

impl ToSchema for ProfilePatchBody {
    fn name() -> Cow<'static, str> {
        "ProfilePatch".into()
    }
}

/// The `Value` of `GET /en/profile`: every stored field and the profile's id.
pub struct ProfileValues;

impl PartialSchema for ProfileValues {
    fn schema() -> RefOr<Schema> {
        profile_schema(Direction::Response).into()
    }
}

impl ToSchema for ProfileValues {
    fn name() -> Cow<'static, str> {
        "Profile".into()
    }
}
