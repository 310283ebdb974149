//! `POST /en/profile/GenerateOpenAiProfile`: drafts from the built-in composer and from a fake
//! OpenAI-compatible server on 127.0.0.1 (success, timeout, errors, garbage), the quota, and
//! that nothing is saved and nothing private is sent. The fake refuses `max_tokens` and a
//! `temperature` as OpenAI's reasoning models do.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use app::server::{
    profiles::drafting::openai::{OpenAiDrafter, OpenAiSettings, MAX_ANSWER_BYTES},
    settings::DRAFTS_PER_HOUR,
};
use axum::{
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Json, Router,
};
use common::{test_app, test_app_drafting_with, TestApp, TestResponse};
use http::Method;
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";
const DRAFT: &str = "/en/profile/GenerateOpenAiProfile";

/// What the fake backend does with a chat completion request.
#[derive(Clone, Copy)]
enum Backend {
    Answers(&'static str),
    Sleeps(Duration),
    Fails,
    AnswersGarbage(&'static str),
    AnswersTooMuch,
}

/// A request the fake backend received: its `Authorization` header and JSON body.
type Received = (Option<String>, Value);

#[derive(Clone)]
struct Fake {
    behaviour: Backend,
    received: Arc<Mutex<Vec<Received>>>,
}

async fn chat_completions(
    State(fake): State<Fake>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    // As OpenAI's reasoning models answer the parameters they refuse.
    let refuse = |param: &str, message: &str| {
        let error = json!({"error": {"message": message, "type": "invalid_request_error",
                                      "param": param, "code": "unsupported_parameter"}});
        (StatusCode::BAD_REQUEST, Json(error)).into_response()
    };
    let refusal = if body.get("max_tokens").is_some() {
        Some(refuse(
            "max_tokens",
            "Unsupported parameter: 'max_tokens' is not supported with this model. Use \
             'max_completion_tokens' instead.",
        ))
    } else if body
        .get("temperature")
        .is_some_and(|value| value != &json!(1))
    {
        Some(refuse(
            "temperature",
            "Unsupported value: 'temperature' does not support 0.7 with this model. Only the \
             default (1) value is supported.",
        ))
    } else {
        None
    };
    fake.received
        .lock()
        .expect("lock")
        .push((authorization, body));
    if let Some(refusal) = refusal {
        return refusal;
    }
    match fake.behaviour {
        Backend::Answers(content) => Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        }))
        .into_response(),
        Backend::Sleeps(pause) => {
            tokio::time::sleep(pause).await;
            Json(json!({"choices": [{"message": {"content": "too late"}}]})).into_response()
        }
        Backend::Fails => (StatusCode::INTERNAL_SERVER_ERROR, "model crashed").into_response(),
        Backend::AnswersGarbage(text) => text.to_owned().into_response(),
        Backend::AnswersTooMuch => {
            let content = "word ".repeat(MAX_ANSWER_BYTES / 4);
            Json(json!({"choices": [{"message": {"content": content}}]})).into_response()
        }
    }
}

