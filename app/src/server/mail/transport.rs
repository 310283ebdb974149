//! Where queued messages go: an SMTP server (`SMTP_URL`, through lettre, STARTTLS or TLS by
//! rustls) or, when none is configured, `.eml` files in an outbox folder a developer can open.

use std::path::{Path, PathBuf};

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::server::store::mail::QueuedMail;

/// Why a transport could not be set up (at start-up, from the configuration).
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("SMTP_URL must look like smtp://user:password@host:587 (STARTTLS), smtps://host:465 (TLS) or smtp://host:25?tls=none (a relay on a trusted network); {0}")]
    SmtpUrl(String),
    #[error(
        "MAIL_FROM {value:?} must be an address such as \"Member Portal <portal@example.com>\""
    )]
    From { value: String },
    #[error("cannot make the mail outbox folder {path}: {source}")]
    Outbox {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The outcome of one attempt that did not deliver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undelivered {
    pub reason: String,
    /// Trying again cannot help (the message itself is malformed); the worker gives up at once.
    pub hopeless: bool,
}

enum Route {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox {
        folder: PathBuf,
        files: AsyncFileTransport<Tokio1Executor>,
    },
}

/// Sends queued messages from `from`.
pub struct Mailer {
    route: Route,
    from: Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("route", &self.describe())
            .field("from", &self.from.to_string())
            .finish()
    }
}

/// The sender: `MAIL_FROM`, parsed.
pub fn sender(value: &str) -> Result<Mailbox, TransportError> {
    value.parse().map_err(|_| TransportError::From {
        value: value.to_owned(),
    })
}

/// `SMTP_URL` as lettre reads it. `smtp://` means STARTTLS, required, unless the URL says
/// `?tls=opportunistic` or `?tls=none` (a relay on the same host or a trusted network, or a test
/// server); `smtps://` means TLS from the first byte. Credentials go in the URL's user info.
fn lettre_url(url: &str) -> Result<String, TransportError> {
    let mut parsed =
        url::Url::parse(url).map_err(|error| TransportError::SmtpUrl(error.to_string()))?;
    let tls = parsed
        .query_pairs()
        .find(|(name, _)| name == "tls")
        .map(|(_, value)| value.into_owned());
    match (parsed.scheme(), tls.as_deref()) {
        ("smtp", None) => {
            parsed.set_query(Some("tls=required"));
        }
        ("smtp", Some("none")) => parsed.set_query(None),
        ("smtp", Some("required" | "opportunistic")) | ("smtps", None) => {}
        (scheme, tls) => {
            return Err(TransportError::SmtpUrl(format!(
                "the scheme {scheme:?} with tls={tls:?} is not one of them"
            )))
        }
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(TransportError::SmtpUrl("it names no host".to_owned()));
    }
    Ok(parsed.into())
}

