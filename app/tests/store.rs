//! The store against a throwaway database of each backend (SQLite, or PostgreSQL when
//! `PORTAL_TEST_POSTGRES` names a server), through its public interface: backups, the mail
//! queue, and the operator's switches. Members are made through the store (`scratch::member`).

use app::{
    model::{password_policy::PasswordPolicy, security::Origin},
    server::store::{
        backup::BackupError, mail::NewMail, scratch, security_log::NewEvent, sessions::NewSession,
        Store,
    },
};

/// The password hash of the members made here: none of these tests signs in.
const NOT_A_HASH: &str = "not a hash";

#[tokio::test]
async fn a_backup_is_a_new_checked_file_with_every_member() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open_sqlite(dir.path()).await.expect("store");
    scratch::member(&store, "jane@example.com", "Jane Doe", NOT_A_HASH).await;
    let path = dir.path().join("backup.db");
    let backup = store.backup_into(&path).await.expect("backup");
    assert_eq!(backup.members, 1);
    assert!(backup.bytes > 0);
    // Never over an existing file (yesterday's backup, or the database itself).
    assert!(matches!(
        store.backup_into(&path).await,
        Err(BackupError::Exists(_))
    ));
    let copy = Store::open(&format!("sqlite://{}", path.display()))
        .await
        .expect("the copy opens as a portal database");
    let email: String = copy
        .scalar_sql("SELECT email FROM users")
        .await
        .expect("read");
    assert_eq!(email, "jane@example.com");
}

#[tokio::test]
async fn each_due_message_is_claimed_once_until_its_lease_runs_out() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open(dir.path()).await.expect("store");
    // Jane's sign-up queued her verification link.
    scratch::member(&store, "jane@example.com", "Jane Doe", NOT_A_HASH).await;
    let first = store
        .claim_due_mail(100_000_000_000, 100_000_000_300)
        .await
        .expect("claims")
        .expect("the verification message");
    assert_eq!(first.kind, "verify_email");
    store
        .queue_mail(
            &[NewMail {
                kind: "password_changed",
                recipient: "jane@example.com".to_owned(),
                subject: "Your password was changed".to_owned(),
                text: "x".to_owned(),
                html: "<p>x</p>".to_owned(),
            }],
            1,
        )
        .await
        .expect("queues");
    let second = store
        .claim_due_mail(100_000_000_000, 100_000_000_300)
        .await
        .expect("claims")
        .expect("the notice");
    assert_ne!(first.id, second.id);
    assert_eq!(
        store
            .claim_due_mail(100_000_000_000, 100_000_000_300)
            .await
            .expect("claims"),
        None,
        "both are leased"
    );
    // A worker that died leaves its message to be claimed again after the lease.
    let again = store
        .claim_due_mail(100_000_000_300, 100_000_000_600)
        .await
        .expect("claims")
        .expect("released");
    assert_eq!((again.id, again.attempts), (first.id, 2));
    store.mark_mail_sent(again.id, 5).await.expect("sent");
    store
        .mark_mail_failed(second.id, "550 no", None, 6)
        .await
        .expect("given up");
    assert_eq!(
        store
            .claim_due_mail(200_000_000_000, 200_000_000_300)
            .await
            .expect("claims"),
        None,
        "sent and given-up messages are never claimed"
    );
    assert_eq!(store.delete_finished_mail(6).await.expect("deletes"), 2);
}

fn event<'a>(user_id: i64, kind: &'static str, origin: &'a Origin) -> NewEvent<'a> {
    NewEvent {
        user_id,
        kind,
        detail: "",
        origin,
        at: 1_000,
    }
}

#[tokio::test]
async fn disabling_ends_every_session_once_and_enabling_undoes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open(dir.path()).await.expect("store");
    let (jane, jane_profile) =
        scratch::member(&store, "jane@example.com", "Jane Doe", NOT_A_HASH).await;
    let (omar, omar_profile) =
        scratch::member(&store, "omar@example.com", "Omar Haddad", NOT_A_HASH).await;
    for (user_id, profile_id, token_hash) in
        [(jane, jane_profile, b"j"), (omar, omar_profile, b"o")]
    {
        store
            .insert_session(&NewSession {
                token_hash,
                user_id,
                profile_id,
                now: 1,
                expires_at: i64::MAX,
                mails: &[],
                origin: &Origin::default(),
                event_kind: "signed_up",
                event_detail: "",
            })
            .await
            .expect("signs in");
    }
    let origin = Origin::default();
    let disable = event(jane, "operator_action", &origin);

    assert!(store
        .set_member_disabled(jane, Some(1_000), &disable)
        .await
        .expect("disable"));
    // A second disable changes nothing and logs nothing.
    assert!(!store
        .set_member_disabled(jane, Some(2_000), &disable)
        .await
        .expect("disable again"));
    assert!(store.is_disabled(jane).await.expect("read"));
    let members = store.member_rows(None, None).await.expect("members");
    let summary: Vec<(&str, Option<i64>, i64)> = members
        .iter()
        .map(|m| (m.email.as_str(), m.disabled_at, m.sessions))
        .collect();
    assert_eq!(
        summary,
        [
            ("jane@example.com", Some(1_000), 0),
            ("omar@example.com", None, 1)
        ]
    );
    let logged: i64 = store
        .scalar_sql(&format!(
            "SELECT COUNT(*) FROM security_events
             WHERE user_id = {} AND kind = 'operator_action'",
            jane
        ))
        .await
        .expect("count");
    assert_eq!(logged, 1);

    assert!(store
        .set_member_disabled(jane, None, &disable)
        .await
        .expect("enable"));
    assert!(!store.is_disabled(jane).await.expect("read"));
}

#[tokio::test]
async fn sign_up_is_open_until_closed_and_a_policy_is_stored_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = scratch::open(dir.path()).await.expect("store");
    assert!(store.sign_up_open().await.expect("read"));
    store.set_sign_up_open(false).await.expect("close");
    assert!(!store.sign_up_open().await.expect("read"));
    store.set_sign_up_open(true).await.expect("reopen");
    assert!(store.sign_up_open().await.expect("read"));

    let policy = PasswordPolicy {
        min_length: 14,
        max_length: 200,
        require_digit: true,
        require_upper: false,
        require_lower: true,
        require_symbol: true,
    };
    let main = &store.location_rows().await.expect("locations")[0];
    assert!(store
        .set_location_policy(main.id, &policy)
        .await
        .expect("set"));
    assert!(!store
        .set_location_policy(9_999, &policy)
        .await
        .expect("set"));
    let locations = store.location_rows().await.expect("locations");
    assert_eq!(
        (locations[0].name.as_str(), &locations[0].policy),
        ("Main space", &policy)
    );
}
