//! The messenger's GraphQL types: `Conversation`, `ConversationMember`, `Message`, `Attachment`
//! and their enums. Their lists and counts go through DataLoaders, so a page of conversations
//! with members, last messages and unread counts costs a fixed number of statements.

use async_graphql::{
    Context, Enum, Object,
    connection::{Connection, Edge},
};
use chrono::{DateTime, Utc};
use entity::{attachment, conversation, conversation_member, message};
use uuid::Uuid;

use crate::domain::keyset::{Key, page_size};
use crate::domain::messenger::{self, ConversationRole as Role, MessageKind as Kind};
use crate::graphql::accounts::user::User;
use crate::graphql::connection::Total;
use crate::graphql::{ContextExt, loaders};
use crate::realtime::ConversationMessage;
use crate::service::messenger::messages;

/// Costing bounds of the unpaged lists: the default `CONVERSATION_MAX_MEMBERS`, and the
/// attachments one message may carry.
pub const MEMBERS_BOUND: usize = 100;
pub const ATTACHMENTS_BOUND: usize = messenger::MAX_ATTACHMENTS;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ConversationKind {
    /// Two friends; shown as the other member.
    Direct,
    /// A titled group with an owner.
    Group,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ConversationRole {
    /// Adds members, renames the group, deletes anyone's messages.
    Owner,
    Member,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MessageKind {
    Text,
    Image,
    File,
    Audio,
    Video,
}

impl From<Kind> for MessageKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Text => Self::Text,
            Kind::Image => Self::Image,
            Kind::File => Self::File,
            Kind::Audio => Self::Audio,
            Kind::Video => Self::Video,
        }
    }
}

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

pub struct Conversation(pub conversation::Model);

#[Object]
impl Conversation {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn kind(&self) -> ConversationKind {
        match messenger::ConversationKind::of(&self.0.kind) {
            messenger::ConversationKind::Direct => ConversationKind::Direct,
            messenger::ConversationKind::Group => ConversationKind::Group,
        }
    }
    /// Groups only; a direct conversation is shown as the other member.
    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }
    /// In the order they joined (the owner of a new group first).
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::messenger::types::MEMBERS_BOUND, child_complexity)"
    )]
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ConversationMember>> {
        Ok(loaders::conversation_members(ctx, self.0.id)
            .await?
            .into_iter()
            .map(ConversationMember)
            .collect())
    }
    async fn last_message(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        Ok(loaders::last_message(ctx, self.0.id)
            .await?
            .map(Message::new))
    }
    /// Messages by others after the viewer's read marker (deleted ones excluded).
    async fn unread_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let viewer = ctx.viewer().require()?;
        Ok(count(
            loaders::unread_count(ctx, viewer.user_id, self.0.id).await?,
        ))
    }
    /// Newest last: the `last` (default 20, at most 100) messages before the cursor `before`
    /// (a `startCursor` of a previous page), oldest first. `hasPreviousPage` says whether older
    /// messages exist.
    #[graphql(complexity = "crate::graphql::connection::cost(last, child_complexity)")]
    async fn messages(
        &self,
        ctx: &Context<'_>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Connection<String, Message, Total>> {
        let viewer = ctx.viewer().require()?;
        let last = page_size("last", last)?;
        let cursor = Key::parse_arg("before", before.as_deref())?;
        let state = ctx.state()?;
        let page = messages::history(&state.db, viewer.user_id, self.0.id, last, cursor).await?;
        let mut connection = Connection::with_additional_fields(
            page.has_older,
            cursor.is_some(),
            Total {
                total_count: count(page.total),
            },
        );
        connection.edges.extend(
            page.messages
                .into_iter()
                .map(|m| Edge::new(Key::new(m.created_at, m.id).encode(), Message::new(m))),
        );
        Ok(connection)
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// The last activity: a message, or a change of members or title.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

pub struct ConversationMember(pub conversation_member::Model);

#[Object]
impl ConversationMember {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.user_id).await?))
    }
    async fn role(&self) -> ConversationRole {
        match Role::of(&self.0.role) {
            Role::Owner => ConversationRole::Owner,
            Role::Member => ConversationRole::Member,
        }
    }
    async fn joined_at(&self) -> DateTime<Utc> {
        self.0.joined_at
    }
    /// The newest message this member has read.
    async fn last_read_message_id(&self) -> Option<Uuid> {
        self.0.last_read_message_id
    }
}

