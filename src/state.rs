//! Application state: one cheap-to-clone handle shared by the router, the schema and services.

use std::{ops::Deref, sync::Arc, time::Instant};

use sea_orm::DatabaseConnection;

use crate::{
    auth::TokenService,
    config::Config,
    realtime::{EventBus, Presence, RoomRuntime},
};

#[derive(Clone)]
pub struct AppState(Arc<App>);

pub struct App {
    pub config: Config,
    pub db: DatabaseConnection,
    pub tokens: TokenService,
    pub bus: EventBus,
    pub presence: Arc<Presence>,
    pub rooms: RoomRuntime,
    pub started_at: Instant,
}

impl AppState {
    pub fn new(config: Config, db: DatabaseConnection) -> Self {
        Self(Arc::new(App {
            tokens: TokenService::new(&config),
            bus: EventBus::new(256),
            presence: Arc::new(Presence::default()),
            rooms: RoomRuntime::default(),
            started_at: Instant::now(),
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