impl Mailer {
    /// Sends through the SMTP server at `url` (see `lettre_url`).
    pub fn smtp(url: &str, from: Mailbox) -> Result<Self, TransportError> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&lettre_url(url)?)
            .map_err(|error| TransportError::SmtpUrl(error.to_string()))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        Ok(Mailer {
            route: Route::Smtp(transport),
            from,
        })
    }

    /// Writes each message to `folder` as `<uuid>.eml` (made if missing).
    pub fn outbox(folder: &Path, from: Mailbox) -> Result<Self, TransportError> {
        std::fs::create_dir_all(folder).map_err(|source| TransportError::Outbox {
            path: folder.to_owned(),
            source,
        })?;
        let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_owned());
        Ok(Mailer {
            route: Route::Outbox {
                files: AsyncFileTransport::new(&folder),
                folder,
            },
            from,
        })
    }

    /// Where messages go, for the start-up log (never the SMTP credentials).
    pub fn describe(&self) -> String {
        match &self.route {
            Route::Smtp(_) => "an SMTP server (SMTP_URL)".to_owned(),
            Route::Outbox { folder, .. } => format!("the outbox folder {}", folder.display()),
        }
    }

    /// One attempt to hand `mail` over; on success, where it went (the outbox file, or the SMTP
    /// server's answer).
    pub async fn send(&self, mail: &QueuedMail) -> Result<String, Undelivered> {
        let message = self.message(mail)?;
        match &self.route {
            Route::Smtp(transport) => transport
                .send(message)
                .await
                .map(|response| {
                    format!(
                        "accepted by the SMTP server: {} {}",
                        response.code(),
                        response.first_line().unwrap_or_default()
                    )
                })
                .map_err(|error| Undelivered {
                    reason: error.to_string(),
                    hopeless: false,
                }),
            Route::Outbox { folder, files } => {
                let unwritten = |error: String| Undelivered {
                    reason: format!("cannot write to the outbox: {error}"),
                    hopeless: false,
                };
                let id = files
                    .send(message)
                    .await
                    .map_err(|error| unwritten(error.to_string()))?;
                // Beside the message as sent (quoted-printable, which breaks long links over
                // lines), its text part as written, for a developer to read and follow.
                let readable = format!(
                    "To: {}\nSubject: {}\n\n{}",
                    mail.recipient, mail.subject, mail.text_body
                );
                tokio::fs::write(folder.join(format!("{id}.txt")), readable)
                    .await
                    .map_err(|error| unwritten(error.to_string()))?;
                Ok(folder.join(format!("{id}.eml")).display().to_string())
            }
        }
    }

    fn message(&self, mail: &QueuedMail) -> Result<Message, Undelivered> {
        let hopeless = |reason: String| Undelivered {
            reason,
            hopeless: true,
        };
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|error| hopeless(format!("the recipient is not an address: {error}")))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text_body.clone(),
                mail.html_body.clone(),
            ))
            .map_err(|error| hopeless(format!("the message cannot be built: {error}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_require_tls_unless_they_say_otherwise() {
        for (given, read) in [
            (
                "smtp://mail.example:587",
                Ok("smtp://mail.example:587?tls=required"),
            ),
            (
                "smtp://user:p%40ss@mail.example:587",
                Ok("smtp://user:p%40ss@mail.example:587?tls=required"),
            ),
            (
                "smtp://127.0.0.1:2525?tls=none",
                Ok("smtp://127.0.0.1:2525"),
            ),
            (
                "smtp://mail.example?tls=opportunistic",
                Ok("smtp://mail.example?tls=opportunistic"),
            ),
            ("smtps://mail.example:465", Ok("smtps://mail.example:465")),
            ("http://mail.example", Err(())),
            ("smtps://mail.example?tls=none", Err(())),
            ("mail.example:25", Err(())),
        ] {
            assert_eq!(lettre_url(given).as_deref().map_err(drop), read, "{given}");
        }
    }

    #[tokio::test]
    async fn the_outbox_writes_each_message_as_an_eml_file_with_both_parts() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mailer = Mailer::outbox(
            &dir.path().join("outbox"),
            sender("Member Portal <portal@portal.test>").expect("sender"),
        )
        .expect("outbox");
        let written = mailer
            .send(&QueuedMail {
                id: 1,
                kind: "reset_password".to_owned(),
                recipient: "jane@example.com".to_owned(),
                subject: "Reset your password".to_owned(),
                text_body: "Choose a new password".to_owned(),
                html_body: "<p>Choose a new password</p>".to_owned(),
                attempts: 1,
            })
            .await
            .expect("written");
        assert!(written.ends_with(".eml"), "{written}");
        let readable = std::fs::read_to_string(written.replace(".eml", ".txt")).expect("text");
        assert!(
            readable.starts_with("To: jane@example.com\nSubject: Reset your password\n\nChoose")
        );
        let raw = std::fs::read_to_string(&written).expect("the file");
        for expected in [
            "To: jane@example.com",
            "From: \"Member Portal\" <portal@portal.test>",
            "Subject: Reset your password",
            "multipart/alternative",
            "text/plain",
            "text/html",
        ] {
            assert!(raw.contains(expected), "{expected} in {raw}");
        }
        let hopeless = mailer
            .send(&QueuedMail {
                recipient: "not an address".to_owned(),
                ..QueuedMail {
                    id: 2,
                    kind: "x".to_owned(),
                    recipient: String::new(),
                    subject: "x".to_owned(),
                    text_body: "x".to_owned(),
                    html_body: "x".to_owned(),
                    attempts: 1,
                }
            })
            .await
            .expect_err("refused");
        assert!(hopeless.hopeless);
    }

    #[test]
    fn a_sender_must_be_an_address() {
        assert!(sender("Member Portal <portal@example.com>").is_ok());
        assert!(sender("portal@example.com").is_ok());
        assert!(sender("Member Portal").is_err());
    }
}
