//! The ICE servers handed to a signed-in user's WebRTC client: the configured STUN URLs, and the
//! TURN URLs with short-lived credentials when a shared secret is configured.

use uuid::Uuid;

use crate::auth::turn;
use crate::state::AppState;

pub struct IceServer {
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

pub fn servers(state: &AppState, user_id: Uuid) -> Vec<IceServer> {
    let settings = &state.config.calls;
    let mut out = Vec::new();
    if !settings.stun_urls.is_empty() {
        out.push(IceServer {
            urls: settings.stun_urls.clone(),
            username: None,
            credential: None,
        });
    }
    if let Some(secret) = &settings.turn_secret
        && !settings.turn_urls.is_empty()
    {
        let ttl = i64::try_from(settings.turn_ttl.as_secs()).unwrap_or(86_400);
        let expires_at = chrono::Utc::now().timestamp() + ttl;
        let c = turn::credential(secret, user_id, expires_at);
        out.push(IceServer {
            urls: settings.turn_urls.clone(),
            username: Some(c.username),
            credential: Some(c.credential),
        });
    }
    out
}
