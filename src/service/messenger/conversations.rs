//! Conversations: opening a direct one, creating and changing groups, leaving, listing.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::{conversation, conversation_member, user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set, TransactionTrait, TryInsertResult,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::{attachments, lock_row, not_found, now, publish, require_group_owner};
use crate::domain::keyset::{Direction, Key};
use crate::domain::messenger::{
    ConversationKind, ConversationRole, direct_pair, parse_member_ids, parse_title,
};
use crate::error::{AppError, AppResult};
use crate::realtime::UserEvent;
use crate::service::paging::{self, KeyColumns};
use crate::service::social::{self, Relation};
use crate::state::AppState;

/// The direct conversation of the viewer and `other` (a friend): the same one every time, also
/// when both open it at once. Both get `ConversationUpdated` when it is created.
pub async fn open_direct(
    state: &AppState,
    viewer: Uuid,
    other: Uuid,
) -> AppResult<conversation::Model> {
    if other == viewer {
        return Err(AppError::bad_input(
            "userId",
            "A conversation needs someone else",
        ));
    }
    if user::Entity::find_by_id(other)
        .one(&state.db)
        .await?
        .is_none()
    {
        return Err(AppError::bad_input("userId", "No such user"));
    }
    if !social::are_friends(&state.db, viewer, other).await? {
        return Err(AppError::forbidden(
            "You can only start conversations with friends",
        ));
    }
    let (a, b) = direct_pair(viewer, other);
    if let Some(existing) = find_direct(&state.db, a, b).await? {
        return Ok(existing);
    }
    let (id, at) = (Uuid::now_v7(), now());
    let row = conversation::ActiveModel {
        id: Set(id),
        kind: Set(ConversationKind::Direct.as_str().to_owned()),
        title: Set(None),
        direct_user_a: Set(Some(a)),
        direct_user_b: Set(Some(b)),
        created_at: Set(at),
        updated_at: Set(at),
    };
    let txn = state.db.begin().await?;
    // The unique pair decides: of two racing opens, one inserts and the other waits for it to
    // commit, inserts nothing, and reads the winner's row below.
    let inserted = conversation::Entity::insert(row)
        .on_conflict_do_nothing_on([
            conversation::Column::DirectUserA,
            conversation::Column::DirectUserB,
        ])
        .exec_without_returning(&txn)
        .await?;
    let created = matches!(inserted, TryInsertResult::Inserted(n) if n > 0);
    if created {
        for user_id in [a, b] {
            insert_member(&txn, id, user_id, ConversationRole::Member, at).await?;
        }
    }
    txn.commit().await?;
    let conversation = find_direct(&state.db, a, b)
        .await?
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("direct conversation vanished")))?;
    if created {
        announce(state, &[a, b], &conversation, false);
    }
    Ok(conversation)
}

async fn find_direct(
    db: &impl ConnectionTrait,
    a: Uuid,
    b: Uuid,
) -> AppResult<Option<conversation::Model>> {
    Ok(conversation::Entity::find()
        .filter(conversation::Column::DirectUserA.eq(a))
        .filter(conversation::Column::DirectUserB.eq(b))
        .one(db)
        .await?)
}

async fn insert_member(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
    user_id: Uuid,
    role: ConversationRole,
    joined_at: DateTime<Utc>,
) -> AppResult<()> {
    conversation_member::Entity::insert(conversation_member::ActiveModel {
        conversation_id: Set(conversation_id),
        user_id: Set(user_id),
        role: Set(role.as_str().to_owned()),
        joined_at: Set(joined_at),
        last_read_message_id: Set(None),
    })
    .on_conflict_do_nothing_on([
        conversation_member::Column::ConversationId,
        conversation_member::Column::UserId,
    ])
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// Users that exist and are friends of `viewer`: `BAD_USER_INPUT` on `field` for unknown ids,
/// `FORBIDDEN` for users who are not friends.
async fn require_friends(
    db: &impl ConnectionTrait,
    field: &'static str,
    viewer: Uuid,
    ids: &[Uuid],
) -> AppResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let found: HashSet<Uuid> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .filter(user::Column::Id.is_in(ids.to_vec()))
        .into_tuple::<Uuid>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    if let Some(unknown) = ids.iter().find(|id| !found.contains(id)) {
        return Err(AppError::bad_input(
            field,
            format!("No such user: {unknown}"),
        ));
    }
    let relations = social::relations(db, viewer, ids).await?;
    if let Some(stranger) = ids
        .iter()
        .find(|id| relations.get(id) != Some(&Relation::Friends))
    {
        return Err(AppError::forbidden(format!(
            "Only friends can be added to a conversation ({stranger} is not your friend)"
        )));
    }
    Ok(())
}

