//! The load generator: `clients` connections, each sending its next request as soon as the last
//! one was answered (a closed loop), for a fixed time; latencies kept for percentiles.

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use bytes::Bytes;
use http::{HeaderMap, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpSocket;

/// Builds client `client`'s request number `seq`.
pub type MakeRequest = Arc<dyn Fn(usize, u64) -> Request<Full<Bytes>> + Send + Sync>;

#[derive(Debug, Default)]
pub struct Stats {
    /// Every answer's latency in microseconds, sorted.
    pub latencies_us: Vec<u32>,
    pub non_2xx: u64,
    /// Requests that got no answer at all (connection errors).
    pub failed: u64,
    pub elapsed: Duration,
}

impl Stats {
    pub fn requests_per_sec(&self) -> f64 {
        self.latencies_us.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The latency below which `fraction` of the answers came, in milliseconds.
    pub fn percentile_ms(&self, fraction: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return 0.0;
        }
        let rank = ((self.latencies_us.len() as f64 * fraction).ceil() as usize).max(1) - 1;
        f64::from(self.latencies_us[rank.min(self.latencies_us.len() - 1)]) / 1000.0
    }

    /// Adds another measurement of the same requests: its answers and its time.
    pub fn add(&mut self, other: Stats) {
        self.latencies_us.extend(other.latencies_us);
        self.latencies_us.sort_unstable();
        self.non_2xx += other.non_2xx;
        self.failed += other.failed;
        self.elapsed += other.elapsed;
    }

    pub fn max_ms(&self) -> f64 {
        self.latencies_us
            .last()
            .map_or(0.0, |max| f64::from(*max) / 1000.0)
    }
}

/// One keep-alive connection.
pub struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
}

impl Connection {
    pub async fn open(addr: SocketAddr) -> std::io::Result<Self> {
        Self::open_from(addr, None).await
    }

    /// Connects from the loopback address `127.0.0.<source>`, so that the server sees clients
    /// at different addresses (its sign-in limits are per address, as for real members).
    pub async fn open_from(addr: SocketAddr, source: Option<u8>) -> std::io::Result<Self> {
        let socket = TcpSocket::new_v4()?;
        if let Some(source) = source {
            socket.bind(SocketAddr::from(([127, 0, 0, source], 0)))?;
        }
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(std::io::Error::other)?;
        tokio::spawn(connection);
        Ok(Connection { sender })
    }

    /// Sends `request` and reads the whole answer: its status and body.
    pub async fn send(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, Bytes), hyper::Error> {
        let (status, _, body) = self.exchange(request).await?;
        Ok((status, body))
    }

    /// Sends `request` and reads the whole answer: status, headers and body.
    pub async fn exchange(
        &mut self,
        request: Request<Full<Bytes>>,
    ) -> Result<(StatusCode, HeaderMap, Bytes), hyper::Error> {
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        Ok((parts.status, parts.headers, body))
    }
}

/// The loopback address client `client` connects from: 127.0.0.2 to 127.0.0.201.
pub fn source(client: usize) -> Option<u8> {
    Some(2 + (client % 200) as u8)
}

/// Runs `clients` closed-loop clients against `addr` for `duration` after `warm_up`.
pub async fn run(
    addr: SocketAddr,
    clients: usize,
    warm_up: Duration,
    duration: Duration,
    make_request: MakeRequest,
) -> Stats {
    let start = Instant::now() + warm_up;
    let end = start + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|client| {
            let make_request = make_request.clone();
            tokio::spawn(async move {
                let mut stats = Stats::default();
                let Ok(mut connection) = Connection::open_from(addr, source(client)).await else {
                    stats.failed += 1;
                    return stats;
                };
                let mut seq = 0;
                loop {
                    let sent = Instant::now();
                    if sent >= end {
                        break;
                    }
                    seq += 1;
                    let answer = connection.send(make_request(client, seq)).await;
                    if sent < start {
                        continue;
                    }
                    let latency = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                    match answer {
                        Ok((status, _)) => {
                            stats.latencies_us.push(latency);
                            if !status.is_success() {
                                stats.non_2xx += 1;
                            }
                        }
                        Err(_) => {
                            stats.failed += 1;
                            match Connection::open_from(addr, source(client)).await {
                                Ok(fresh) => connection = fresh,
                                Err(_) => break,
                            }
                        }
                    }
                }
                stats
            })
        })
        .collect();
    let mut total = Stats::default();
    for task in tasks {
        if let Ok(stats) = task.await {
            total.latencies_us.extend(stats.latencies_us);
            total.non_2xx += stats.non_2xx;
            total.failed += stats.failed;
        }
    }
    total.elapsed = duration;
    total.latencies_us.sort_unstable();
    total
}

/// Sends `per_sec` requests a second from fresh tasks, whatever the answers' latency (an open
/// loop), until `end`. Returns how many were not answered with 2xx.
pub async fn paced(
    addr: SocketAddr,
    per_sec: u32,
    end: Instant,
    make_request: MakeRequest,
) -> (u64, u64) {
    let mut ticker = tokio::time::interval(Duration::from_secs(1) / per_sec);
    let mut tasks = Vec::new();
    let mut seq = 0;
    while Instant::now() < end {
        ticker.tick().await;
        seq += 1;
        let make_request = make_request.clone();
        tasks.push(tokio::spawn(async move {
            let mut connection = Connection::open_from(addr, source(seq as usize))
                .await
                .ok()?;
            let (status, _) = connection
                .send(make_request(seq as usize, seq))
                .await
                .ok()?;
            Some(status.is_success())
        }));
    }
    let (mut sent, mut bad) = (0, 0);
    for task in tasks {
        sent += 1;
        if !matches!(task.await, Ok(Some(true))) {
            bad += 1;
        }
    }
    (sent, bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_latencies() {
        let stats = Stats {
            latencies_us: (1..=100).map(|ms| ms * 1000).collect(),
            elapsed: Duration::from_secs(10),
            ..Stats::default()
        };
        assert_eq!(stats.percentile_ms(0.5), 50.0);
        assert_eq!(stats.percentile_ms(0.99), 99.0);
        assert_eq!(stats.max_ms(), 100.0);
        assert_eq!(stats.requests_per_sec(), 10.0);
        assert_eq!(Stats::default().percentile_ms(0.99), 0.0);
    }

    #[test]
    fn added_measurements_count_as_one() {
        let mut total = Stats::default();
        for part in [(51..=100), (1..=50)] {
            total.add(Stats {
                latencies_us: part.map(|ms| ms * 1000).collect(),
                elapsed: Duration::from_secs(5),
                non_2xx: 1,
                ..Stats::default()
            });
        }
        assert_eq!(total.percentile_ms(0.5), 50.0);
        assert_eq!(total.percentile_ms(0.99), 99.0);
        assert_eq!(total.requests_per_sec(), 10.0);
        assert_eq!(total.non_2xx, 2);
    }
}
