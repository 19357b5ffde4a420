//! Messages: sending (with a reply and attachments), editing, deleting, history, read markers
//! and unread counts.
//!
//! - A body has at most `MESSAGE_MAX_CHARS` characters and may be empty only when attachments
//!   carry the message. A reply quotes a message of the same conversation. Attachments are the
//!   sender's own, unsent ones, at most ten; sending claims them in the same transaction as the
//!   message, so one attachment is never sent twice.
//! - Authors edit their messages; authors and a group's owner delete them. A deleted message
//!   keeps its place with an empty body and no attachments (their files are removed).
//! - History is newest last, paged backwards by keyset cursor on `(createdAt, id)`.
//! - A read marker only moves forward; sending moves the author's own marker to their message.
//! - Sending counts against the author's `RATE_LIMIT_MESSAGES_PER_USER`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{conversation_member, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, Order,
    PaginatorTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
    sea_query::{Asterisk, Expr, ExprTrait, Query},
};
use uuid::Uuid;

use super::{attachments, lock_row, now, publish_to_members, require_member, require_poster};
use crate::auth::rate_limit::Bucket;
use crate::domain::keyset::{Direction, Key};
use crate::domain::messenger::{
    ConversationKind, ConversationRole, MessageKind, parse_attachment_ids, parse_body,
};
use crate::error::{AppError, AppResult};
use crate::realtime::{ConversationMessage, UserEvent};
use crate::service::paging::{self, KeyColumns};
use crate::state::AppState;

pub struct NewMessage<'a> {
    pub conversation_id: Uuid,
    pub body: &'a str,
    pub reply_to_id: Option<Uuid>,
    pub attachment_ids: &'a [Uuid],
}

/// When a message was sent: its id's own millisecond (ids are UUIDv7), so that ordering by
/// `(createdAt, id)` and by id agree.
fn sent_at(id: Uuid) -> DateTime<Utc> {
    id.get_timestamp()
        .and_then(|ts| {
            let (secs, nanos) = ts.to_unix();
            DateTime::from_timestamp(i64::try_from(secs).ok()?, nanos)
        })
        .unwrap_or_else(now)
}

