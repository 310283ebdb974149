//! Start-up and shutdown: open the database, bind the address, serve until SIGTERM or Ctrl-C.

use std::{net::SocketAddr, sync::Arc};

use app::server::{
    identity::device::DeviceKey,
    identity::settings::SecuritySettings,
    mail::{
        transport::{sender, Mailer, TransportError},
        worker::{self, RetryPolicy},
        MailQueue,
    },
    operations::cleanup,
    profiles::countries::CountryList,
    profiles::drafting::{
        openai::{OpenAiDrafter, OpenAiSettings},
        BuiltInComposer, SummaryDrafter,
    },
    profiles::profile_writer::{ProfileWriter, WriteMode},
    state::{AppState, Services},
    store::{open::redacted, DatabaseError, Store},
    web::page_head::PageHead,
};
use tokio::net::TcpListener;

use crate::{
    config::{Config, ConfigError, MailConfig},
    routes::router,
};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Database(#[from] DatabaseError),
    #[error("cannot set up the metrics: {0}")]
    Metrics(#[from] metrics_exporter_prometheus::BuildError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot read or make the server's keys in the database: {0}")]
    Keys(String),
    #[error("cannot set up the client of the drafting backend: {0}")]
    Drafter(reqwest::Error),
    #[error(transparent)]
    Mail(#[from] TransportError),
    #[error("cannot install the shutdown signal handlers: {0}")]
    Signals(std::io::Error),
    #[error("the server stopped with an error: {0}")]
    Serve(std::io::Error),
}

pub async fn run(config: Config) -> Result<(), StartupError> {
    let drafter = drafter(config.openai.clone())?;
    let store = Store::open(&config.database_url).await?;
    tracing::info!(
        database = %redacted(&config.database_url),
        backend = ?store.backend(),
        "database ready"
    );

    let shutdown = shutdown_signal().map_err(StartupError::Signals)?;
    let addr = config.leptos_options.site_addr;
    let (listener, local_addr) = bind(addr).await?;
    tracing::info!("listening on http://{local_addr}");

    let write_mode = config
        .profile_writes
        .unwrap_or_else(|| WriteMode::default_for(store.backend()));
    tracing::info!(?write_mode, "profile updates");
    let profile_writer = ProfileWriter::start_with(&store, write_mode)
        .await
        .map_err(|error| StartupError::Database(DatabaseError::Query(error)))?;
    let device_key = DeviceKey::load_or_create(&store)
        .await
        .map_err(|error| StartupError::Keys(error.to_string()))?;
    if !config.trusted_proxies.is_empty() {
        tracing::info!(proxies = ?config.trusted_proxies, "forwarding headers are believed from these proxies");
    }
    let cleanup = cleanup::spawn(store.clone(), config.limits.clone());
    let mailer = Arc::new(mailer(&config.mail)?);
    tracing::info!(to = %mailer.describe(), "outgoing mail");
    let origin = config
        .public_origin
        .clone()
        .unwrap_or_else(|| format!("http://{local_addr}"));
    if config.public_origin.is_none() {
        tracing::info!(%origin, "links in messages point at the listening address; set PUBLIC_URL to the address members use");
    }
    let mail = MailQueue::new(&origin);
    let mail_worker = worker::spawn(store.clone(), mailer, &mail, RetryPolicy::default());
    let state = AppState::new(Services {
        page_head: Arc::new(PageHead::render(&config.leptos_options)),
        countries: CountryList::default(),
        directory: Default::default(),
        leptos_options: config.leptos_options,
        store: store.clone(),
        profile_writer,
        session_ttl_secs: config.session_ttl_secs,
        drafter,
        security: Arc::new(SecuritySettings {
            limits: config.limits,
            trusted_proxies: config.trusted_proxies,
            public_origin: config.public_origin,
            device_key,
        }),
        mail,
    });
    let metrics = match config.metrics_addr {
        Some(addr) => Some(serve_metrics(addr, state.clone()).await?),
        None => None,
    };
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(StartupError::Serve)?;

    cleanup.abort();
    mail_worker.abort();
    if let Some(metrics) = metrics {
        metrics.abort();
    }
    store.close().await;
    tracing::info!("shut down cleanly");
    Ok(())
}

/// A listener on `addr`, and the address it got (the port, when `addr` asked for any).
async fn bind(addr: SocketAddr) -> Result<(TcpListener, SocketAddr), StartupError> {
    let bound = |source| StartupError::Bind { addr, source };
    let listener = TcpListener::bind(addr).await.map_err(bound)?;
    let local_addr = listener.local_addr().map_err(bound)?;
    Ok((listener, local_addr))
}

/// Installs the metrics recorder and serves `/metrics` on `addr` (its own listener: what it
/// shows is for the operator, not the public).
async fn serve_metrics(
    addr: SocketAddr,
    state: AppState,
) -> Result<tokio::task::JoinHandle<()>, StartupError> {
    let handle = crate::metrics::install()?;
    let (listener, local_addr) = bind(addr).await?;
    tracing::info!("metrics on http://{local_addr}/metrics");
    let app = crate::metrics::router(handle, state);
    Ok(tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "the metrics listener stopped");
        }
    }))
}

/// The SMTP server of `SMTP_URL`, or the outbox folder.
fn mailer(config: &MailConfig) -> Result<Mailer, TransportError> {
    let from = sender(&config.from)?;
    match &config.smtp_url {
        Some(url) => Mailer::smtp(url, from),
        None => Mailer::outbox(&config.outbox, from),
    }
}

/// The language model configured for profile drafts, or the built-in composer.
fn drafter(settings: Option<OpenAiSettings>) -> Result<Arc<dyn SummaryDrafter>, StartupError> {
    Ok(match settings {
        Some(settings) => {
            tracing::info!(
                base_url = %settings.base_url,
                model = %settings.model,
                "profile drafts come from an OpenAI-compatible backend"
            );
            Arc::new(OpenAiDrafter::new(settings).map_err(StartupError::Drafter)?)
        }
        None => {
            tracing::info!("profile drafts come from the built-in composer (no OPENAI_BASE_URL)");
            Arc::new(BuiltInComposer)
        }
    })
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM; in-flight requests then finish before the server exits.
/// The handlers are installed before this returns, so a signal that arrives as soon as the
/// address is logged is already a graceful shutdown rather than the default, abrupt one.
#[cfg(unix)]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, std::io::Error> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {},
            _ = terminate.recv() => {},
        }
        tracing::info!("shutdown signal received; finishing open requests");
    })
}

#[cfg(not(unix))]
fn shutdown_signal() -> Result<impl std::future::Future<Output = ()>, std::io::Error> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; finishing open requests");
    })
}
