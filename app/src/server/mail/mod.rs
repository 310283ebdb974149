//! Outgoing mail. A message is composed (`compose`) and queued in the database in the same
//! transaction as the change that causes it (`store::mail`); the worker (`worker`) sends what is
//! due through the configured transport (`transport`: SMTP, or `.eml` files in an outbox
//! folder), retrying with backoff, and records each outcome. No request waits for a mail server.

pub mod budget;
pub mod compose;
pub mod transport;
pub mod worker;

use std::sync::Arc;

use tokio::sync::Notify;

/// What services need to queue mail: the origin the links in it point at, and a way to wake the
/// worker of this instance (other instances find the message on their next poll).
#[derive(Clone, Debug)]
pub struct MailQueue {
    origin: String,
    wake: Arc<Notify>,
}

impl MailQueue {
    /// `origin`: the site's address as members reach it, such as `https://portal.example`. It is
    /// configuration (`PUBLIC_URL`, else the listening address), never a request's `Host`
    /// header, which whoever asks for a reset link could set to their own site.
    pub fn new(origin: &str) -> Self {
        MailQueue {
            origin: origin.trim_end_matches('/').to_owned(),
            wake: Arc::new(Notify::new()),
        }
    }

    /// The absolute address of `path` with `token` as its `token` parameter.
    pub fn link(&self, path: &str, token: &str) -> String {
        format!("{}{path}?token={token}", self.origin)
    }

    /// The absolute address of `path`.
    pub fn page(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// Tells the worker that a message was queued (call after the commit).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(crate) fn woken(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
