//! Soundroom: a GraphQL backend for listening to music together.
//!
//! This file is the only place that wires things: config -> state -> schema -> router.

pub mod auth;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod import;
pub mod mail;
pub mod media;
pub mod random;
pub mod realtime;
pub mod service;
pub mod state;

use std::{
    future::Future,
    net::SocketAddr,
    sync::{Arc, atomic::AtomicU64},
};

use anyhow::Context;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::mail::Mailer;
use crate::media::MediaStore;
use crate::state::AppState;

/// A built server, bound to its port but not yet serving.
pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    state: AppState,
}

impl Application {
    /// Connects to the database, migrates it (unless disabled), builds the schema and router,
    /// and binds `HOST:PORT` (port 0 picks a free port; see [`Application::local_addr`]).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let addr = format!("{}:{}", config.host, config.port);
        let state = prepare(config).await?;
        if let Some(url) = &state.config.security.redis_url {
            realtime::bridge::start(
                &state.bus,
                url,
                &state.config.security.redis_key_prefix,
                &state.config.secrets.jwt_access,
            )
            .await?;
        }
        service::cluster::start(&state)?;
        service::catalog::cache::follow(&state);
        service::rooms::live::start(&state).await?;
        state.mailer.start();
        service::messenger::attachments::start_sweeper(&state);
        service::calls::timer::rearm_all(&state)
            .await
            .map_err(|e| anyhow::anyhow!("re-arming call ring timers: {e:?}"))?;
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("HOST/PORT: cannot listen on {addr}"))?;
        let schema = graphql::build_schema(state.clone());
        let router = http::router(state.clone(), schema);
        Ok(Self {
            listener,
            router,
            state,
        })
    }

    pub fn local_addr(&self) -> anyhow::Result<SocketAddr> {
        Ok(self.listener.local_addr()?)
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests
    /// finish (WebSocket connections are closed).
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let service = self
            .router
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(self.listener, service)
            .with_graceful_shutdown(shutdown)
            .await
            .context("server error")?;
        self.state.rooms.shutdown();
        self.state.mailer.shutdown();
        self.state.messenger.shutdown();
        self.state.calls.shutdown();
        self.state.db.clone().close().await.ok();
        Ok(())
    }
}

/// Connects to the database, migrates it (unless disabled) and opens the media directory: the
/// state the server and the command-line tools (`import`) share.
pub async fn prepare(config: Config) -> anyhow::Result<AppState> {
    let db_statements = Arc::new(AtomicU64::new(0));
    let db = db::connect_counted(&config, db_statements.clone()).await?;
    if config.run_migrations {
        db::migrate(&db, &config).await?;
    }
    let media = MediaStore::open(&config.media)
        .with_context(|| format!("MEDIA_DIR: cannot use {}", config.media.dir.display()))?;
    media.check().await?;
    let mailer = Mailer::new(&config, db.clone())?;
    Ok(AppState::new(config, db, media, db_statements, mailer))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing in-flight requests");
}
