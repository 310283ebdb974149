//! A page's session against a throwaway database: looked up once per page read, every time for
//! a write, and seen ended by a write once the member signed out elsewhere.

use app::{
    model::security::{EventKind, Origin},
    server::{
        identity::security_log,
        identity::sessions::{self, PageSession, Start},
        store::scratch,
    },
};
use http::{header, Method, Request};

#[tokio::test]
async fn a_page_read_looks_its_session_up_once_and_a_write_every_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open(dir.path()).await.expect("opens");
    let (user_id, profile_id) =
        scratch::member(&store, "jane@example.com", "Jane Doe", "not a hash").await;
    let origin = Origin::default();
    let token = sessions::create(
        &store,
        Start {
            user_id,
            profile_id,
            ttl_secs: 3600,
            origin: &origin,
            kind: EventKind::SignedUp,
            detail: "",
        },
    )
    .await
    .expect("signs in")
    .token;
    let request = |method: Method, memo: &PageSession| {
        let (mut parts, ()) = Request::builder()
            .method(method)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(())
            .expect("request")
            .into_parts();
        parts.extensions.insert(memo.clone());
        parts
    };
    let (page, form) = (PageSession::default(), PageSession::default());
    let read = request(Method::GET, &page);
    let write = request(Method::POST, &form);
    let session = PageSession::authenticate(&store, &read, 3600)
        .await
        .expect("query")
        .expect("live");
    assert!(PageSession::authenticate(&store, &write, 3600)
        .await
        .expect("query")
        .is_some());
    // The read found the header's banner in the same query; a post looks it up itself.
    let banner = store
        .member_banner(session.active_profile_id, session.user_id)
        .await
        .expect("banner");
    assert_eq!(banner.0, "Jane Doe");
    assert_eq!(PageSession::banner(&read), Some(banner));
    assert_eq!(PageSession::banner(&write), None);

    security_log::end_session(&store, &session, session.id, &origin)
        .await
        .expect("signs out");
    // The page being rendered keeps the session it started with; a post sees it ended.
    assert_eq!(
        PageSession::authenticate(&store, &read, 3600)
            .await
            .expect("query"),
        Some(session)
    );
    assert_eq!(
        PageSession::authenticate(&store, &write, 3600)
            .await
            .expect("query"),
        None
    );
    // Without the middleware's memo, every call looks the session up.
    let (bare, ()) = Request::builder()
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(())
        .expect("request")
        .into_parts();
    assert_eq!(
        PageSession::authenticate(&store, &bare, 3600)
            .await
            .expect("query"),
        None
    );
}
