//! `server admin ...`: the operator's commands, on the database of `DATABASE_URL` (the running
//! server's too). Each prints its result as lines a person reads, or with `--json` as one JSON
//! document a script reads; a refusal is one line on stderr and exit status 1.

use std::io::{BufRead, IsTerminal};

use app::server::{
    error::ServiceError,
    mail::MailQueue,
    operations::operator::{self, Location, Member, PolicyChange},
    store::Store,
};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use crate::config::Config;

#[derive(Debug, Args)]
pub struct Admin {
    /// Print the result as JSON (an object, or an array for the lists).
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: AdminCommand,
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// List members (oldest first), or those with a profile at one location.
    Members {
        #[arg(long)]
        location: Option<String>,
    },
    /// Create a member; the password is read from standard input (one line). They are mailed a
    /// link to verify their address. Works while sign-up is closed.
    CreateMember {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The location's name (default: the location sign-up uses).
        #[arg(long)]
        location: Option<String>,
    },
    /// Set a member's password (read from standard input, one line); ends their sessions and
    /// tells their address.
    SetPassword { email: String },
    /// Mail a member a link to choose a new password.
    SendResetLink { email: String },
    /// End every session of a member.
    EndSessions { email: String },
    /// Disable a member: their sessions end and every sign-in is refused.
    Disable { email: String },
    /// Enable a disabled member again.
    Enable { email: String },
    /// List locations and their password policies.
    Locations,
    /// Change a location's password policy; what is not named stays as it is.
    SetPolicy {
        /// The location's name.
        location: String,
        #[arg(long)]
        min_length: Option<u32>,
        #[arg(long)]
        max_length: Option<u32>,
        #[arg(long)]
        require_digit: Option<bool>,
        #[arg(long)]
        require_upper: Option<bool>,
        #[arg(long)]
        require_lower: Option<bool>,
        #[arg(long)]
        require_symbol: Option<bool>,
    },
    /// Show whether sign-up is open, or open or close it.
    SignUp {
        #[arg(value_enum, default_value_t = SignUpAction::Status)]
        action: SignUpAction,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum SignUpAction {
    Status,
    Open,
    Close,
}

/// What a command printed: the JSON document and the lines a person reads.
struct Report {
    json: Value,
    text: String,
}

impl Report {
    /// A list: one line per item, a JSON array.
    fn list<T: serde::Serialize>(items: &[T], line: fn(&T) -> String) -> Report {
        Report {
            text: items.iter().map(line).collect::<Vec<_>>().join("\n"),
            json: json!(items),
        }
    }

    fn member(member: &Member, done: &str) -> Report {
        Report {
            json: json!(member),
            text: format!("{done}: {}", member_line(member)),
        }
    }
}

fn member_line(member: &Member) -> String {
    format!(
        "{} {} <{}> at {} since {}{}{}, {} session(s)",
        member.id,
        member.full_name,
        member.email,
        member.location,
        member.created_at,
        if member.email_verified {
            ""
        } else {
            ", address not verified"
        },
        if member.disabled { ", DISABLED" } else { "" },
        member.sessions
    )
}

fn location_line(location: &Location) -> String {
    let policy = &location.policy;
    let required: Vec<&str> = [
        (policy.require_digit, "digit"),
        (policy.require_upper, "upper"),
        (policy.require_lower, "lower"),
        (policy.require_symbol, "symbol"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect();
    format!(
        "{}{}: {} member(s); passwords {}-{} characters, requiring {}",
        location.name,
        if location.is_default {
            " (default)"
        } else {
            ""
        },
        location.members,
        policy.min_length,
        policy.max_length,
        if required.is_empty() {
            "no character classes".to_owned()
        } else {
            required.join(", ")
        }
    )
}

/// One line for a refusal: the rules that failed, or the error's sentence.
fn one_line(error: &ServiceError) -> String {
    match error {
        ServiceError::Validation(errors) => errors
            .iter()
            .map(|error| format!("{}: {}", error.property_name, error.message))
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// The first line of standard input: a password piped in, or typed without echo at a terminal.
fn read_password() -> Result<String, String> {
    let stdin = std::io::stdin();
    let line = if stdin.is_terminal() {
        rpassword::prompt_password("Password: ").map_err(|error| error.to_string())?
    } else {
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .map_err(|error| format!("cannot read the password from standard input: {error}"))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if line.is_empty() {
        return Err("no password on standard input (give it as the first line)".to_owned());
    }
    Ok(line)
}

/// Runs the command; what to print on success, or the one-line error.
pub async fn run(admin: Admin, config: &Config) -> Result<String, String> {
    let store = Store::open(&config.database_url)
        .await
        .map_err(|error| error.to_string())?;
    let origin = config
        .public_origin
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.leptos_options.site_addr));
    let mail = MailQueue::new(&origin);
    let report = execute(admin.command, &store, &mail).await;
    store.close().await;
    let report = report?;
    Ok(if admin.json {
        format!("{:#}", report.json)
    } else {
        report.text
    })
}

async fn execute(command: AdminCommand, store: &Store, mail: &MailQueue) -> Result<Report, String> {
    let refused = |error: ServiceError| one_line(&error);
    Ok(match command {
        AdminCommand::Members { location } => {
            let members = operator::members(store, location.as_deref())
                .await
                .map_err(refused)?;
            Report::list(&members, member_line)
        }
        AdminCommand::CreateMember {
            email,
            name,
            location,
        } => {
            let password = read_password()?;
            let member =
                operator::create_member(store, mail, &email, &name, location.as_deref(), password)
                    .await
                    .map_err(refused)?;
            Report::member(&member, "created")
        }
        AdminCommand::SetPassword { email } => {
            let password = read_password()?;
            let member = operator::set_password(store, mail, &email, password)
                .await
                .map_err(refused)?;
            Report::member(&member, "password set, sessions ended")
        }
        AdminCommand::SendResetLink { email } => {
            let member = operator::send_reset_link(store, mail, &email)
                .await
                .map_err(refused)?;
            Report::member(&member, "reset link queued")
        }
        AdminCommand::EndSessions { email } => {
            let ended = operator::end_sessions(store, &email)
                .await
                .map_err(refused)?;
            Report {
                json: json!({ "email": email.trim(), "ended": ended }),
                text: format!("ended {ended} session(s) of {}", email.trim()),
            }
        }
        AdminCommand::Disable { email } => {
            let member = operator::set_disabled(store, &email, true)
                .await
                .map_err(refused)?;
            Report::member(&member, "disabled")
        }
        AdminCommand::Enable { email } => {
            let member = operator::set_disabled(store, &email, false)
                .await
                .map_err(refused)?;
            Report::member(&member, "enabled")
        }
        AdminCommand::Locations => {
            let locations = operator::locations(store).await.map_err(refused)?;
            Report::list(&locations, location_line)
        }
        AdminCommand::SetPolicy {
            location,
            min_length,
            max_length,
            require_digit,
            require_upper,
            require_lower,
            require_symbol,
        } => {
            let change = PolicyChange {
                min_length,
                max_length,
                require_digit,
                require_upper,
                require_lower,
                require_symbol,
            };
            let location = operator::change_policy(store, &location, &change)
                .await
                .map_err(refused)?;
            Report {
                text: location_line(&location),
                json: json!(location),
            }
        }
        AdminCommand::SignUp { action } => {
            if action != SignUpAction::Status {
                operator::set_sign_up_open(store, action == SignUpAction::Open)
                    .await
                    .map_err(refused)?;
            }
            let open = operator::sign_up_open(store).await.map_err(refused)?;
            let state = if open { "open" } else { "closed" };
            Report {
                json: json!({ "sign_up": state }),
                text: format!("sign-up is {state}"),
            }
        }
    })
}