/// A group of `creator` (its owner) and some of their friends.
pub async fn create_group(
    state: &AppState,
    creator: Uuid,
    title: Option<&str>,
    member_ids: &[Uuid],
) -> AppResult<conversation::Model> {
    let title = parse_title(title)?;
    let max = state.config.messenger.max_members;
    let others = parse_member_ids("memberIds", creator, member_ids, max - 1)?;
    if others.is_empty() {
        return Err(AppError::bad_input(
            "memberIds",
            "Add at least one friend to the group",
        ));
    }
    require_friends(&state.db, "memberIds", creator, &others).await?;
    let at = now();
    let txn = state.db.begin().await?;
    let conversation = conversation::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(ConversationKind::Group.as_str().to_owned()),
        title: Set(title),
        direct_user_a: Set(None),
        direct_user_b: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&txn)
    .await?;
    insert_member(&txn, conversation.id, creator, ConversationRole::Owner, at).await?;
    for user_id in &others {
        insert_member(
            &txn,
            conversation.id,
            *user_id,
            ConversationRole::Member,
            at,
        )
        .await?;
    }
    txn.commit().await?;
    let mut everyone = vec![creator];
    everyone.extend(others);
    announce(state, &everyone, &conversation, false);
    Ok(conversation)
}

/// Adds friends of the group's owner; those already in it are skipped. `FORBIDDEN` when they
/// would not fit.
pub async fn add_members(
    state: &AppState,
    owner: Uuid,
    conversation_id: Uuid,
    user_ids: &[Uuid],
) -> AppResult<conversation::Model> {
    require_group_owner(&state.db, owner, conversation_id).await?;
    let max = state.config.messenger.max_members;
    let wanted = parse_member_ids("userIds", owner, user_ids, max)?;
    let present: HashSet<Uuid> = super::member_ids(&state.db, conversation_id)
        .await?
        .into_iter()
        .collect();
    let new: Vec<Uuid> = wanted
        .into_iter()
        .filter(|u| !present.contains(u))
        .collect();
    require_friends(&state.db, "userIds", owner, &new).await?;
    if new.is_empty() {
        return super::find(&state.db, conversation_id)
            .await?
            .ok_or_else(not_found);
    }
    let at = now();
    let txn = state.db.begin().await?;
    lock_row(&txn, conversation_id, at).await?;
    let count = conversation_member::Entity::find()
        .filter(conversation_member::Column::ConversationId.eq(conversation_id))
        .count(&txn)
        .await? as usize;
    if count + new.len() > max {
        return Err(AppError::forbidden(format!(
            "The conversation is full (at most {max} members)"
        )));
    }
    for user_id in &new {
        insert_member(
            &txn,
            conversation_id,
            *user_id,
            ConversationRole::Member,
            at,
        )
        .await?;
    }
    txn.commit().await?;
    let conversation = super::find(&state.db, conversation_id)
        .await?
        .ok_or_else(not_found)?;
    let members = super::member_ids(&state.db, conversation_id).await?;
    announce(state, &members, &conversation, false);
    Ok(conversation)
}

/// Renames a group (its owner).
pub async fn rename(
    state: &AppState,
    owner: Uuid,
    conversation_id: Uuid,
    title: Option<&str>,
) -> AppResult<conversation::Model> {
    let title = parse_title(title)?;
    let (conversation, _) = require_group_owner(&state.db, owner, conversation_id).await?;
    let mut active: conversation::ActiveModel = conversation.into();
    active.title = Set(title);
    active.updated_at = Set(now());
    let conversation = active.update(&state.db).await?;
    let members = super::member_ids(&state.db, conversation_id).await?;
    announce(state, &members, &conversation, false);
    Ok(conversation)
}

