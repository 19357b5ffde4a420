//! Several instances as one server: with `REDIS_URL`, presence, room typing and the open
//! WebSocket connections the caps count are shared between instances (see
//! [`crate::realtime::cluster`]), and when one goes away without a word, one survivor
//! announces who went offline or left a room with it.

use crate::realtime::{RoomEvent, cluster};
use crate::service::{rooms, social};
use crate::state::AppState;

/// Starts sharing presence with the other instances (only with `REDIS_URL`).
pub fn start(state: &AppState) -> anyhow::Result<()> {
    let Some(url) = &state.config.security.redis_url else {
        return Ok(());
    };
    let (tasks, mut departed) = cluster::start(
        url,
        &state.config.security.redis_key_prefix,
        &state.config.secrets.jwt_access,
        state.config.security.presence_ttl,
        cluster::Shared {
            presence: state.presence.clone(),
            rooms: state.rooms.presence.clone(),
            room_typing: state.rooms.typing.clone(),
            connections: state.ws_clients.clone(),
        },
    )?;
    for task in tasks {
        state.rooms.add_background(task);
    }
    let announcing = state.clone();
    let announcer = tokio::spawn(async move {
        while let Some(gone) = departed.recv().await {
            for user in gone.users {
                social::announce_presence(&announcing, user, false).await;
            }
            for (room_id, user_id) in gone.members {
                rooms::publish(
                    &announcing,
                    room_id,
                    RoomEvent::PresenceChanged {
                        user_id,
                        is_connected: false,
                    },
                );
                // The room may have been waiting for them.
                rooms::timer::recheck(&announcing, room_id).await;
            }
        }
    });
    state.rooms.add_background(announcer.abort_handle());
    Ok(())
}
