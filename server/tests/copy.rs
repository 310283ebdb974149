//! Moving over: a SQLite database filled through the API is copied into a new database (the
//! PostgreSQL one of `PORTAL_TEST_POSTGRES` when it is set, else another SQLite file), and
//! everything is read back, and written on, through the API of a server on the copy.

mod common;

use app::server::store::{copy, scratch};
use common::{test_app_on_sqlite, test_app_over, TestApp};
use http::{Method, StatusCode};
use serde_json::{json, Value};

const PASSWORD: &str = "a quiet harbour at dusk";

/// What a member sees of themselves through the API.
async fn everything(app: &TestApp, token: &str) -> (Value, Option<String>, Value, Value) {
    let profile = app
        .call(Method::GET, "/en/profile", Some(token), None)
        .await;
    assert_eq!(profile.status, StatusCode::OK, "{}", profile.text);
    let me = app.call(Method::GET, "/login/me", Some(token), None).await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text);
    let mut me = me.json();
    // The session's expiry slides with each use.
    me["Value"]["ExpiresAt"] = Value::Null;
    let support = app
        .call(Method::GET, "/v1/profiles/support", Some(token), None)
        .await;
    assert_eq!(support.status, StatusCode::OK, "{}", support.text);
    (
        profile.json(),
        profile.header("etag").map(str::to_owned),
        me,
        support.json(),
    )
}

#[tokio::test]
async fn a_filled_database_copied_over_reads_back_the_same_and_takes_new_members() {
    let source = test_app_on_sqlite().await;
    let jane = source
        .sign_up("jane@example.com", PASSWORD, "Jane Doe")
        .await;
    let john = source
        .sign_up("john@example.com", PASSWORD, "John Roe")
        .await;
    let patched = source
        .call(
            Method::PATCH,
            "/api/public/coworker/profile",
            Some(&jane),
            Some(json!({
                "Position": "Designer", "ProfileIsPublic": true, "SignUpToNewsletter": true,
                "NotifyOnHelpDeskReplies": false, "CountryId": 620, "DateOfBirth": "1990-06-15",
                "ProfileTags": "design, research"
            })),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    let put = source
        .call(
            Method::PUT,
            "/v1/profiles/supportprofile",
            Some(&john),
            Some(json!({"Email": "help@roe.example", "Telephone": "+1 425 555 0100"})),
        )
        .await;
    assert_eq!(put.status, StatusCode::OK, "{}", put.text);
    let wrong = source
        .log_in("john@example.com", "not the password at all")
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let before = (
        everything(&source, &jane).await,
        everything(&source, &john).await,
    );
    let audits: i64 = source
        .store
        .scalar_sql("SELECT COUNT(*) FROM profile_audit")
        .await
        .expect("count");

    let dir = tempfile::tempdir().expect("temp dir");
    let target = scratch::open(dir.path()).await.expect("target opens");
    let copied = copy::copy(&source.store, &target).await.expect("copies");
    let rows = |table: &str| {
        copied
            .iter()
            .find(|(name, _)| *name == table)
            .map(|(_, rows)| *rows)
    };
    assert_eq!(rows("users"), Some(2));
    assert_eq!(rows("countries"), Some(249));
    assert_eq!(rows("password_failures"), Some(1));

    let copy = test_app_over(target).await;
    // The same tokens work: the sessions came along, with everything they show.
    assert_eq!(
        (
            everything(&copy, &jane).await,
            everything(&copy, &john).await
        ),
        before
    );
    let copied_audits: i64 = copy
        .store
        .scalar_sql("SELECT COUNT(*) FROM profile_audit")
        .await
        .expect("count");
    assert_eq!(copied_audits, audits);
    let directory: Vec<String> = copy
        .store
        .scalars_sql("SELECT full_name FROM customer_profiles WHERE profile_is_public")
        .await
        .expect("directory");
    assert_eq!(directory, ["Jane Doe"]);

    // Passwords still sign in, new members get new ids, and writes go on from the copied
    // version.
    assert_eq!(
        copy.log_in("jane@example.com", PASSWORD).await.status,
        StatusCode::OK
    );
    let newcomer = copy.sign_up("ann@example.com", PASSWORD, "Ann Lee").await;
    let again = copy
        .call(
            Method::PATCH,
            "/api/public/coworker/profile",
            Some(&jane),
            Some(json!({"Position": "Lead Designer"})),
        )
        .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text);
    let ids: Vec<i64> = copy
        .store
        .scalars_sql("SELECT id FROM users ORDER BY id")
        .await
        .expect("ids");
    assert_eq!(ids.len(), 3);
    assert!(ids[2] > ids[1], "{ids:?}");
    assert_eq!(
        copy.call(Method::GET, "/en/profile", Some(&newcomer), None)
            .await
            .status,
        StatusCode::OK
    );

    // A database that has members is never overwritten.
    assert!(matches!(
        copy::copy(&source.store, &copy.store).await,
        Err(copy::CopyError::TargetNotEmpty)
    ));
}