/// Leaves a group. The owner role passes to the longest-standing member; the last member out
/// deletes the group, its messages and their files. `false` when the user had already left.
pub async fn leave(state: &AppState, user_id: Uuid, conversation_id: Uuid) -> AppResult<bool> {
    let (conversation, _) = super::require_member(&state.db, user_id, conversation_id).await?;
    if ConversationKind::of(&conversation.kind) != ConversationKind::Group {
        return Err(AppError::bad_input(
            "conversationId",
            "Only groups can be left",
        ));
    }
    let at = now();
    let txn = state.db.begin().await?;
    lock_row(&txn, conversation_id, at).await?;
    let gone = conversation_member::Entity::delete_by_id((conversation_id, user_id))
        .exec(&txn)
        .await?
        .rows_affected;
    if gone == 0 {
        txn.commit().await?;
        return Ok(false);
    }
    let remaining = super::members(&txn, conversation_id).await?;
    let mut files = Vec::new();
    match remaining.first() {
        None => {
            files = attachments::ids_in_conversation(&txn, conversation_id).await?;
            conversation::Entity::delete_by_id(conversation_id)
                .exec(&txn)
                .await?;
        }
        Some(first) if !remaining.iter().any(is_owner) => {
            conversation_member::Entity::update_many()
                .col_expr(
                    conversation_member::Column::Role,
                    Expr::value(ConversationRole::Owner.as_str()),
                )
                .filter(conversation_member::Column::ConversationId.eq(conversation_id))
                .filter(conversation_member::Column::UserId.eq(first.user_id))
                .exec(&txn)
                .await?;
        }
        Some(_) => {}
    }
    txn.commit().await?;
    state.media.remove_attachments(&files).await;
    if state.messenger.typing.stop(conversation_id, user_id) {
        super::typing::announce(state, conversation_id, user_id, false);
    }
    let deleted = remaining.is_empty();
    if deleted {
        state.messenger.typing.clear_place(conversation_id);
    }
    let mut told: Vec<Uuid> = remaining.iter().map(|m| m.user_id).collect();
    told.push(user_id);
    let mut conversation = conversation;
    conversation.updated_at = at;
    announce(state, &told, &conversation, deleted);
    Ok(true)
}

fn is_owner(member: &conversation_member::Model) -> bool {
    ConversationRole::of(&member.role) == ConversationRole::Owner
}

fn announce(state: &AppState, users: &[Uuid], conversation: &conversation::Model, deleted: bool) {
    publish(
        state,
        users,
        UserEvent::ConversationUpdated {
            conversation: conversation.clone(),
            deleted,
            at: Utc::now(),
        },
    );
}

/// The conversation if `viewer` is a member of it.
pub async fn visible(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    conversation_id: Uuid,
) -> AppResult<Option<conversation::Model>> {
    match super::require_member(db, viewer, conversation_id).await {
        Ok((conversation, _)) => Ok(Some(conversation)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(e) => Err(e),
    }
}

pub struct ConversationPage {
    pub conversations: Vec<conversation::Model>,
    pub has_more: bool,
    pub total: u64,
}

/// The viewer's conversations, latest activity first, after the cursor `after`.
pub async fn list(
    db: &impl ConnectionTrait,
    viewer: Uuid,
    limit: u64,
    after: Option<Key>,
) -> AppResult<ConversationPage> {
    let mine = Query::select()
        .column(conversation_member::Column::ConversationId)
        .from(conversation_member::Entity)
        .and_where(conversation_member::Column::UserId.eq(viewer))
        .to_owned();
    let total = conversation_member::Entity::find()
        .filter(conversation_member::Column::UserId.eq(viewer))
        .count(db)
        .await?;
    let query = conversation::Entity::find().filter(conversation::Column::Id.in_subquery(mine));
    let columns = KeyColumns {
        at: conversation::Column::UpdatedAt,
        id: conversation::Column::Id,
    };
    let (conversations, has_more) =
        paging::keyset(db, query, columns, Direction::Descending, after, limit).await?;
    Ok(ConversationPage {
        conversations,
        has_more,
        total,
    })
}
