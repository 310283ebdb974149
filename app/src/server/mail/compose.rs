//! The portal's messages, each as plain text and as HTML. Everything a member or a visitor
//! could have typed (a name, an address) is escaped in the HTML; links are the portal's own.

use crate::html::escape_html;
use crate::server::store::mail::NewMail;

/// The product's name as messages sign it.
const SENDER_NAME: &str = "Member Portal";

/// One block of a message body.
enum Block {
    Paragraph(String),
    /// A link shown as a button in HTML, and as its address on a line of its own in text.
    Link {
        label: &'static str,
        url: String,
    },
}

fn paragraph(text: impl Into<String>) -> Block {
    Block::Paragraph(text.into())
}

fn link(label: &'static str, url: String) -> Block {
    Block::Link { label, url }
}

fn message(kind: &'static str, recipient: &str, subject: &str, blocks: Vec<Block>) -> NewMail {
    let mut text = String::new();
    let mut html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body style=\"font-family:sans-serif;line-height:1.5;color:#1f2933;max-width:36rem\">",
        escape_html(subject)
    );
    for block in &blocks {
        match block {
            Block::Paragraph(words) => {
                text.push_str(words);
                html.push_str(&format!("<p>{}</p>", escape_html(words)));
            }
            Block::Link { label, url } => {
                text.push_str(&format!("{label}:\n{url}"));
                html.push_str(&format!(
                    "<p><a href=\"{url}\" style=\"display:inline-block;padding:0.6rem 1rem;\
                     background:#1d4ed8;color:#fff;text-decoration:none;border-radius:4px\">\
                     {label}</a></p><p style=\"font-size:0.85rem;color:#52606d\">\
                     Or copy this address into your browser: {url}</p>",
                    url = escape_html(url),
                    label = escape_html(label),
                ));
            }
        }
        text.push_str("\n\n");
    }
    let signature = format!("— {SENDER_NAME}");
    text.push_str(&signature);
    text.push('\n');
    html.push_str(&format!(
        "<p style=\"color:#52606d\">{}</p></body></html>",
        escape_html(&signature)
    ));
    NewMail {
        kind,
        recipient: recipient.to_owned(),
        subject: subject.to_owned(),
        text,
        html,
    }
}

/// The lifetime of a link, as a sentence ends: "30 minutes", "7 days".
pub fn lifetime(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => plural(s / 86_400, "day"),
        s if s % 3_600 == 0 => plural(s / 3_600, "hour"),
        s => plural((s + 59) / 60, "minute"),
    }
}

fn plural(count: i64, unit: &str) -> String {
    if count == 1 {
        format!("1 {unit}")
    } else {
        format!("{count} {unit}s")
    }
}

const NOT_YOU: &str = "If you did not ask for this, you can ignore this message: nothing changes \
                       until the link is followed.";

pub fn reset_password(recipient: &str, url: String, valid_secs: i64) -> NewMail {
    message(
        "reset_password",
        recipient,
        "Reset your password",
        vec![
            paragraph(format!(
                "Someone (hopefully you) asked to reset the password of the account that signs \
                 in as {recipient}. Choose a new password here; the link works once, for {}.",
                lifetime(valid_secs)
            )),
            link("Choose a new password", url),
            paragraph(
                "Setting a new password signs the account out on every device. If you did not \
                 ask for this, ignore this message: your password stays as it is.",
            ),
        ],
    )
}

/// The answer to a reset asked for an address no account uses (so the person who owns the
/// address learns why no link came, and nobody else learns anything).
pub fn no_account(recipient: &str, sign_up_url: String) -> NewMail {
    message(
        "reset_password_no_account",
        recipient,
        "Password reset requested",
        vec![
            paragraph(format!(
                "Someone asked to reset the password of an account that signs in as {recipient}, \
                 but no account uses this address. If it was you, you may have signed up with \
                 another address, or you can create an account."
            )),
            link("Create an account", sign_up_url),
            paragraph("If you did not ask for this, you can ignore this message."),
        ],
    )
}

/// `everywhere`: every session ended (a reset), rather than every one but the member's own.
pub fn password_changed(recipient: &str, forgot_url: String, everywhere: bool) -> NewMail {
    let devices = if everywhere {
        "Every device"
    } else {
        "Every other device"
    };
    let mut blocks = vec![paragraph(format!(
        "The password of the account that signs in as {recipient} was just changed. {devices} \
         that was signed in has been signed out."
    ))];
    blocks.push(paragraph(
        "If this was you, there is nothing to do. If it was not, reset your password now and \
         check your profile:",
    ));
    blocks.push(link("Reset my password", forgot_url));
    message(
        "password_changed",
        recipient,
        "Your password was changed",
        blocks,
    )
}

