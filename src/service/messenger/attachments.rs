//! Attachments: uploading one (streamed to staging, size-limited, sniffed, then stored), sending
//! it in a message, who may fetch it, and the sweep of those never sent.
//!
//! - An upload is at most `MAX_ATTACHMENT_BYTES`. Its kind and MIME type come from its content
//!   ([`crate::media::sniff`]); a file that is not recognised media is a `FILE` of
//!   `application/octet-stream`.
//! - Until it is sent, an attachment is its uploader's alone: only they may fetch it or send
//!   it, once. Once sent, the members of the message's conversation may fetch it.
//! - Attachments not sent within `ATTACHMENT_UNSENT_TTL_SECS` are removed, rows and files.

use std::{collections::HashMap, time::Duration};

use chrono::Utc;
use entity::{attachment, message};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
    sea_query::{Expr, Query},
};
use uuid::Uuid;

use super::{membership, now};
use crate::domain::messenger::attachment_name;
use crate::error::{AppError, AppResult};
use crate::media::{StagedUpload, sniff};
use crate::state::AppState;

/// Sniffs a staged upload and stores it as an unsent attachment of `uploader`'s.
pub async fn upload(
    state: &AppState,
    uploader: Uuid,
    upload: &StagedUpload,
) -> AppResult<attachment::Model> {
    let max = state.config.messenger.max_attachment_bytes;
    if upload.size > max {
        return Err(AppError::bad_input(
            "file",
            format!("An attachment has at most {max} bytes"),
        ));
    }
    if upload.size == 0 {
        return Err(AppError::bad_input("file", "The file is empty"));
    }
    let path = upload.path.clone();
    let sniffed = tokio::task::spawn_blocking(move || sniff::sniff(&path))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("sniffing an upload: {e}")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("reading an upload: {e}")))?;
    let id = Uuid::now_v7();
    state
        .media
        .install_attachment(&upload.path, id, sniffed.mime_type)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("storing an attachment: {e}")))?;
    let inserted = attachment::ActiveModel {
        id: Set(id),
        uploader_id: Set(uploader),
        message_id: Set(None),
        position: Set(0),
        kind: Set(sniffed.kind.as_str().to_owned()),
        name: Set(attachment_name(&upload.filename)),
        mime_type: Set(sniffed.mime_type.to_owned()),
        size_bytes: Set(i64::try_from(upload.size).unwrap_or(i64::MAX)),
        width: Set(sniffed.width),
        height: Set(sniffed.height),
        duration_ms: Set(sniffed.duration_ms),
        created_at: Set(Utc::now()),
    }
    .insert(&state.db)
    .await;
    let row = match inserted {
        Ok(row) => row,
        Err(e) => {
            state.media.discard_attachment(id).await;
            return Err(e.into());
        }
    };
    Ok(row)
}

/// The attachments `ids` in that order, when each is `sender`'s and unsent; `BAD_USER_INPUT` on
/// `attachmentIds` otherwise.
pub async fn sendable(
    db: &impl ConnectionTrait,
    sender: Uuid,
    ids: &[Uuid],
) -> AppResult<Vec<attachment::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut found: HashMap<Uuid, attachment::Model> = attachment::Entity::find()
        .filter(attachment::Column::Id.is_in(ids.to_vec()))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    let refuse = |why: String| AppError::bad_input("attachmentIds", why);
    ids.iter()
        .map(|id| match found.remove(id) {
            None => Err(refuse(format!("No such attachment: {id}"))),
            Some(a) if a.uploader_id != sender => {
                Err(refuse(format!("Attachment {id} is not yours to send")))
            }
            Some(a) if a.message_id.is_some() => {
                Err(refuse(format!("Attachment {id} was already sent")))
            }
            Some(a) => Ok(a),
        })
        .collect()
}

/// In the sending transaction: attaches `files` (from [`sendable`]) to `message_id` in order.
/// Each claim is conditional, so an attachment racing into two messages ends in one.
pub async fn claim(
    db: &impl ConnectionTrait,
    sender: Uuid,
    message_id: Uuid,
    files: Vec<attachment::Model>,
) -> AppResult<Vec<attachment::Model>> {
    let mut claimed = Vec::with_capacity(files.len());
    for (position, mut file) in files.into_iter().enumerate() {
        let position = i32::try_from(position).unwrap_or(i32::MAX);
        let taken = attachment::Entity::update_many()
            .col_expr(attachment::Column::MessageId, Expr::value(Some(message_id)))
            .col_expr(attachment::Column::Position, Expr::value(position))
            .filter(attachment::Column::Id.eq(file.id))
            .filter(attachment::Column::UploaderId.eq(sender))
            .filter(attachment::Column::MessageId.is_null())
            .exec(db)
            .await?
            .rows_affected;
        if taken != 1 {
            return Err(AppError::bad_input(
                "attachmentIds",
                format!("Attachment {} was already sent", file.id),
            ));
        }
        file.message_id = Some(message_id);
        file.position = position;
        claimed.push(file);
    }
    Ok(claimed)
}

