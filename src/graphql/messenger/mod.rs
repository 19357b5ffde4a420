//! The messenger: conversations between friends, their messages and attachments. Resolvers
//! parse arguments and call [`crate::service::messenger`]; the types are in [`types`], the
//! events on `userEvents` in [`events`].

pub mod events;
pub mod types;

use async_graphql::{
    Context, InputObject, Object, Upload,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use crate::domain::keyset::{Key, page_size};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::connection::{Page, Total};
use crate::service::messenger::{attachments, conversations, messages, typing};
use types::{Attachment, Conversation, Message};

#[derive(InputObject)]
pub struct CreateGroupConversationInput {
    /// At most 100 characters; blank for none.
    title: Option<String>,
    /// Friends of the creator (the creator is a member anyway); at most 99.
    member_ids: Vec<Uuid>,
}

#[derive(InputObject)]
pub struct SendMessageInput {
    conversation_id: Uuid,
    /// At most 4096 characters; may be empty when there are attachments.
    #[graphql(default)]
    body: String,
    /// A message of the same conversation.
    reply_to_id: Option<Uuid>,
    /// The sender's own unsent attachments (from `uploadAttachment`), at most 10, in order.
    #[graphql(default)]
    attachment_ids: Vec<Uuid>,
}

#[derive(Default)]
pub struct MessengerQuery;

#[Object]
impl MessengerQuery {
    /// The viewer's conversations, latest activity first. Cursors are keys, not offsets: a
    /// conversation that moves to the top while you page is not met again on later pages (it
    /// is announced by `MessagePosted` or `ConversationUpdated`), and no other is skipped.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn conversations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Conversation>> {
        let viewer = ctx.viewer().require()?;
        let limit = page_size("first", first)?;
        let cursor = Key::parse_arg("after", after.as_deref())?;
        let state = ctx.state()?;
        let page = conversations::list(&state.db, viewer.user_id, limit, cursor).await?;
        let mut connection = Connection::with_additional_fields(
            cursor.is_some(),
            page.has_more,
            Total {
                total_count: i32::try_from(page.total).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(
            page.conversations
                .into_iter()
                .map(|c| Edge::new(Key::new(c.updated_at, c.id).encode(), Conversation(c))),
        );
        Ok(connection)
    }

    /// A conversation of the viewer's; `null` for everyone else.
    async fn conversation(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
    ) -> async_graphql::Result<Option<Conversation>> {
        let viewer = ctx.viewer().require()?;
        let state = ctx.state()?;
        Ok(conversations::visible(&state.db, viewer.user_id, id)
            .await?
            .map(Conversation))
    }
}

#[derive(Default)]
pub struct MessengerMutation;

#[Object]
impl MessengerMutation {
    /// The direct conversation with a friend: the same one every time (also when both open it
    /// at once). `FORBIDDEN` for someone who is not a friend.
    async fn open_direct_conversation(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
    ) -> async_graphql::Result<Conversation> {
        let viewer = ctx.viewer().require()?;
        Ok(Conversation(
            conversations::open_direct(ctx.state()?, viewer.user_id, user_id).await?,
        ))
    }

    /// A group of the viewer (its owner) and some of their friends; at most
    /// `CONVERSATION_MAX_MEMBERS` members in all. Members get `ConversationUpdated`.
    async fn create_group_conversation(
        &self,
        ctx: &Context<'_>,
        input: CreateGroupConversationInput,
    ) -> async_graphql::Result<Conversation> {
        let viewer = ctx.viewer().require()?;
        Ok(Conversation(
            conversations::create_group(
                ctx.state()?,
                viewer.user_id,
                input.title.as_deref(),
                &input.member_ids,
            )
            .await?,
        ))
    }

    /// The group's owner adds friends of theirs (those already in it are skipped).
    async fn add_conversation_members(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        user_ids: Vec<Uuid>,
    ) -> async_graphql::Result<Conversation> {
        let viewer = ctx.viewer().require()?;
        Ok(Conversation(
            conversations::add_members(ctx.state()?, viewer.user_id, conversation_id, &user_ids)
                .await?,
        ))
    }

    /// The group's owner renames it (blank or `null` for no title).
    async fn rename_conversation(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        title: Option<String>,
    ) -> async_graphql::Result<Conversation> {
        let viewer = ctx.viewer().require()?;
        Ok(Conversation(
            conversations::rename(
                ctx.state()?,
                viewer.user_id,
                conversation_id,
                title.as_deref(),
            )
            .await?,
        ))
    }

    /// Leaves a group; the owner role passes to the longest-standing member, and the last
    /// member out deletes the group. `false` when the viewer had already left.
    async fn leave_conversation(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(conversations::leave(ctx.state()?, viewer.user_id, conversation_id).await?)
    }

    /// A GraphQL multipart request with the file as `file` (at most `MAX_ATTACHMENT_BYTES`).
    /// Its kind and MIME type come from its content. It is the viewer's alone until they send
    /// it in a message; unsent ones are removed after a day.
    async fn upload_attachment(
        &self,
        ctx: &Context<'_>,
        file: Upload,
    ) -> async_graphql::Result<Attachment> {
        let viewer = ctx.viewer().require()?;
        let staged = ctx
            .data_opt::<crate::media::StagedUploads>()
            .and_then(|s| s.get(file.0))
            .ok_or_else(|| {
                AppError::bad_input("file", "Send the file as a GraphQL multipart request")
            })?;
        Ok(Attachment(
            attachments::upload(ctx.state()?, viewer.user_id, staged).await?,
        ))
    }

    /// Posts a message; every member's devices get `MessagePosted`. Counts against
    /// `RATE_LIMIT_MESSAGES_PER_USER`.
    async fn send_message(
        &self,
        ctx: &Context<'_>,
        input: SendMessageInput,
    ) -> async_graphql::Result<Message> {
        let viewer = ctx.viewer().require()?;
        let new = messages::NewMessage {
            conversation_id: input.conversation_id,
            body: &input.body,
            reply_to_id: input.reply_to_id,
            attachment_ids: &input.attachment_ids,
        };
        Ok(messages::send(ctx.state()?, viewer.user_id, new)
            .await?
            .into())
    }

    /// Changes the text of one of the viewer's own messages.
    async fn edit_message(
        &self,
        ctx: &Context<'_>,
        message_id: Uuid,
        body: String,
    ) -> async_graphql::Result<Message> {
        let viewer = ctx.viewer().require()?;
        Ok(
            messages::edit(ctx.state()?, viewer.user_id, message_id, &body)
                .await?
                .into(),
        )
    }

    /// Deletes a message (its author, or a group's owner): it keeps its place with an empty
    /// body, and its attachments go. `false` when it was already deleted.
    async fn delete_message(
        &self,
        ctx: &Context<'_>,
        message_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(messages::delete(ctx.state()?, viewer.user_id, message_id).await?)
    }

    /// Moves the viewer's read marker forward to `messageId`; `false` when it was already there
    /// or further. Members get `ConversationRead`.
    async fn mark_conversation_read(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        message_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(messages::mark_read(ctx.state()?, viewer.user_id, conversation_id, message_id).await?)
    }

    /// Shows or hides the viewer's typing indicator to the other members. It ends by itself
    /// when not refreshed within 3 s (`CONVERSATION_TYPING_TTL_MS`).
    async fn set_conversation_typing(
        &self,
        ctx: &Context<'_>,
        conversation_id: Uuid,
        is_typing: bool,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(typing::set_typing(ctx.state()?, viewer.user_id, conversation_id, is_typing).await?)
    }
}
