//! The messenger: conversations between friends ([`conversations`]), their messages and read
//! markers ([`messages`]), files sent in them ([`attachments`]) and typing ([`typing`]).
//!
//! Rules:
//! - Only members see a conversation: for everyone else it does not exist (`NOT_FOUND`).
//! - A direct conversation is between two friends, one per pair (a unique key on the ordered
//!   pair decides between racing opens). When they stop being friends it stays readable, but
//!   nothing new may be posted in it (`FORBIDDEN`).
//! - A group is created by a user with some of their friends (at most `CONVERSATION_MAX_MEMBERS`
//!   members in all); its owner adds more of their own friends and renames it. When the owner
//!   leaves, the longest-standing member becomes owner; the last member out deletes it with its
//!   messages and files.
//! - Changes of members and title lock the conversation's row first (`UPDATE conversations …`)
//!   in their transaction, so concurrent ones are applied one at a time, even across instances.
//! - Every change reaches every member's devices on their `user:{id}` topic after it commits.

pub mod attachments;
pub mod conversations;
pub mod messages;
pub mod typing;

use chrono::{DateTime, SubsecRound, Utc};
use entity::{conversation, conversation_member};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::messenger::{ConversationKind, ConversationRole};
use crate::error::{AppError, AppResult};
use crate::realtime::{Event, Topic, UserEvent};
use crate::service::social;
use crate::state::AppState;

/// The current time as stored (PostgreSQL keeps microseconds; so do keyset cursors).
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

pub fn not_found() -> AppError {
    AppError::not_found("Conversation not found")
}

pub async fn find(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
) -> AppResult<Option<conversation::Model>> {
    Ok(conversation::Entity::find_by_id(conversation_id)
        .one(db)
        .await?)
}

pub async fn membership(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<conversation_member::Model>> {
    Ok(
        conversation_member::Entity::find_by_id((conversation_id, user_id))
            .one(db)
            .await?,
    )
}

/// The conversation and the user's membership; `NOT_FOUND` for non-members.
pub async fn require_member(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    conversation_id: Uuid,
) -> AppResult<(conversation::Model, conversation_member::Model)> {
    let member = membership(db, conversation_id, user_id)
        .await?
        .ok_or_else(not_found)?;
    let conversation = find(db, conversation_id).await?.ok_or_else(not_found)?;
    Ok((conversation, member))
}

/// Like [`require_member`], and the user may post in it: in a direct conversation, only while
/// the two are friends.
pub async fn require_poster(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    conversation_id: Uuid,
) -> AppResult<(conversation::Model, conversation_member::Model)> {
    let (conversation, member) = require_member(db, user_id, conversation_id).await?;
    if ConversationKind::of(&conversation.kind) == ConversationKind::Direct {
        let other = [conversation.direct_user_a, conversation.direct_user_b]
            .into_iter()
            .flatten()
            .find(|u| *u != user_id);
        let friends = match other {
            Some(other) => social::are_friends(db, user_id, other).await?,
            None => false,
        };
        if !friends {
            return Err(AppError::forbidden(
                "You are no longer friends: this conversation is read-only",
            ));
        }
    }
    Ok((conversation, member))
}

/// A group's owner; `FORBIDDEN` for other members, `BAD_USER_INPUT` for direct conversations.
pub async fn require_group_owner(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    conversation_id: Uuid,
) -> AppResult<(conversation::Model, conversation_member::Model)> {
    let (conversation, member) = require_member(db, user_id, conversation_id).await?;
    if ConversationKind::of(&conversation.kind) != ConversationKind::Group {
        return Err(AppError::bad_input(
            "conversationId",
            "A direct conversation has no owner and no other members",
        ));
    }
    if ConversationRole::of(&member.role) != ConversationRole::Owner {
        return Err(AppError::forbidden("Only the group's owner may do this"));
    }
    Ok((conversation, member))
}

/// Members in the order they joined (the longest-standing first).
pub async fn members(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
) -> AppResult<Vec<conversation_member::Model>> {
    Ok(conversation_member::Entity::find()
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .order_by_asc(conversation_member::Column::JoinedAt)
        .order_by_asc(conversation_member::Column::UserId)
        .all(db)
        .await?)
}

pub async fn member_ids(db: &impl ConnectionTrait, conversation_id: Uuid) -> AppResult<Vec<Uuid>> {
    Ok(members(db, conversation_id)
        .await?
        .into_iter()
        .map(|m| m.user_id)
        .collect())
}

/// In a transaction: locks the conversation's row and records activity at `at`; `NOT_FOUND`
/// when it is gone (its last member left meanwhile).
pub async fn lock_row(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let result = conversation::Entity::update_many()
        .col_expr(conversation::Column::UpdatedAt, Expr::value(at))
        .filter(conversation::Column::Id.eq(conversation_id))
        .exec(db)
        .await?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        Err(not_found())
    }
}

/// Sends `event` to every device of each of `users`.
pub fn publish(state: &AppState, users: &[Uuid], event: UserEvent) {
    for user in users {
        state
            .bus
            .publish(Topic::User(*user), Event::User(event.clone()));
    }
}

/// Sends `event` to every device of every current member (after the change committed).
pub async fn publish_to_members(
    state: &AppState,
    conversation_id: Uuid,
    event: UserEvent,
) -> AppResult<()> {
    let users = member_ids(&state.db, conversation_id).await?;
    publish(state, &users, event);
    Ok(())
}
