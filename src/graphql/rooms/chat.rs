//! Room chat, typing indicators and WebRTC signalling.

use async_graphql::{
    Context, Json, Object, SimpleObject,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::accounts::user::User;
use crate::graphql::{ContextExt, loaders};
use crate::service::rooms::chat;

pub struct ChatMessage(pub entity::chat_message::Model);

#[Object]
impl ChatMessage {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn room_id(&self) -> Uuid {
        self.0.room_id
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.author_id).await?))
    }
    /// Empty once deleted.
    async fn body(&self) -> &str {
        &self.0.body
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.0.edited_at
    }
    async fn deleted(&self) -> bool {
        self.0.deleted_at.is_some()
    }
}

#[derive(SimpleObject)]
pub struct ChatHistoryInfo {
    /// Messages in the room (deleted ones included).
    total_count: i32,
    /// Messages by others after the viewer's read marker (deleted ones excluded).
    unread_count: i32,
}

pub type ChatPage = Connection<String, ChatMessage, ChatHistoryInfo>;

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[derive(Default)]
pub struct ChatQuery;

#[Object]
impl ChatQuery {
    /// A room's chat, newest last: the `last` (default 20, at most 100) messages before the
    /// cursor `before` (a `startCursor` from a previous page), oldest first. `hasPreviousPage`
    /// says whether older messages exist. Members only.
    #[graphql(complexity = "crate::graphql::connection::cost(last, child_complexity)")]
    async fn room_messages(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ChatPage> {
        let viewer = ctx.viewer().require()?;
        let before = match before.as_deref() {
            None => None,
            Some(cursor) => Some(
                cursor
                    .parse::<Uuid>()
                    .map_err(|_| AppError::bad_input("before", "Invalid cursor"))?,
            ),
        };
        let state = ctx.state()?;
        let page = chat::history(state, viewer.user_id, room_id, last, before).await?;
        let member = crate::service::rooms::membership(&state.db, room_id, viewer.user_id).await?;
        let unread = match &member {
            Some(m) => chat::unread_count(&state.db, m).await?,
            None => 0,
        };
        let mut connection = Connection::with_additional_fields(
            page.has_older,
            before.is_some(),
            ChatHistoryInfo {
                total_count: count(page.total),
                unread_count: count(unread),
            },
        );
        connection.edges.extend(
            page.messages
                .into_iter()
                .map(|m| Edge::new(m.id.to_string(), ChatMessage(m))),
        );
        Ok(connection)
    }
}

#[derive(Default)]
pub struct ChatMutation;

#[Object]
impl ChatMutation {
    /// Posts a message (members only; 1–4096 characters by default). Members get
    /// `ChatMessagePosted`; the author's typing indicator ends.
    async fn send_room_message(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        body: String,
    ) -> async_graphql::Result<ChatMessage> {
        let viewer = ctx.viewer().require()?;
        Ok(ChatMessage(
            chat::send(ctx.state()?, viewer.user_id, room_id, &body).await?,
        ))
    }

    /// Edits one of the viewer's own messages.
    async fn edit_room_message(
        &self,
        ctx: &Context<'_>,
        message_id: Uuid,
        body: String,
    ) -> async_graphql::Result<ChatMessage> {
        let viewer = ctx.viewer().require()?;
        Ok(ChatMessage(
            chat::edit(ctx.state()?, viewer.user_id, message_id, &body).await?,
        ))
    }

    /// Deletes one of the viewer's own messages (the host may delete any).
    async fn delete_room_message(
        &self,
        ctx: &Context<'_>,
        message_id: Uuid,
    ) -> async_graphql::Result<ChatMessage> {
        let viewer = ctx.viewer().require()?;
        Ok(ChatMessage(
            chat::delete(ctx.state()?, viewer.user_id, message_id).await?,
        ))
    }

    /// Moves the viewer's read marker forward to `messageId`; `false` when it was already there
    /// or further. Members get `ReadMarkerUpdated`.
    async fn mark_room_read(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        message_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(chat::mark_read(ctx.state()?, viewer.user_id, room_id, message_id).await?)
    }

    /// Shows or hides the viewer's typing indicator. It ends by itself when not refreshed
    /// within 3 s (`ROOM_TYPING_TTL_MS`): send `true` again while the user keeps typing.
    async fn set_typing(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        is_typing: bool,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(chat::set_typing(ctx.state()?, viewer.user_id, room_id, is_typing).await?)
    }

    /// Relays an opaque WebRTC offer/answer/ICE payload to another member of the room, who gets
    /// `SignalReceived` on `userEvents`. `true` when one of their devices was listening.
    async fn send_signal(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        to_user_id: Uuid,
        signal: Json<serde_json::Value>,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(chat::send_signal(ctx.state()?, viewer.user_id, room_id, to_user_id, signal.0).await?)
    }
}
