//! Starts the member portal: reads the environment, opens the database, serves HTTP.
//! `server openapi` prints the OpenAPI document of the JSON API instead (for linters);
//! `server copy-database FROM TO` copies every row of one database into a new, empty one (from
//! SQLite to PostgreSQL, say), migrating both first.

use std::{io::IsTerminal, process::ExitCode};

use server::{config::Config, startup};
use tracing_subscriber::EnvFilter;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    match std::env::args().nth(1).as_deref() {
        None => {}
        Some("openapi") => {
            println!("{:#}", server::routes::api_document());
            return ExitCode::SUCCESS;
        }
        Some("copy-database") => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            let [from, to] = args.as_slice() else {
                eprintln!("usage: server copy-database FROM_DATABASE_URL TO_DATABASE_URL");
                return ExitCode::from(2);
            };
            return match server::copy_database::run(from, to).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => {
                    eprintln!("error: {error}");
                    ExitCode::FAILURE
                }
            };
        }
        Some(other) => {
            eprintln!(
                "error: unknown argument {other:?}; usage: server [openapi | copy-database FROM TO]"
            );
            return ExitCode::from(2);
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