/// A message's attachments in order.
pub async fn of_message(
    db: &impl ConnectionTrait,
    message_id: Uuid,
) -> AppResult<Vec<attachment::Model>> {
    Ok(attachment::Entity::find()
        .filter(attachment::Column::MessageId.eq(message_id))
        .order_by_asc(attachment::Column::Position)
        .all(db)
        .await?)
}

/// In a transaction: removes a message's attachment rows; returns their ids, whose files go
/// once it commits.
pub async fn detach(db: &impl ConnectionTrait, message_id: Uuid) -> AppResult<Vec<Uuid>> {
    let ids: Vec<Uuid> = of_message(db, message_id)
        .await?
        .into_iter()
        .map(|a| a.id)
        .collect();
    attachment::Entity::delete_many()
        .filter(attachment::Column::MessageId.eq(message_id))
        .exec(db)
        .await?;
    Ok(ids)
}

/// The ids of every attachment sent in a conversation (whose files go with it).
pub async fn ids_in_conversation(
    db: &impl ConnectionTrait,
    conversation_id: Uuid,
) -> AppResult<Vec<Uuid>> {
    let messages = Query::select()
        .column(message::Column::Id)
        .from(message::Entity)
        .and_where(message::Column::ConversationId.eq(conversation_id))
        .to_owned();
    Ok(attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Id)
        .filter(attachment::Column::MessageId.in_subquery(messages))
        .into_tuple::<Uuid>()
        .all(db)
        .await?)
}

/// The attachment, when `user` may fetch it: its uploader before it is sent, the members of
/// its conversation after. `NOT_FOUND` for everyone else.
pub async fn fetchable(
    db: &impl ConnectionTrait,
    user: Uuid,
    attachment_id: Uuid,
) -> AppResult<attachment::Model> {
    let not_found = || AppError::not_found("Attachment not found");
    let file = attachment::Entity::find_by_id(attachment_id)
        .one(db)
        .await?
        .ok_or_else(not_found)?;
    let allowed = match file.message_id {
        None => file.uploader_id == user,
        Some(message_id) => {
            let conversation = message::Entity::find_by_id(message_id)
                .select_only()
                .column(message::Column::ConversationId)
                .into_tuple::<Uuid>()
                .one(db)
                .await?;
            match conversation {
                Some(c) => membership(db, c, user).await?.is_some(),
                None => false,
            }
        }
    };
    if allowed { Ok(file) } else { Err(not_found()) }
}

/// Removes attachments that were uploaded longer than `ATTACHMENT_UNSENT_TTL_SECS` ago and never
/// sent: each row with a conditional delete (a send claiming it at the same moment wins or
/// loses whole), then the files of the rows that went.
pub async fn sweep_unsent(state: &AppState) -> AppResult<usize> {
    let ttl = chrono::Duration::from_std(state.config.messenger.unsent_attachment_ttl)
        .unwrap_or(chrono::Duration::MAX);
    let cutoff = now().checked_sub_signed(ttl).unwrap_or_default();
    let stale: Vec<Uuid> = attachment::Entity::find()
        .select_only()
        .column(attachment::Column::Id)
        .filter(attachment::Column::MessageId.is_null())
        .filter(attachment::Column::CreatedAt.lt(cutoff))
        .limit(500)
        .into_tuple()
        .all(&state.db)
        .await?;
    let mut removed = Vec::new();
    for id in stale {
        let gone = attachment::Entity::delete_many()
            .filter(attachment::Column::Id.eq(id))
            .filter(attachment::Column::MessageId.is_null())
            .exec(&state.db)
            .await?
            .rows_affected;
        if gone == 1 {
            removed.push(id);
        }
    }
    state.media.remove_attachments(&removed).await;
    Ok(removed.len())
}

/// Runs [`sweep_unsent`] in the background, a few times per TTL (at most every 10 minutes).
pub fn start_sweeper(state: &AppState) {
    let every = (state.config.messenger.unsent_attachment_ttl / 4)
        .clamp(Duration::from_millis(200), Duration::from_secs(600));
    let sweeper = state.clone();
    let handle = tokio::spawn(async move {
        let mut interval = tokio::time::interval(every);
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            match sweep_unsent(&sweeper).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(removed = n, "swept unsent attachments"),
                Err(e) => tracing::warn!(error = ?e, "unsent attachment sweep failed"),
            }
        }
    });
    state.messenger.add_background(handle.abort_handle());
}