/// Starts a fake OpenAI-compatible server on 127.0.0.1 and a portal that drafts with it.
async fn portal_with_backend(behaviour: Backend, timeout: Duration) -> (TestApp, Fake) {
    let fake = Fake {
        behaviour,
        received: Arc::default(),
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let base_url = format!("http://{}/v1", listener.local_addr().expect("address"));
    let router = Router::new()
        .route("/v1/chat/completions", post(chat_completions))
        .with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let drafter = OpenAiDrafter::new(OpenAiSettings {
        base_url,
        api_key: Some("test-key".to_owned()),
        model: "test-model".to_owned(),
        timeout,
    })
    .expect("client");
    (test_app_drafting_with(Arc::new(drafter)).await, fake)
}

/// A member whose profile has professional facts and private details, and their token.
async fn member_with_profile(app: &TestApp, email: &str) -> String {
    let token = app.sign_up(email, PASSWORD, "Jane Doe").await;
    let response = app
        .call(
            Method::PATCH,
            "/api/public/coworker/profile",
            Some(&token),
            Some(json!({
                "Position": "Landscape Architect",
                "CompanyName": "Green Works",
                "Industry": "Architecture",
                "ProfileTags": "parks, urban design",
                "ProfileWebsite": "greenworks.example",
                "ProfileSummary": "I design parks.",
                "MobilePhone": "+351 912 345 678",
                "Address": "Rua Secreta 42",
                "DateOfBirth": "1988-04-05",
                "BillingEmail": "invoices@private.example",
                "TaxIDNumber": "PT123456789",
            })),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    token
}

async fn draft(app: &TestApp, token: &str) -> TestResponse {
    app.call(Method::POST, DRAFT, Some(token), None).await
}

/// The stored profile as the API reads it, and its ETag.
async fn stored(app: &TestApp, token: &str) -> (Value, String) {
    let response = app
        .call(Method::GET, "/en/profile", Some(token), None)
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let etag = response.header("etag").expect("ETag").to_owned();
    (response.json()["Value"].clone(), etag)
}

#[tokio::test]
async fn the_built_in_composer_drafts_from_the_profile_and_saves_nothing() {
    let app = test_app().await;
    let token = member_with_profile(&app, "composer@example.com").await;
    let before = stored(&app, &token).await;

    let response = draft(&app, &token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    let body = response.json();
    assert_eq!(body["WasSuccessful"], true);
    assert_eq!(body["Value"]["OpenAiProfileAvailable"], false);
    let summary = body["Value"]["ProfileSummary"].as_str().expect("a summary");
    assert!(
        summary.starts_with("**Jane Doe** is a Landscape Architect at Green Works"),
        "{summary}"
    );
    assert!(summary.contains("parks and urban design"), "{summary}");
    assert!(!summary.contains("Rua Secreta"), "{summary}");

    assert_eq!(stored(&app, &token).await, before, "nothing was saved");
}

#[tokio::test]
async fn a_draft_needs_a_session() {
    let app = test_app().await;
    let response = app.call(Method::POST, DRAFT, None, None).await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(response.header("www-authenticate"), Some("Bearer"));
    assert_eq!(response.json()["Status"], 401);
}

#[tokio::test]
async fn too_little_to_write_about_is_a_400_naming_the_fields_to_fill() {
    let app = test_app().await;
    let token = app.sign_up("empty@example.com", PASSWORD, "Jane Doe").await;
    let response = draft(&app, &token).await;
    assert_eq!(
        response.status,
        StatusCode::BAD_REQUEST,
        "{}",
        response.text
    );
    let fields: Vec<String> = response.json()["Errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["PropertyName"].as_str().expect("name").to_owned())
        .collect();
    assert_eq!(
        fields,
        ["Position", "CompanyName", "Industry", "ProfileTags"]
    );
    // Refusals like this one do not use up the member's drafts.
    let count: i64 = app
        .store
        .scalar_sql("SELECT COUNT(*) FROM summary_drafts")
        .await
        .expect("count");
    assert_eq!(count, 0);
}

#[tokio::test]
async fn the_eleventh_draft_in_an_hour_is_a_429_with_retry_after() {
    let app = test_app().await;
    let token = member_with_profile(&app, "busy@example.com").await;
    for n in 1..=DRAFTS_PER_HOUR {
        let response = draft(&app, &token).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "draft {n}: {}",
            response.text
        );
    }
    let refused = draft(&app, &token).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry_after: i64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_eq!(refused.json()["Status"], 429);

    let other = member_with_profile(&app, "calm@example.com").await;
    assert_eq!(draft(&app, &other).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_language_model_drafts_from_the_professional_fields_only() {
    let (app, fake) = portal_with_backend(
        Backend::Answers("```markdown\n**Jane** designs parks people love.\n```"),
        Duration::from_secs(10),
    )
    .await;
    let token = member_with_profile(&app, "model@example.com").await;
    let before = stored(&app, &token).await;

    let response = draft(&app, &token).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let value = &response.json()["Value"];
    assert_eq!(
        value["ProfileSummary"],
        "**Jane** designs parks people love."
    );
    assert_eq!(value["OpenAiProfileAvailable"], true);
    assert_eq!(stored(&app, &token).await, before, "nothing was saved");

    let received = fake.received.lock().expect("lock").clone();
    assert_eq!(received.len(), 1);
    let (authorization, body) = &received[0];
    assert_eq!(authorization.as_deref(), Some("Bearer test-key"));
    assert_eq!(body["model"], "test-model");
    assert!(body["max_completion_tokens"].as_u64().is_some(), "{body}");
    let sent = body.to_string();
    for fact in [
        "Jane Doe",
        "Landscape Architect",
        "Green Works",
        "Architecture",
        "urban design",
        "https://greenworks.example",
    ] {
        assert!(sent.contains(fact), "{fact} missing from {sent}");
    }
    for private in [
        "model@example.com",
        "+351",
        "912 345",
        "Rua Secreta",
        "1988",
        "invoices@private.example",
        "PT123456789",
        PASSWORD,
        // The current summary is not sent either: the draft is written from the facts.
        "I design parks",
    ] {
        assert!(!sent.contains(private), "{private} was sent: {sent}");
    }
}

/// Drafting with `behaviour` fails with `status`, says so in plain words, and saves nothing.
async fn assert_backend_failure(
    behaviour: Backend,
    timeout: Duration,
    status: StatusCode,
) -> String {
    let (app, _fake) = portal_with_backend(behaviour, timeout).await;
    let token = member_with_profile(&app, "failure@example.com").await;
    let before = stored(&app, &token).await;
    let response = draft(&app, &token).await;
    assert_eq!(response.status, status, "{}", response.text);
    let body = response.json();
    assert_eq!(body["WasSuccessful"], false);
    assert_eq!(body["Status"], status.as_u16());
    assert_eq!(stored(&app, &token).await, before, "nothing was saved");
    let message = body["Message"].as_str().expect("a message").to_owned();
    assert!(message.contains("Nothing was changed"), "{message}");
    message
}

#[tokio::test]
async fn a_backend_that_does_not_answer_in_time_is_a_504() {
    let started = std::time::Instant::now();
    let message = assert_backend_failure(
        Backend::Sleeps(Duration::from_secs(30)),
        Duration::from_secs(1),
        StatusCode::GATEWAY_TIMEOUT,
    )
    .await;
    assert!(
        message.contains("did not answer in time (1 s)"),
        "{message}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "the timeout cut the wait short"
    );
}

#[tokio::test]
async fn a_backend_error_is_a_502() {
    let message = assert_backend_failure(
        Backend::Fails,
        Duration::from_secs(10),
        StatusCode::BAD_GATEWAY,
    )
    .await;
    assert!(message.contains("not available"), "{message}");
}

#[tokio::test]
async fn a_garbled_answer_is_a_502() {
    for garbage in [
        "<html>gateway</html>",
        r#"{"choices": []}"#,
        r#"{"choices": [{"message": {"content": "   "}}]}"#,
        r#"{"error": {"message": "model not found"}}"#,
    ] {
        let message = assert_backend_failure(
            Backend::AnswersGarbage(garbage),
            Duration::from_secs(10),
            StatusCode::BAD_GATEWAY,
        )
        .await;
        assert!(message.contains("not a summary"), "{garbage}: {message}");
    }
}

#[tokio::test]
async fn an_oversized_answer_is_refused() {
    let message = assert_backend_failure(
        Backend::AnswersTooMuch,
        Duration::from_secs(10),
        StatusCode::BAD_GATEWAY,
    )
    .await;
    assert!(message.contains("not a summary"), "{message}");
}

#[tokio::test]
async fn an_unreachable_backend_is_a_502() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let drafter = OpenAiDrafter::new(OpenAiSettings {
        base_url: format!("http://127.0.0.1:{port}/v1"),
        api_key: None,
        model: "m".to_owned(),
        timeout: Duration::from_secs(5),
    })
    .expect("client");
    let app = test_app_drafting_with(Arc::new(drafter)).await;
    let token = member_with_profile(&app, "unreachable@example.com").await;
    let response = draft(&app, &token).await;
    assert_eq!(
        response.status,
        StatusCode::BAD_GATEWAY,
        "{}",
        response.text
    );
}
