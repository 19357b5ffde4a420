//! Application state: one cheap-to-clone handle shared by the router, the schema and services.

use std::{ops::Deref, sync::Arc, time::Instant};

use sea_orm::DatabaseConnection;

use crate::{
    auth::TokenService,
    config::Config,
    realtime::{EventBus, Presence},
};
// Account security (issue 6).
use crate::{
    auth::{
        challenge::ChallengeTokens,
        oidc::OidcProvider,
        totp::{RecoveryCodes, SecretBox},
    },
    http::ClientConnections,
    service::rate_limit::RateLimiter,
};

#[derive(Clone)]
pub struct AppState(Arc<App>);

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub bus: EventBus,
    pub presence: Arc<Presence>,
    pub started_at: Instant,
    /// Seals TOTP secrets at rest.
    pub totp_box: SecretBox,
    pub recovery_codes: RecoveryCodes,
    pub challenges: ChallengeTokens,
    pub limiter: RateLimiter,
    pub oidc: OidcProvider,
    /// Open WebSocket connections per client address.
    pub ws_clients: ClientConnections,
}

impl AppState {
    pub fn new(config: Config, db: DatabaseConnection) -> Self {
        Self(Arc::new(App {
            tokens: TokenService::new(&config),
            bus: EventBus::new(256),
            presence: Arc::new(Presence::default()),
            started_at: Instant::now(),
            totp_box: SecretBox::new(&config.secrets.totp_encryption),
            recovery_codes: RecoveryCodes::new(&config.secrets.totp_encryption),
            challenges: ChallengeTokens::new(&config.secrets.jwt_2fa),
            limiter: RateLimiter::new(&config.security),
            oidc: OidcProvider::new(&config),
            ws_clients: ClientConnections::default(),
            config,
            db,
        }))
    }
}

impl Deref for AppState {
    type Target = App;
    fn deref(&self) -> &App {
        &self.0
    }
}
