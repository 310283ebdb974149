//! `make crash-test`: kill -9 safety. The release server runs under a steady PATCH load; each
//! client counts the writes the server acknowledged and remembers the last one. The server is
//! killed with SIGKILL at a random moment, and, with it down, the database must pass
//! `PRAGMA integrity_check` (SQLite), hold each client's last acknowledged value (or a later one
//! of the same client), and have an audit row for every acknowledged write. On SQLite by
//! default; on a new PostgreSQL database when `PORTAL_TEST_POSTGRES` names a server. Then it
//! starts again on the same database, and again, for `CRASH_ROUNDS` rounds (default 50).

use std::{
    path::Path,
    process::Command,
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use app::server::store::{scratch, Store};

use crate::{
    load::Connection as Client,
    process::{free_addr, Server},
    sign_up,
};

const CLIENTS: usize = 8;

/// A small xorshift generator: random enough for kill moments, and no dependency.
struct Moments(u64);

impl Moments {
    fn next_millis(&mut self, low: u64, high: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + self.0 % (high - low)
    }
}

/// The value client `client` writes as its `seq`-th write; sorts in write order.
fn position(client: usize, seq: u64) -> String {
    format!("writer {client} write {seq:010}")
}

fn written_seq(position: &str) -> Option<u64> {
    position.rsplit(' ').next()?.parse().ok()
}

pub async fn run(
    server_path: &str,
    site_root: &str,
    rounds: usize,
) -> Result<(usize, usize), String> {
    let dir = std::env::temp_dir().join(format!("portal-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    let result = rounds_on(&dir, server_path, site_root, rounds).await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn rounds_on(
    dir: &Path,
    server_path: &str,
    site_root: &str,
    rounds: usize,
) -> Result<(usize, usize), String> {
    let database = scratch::database_url(dir)
        .await
        .map_err(|error| error.to_string())?;
    let mut moments = Moments(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0x9e37_79b9, |since| since.as_nanos() as u64)
            | 1,
    );
    let acked = Arc::new(Acknowledged {
        last: (0..CLIENTS).map(|_| AtomicU64::new(0)).collect(),
        count: (0..CLIENTS).map(|_| AtomicU64::new(0)).collect(),
    });
    let mut members = Vec::new();
    let (mut passed, mut failed) = (0, 0);
    for round in 1..=rounds {
        let addr = free_addr();
        let mut command = Command::new(server_path);
        command
            .env("DATABASE_URL", &database)
            .env("LEPTOS_SITE_ADDR", addr.to_string())
            .env("LEPTOS_SITE_ROOT", site_root)
            .env("MAIL_OUTBOX", crate::scratch_outbox())
            .env("RUST_LOG", "error");
        let mut server = Server::start(command, addr, "/api/health").await?;
        if members.is_empty() {
            crate::process::check_site(addr).await?;
            members = sign_up(addr, CLIENTS).await?;
        }

        let running = Arc::new(AtomicBool::new(true));
        let writers: Vec<_> = members
            .iter()
            .enumerate()
            .map(|(client, (_, token))| {
                let (token, acked, running) = (token.clone(), acked.clone(), running.clone());
                tokio::spawn(async move {
                    let Ok(mut connection) = Client::open(addr).await else {
                        return;
                    };
                    // Numbers go on from the last acknowledged write; one the server took but did
                    // not acknowledge may be stored, and is then overwritten by a higher one.
                    let mut seq = acked.last[client].load(Ordering::SeqCst) + 1000;
                    while running.load(Ordering::SeqCst) {
                        seq += 1;
                        let body = format!(r#"{{"Position":"{}"}}"#, position(client, seq));
                        let request = crate::json_request(
                            "PATCH",
                            addr,
                            "/api/public/coworker/profile",
                            Some(&token),
                            body,
                        );
                        match connection.send(request).await {
                            Ok((status, _)) if status.is_success() => {
                                acked.last[client].store(seq, Ordering::SeqCst);
                                acked.count[client].fetch_add(1, Ordering::SeqCst);
                            }
                            // A refused write (or the server dying mid-answer) was never
                            // acknowledged; the next one gets a higher number.
                            Ok(_) => {}
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();

        tokio::time::sleep(Duration::from_millis(moments.next_millis(150, 1500))).await;
        server.kill();
        running.store(false, Ordering::SeqCst);
        for writer in writers {
            let _ = writer.await;
        }

        let problems = check(&database, &members, &acked).await;
        if problems.is_empty() {
            passed += 1;
        } else {
            failed += 1;
            eprintln!("round {round}: {}", problems.join("; "));
        }
        let total: u64 = acked.count.iter().map(|n| n.load(Ordering::SeqCst)).sum();
        eprintln!("round {round}: killed; {total} acknowledged writes so far");
    }
    Ok((passed, failed))
}

/// What the server acknowledged, per client.
struct Acknowledged {
    /// The sequence number of the last acknowledged write.
    last: Vec<AtomicU64>,
    /// How many writes were acknowledged.
    count: Vec<AtomicU64>,
}

/// With the server down: the file's integrity (SQLite), each client's last acknowledged value,
/// and an audit row for each acknowledged write.
async fn check(database: &str, members: &[(String, String)], acked: &Acknowledged) -> Vec<String> {
    let mut problems = Vec::new();
    let store = match Store::open(database).await {
        Ok(store) => store,
        Err(error) => return vec![format!("the database does not open: {error}")],
    };
    if matches!(store, Store::Sqlite(_)) {
        match store.scalars_sql::<String>("PRAGMA integrity_check").await {
            Ok(lines) if lines == ["ok"] => {}
            Ok(lines) => problems.push(format!("integrity_check: {}", lines.join(" / "))),
            Err(error) => problems.push(format!("integrity_check failed: {error}")),
        }
    }
    for (client, (email, _)) in members.iter().enumerate() {
        // The addresses are the load generator's own (`bench{n}@example.com`).
        let stored: Result<Option<String>, _> = store
            .scalar_sql(&format!(
                "SELECT p.position FROM customer_profiles p JOIN users u ON u.id = p.user_id
                 WHERE u.email_normalized = '{email}'"
            ))
            .await;
        let acknowledged = acked.last[client].load(Ordering::SeqCst);
        let stored_seq = stored
            .as_ref()
            .ok()
            .and_then(|position| position.as_deref().and_then(written_seq))
            .unwrap_or(0);
        if stored_seq < acknowledged {
            problems.push(format!(
                "writer {client}: write {acknowledged} was acknowledged but the database holds {stored:?}"
            ));
        }
        let audited: Result<i64, _> = store
            .scalar_sql(&format!(
                "SELECT COUNT(*) FROM profile_audit a JOIN customer_profiles p ON p.id = a.profile_id
                 JOIN users u ON u.id = p.user_id WHERE u.email_normalized = '{email}'"
            ))
            .await;
        let count = acked.count[client].load(Ordering::SeqCst);
        if !matches!(audited, Ok(rows) if rows as u64 >= count) {
            problems.push(format!(
                "writer {client}: {count} writes acknowledged, audit rows: {audited:?}"
            ));
        }
    }
    store.close().await;
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_values_carry_their_sequence_number() {
        assert_eq!(written_seq(&position(3, 42)), Some(42));
        assert_eq!(written_seq("Designer"), None);
        assert!(position(1, 9) < position(1, 10), "they sort in write order");
    }

    #[test]
    fn kill_moments_stay_in_their_range() {
        let mut moments = Moments(12345);
        for _ in 0..1000 {
            let ms = moments.next_millis(150, 1500);
            assert!((150..1500).contains(&ms), "{ms}");
        }
    }
}
