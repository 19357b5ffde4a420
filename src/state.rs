//! Application state: one cheap-to-clone handle shared by the router, the schema and services.

use std::{
    ops::Deref,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Instant,
};

use sea_orm::DatabaseConnection;

use crate::auth::challenge::ChallengeTokens;
use crate::auth::oidc::OidcProvider;
use crate::auth::rate_limit::RateLimiter;
use crate::auth::totp::{RecoveryCodes, SecretBox};
use crate::auth::{MediaTokens, Purpose, TokenService};
use crate::config::Config;
use crate::mail::Mailer;
use crate::media::{MediaStore, Prober};
use crate::realtime::ClientConnections;
use crate::realtime::{CallRuntime, EventBus, MessengerRuntime, Presence, RoomRuntime};
use crate::service::catalog::cache::CatalogCache;

#[derive(Clone)]
pub struct AppState(Arc<App>);

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub bus: EventBus,
    pub presence: Arc<Presence>,
    pub rooms: RoomRuntime,
    pub messenger: MessengerRuntime,
    /// Ring timers of calls.
    pub calls: CallRuntime,
    pub started_at: Instant,
    pub media: MediaStore,
    /// Probes uploaded audio, a bounded number at a time.
    pub prober: Prober,
    pub stream_tokens: MediaTokens,
    pub attachment_tokens: MediaTokens,
    /// SQL statements run since start-up (`/metrics`; the N+1 tests read it too).
    pub db_statements: Arc<AtomicU64>,
    /// Seals TOTP secrets at rest.
    pub totp_box: SecretBox,
    pub recovery_codes: RecoveryCodes,
    pub challenges: ChallengeTokens,
    pub limiter: RateLimiter,
    pub oidc: OidcProvider,
    /// Open WebSocket connections per client address and per user.
    pub ws_clients: Arc<ClientConnections>,
    /// Queues the mails of accounts by email.
    pub mailer: Mailer,
    /// Artists' and tracks' rows by id, read through.
    pub catalog_cache: CatalogCache,
    /// On SQLite (one writer at a time), room playback writes take turns here: a write that
    /// finds the database locked otherwise waits in SQLite's busy handler, which sleeps 1, 2,
    /// 5, 10… ms between tries, and a burst of commands from many rooms queues for tens of ms.
    pub sqlite_writes: Option<tokio::sync::Mutex<()>>,
}

impl AppState {
    pub fn new(
        config: Config,
        db: DatabaseConnection,
        media: MediaStore,
        db_statements: Arc<AtomicU64>,
        mailer: Mailer,
    ) -> Self {
        Self(Arc::new(App {
            tokens: TokenService::new(&config),
            stream_tokens: MediaTokens::new(
                Purpose::Stream,
                &config.secrets.jwt_access,
                config.media.stream_token_ttl,
            ),
            attachment_tokens: MediaTokens::new(
                Purpose::Attachment,
                &config.secrets.jwt_access,
                config.messenger.attachment_token_ttl,
            ),
            media,
            prober: Prober::new(&config.media),
            db_statements,
            bus: EventBus::new(config.event_buffer),
            presence: Arc::new(Presence::default()),
            rooms: RoomRuntime::default(),
            messenger: MessengerRuntime::default(),
            calls: CallRuntime::default(),
            started_at: Instant::now(),
            totp_box: SecretBox::new(&config.secrets.totp_encryption),
            recovery_codes: RecoveryCodes::new(&config.secrets.totp_encryption),
            challenges: ChallengeTokens::new(&config.secrets.jwt_2fa),
            limiter: RateLimiter::new(&config.security),
            oidc: OidcProvider::new(&config),
            ws_clients: Arc::new(ClientConnections::default()),
            mailer,
            catalog_cache: CatalogCache::default(),
            sqlite_writes: config.is_sqlite().then(|| tokio::sync::Mutex::new(())),
            config,
            db,
        }))
    }
}

impl App {
    pub fn db_statement_count(&self) -> u64 {
        self.db_statements.load(Ordering::Relaxed)
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