/// A message of a conversation the user is a member of (`NOT_FOUND` otherwise).
async fn visible_message(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    message_id: Uuid,
) -> AppResult<message::Model> {
    let not_found = || AppError::not_found("Message not found");
    let message = message::Entity::find_by_id(message_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    require_member(db, user_id, message.conversation_id)
        .await
        .map_err(|_| not_found())?;
    Ok(message)
}

/// Posts a message; every member's devices get `MessagePosted`, and the author's typing ends.
pub async fn send(
    state: &AppState,
    author: Uuid,
    new: NewMessage<'_>,
) -> AppResult<ConversationMessage> {
    state
        .limiter
        .hit(Bucket::Messages, &author.to_string())
        .await?;
    let attachment_ids = parse_attachment_ids(new.attachment_ids)?;
    let body = parse_body(
        new.body,
        state.config.messenger.message_max_chars,
        !attachment_ids.is_empty(),
    )?;
    let db = &state.db;
    let (conversation, _) = require_poster(db, author, new.conversation_id).await?;
    if let Some(reply) = new.reply_to_id {
        let quoted = message::Entity::find_by_id(reply).one(db).await?;
        if quoted.is_none_or(|q| q.conversation_id != conversation.id) {
            return Err(AppError::bad_input(
                "replyToId",
                "A reply quotes a message of the same conversation",
            ));
        }
    }
    let files = attachments::sendable(db, author, &attachment_ids).await?;
    let id = Uuid::now_v7();
    let at = sent_at(id);
    let txn = state.db.begin().await?;
    lock_row(&txn, conversation.id, now()).await?;
    let message = message::ActiveModel {
        id: Set(id),
        conversation_id: Set(conversation.id),
        author_id: Set(author),
        kind: Set(
            MessageKind::of_message(files.iter().map(|f| f.kind.as_str()))
                .as_str()
                .to_owned(),
        ),
        body: Set(body),
        reply_to_id: Set(new.reply_to_id),
        created_at: Set(at),
        edited_at: Set(None),
        deleted_at: Set(None),
    }
    .insert(&txn)
    .await?;
    let attachments = attachments::claim(&txn, author, message.id, files).await?;
    move_marker(&txn, author, conversation.id, message.id).await?;
    txn.commit().await?;
    if state.messenger.typing.stop(conversation.id, author) {
        super::typing::announce(state, conversation.id, author, false);
    }
    let posted = ConversationMessage {
        message,
        attachments,
    };
    publish_to_members(
        state,
        conversation.id,
        UserEvent::MessagePosted {
            message: posted.clone(),
            at: Utc::now(),
        },
    )
    .await?;
    Ok(posted)
}

/// Changes the text of one of the user's own messages.
pub async fn edit(
    state: &AppState,
    user_id: Uuid,
    message_id: Uuid,
    raw: &str,
) -> AppResult<ConversationMessage> {
    let message = visible_message(&state.db, user_id, message_id).await?;
    if message.author_id != user_id {
        return Err(AppError::forbidden("You can only edit your own messages"));
    }
    if message.deleted_at.is_some() {
        return Err(AppError::conflict("messageId", "This message was deleted"));
    }
    let files = attachments::of_message(&state.db, message.id).await?;
    let body = parse_body(
        raw,
        state.config.messenger.message_max_chars,
        !files.is_empty(),
    )?;
    let mut active: message::ActiveModel = message.into();
    active.body = Set(body);
    active.edited_at = Set(Some(now()));
    let message = active.update(&state.db).await?;
    let edited = ConversationMessage {
        message,
        attachments: files,
    };
    publish_to_members(
        state,
        edited.message.conversation_id,
        UserEvent::MessageEdited {
            message: edited.clone(),
            at: Utc::now(),
        },
    )
    .await?;
    Ok(edited)
}

/// Deletes a message (its author, or a group's owner): it keeps its place with an empty body,
/// its attachments and their files go. `false` when it was already deleted.
pub async fn delete(state: &AppState, user_id: Uuid, message_id: Uuid) -> AppResult<bool> {
    let message = visible_message(&state.db, user_id, message_id).await?;
    if message.author_id != user_id {
        let (conversation, member) =
            require_member(&state.db, user_id, message.conversation_id).await?;
        let owner = ConversationKind::of(&conversation.kind) == ConversationKind::Group
            && ConversationRole::of(&member.role) == ConversationRole::Owner;
        if !owner {
            return Err(AppError::forbidden(
                "You can only delete your own messages (a group's owner can delete any)",
            ));
        }
    }
    if message.deleted_at.is_some() {
        return Ok(false);
    }
    let txn = state.db.begin().await?;
    let deleted = message::Entity::update_many()
        .col_expr(message::Column::Body, Expr::value(""))
        .col_expr(message::Column::DeletedAt, Expr::value(Some(now())))
        .filter(message::Column::Id.eq(message.id))
        .filter(message::Column::DeletedAt.is_null())
        .exec(&txn)
        .await?
        .rows_affected
        == 1;
    let files = if deleted {
        attachments::detach(&txn, message.id).await?
    } else {
        Vec::new()
    };
    txn.commit().await?;
    if !deleted {
        return Ok(false);
    }
    state.media.remove_attachments(&files).await;
    publish_to_members(
        state,
        message.conversation_id,
        UserEvent::MessageDeleted {
            conversation_id: message.conversation_id,
            message_id: message.id,
            at: Utc::now(),
        },
    )
    .await?;
    Ok(true)
}

pub struct HistoryPage {
    /// Oldest first.
    pub messages: Vec<message::Model>,
    /// Older messages exist before the first one.
    pub has_older: bool,
    /// Messages in the conversation (deleted ones included).
    pub total: u64,
}

/// The `last` messages before the cursor `before` (or the newest), oldest first. Members only.
pub async fn history(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    conversation_id: Uuid,
    last: u64,
    before: Option<Key>,
) -> AppResult<HistoryPage> {
    require_member(db, viewer, conversation_id).await?;
    let query = message::Entity::find().filter(message::Column::ConversationId.eq(conversation_id));
    let total = query.clone().count(db).await?;
    let columns = KeyColumns {
        at: message::Column::CreatedAt,
        id: message::Column::Id,
    };
    let (mut messages, has_older) =
        paging::keyset(db, query, columns, Direction::Descending, before, last).await?;
    messages.reverse();
    Ok(HistoryPage {
        messages,
        has_older,
        total,
    })
}

/// In a transaction: moves the member's read marker forward to `message_id`; `true` when moved.
async fn move_marker(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    conversation_id: Uuid,
    message_id: Uuid,
) -> AppResult<bool> {
    Ok(conversation_member::Entity::update_many()
        .col_expr(
            conversation_member::Column::LastReadMessageId,
            Expr::value(Some(message_id)),
        )
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .filter(conversation_member::Column::UserId.eq(user_id))
        .filter(
            Condition::any()
                .add(conversation_member::Column::LastReadMessageId.is_null())
                .add(conversation_member::Column::LastReadMessageId.lt(message_id)),
        )
        .exec(db)
        .await?
        .rows_affected
        == 1)
}

/// Moves the user's read marker forward to `message_id` (never back); `true` when it moved,
/// and then every member's devices get `ConversationRead`.
pub async fn mark_read(
    state: &AppState,
    user_id: Uuid,
    conversation_id: Uuid,
    message_id: Uuid,
) -> AppResult<bool> {
    require_member(&state.db, user_id, conversation_id).await?;
    let in_conversation = message::Entity::find_by_id(message_id)
        .one(&state.db)
        .await?
        .is_some_and(|m| m.conversation_id == conversation_id);
    if !in_conversation {
        return Err(AppError::bad_input(
            "messageId",
            "No such message in this conversation",
        ));
    }
    let moved = move_marker(&state.db, user_id, conversation_id, message_id).await?;
    if moved {
        publish_to_members(
            state,
            conversation_id,
            UserEvent::ConversationRead {
                conversation_id,
                user_id,
                last_read_message_id: message_id,
                at: Utc::now(),
            },
        )
        .await?;
    }
    Ok(moved)
}

/// For each of the viewer's conversations among `conversation_ids`: messages by others after
/// the viewer's read marker, deleted ones excluded. Two statements, however many conversations.
pub async fn unread_counts(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    conversation_ids: &[Uuid],
) -> Result<HashMap<Uuid, u64>, DbErr> {
    let markers = conversation_member::Entity::find()
        .filter(conversation_member::Column::UserId.eq(viewer))
        .filter(conversation_member::Column::ConversationId.is_in(conversation_ids.to_vec()))
        .all(db)
        .await?;
    if markers.is_empty() {
        return Ok(HashMap::new());
    }
    let mut unread = Condition::any();
    for member in &markers {
        let mut after =
            Condition::all().add(message::Column::ConversationId.eq(member.conversation_id));
        if let Some(marker) = member.last_read_message_id {
            after = after.add(message::Column::Id.gt(marker));
        }
        unread = unread.add(after);
    }
    let counts: Vec<(Uuid, i64)> = message::Entity::find()
        .select_only()
        .column(message::Column::ConversationId)
        .column_as(message::Column::Id.count(), "n")
        .filter(unread)
        .filter(message::Column::AuthorId.ne(viewer))
        .filter(message::Column::DeletedAt.is_null())
        .group_by(message::Column::ConversationId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(counts
        .into_iter()
        .map(|(c, n)| (c, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The newest message of each conversation that has one: one statement, however many.
pub async fn last_messages(
    db: &impl ConnectionTrait,
    conversation_ids: &[Uuid],
) -> Result<HashMap<Uuid, message::Model>, DbErr> {
    if conversation_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let ranked = Query::select()
        .column(Asterisk)
        .expr_as(
            Expr::cust(
                r#"ROW_NUMBER() OVER (PARTITION BY "conversation_id" ORDER BY "created_at" DESC, "id" DESC)"#,
            ),
            "newest_rank",
        )
        .from(message::Entity)
        .and_where(message::Column::ConversationId.is_in(conversation_ids.to_vec()))
        .to_owned();
    let newest = Query::select()
        .column(Asterisk)
        .from_subquery(ranked, "ranked")
        .and_where(Expr::col("newest_rank").eq(1))
        .order_by("conversation_id", Order::Asc)
        .to_owned();
    let statement = db.get_database_backend().build(&newest);
    let rows = message::Entity::find()
        .from_raw_sql(statement)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|m| (m.conversation_id, m)).collect())
}
