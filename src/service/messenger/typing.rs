//! Typing in a conversation: shown to every member's devices, ended by sending a message, by
//! `false`, or by itself when not refreshed within `CONVERSATION_TYPING_TTL_MS` (3 s). The same
//! mechanism as a room's typing ([`crate::realtime::typing`]). The state is kept by the
//! instance the mutation reached; its events reach members on every instance.

use chrono::Utc;
use uuid::Uuid;

use super::require_poster;
use crate::error::AppResult;
use crate::realtime::{UserEvent, typing};
use crate::state::AppState;

/// Starts (or refreshes) or stops the user's typing indicator; `true` while typing.
pub async fn set_typing(
    state: &AppState,
    user_id: Uuid,
    conversation_id: Uuid,
    is_typing: bool,
) -> AppResult<bool> {
    require_poster(&state.db, user_id, conversation_id).await?;
    if !is_typing {
        if state.messenger.typing.stop(conversation_id, user_id) {
            announce(state, conversation_id, user_id, false);
        }
        return Ok(false);
    }
    typing::keep_typing(
        state,
        |s| &s.messenger.typing,
        conversation_id,
        user_id,
        state.config.messenger.typing_ttl,
        announce,
    );
    Ok(true)
}

/// Tells every member's devices (from a timer too, so it reads the members itself).
pub fn announce(state: &AppState, conversation_id: Uuid, user_id: Uuid, is_typing: bool) {
    let state = state.clone();
    tokio::spawn(async move {
        let event = UserEvent::ConversationTyping {
            conversation_id,
            user_id,
            is_typing,
            at: Utc::now(),
        };
        if let Err(e) = super::publish_to_members(&state, conversation_id, event).await {
            tracing::warn!(error = ?e, "announcing typing failed");
        }
    });
}