/// A message, with its attachments when they are at hand (events carry them); otherwise they
/// are loaded in a batch.
pub struct Message {
    row: message::Model,
    attachments: Option<Vec<attachment::Model>>,
}

impl Message {
    pub fn new(row: message::Model) -> Self {
        Self {
            row,
            attachments: None,
        }
    }
}

impl From<ConversationMessage> for Message {
    fn from(m: ConversationMessage) -> Self {
        Self {
            row: m.message,
            attachments: Some(m.attachments),
        }
    }
}

#[Object]
impl Message {
    async fn id(&self) -> Uuid {
        self.row.id
    }
    async fn conversation_id(&self) -> Uuid {
        self.row.conversation_id
    }
    async fn author(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.row.author_id).await?))
    }
    /// `TEXT` without attachments, else the first attachment's kind.
    async fn kind(&self) -> MessageKind {
        Kind::of(&self.row.kind).into()
    }
    /// At most 4096 characters; may be empty when there are attachments; empty once deleted.
    async fn body(&self) -> &str {
        &self.row.body
    }
    /// The quoted message (of the same conversation); `null` when none.
    async fn reply_to(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Message>> {
        let Some(id) = self.row.reply_to_id else {
            return Ok(None);
        };
        Ok(loaders::message(ctx, id)
            .await?
            .filter(|m| m.conversation_id == self.row.conversation_id)
            .map(Message::new))
    }
    /// At most 10, in order; empty once deleted.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::messenger::types::ATTACHMENTS_BOUND, child_complexity)"
    )]
    async fn attachments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Attachment>> {
        if self.row.deleted_at.is_some() {
            return Ok(Vec::new());
        }
        let rows = match &self.attachments {
            Some(rows) => rows.clone(),
            None => loaders::attachments(ctx, self.row.id).await?,
        };
        Ok(rows.into_iter().map(Attachment).collect())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
    async fn edited_at(&self) -> Option<DateTime<Utc>> {
        self.row.edited_at
    }
    async fn deleted(&self) -> bool {
        self.row.deleted_at.is_some()
    }
}

pub struct Attachment(pub attachment::Model);

#[Object]
impl Attachment {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    /// From the file's content: `IMAGE`, `AUDIO`, `VIDEO`, or `FILE` for anything else.
    async fn kind(&self) -> MessageKind {
        Kind::of(&self.0.kind).into()
    }
    /// The uploader's file name (for display and downloads only).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// From the file's content; `application/octet-stream` when it is not recognised.
    async fn mime_type(&self) -> &str {
        &self.0.mime_type
    }
    async fn size_bytes(&self) -> i32 {
        i32::try_from(self.0.size_bytes).unwrap_or(i32::MAX)
    }
    /// Relative, with a short-lived token bound to the viewer (`ATTACHMENT_TOKEN_TTL_SECS`):
    /// works in `<img src>`, `<audio src>` or a download link.
    async fn url(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let base = format!("/attachments/{}", self.0.id);
        match ctx.viewer().user_id() {
            Some(user) => {
                let token = ctx.state()?.attachment_tokens.issue(user, self.0.id)?;
                Ok(format!("{base}?token={token}"))
            }
            None => Ok(base),
        }
    }
    /// Images, when known.
    async fn width(&self) -> Option<i32> {
        self.0.width
    }
    async fn height(&self) -> Option<i32> {
        self.0.height
    }
    /// Audio and video, when their container states it.
    async fn duration_ms(&self) -> Option<i32> {
        self.0.duration_ms.and_then(|d| i32::try_from(d).ok())
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
