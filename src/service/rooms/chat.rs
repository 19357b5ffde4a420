//! Room chat (stored messages, edits, deletes, history, read markers), typing indicators and
//! WebRTC signalling between members.
//!
//! - Members only. Messages are 1..=`ROOM_MESSAGE_MAX_CHARS` characters (not blank).
//! - Authors edit and delete their own messages; the host deletes anyone's. A deleted message
//!   keeps its place in history with an empty body.
//! - History is newest-last, paged backwards with a cursor (the id of the oldest message
//!   seen; ids are time-ordered UUIDv7).
//! - A read marker only moves forward.
//! - Typing expires `ROOM_TYPING_TTL_MS` after the last refresh; sending a message ends it.
//! - Signals go to one other member, on their personal channel, at most
//!   `ROOM_SIGNAL_MAX_BYTES` of JSON.

use chrono::Utc;
use entity::{chat_message, room_user, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::realtime::{Event, RoomEvent, Topic, UserEvent, typing};
use crate::service::rooms;
use crate::state::AppState;

pub const DEFAULT_PAGE: u64 = 20;
pub const MAX_PAGE: u64 = 100;

fn body(state: &AppState, raw: &str) -> AppResult<String> {
    let max = state.config.rooms.message_max_chars;
    if raw.trim().is_empty() {
        return Err(AppError::bad_input("body", "A message cannot be empty"));
    }
    if raw.chars().count() > max {
        return Err(AppError::bad_input(
            "body",
            format!("A message has at most {max} characters"),
        ));
    }
    Ok(raw.to_owned())
}

pub async fn send(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    raw: &str,
) -> AppResult<chat_message::Model> {
    let body = body(state, raw)?;
    let (room, _) = rooms::require_member(state, user_id, room_id).await?;
    let message = chat_message::ActiveModel {
        id: Set(Uuid::now_v7()),
        room_id: Set(room_id),
        author_id: Set(user_id),
        body: Set(body),
        created_at: Set(Utc::now()),
        edited_at: Set(None),
        deleted_at: Set(None),
    }
    .insert(&state.db)
    .await?;
    if rooms::activity_mark_stale(state, &room) {
        rooms::touch(&state.db, room_id).await?;
    }
    if state.rooms.typing.stop(room_id, user_id) {
        rooms::publish(
            state,
            room_id,
            RoomEvent::TypingChanged {
                user_id,
                is_typing: false,
            },
        );
    }
    rooms::publish(
        state,
        room_id,
        RoomEvent::ChatMessagePosted {
            message: message.clone(),
        },
    );
    Ok(message)
}

/// A message in a room the user is a member of (the room may be closed).
async fn message_for(
    state: &AppState,
    user_id: Uuid,
    message_id: Uuid,
) -> AppResult<(entity::room::Model, chat_message::Model)> {
    let not_found = || AppError::not_found("Message not found");
    let message = chat_message::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .ok_or_else(not_found)?;
    let (room, _) = rooms::require_member_any(state, user_id, message.room_id)
        .await
        .map_err(|_| not_found())?;
    Ok((room, message))
}

pub async fn edit(
    state: &AppState,
    user_id: Uuid,
    message_id: Uuid,
    raw: &str,
) -> AppResult<chat_message::Model> {
    let body = body(state, raw)?;
    let (room, message) = message_for(state, user_id, message_id).await?;
    if room.closed_at.is_some() {
        return Err(AppError::forbidden("The room is closed"));
    }
    if message.author_id != user_id {
        return Err(AppError::forbidden("You can only edit your own messages"));
    }
    if message.deleted_at.is_some() {
        return Err(AppError::conflict("messageId", "This message was deleted"));
    }
    let mut active: chat_message::ActiveModel = message.into();
    active.body = Set(body);
    active.edited_at = Set(Some(Utc::now()));
    let updated = active.update(&state.db).await?;
    rooms::publish(
        state,
        room.id,
        RoomEvent::ChatMessageEdited {
            message: updated.clone(),
        },
    );
    Ok(updated)
}

/// Deletes a message (its author, or the room's host). Deleting twice is harmless.
pub async fn delete(
    state: &AppState,
    user_id: Uuid,
    message_id: Uuid,
) -> AppResult<chat_message::Model> {
    let (room, message) = message_for(state, user_id, message_id).await?;
    if message.author_id != user_id && room.host_id != user_id {
        return Err(AppError::forbidden(
            "You can only delete your own messages (the host can delete any)",
        ));
    }
    if message.deleted_at.is_some() {
        return Ok(message);
    }
    let mut active: chat_message::ActiveModel = message.into();
    active.body = Set(String::new());
    active.deleted_at = Set(Some(Utc::now()));
    let updated = active.update(&state.db).await?;
    rooms::publish(
        state,
        room.id,
        RoomEvent::ChatMessageDeleted {
            message: updated.clone(),
        },
    );
    Ok(updated)
}

pub struct HistoryPage {
    /// Oldest first.
    pub messages: Vec<chat_message::Model>,
    /// Older messages exist before the first one.
    pub has_older: bool,
    pub total: u64,
}

/// The `last` messages before message `before` (or the newest), oldest first. Members only.
pub async fn history(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    last: Option<i32>,
    before: Option<Uuid>,
) -> AppResult<HistoryPage> {
    let last = match last {
        None => DEFAULT_PAGE,
        Some(n) if n < 0 => return Err(AppError::bad_input("last", "last must not be negative")),
        Some(n) => (n as u64).min(MAX_PAGE),
    };
    rooms::require_member_any(state, user_id, room_id).await?;
    let mut query = chat_message::Entity::find().filter(chat_message::Column::RoomId.eq(room_id));
    let total = query.clone().count(&state.db).await?;
    if let Some(before) = before {
        query = query.filter(chat_message::Column::Id.lt(before));
    }
    let mut messages = query
        .order_by_desc(chat_message::Column::Id)
        .limit(last + 1)
        .all(&state.db)
        .await?;
    let has_older = messages.len() as u64 > last;
    messages.truncate(last as usize);
    messages.reverse();
    Ok(HistoryPage {
        messages,
        has_older,
        total,
    })
}

/// Moves the member's read marker to `message_id` (never backwards); `true` when it moved.
/// Members get `ReadMarkerUpdated`.
pub async fn mark_read(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    message_id: Uuid,
) -> AppResult<bool> {
    let (_, member) = rooms::require_member(state, user_id, room_id).await?;
    let message = chat_message::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .filter(|m| m.room_id == room_id)
        .ok_or_else(|| AppError::not_found("Message not found"))?;
    if member
        .last_read_message_id
        .is_some_and(|current| current >= message.id)
    {
        return Ok(false);
    }
    let moved = room_user::Entity::update_many()
        .col_expr(
            room_user::Column::LastReadMessageId,
            Expr::value(Some(message.id)),
        )
        .filter(room_user::Column::RoomId.eq(room_id))
        .filter(room_user::Column::UserId.eq(user_id))
        .filter(
            sea_orm::Condition::any()
                .add(room_user::Column::LastReadMessageId.is_null())
                .add(room_user::Column::LastReadMessageId.lt(message.id)),
        )
        .exec(&state.db)
        .await?
        .rows_affected
        == 1;
    if moved {
        rooms::publish(
            state,
            room_id,
            RoomEvent::ReadMarkerUpdated {
                user_id,
                message_id: message.id,
            },
        );
    }
    Ok(moved)
}

/// Messages after the member's read marker, not their own, not deleted.
pub async fn unread_count(db: &impl ConnectionTrait, member: &room_user::Model) -> AppResult<u64> {
    let mut query = chat_message::Entity::find()
        .filter(chat_message::Column::RoomId.eq(member.room_id))
        .filter(chat_message::Column::AuthorId.ne(member.user_id))
        .filter(chat_message::Column::DeletedAt.is_null());
    if let Some(marker) = member.last_read_message_id {
        query = query.filter(chat_message::Column::Id.gt(marker));
    }
    Ok(query.count(db).await?)
}

/// Starts or stops the member's typing indicator. A started one must be refreshed within the
/// TTL or it ends by itself.
pub async fn set_typing(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    is_typing: bool,
) -> AppResult<bool> {
    rooms::require_member(state, user_id, room_id).await?;
    if !is_typing {
        if state.rooms.typing.stop(room_id, user_id) {
            announce_typing(state, room_id, user_id, false);
        }
        return Ok(false);
    }
    typing::keep_typing(
        state,
        |s| &s.rooms.typing,
        room_id,
        user_id,
        state.config.rooms.typing_ttl,
        announce_typing,
    );
    Ok(true)
}

fn announce_typing(state: &AppState, room_id: Uuid, user_id: Uuid, is_typing: bool) {
    rooms::publish(
        state,
        room_id,
        RoomEvent::TypingChanged { user_id, is_typing },
    );
}

/// Relays a WebRTC signal to another member of the room. `true` when at least one of their
/// devices was listening.
pub async fn send_signal(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    to: Uuid,
    signal: serde_json::Value,
) -> AppResult<bool> {
    let max = state.config.rooms.signal_max_bytes;
    let size = serde_json::to_vec(&signal)
        .map(|b| b.len())
        .unwrap_or(usize::MAX);
    if size > max {
        return Err(AppError::bad_input(
            "signal",
            format!("A signal has at most {max} bytes of JSON"),
        ));
    }
    if to == user_id {
        return Err(AppError::bad_input(
            "toUserId",
            "You cannot signal yourself",
        ));
    }
    rooms::require_member(state, user_id, room_id).await?;
    if rooms::membership(&state.db, room_id, to).await?.is_none() {
        return Err(AppError::forbidden(
            "Signals go only to members of the room",
        ));
    }
    let from = user::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Account no longer exists"))?;
    let delivered = state.bus.publish(
        Topic::User(to),
        Event::User(UserEvent::SignalReceived {
            room_id,
            from,
            signal,
            at: Utc::now(),
        }),
    );
    Ok(delivered > 0)
}
