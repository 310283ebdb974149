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
/// docs/configuration.md lists).
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
    /// Write a consistent copy of the SQLite database of DATABASE_URL to a new file, while the
    /// server runs, and check it (for PostgreSQL, use pg_dump).
    Backup {
        /// The new file, e.g. /var/backups/portal/portal-2026-12-01.db
        path: std::path::PathBuf,
    },
    /// Fill the new, empty database of DATABASE_URL with 36 sample members for a first look
    /// (`make demo`); refuses a database that has any member.
    Demo,
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
    let command = match cli.command {
        None => return serve().await,
        Some(command) => command,
    };
    let result = match command {
        Command::Openapi => Ok(format!("{:#}", server::routes::api_document())),
        Command::Admin(admin) => match Config::from_env() {
            Ok(config) => server::admin::run(admin, &config).await,
            Err(error) => Err(error.to_string()),
        },
        Command::Backup { path } => backup(&path).await,
        Command::Demo => demo().await,
        Command::CopyDatabase { from, to } => server::copy_database::run(&from, &to)
            .await
            .map_err(|error| error.to_string()),
    };
    match result {
        Ok(report) => {
            println!("{report}");
            ExitCode::SUCCESS
        }
        Err(error) => {
            // One line a person can act on.
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Serves HTTP until SIGTERM or Ctrl-C.
async fn serve() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    match std::env::var("LOG_FORMAT").unwrap_or_default().trim() {
        "" | "text" => tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stdout().is_terminal())
            .init(),
        // One JSON object per line, each with the fields of its request's span (request_id).
        "json" => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        other => {
            eprintln!("error: LOG_FORMAT must be \"text\" or \"json\", not {other:?}");
            return ExitCode::FAILURE;
        }
    }

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

/// `server backup PATH`: what the copy holds, or why there is none.
async fn backup(path: &std::path::Path) -> Result<String, String> {
    let config = Config::from_env().map_err(|error| error.to_string())?;
    let store = app::server::store::Store::open(&config.database_url)
        .await
        .map_err(|error| error.to_string())?;
    let done = store.backup_into(path).await;
    store.close().await;
    let backup = done.map_err(|error| error.to_string())?;
    Ok(format!(
        "backed up {} member(s) to {} ({} bytes); integrity check ok",
        backup.members,
        path.display(),
        backup.bytes
    ))
}

/// Fills a new database with the sample members of `operations::demo`.
async fn demo() -> Result<String, String> {
    use app::server::{
        mail::MailQueue,
        operations::demo,
        profiles::{countries::CountryList, profile_writer::ProfileWriter, Services},
    };
    let config = Config::from_env().map_err(|error| error.to_string())?;
    let store = app::server::store::Store::open(&config.database_url)
        .await
        .map_err(|error| error.to_string())?;
    let address = config
        .public_origin
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.leptos_options.site_addr));
    let seeded: Result<_, app::server::error::ServiceError> = async {
        let writer = ProfileWriter::start(&store).await?;
        let (mail, countries) = (MailQueue::new(&address), CountryList::default());
        let services = Services {
            store: &store,
            writer: &writer,
            mail: &mail,
            countries: &countries,
        };
        demo::seed(services, &config.limits).await
    }
    .await;
    store.close().await;
    let seeded = seeded.map_err(|error| error.to_string())?;
    Ok(format!(
        "made {} sample members ({} in the directory)\n\
         sign in at {address}/login as {} with the password {}",
        seeded.emails.len(),
        seeded.public,
        seeded.emails[0],
        demo::PASSWORD
    ))
}
