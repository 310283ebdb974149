//! The writers against a throwaway database of each backend: batches, stale versions, a broken
//! update in a batch, sessions checked with the write, and what each mode leaves stored.

use super::*;
use crate::server::store::direct;
use crate::{
    model::profile::patch::StoredValue,
    server::identity::testing::{member, sqlite_member},
};

fn position(profile_id: i64, user_id: i64, text: &str) -> ProfileWrite {
    ProfileWrite {
        change: ProfileChange {
            profile_id,
            user_id,
            session_id: 0,
            values: vec![(
                ProfileField::Position,
                Some(StoredValue::Text(text.to_owned())),
            )],
            expected_version: None,
            password: None,
            origin: Origin::default(),
        },
        changed_fields: "Position".to_owned(),
    }
}

/// `write` with its change made by `change`.
fn with(write: ProfileWrite, change: impl FnOnce(&mut ProfileChange)) -> ProfileWrite {
    let mut write = write;
    change(&mut write.change);
    write
}

#[tokio::test]
async fn each_update_in_a_batch_succeeds_or_fails_on_its_own() {
    let (_dir, store, session) = member().await;
    let (profile, user) = (session.active_profile_id, session.user_id);

    let first = position(profile, user, "Designer");
    let stale = with(position(profile, user, "Stale"), |change| {
        change.expected_version = Some(1)
    });
    // A number where a flag goes (SQLite's CHECK refuses it, PostgreSQL's types do): a
    // statement that fails outright.
    let broken = with(position(profile, user, ""), |change| {
        change.values = vec![(
            ProfileField::ReceiveActivityDigest,
            Some(StoredValue::Integer(7)),
        )]
    });
    let last = ProfileWrite {
        changed_fields: "Industry".to_owned(),
        ..with(position(profile, user, ""), |change| {
            change.values = vec![(
                ProfileField::Industry,
                Some(StoredValue::Text("Design".to_owned())),
            )]
        })
    };
    let writes = [&first, &stale, &broken, &last];
    let results = match &store {
        Store::Sqlite(pool) => {
            let path = pool.connect_options().get_filename().to_owned();
            let mut connection = direct::open(&path).expect("connects");
            sqlite_writer::commit_writes(&mut connection, &writes)
        }
        Store::Postgres(pool) => {
            let mut connection = PgConnection::connect_with(&pool.connect_options())
                .await
                .expect("connects");
            commit_batch(&mut connection, &writes).await
        }
    };

    assert!(matches!(results[0], Ok(2)), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(ServiceError::PreconditionFailed(_))),
        "the first write moved the version on: {:?}",
        results[1]
    );
    assert!(
        matches!(results[2], Err(ServiceError::Internal(_))),
        "{:?}",
        results[2]
    );
    assert!(matches!(results[3], Ok(3)), "{:?}", results[3]);

    let stored: (Option<String>, Option<String>, bool, i64) = store
        .row_sql(
            "SELECT position, industry, receive_activity_digest, version
             FROM customer_profiles",
        )
        .await
        .expect("row");
    assert_eq!(
        stored,
        (
            Some("Designer".to_owned()),
            Some("Design".to_owned()),
            true,
            3
        )
    );
    let audits: Vec<String> = store
        .scalars_sql("SELECT changed_fields FROM profile_audit ORDER BY id")
        .await
        .expect("audit");
    assert_eq!(audits, ["Position", "Industry"], "only what was written");
}