pub fn verify_email(recipient: &str, url: String, valid_secs: i64) -> NewMail {
    message(
        "verify_email",
        recipient,
        "Confirm your e-mail address",
        vec![
            paragraph(format!(
                "Please confirm that {recipient} is your address, so that it can be used to \
                 recover your account. The link works for {}.",
                lifetime(valid_secs)
            )),
            link("Confirm my address", url),
            paragraph(NOT_YOU),
        ],
    )
}

pub fn confirm_email_change(recipient: &str, old: &str, url: String, valid_secs: i64) -> NewMail {
    message(
        "confirm_email_change",
        recipient,
        "Confirm your new e-mail address",
        vec![
            paragraph(format!(
                "The member who signs in as {old} asked to sign in as {recipient} from now on. \
                 Confirm the change here; until then, nothing changes. The link works for {}.",
                lifetime(valid_secs)
            )),
            link("Confirm the new address", url),
            paragraph(NOT_YOU),
        ],
    )
}

/// Sent to the new address instead of a confirmation link when another account uses it: only
/// whoever reads that address learns that it is taken.
pub fn email_taken(recipient: &str, forgot_url: String) -> NewMail {
    message(
        "email_change_taken",
        recipient,
        "This address already has an account",
        vec![
            paragraph(format!(
                "Someone asked to move an account to {recipient}, but another account already \
                 signs in with this address, so nothing was changed. If that account is yours and \
                 you cannot sign in to it, you can reset its password:"
            )),
            link("Reset the password", forgot_url),
            paragraph("If you did not ask for this, you can ignore this message."),
        ],
    )
}

pub fn email_changed(recipient: &str, new: &str, undo_url: String, valid_secs: i64) -> NewMail {
    message(
        "email_changed",
        recipient,
        "Your sign-in address was changed",
        vec![
            paragraph(format!(
                "The account that signed in as {recipient} now signs in as {new}. If this was \
                 you, there is nothing to do."
            )),
            paragraph(format!(
                "If it was not you, undo the change: the account goes back to {recipient} and \
                 every device is signed out. This link works for {}.",
                lifetime(valid_secs)
            )),
            link("Undo the change", undo_url),
        ],
    )
}

pub fn email_change_undone(recipient: &str, forgot_url: String) -> NewMail {
    message(
        "email_change_undone",
        recipient,
        "Your sign-in address is back",
        vec![
            paragraph(format!(
                "The change of your sign-in address was undone: the account signs in as \
                 {recipient} again, and every device was signed out."
            )),
            paragraph(
                "If someone else changed it, they may know your password: choose a new one now.",
            ),
            link("Choose a new password", forgot_url),
        ],
    )
}

pub fn account_deleted(recipient: &str, sign_up_url: String) -> NewMail {
    message(
        "account_deleted",
        recipient,
        "Your account was deleted",
        vec![
            paragraph(format!(
                "The account that signed in as {recipient} was deleted, as asked, with its \
                 profiles, support contact, sessions and security log. Every device was \
                 signed out."
            )),
            paragraph("You are welcome back at any time: the address can sign up again."),
            link("Create a new account", sign_up_url),
        ],
    )
}

/// `device`: the browser and system (from its User-Agent); `client`: the address the sign-in
/// came from; `when`: its time in UTC.
pub fn new_sign_in(
    recipient: &str,
    device: &str,
    client: &str,
    when: &str,
    forgot_url: String,
) -> NewMail {
    message(
        "new_sign_in",
        recipient,
        "New sign-in to your account",
        vec![
            paragraph(format!(
                "Your account was just signed in to from a browser it had not been used in \
                 before: {device}, from address {client}, at {when} UTC."
            )),
            paragraph(
                "If this was you, there is nothing to do. If it was not, reset your password \
                 now: that signs every device out.",
            ),
            link("Reset my password", forgot_url),
            paragraph("You can turn these messages off under Notifications in your profile."),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_as_a_person_would_say_them() {
        for (secs, said) in [
            (30 * 60, "30 minutes"),
            (60, "1 minute"),
            (90, "2 minutes"),
            (3_600, "1 hour"),
            (86_400, "1 day"),
            (7 * 86_400, "7 days"),
        ] {
            assert_eq!(lifetime(secs), said);
        }
    }

    #[test]
    fn what_a_visitor_typed_is_escaped_in_the_html_and_kept_in_the_text() {
        let mail = no_account(
            "\"<script>alert(1)</script>\"@example.com",
            "https://portal.example/signup".to_owned(),
        );
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(mail.html.contains("&lt;script&gt;"), "{}", mail.html);
        assert!(mail.text.contains("<script>alert(1)</script>"));
    }

    #[test]
    fn a_link_is_a_button_in_html_and_its_address_in_text() {
        let url = "https://portal.example/password/reset?token=abc".to_owned();
        let mail = reset_password("jane@example.com", url.clone(), 1800);
        assert!(mail
            .text
            .contains(&format!("Choose a new password:\n{url}")));
        assert!(mail.html.contains(&format!("href=\"{url}\"")));
        assert!(mail.text.contains("for 30 minutes"));
        assert_eq!(mail.subject, "Reset your password");
    }
}
