//! The messenger's events on `userEvents`, each with `serverTimeMs`.

use async_graphql::{Context, Object, SimpleObject};
use uuid::Uuid;

use super::types::{Conversation, Message};
use crate::graphql::accounts::user::User;
use crate::graphql::loaders;

/// A message was posted in one of the viewer's conversations (by anyone, the viewer too).
#[derive(SimpleObject)]
pub struct MessagePosted {
    pub message: Message,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct MessageEdited {
    pub message: Message,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

/// The message keeps its place in history, with an empty body and no attachments.
#[derive(SimpleObject)]
pub struct MessageDeleted {
    pub conversation_id: Uuid,
    pub message_id: Uuid,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

/// `user` read `conversationId` up to `lastReadMessageId`.
pub struct ConversationRead {
    pub conversation_id: Uuid,
    pub user_id: Uuid,
    pub last_read_message_id: Uuid,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

#[Object]
impl ConversationRead {
    async fn conversation_id(&self) -> Uuid {
        self.conversation_id
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.user_id).await?))
    }
    async fn last_read_message_id(&self) -> Uuid {
        self.last_read_message_id
    }
    /// Where to resume after this event: `userEvents(after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// `user` started or stopped typing; a start not refreshed ends by itself after 3 s.
pub struct ConversationTyping {
    pub conversation_id: Uuid,
    pub user_id: Uuid,
    pub is_typing: bool,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

#[Object]
impl ConversationTyping {
    async fn conversation_id(&self) -> Uuid {
        self.conversation_id
    }
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.user_id).await?))
    }
    async fn is_typing(&self) -> bool {
        self.is_typing
    }
    /// Where to resume after this event: `userEvents(after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// A conversation was created, or its members or title changed (also sent to members who were
/// added or who left). `deleted` when its last member left.
#[derive(SimpleObject)]
pub struct ConversationUpdated {
    pub conversation: Conversation,
    pub deleted: bool,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}