#[tokio::test]
async fn a_batch_that_cannot_begin_fails_every_update_and_writes_nothing() {
    let (_dir, pool, session) = sqlite_member().await;
    let (profile, user) = (session.active_profile_id, session.user_id);
    let mut connection = direct::open_with(
        pool.connect_options().get_filename(),
        std::time::Duration::from_millis(50),
    )
    .expect("connects");
    // Another connection holds the write lock for the whole attempt.
    let mut holder = pool.acquire().await.expect("a connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *holder)
        .await
        .expect("locks");

    let first = position(profile, user, "Designer");
    let second = position(profile, user, "Engineer");
    let results = sqlite_writer::commit_writes(&mut connection, &[&first, &second]);
    assert!(
        results
            .iter()
            .all(|result| matches!(result, Err(ServiceError::Internal(_)))),
        "{results:?}"
    );

    sqlx::query("ROLLBACK")
        .execute(&mut *holder)
        .await
        .expect("unlocks");
    let version: i64 = sqlx::query_scalar("SELECT version FROM customer_profiles")
        .fetch_one(&pool)
        .await
        .expect("row");
    assert_eq!(version, 1, "nothing was written");
}

#[tokio::test]
async fn the_sqlite_writer_starts_the_log_over_after_its_checkpoints() {
    let (_dir, pool, session) = sqlite_member().await;
    let (profile, user) = (session.active_profile_id, session.user_id);
    let path = pool.connect_options().get_filename().to_owned();
    let mut log = path.clone().into_os_string();
    log.push("-wal");
    let log_size = || std::fs::metadata(&log).map(|file| file.len()).unwrap_or(0);
    let before = log_size();

    // A checkpoint after every batch, as under load one follows every 100 ms.
    let jobs = sqlite_writer::start(path, 16, std::time::Duration::ZERO).expect("starts");
    for n in 0..200 {
        let (answer, answered) = oneshot::channel();
        let write = position(profile, user, &format!("Engineer {n}"));
        jobs.send(sqlite_writer::Job::Write { write, answer })
            .await
            .expect("sent");
        assert_eq!(answered.await.expect("answered").expect("written"), n + 2);
    }

    // Each commit appends at least five pages (the profile, the audit row and the
    // security-log entry with their indexes): 200 of them, never started over, would have
    // grown the log by 1,000 pages of 4 KiB.
    let frame = 4096 + 24;
    let grown = log_size().saturating_sub(before);
    assert!(grown < 64 * frame, "the log grew by {grown} bytes");
}

fn change(session: &crate::server::identity::sessions::Session) -> ProfileChange {
    ProfileChange {
        profile_id: session.active_profile_id,
        user_id: session.user_id,
        session_id: session.id,
        values: Vec::new(),
        expected_version: None,
        password: None,
        origin: Origin {
            client_addr: "192.0.2.7".to_owned(),
            user_agent: "Firefox".to_owned(),
        },
    }
}

fn text(value: &str) -> Option<StoredValue> {
    Some(StoredValue::Text(value.to_owned()))
}

#[tokio::test]
async fn only_what_differs_is_written_and_audited_whichever_way_the_writer_commits() {
    for mode in [WriteMode::Batched, WriteMode::EachAlone] {
        let (_dir, store, session) = member().await;
        let writer = ProfileWriter::start_with(&store, mode)
            .await
            .expect("writer");
        store
            .execute_sql("UPDATE customer_profiles SET city_name = 'Lisbon'")
            .await
            .expect("seed");
        let both = ProfileChange {
            values: vec![
                (ProfileField::CityName, text("Lisbon")),
                (ProfileField::Position, text("Designer")),
            ],
            ..change(&session)
        };
        let saved = writer.write(both.clone()).await.expect("written");
        assert_eq!(
            saved,
            Saved {
                version: 2,
                changed: vec![ProfileField::Position]
            },
            "{mode:?}: the city was already Lisbon"
        );
        let again = writer.write(both.clone()).await.expect("answered");
        assert_eq!(again.changed, Vec::<ProfileField>::new(), "{mode:?}");
        assert_eq!(
            again.version, 2,
            "{mode:?}: nothing differed, no new version"
        );
        let stale = ProfileChange {
            expected_version: Some(1),
            values: vec![(ProfileField::Position, text("Engineer"))],
            ..change(&session)
        };
        assert!(
            matches!(
                writer.write(stale).await,
                Err(ServiceError::PreconditionFailed(_))
            ),
            "{mode:?}"
        );
        let same_but_stale = ProfileChange {
            expected_version: Some(1),
            ..both.clone()
        };
        assert!(
            matches!(
                writer.write(same_but_stale).await,
                Err(ServiceError::PreconditionFailed(_))
            ),
            "{mode:?}: a stale If-Match fails even when nothing differs"
        );
        let cleared = ProfileChange {
            expected_version: Some(2),
            values: vec![
                (ProfileField::CityName, None),
                (ProfileField::CountryId, None),
            ],
            ..change(&session)
        };
        assert_eq!(
            writer.write(cleared).await.expect("written"),
            Saved {
                version: 3,
                changed: vec![ProfileField::CityName]
            },
            "{mode:?}: the country was never set"
        );
        let gone = ProfileChange {
            profile_id: session.active_profile_id + 100,
            values: vec![(ProfileField::Position, text("Nobody"))],
            ..change(&session)
        };
        assert!(
            matches!(writer.write(gone).await, Err(ServiceError::NotFound(_))),
            "{mode:?}"
        );

        let stored: (Option<String>, Option<String>, i64) = store
            .row_sql("SELECT position, city_name, version FROM customer_profiles")
            .await
            .expect("row");
        assert_eq!(stored, (text_of("Designer"), None, 3), "{mode:?}");
        let audits: Vec<String> = store
            .scalars_sql("SELECT changed_fields FROM profile_audit ORDER BY id")
            .await
            .expect("audit");
        assert_eq!(audits, ["Position", "CityName"], "{mode:?}");
        let logged: Vec<String> = store
            .scalars_sql(
                "SELECT detail || ' ' || client_addr || ' ' || user_agent \
                 FROM security_events WHERE kind = 'profile_changed' ORDER BY id",
            )
            .await
            .expect("log");
        assert_eq!(
            logged,
            ["Position 192.0.2.7 Firefox", "CityName 192.0.2.7 Firefox"],
            "{mode:?}: the security log has each change and where it came from"
        );
    }
}

#[tokio::test]
async fn a_change_by_session_checks_the_session_and_the_tag_where_it_writes() {
    let (_dir, store, _) = member().await;
    let token =
        crate::server::identity::testing::signed_up_token(&store, "ann@example.com", "Ann").await;
    let hash = crate::server::identity::sessions::token_hash(&token);
    let writer = ProfileWriter::start(&store).await.expect("writer");
    assert!(
        writer.checks_sessions(),
        "the default writer of either backend"
    );
    let now = clock::now();
    let origin = Origin::default();
    let position = |value: &str| vec![(ProfileField::Position, text(value))];

    let (session, saved) = writer
        .write_for_session(
            hash.clone(),
            position("Designer"),
            None,
            now,
            origin.clone(),
        )
        .await
        .expect("answered")
        .expect("a live session");
    assert_eq!(
        saved,
        Saved {
            version: 2,
            changed: vec![ProfileField::Position]
        }
    );
    let profile = session.active_profile_id;

    let unknown = crate::server::identity::sessions::token_hash("not a token");
    let expired = now + 400 * 24 * 3600;
    for (hash, now) in [(unknown, now), (hash.clone(), expired)] {
        let found = writer
            .write_for_session(hash, position("Intruder"), None, now, origin.clone())
            .await
            .expect("answered");
        assert!(found.is_none(), "no live session: {found:?}");
    }
    for (expected, why) in [
        ((Some(profile), 1), "an old version"),
        ((Some(profile + 1), 2), "another profile's tag"),
        (
            (None, -1),
            "a tag of something else (as `IfMatch::single` passes it)",
        ),
    ] {
        let result = writer
            .write_for_session(
                hash.clone(),
                position("Stale"),
                Some(expected),
                now,
                origin.clone(),
            )
            .await;
        assert!(
            matches!(result, Err(ServiceError::PreconditionFailed(_))),
            "{why}: {result:?}"
        );
    }
    let (_, saved) = writer
        .write_for_session(
            hash.clone(),
            vec![(ProfileField::CityName, text("Porto"))],
            Some((Some(profile), 2)),
            now,
            origin.clone(),
        )
        .await
        .expect("answered")
        .expect("a live session");
    assert_eq!(saved.version, 3, "the current tag writes");

    let stored: (Option<String>, Option<String>, i64) = store
        .row_sql(&format!(
            "SELECT position, city_name, version FROM customer_profiles WHERE id = {profile}"
        ))
        .await
        .expect("row");
    assert_eq!(stored, (text_of("Designer"), text_of("Porto"), 3));
    let audits: Vec<String> = store
        .scalars_sql(&format!(
            "SELECT changed_fields FROM profile_audit WHERE profile_id = {profile} ORDER BY id"
        ))
        .await
        .expect("audit");
    assert_eq!(audits, ["Position", "CityName"], "only what was written");
    let others: i64 = store
        .row_sql::<(i64,)>("SELECT COUNT(*) FROM profile_audit")
        .await
        .expect("count")
        .0;
    assert_eq!(others, 2, "nothing reached another member's profile");
}

fn text_of(value: &str) -> Option<String> {
    Some(value.to_owned())
}

#[tokio::test]
async fn concurrent_updates_of_different_fields_all_stay_each_with_its_own_version() {
    for mode in [WriteMode::Batched, WriteMode::EachAlone] {
        concurrent_updates_with(mode).await;
    }
}

async fn concurrent_updates_with(mode: WriteMode) {
    let (_dir, store, session) = member().await;
    let writer = ProfileWriter::start_with(&store, mode)
        .await
        .expect("writer");
    let fields = [
        ProfileField::Position,
        ProfileField::CompanyName,
        ProfileField::Industry,
        ProfileField::CityName,
    ];
    let tasks: Vec<_> = fields
        .iter()
        .enumerate()
        .map(|(n, field)| {
            let writer = writer.clone();
            let change = ProfileChange {
                values: vec![(*field, Some(StoredValue::Text(format!("value {n}"))))],
                ..change(&session)
            };
            tokio::spawn(async move { writer.write(change).await })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.expect("task").expect("written").version);
    }
    versions.sort_unstable();
    assert_eq!(
        versions,
        [2, 3, 4, 5],
        "{mode:?}: every update got its own version"
    );
    let stored: (String, String, String, String, i64) = store
        .row_sql(
            "SELECT position, company_name, industry, city_name, version
             FROM customer_profiles",
        )
        .await
        .expect("row");
    assert_eq!(
        stored,
        (
            "value 0".to_owned(),
            "value 1".to_owned(),
            "value 2".to_owned(),
            "value 3".to_owned(),
            5
        ),
        "{mode:?}: no update undid another"
    );
}
