//! Starts the member portal: reads the environment, opens the database, serves HTTP.
//! `server openapi` prints the OpenAPI document of the JSON API instead (for linters);
//! `server copy-database FROM TO` copies every row of one database into a new, empty one (from
//! SQLite to PostgreSQL, say), migrating both first; `server admin ...` are the operator's
//! commands (see `server::admin`); `server --help` lists them.

use std::{io::IsTerminal, process::ExitCode};

use clap::{Parser, Subcommand};
use server::{config::Config, startup};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The member portal: server-rendered pages, their server functions and the JSON API.
///
/// Without a command it serves HTTP, configured by the environment (DATABASE_URL,
/// LEPTOS_SITE_ADDR, LEPTOS_SITE_ROOT, PUBLIC_URL, TRUSTED_PROXIES, SMTP_URL and the others
/// the README lists).
#[derive(Debug, Parser)]
#[command(name = "server", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The operator's commands on the database of DATABASE_URL (members, passwords, sessions,
    /// locations' password policies, sign-up); safe while the server runs.
    Admin(server::admin::Admin),
    /// Print the OpenAPI document of the JSON API (for linters and client generators).
    Openapi,
    /// Copy every row of one database into a new, empty one (SQLite to PostgreSQL, say),
    /// migrating both first.
    CopyDatabase {
        /// The database to copy, e.g. sqlite://portal.db
        from: String,
        /// The new, empty database, e.g. postgres://portal@db.internal/portal
        to: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    // --help and --version print and exit 0; a wrong argument prints the usage, exits 2.
    let cli = Cli::parse();
    match cli.command {
        None => {}
        Some(Command::Openapi) => {
            println!("{:#}", server::routes::api_document());
            return ExitCode::SUCCESS;
        }
        Some(Command::Admin(admin)) => {
            let result = match Config::from_env() {
                Ok(config) => server::admin::run(admin, &config).await,
                Err(error) => Err(error.to_string()),
            };
            return match result {
                Ok(report) => {
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(Command::CopyDatabase { from, to }) => {
            return match server::copy_database::run(&from, &to).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            };
        }
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_ansi(std::io::stdout().is_terminal())
        .init();

    let result = match Config::from_env() {
        Ok(config) => startup::run(config).await,
        Err(error) => Err(error.into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line a person can act on, rather than a panic backtrace.
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
