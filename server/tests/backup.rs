//! `server backup PATH` while the server takes profile writes: the copy passes SQLite's
//! integrity check, opens as a portal database and holds every write acknowledged before the
//! backup started.

mod common;

use std::{
    process::{Command, Stdio},
    sync::{
        atomic::{AtomicBool, AtomicI64, Ordering},
        Arc,
    },
};

use app::server::store::Store;
use common::binary::{
    assert_one_line_error, http, run_to_exit, server_command, start, status_and_body, terminate,
    SERVER,
};
use serde_json::{json, Value};

fn backup(database_url: &str, path: &std::path::Path) -> std::process::Output {
    let mut command = Command::new(SERVER);
    command
        .arg("backup")
        .arg(path)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_to_exit(command)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_under_patch_load_is_whole_and_holds_every_acknowledged_write() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("portal.db").display());
    let server = start(server_command(&database_url, "127.0.0.1:0"));
    let address = server.address.clone();
    let sign_up = |email: &str| {
        let body = json!({"Email": email, "Password": "a quiet harbour at dusk",
                          "FullName": "Jane Doe"})
        .to_string();
        let response = http(&address, "POST", "/api/auth/signup", &[], &body);
        let (status, text) = status_and_body(&response);
        assert_eq!(status, 201, "{text}");
        let token: Value = serde_json::from_str(text).expect("JSON");
        format!(
            "Bearer {}",
            token["Value"]["AccessToken"].as_str().expect("token")
        )
    };

    // Two members, each with a writer that sets their position to the next number, one write
    // after the other, and notes the last one the server acknowledged.
    let stop = Arc::new(AtomicBool::new(false));
    let members: Vec<(String, Arc<AtomicI64>)> = ["jane@example.com", "omar@example.com"]
        .into_iter()
        .map(|email| (sign_up(email), Arc::new(AtomicI64::new(0))))
        .collect();
    let writers: Vec<_> = members
        .iter()
        .map(|(bearer, acknowledged)| {
            let (acknowledged, stop) = (acknowledged.clone(), stop.clone());
            let (address, bearer) = (address.clone(), bearer.clone());
            std::thread::spawn(move || {
                for n in 1.. {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let body = json!({"Position": format!("Role {n}")}).to_string();
                    let response = http(
                        &address,
                        "PATCH",
                        "/api/public/coworker/profile",
                        &[("Authorization", &bearer)],
                        &body,
                    );
                    let (status, text) = status_and_body(&response);
                    assert_eq!(status, 200, "{text}");
                    acknowledged.store(n, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let acknowledged = || -> Vec<i64> {
        members
            .iter()
            .map(|(_, acknowledged)| acknowledged.load(Ordering::SeqCst))
            .collect()
    };
    while acknowledged().iter().any(|&n| n < 30) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }

    let copy = dir.path().join("backup.db");
    let before = acknowledged();
    let output = backup(&database_url, &copy);
    let after = acknowledged();
    stop.store(true, Ordering::SeqCst);
    for writer in writers {
        writer.join().expect("writer");
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("backed up 2 member(s)"), "{stdout}");
    assert!(stdout.contains("integrity check ok"), "{stdout}");
    assert!(
        after
            .iter()
            .zip(&before)
            .all(|(after, before)| after > before),
        "the writes went on during the backup: {before:?} then {after:?}"
    );

    // Restored: the copy opens as a portal, checks whole, and has every write acknowledged
    // before the backup began (each member's writes are in order, and each is audited).
    let restored = Store::open(&format!("sqlite://{}", copy.display()))
        .await
        .expect("the copy opens");
    let check: String = restored
        .scalar_sql("PRAGMA integrity_check")
        .await
        .expect("check");
    assert_eq!(check, "ok");
    let positions: Vec<String> = restored
        .scalars_sql(
            "SELECT p.position FROM customer_profiles p JOIN users u ON u.id = p.user_id
             ORDER BY u.email",
        )
        .await
        .expect("positions");
    let copied: Vec<i64> = positions
        .iter()
        .map(|position| {
            position
                .trim_start_matches("Role ")
                .parse()
                .expect("a number")
        })
        .collect();
    assert!(
        copied
            .iter()
            .zip(&before)
            .all(|(copied, before)| copied >= before),
        "the copy holds {copied:?}; acknowledged before it began: {before:?}"
    );
    let audits: i64 = restored
        .scalar_sql("SELECT COUNT(*) FROM profile_audit")
        .await
        .expect("count");
    assert!(audits >= before.iter().sum::<i64>(), "{audits} audit rows");

    // Never over an existing file.
    let again = backup(&database_url, &copy);
    assert_one_line_error(&again, "exists already");
    terminate(server.child);
}
