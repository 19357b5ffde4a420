//! Sessions: access/refresh token pairs. A session is a refresh-token family; every refresh
//! rotates (the presented token is marked used, a new one joins the family) and presenting a
//! used token again revokes the whole family, so a stolen refresh token dies on first reuse.

use chrono::Utc;
use entity::refresh_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// What a successful sign-in or refresh hands to the client.
pub struct IssuedTokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in_secs: u64,
    pub user_id: Uuid,
    pub session_id: Uuid,
}

/// Starts a new session (a new family) for `user_id`.
pub async fn start(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: Uuid,
) -> AppResult<IssuedTokens> {
    issue(state, db, user_id, Uuid::new_v4()).await
}

async fn issue(
    state: &AppState,
    db: &impl ConnectionTrait,
    user_id: Uuid,
    family_id: Uuid,
) -> AppResult<IssuedTokens> {
    let (refresh_token, token_hash) = state.tokens.new_refresh();
    let now = Utc::now();
    let ttl = chrono::Duration::from_std(state.tokens.refresh_ttl).map_err(anyhow::Error::from)?;
    refresh_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(token_hash),
        created_at: Set(now),
        expires_at: Set(now + ttl),
        used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(IssuedTokens {
        access_token: state.tokens.issue_access(user_id, family_id)?,
        refresh_token,
        expires_in_secs: state.tokens.access_ttl.as_secs(),
        user_id,
        session_id: family_id,
    })
}

/// Exchanges a refresh token for a new pair. The old token dies; reusing it later revokes the
/// session.
pub async fn refresh(state: &AppState, token: &str) -> AppResult<IssuedTokens> {
    let invalid = || AppError::unauthenticated("Invalid or expired refresh token");
    let hash = state.tokens.hash_refresh(token.trim());
    let row = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&state.db)
        .await?
        .ok_or_else(invalid)?;
    let now = Utc::now();
    if row.revoked_at.is_some() || row.expires_at <= now {
        return Err(invalid());
    }
    if row.used_at.is_some() {
        return Err(reuse_detected(state, row.family_id).await);
    }

    let txn = state.db.begin().await?;
    // Compare-and-set: only one of several concurrent refreshes with the same token wins.
    let claimed = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::UsedAt, Expr::value(now))
        .filter(refresh_token::Column::Id.eq(row.id))
        .filter(refresh_token::Column::UsedAt.is_null())
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        txn.rollback().await?;
        return Err(reuse_detected(state, row.family_id).await);
    }
    let issued = issue(state, &txn, row.user_id, row.family_id).await?;
    txn.commit().await?;
    Ok(issued)
}

async fn reuse_detected(state: &AppState, family_id: Uuid) -> AppError {
    tracing::warn!(%family_id, "refresh token reuse detected: revoking the session");
    if let Err(e) = revoke_family(&state.db, family_id).await {
        return e;
    }
    AppError::unauthenticated("Refresh token was already used; the session has been revoked")
}

/// Ends the session the refresh token belongs to. `false` when the token is unknown.
pub async fn logout(state: &AppState, token: &str) -> AppResult<bool> {
    let hash = state.tokens.hash_refresh(token.trim());
    let Some(row) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(hash))
        .one(&state.db)
        .await?
    else {
        return Ok(false);
    };
    revoke_family(&state.db, row.family_id).await?;
    Ok(true)
}

/// Ends every session of `user_id`.
pub async fn revoke_all(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of `user_id` but `keep` (the caller's own).
pub async fn revoke_all_except(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Uuid,
) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::FamilyId.ne(keep))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

async fn revoke_family(db: &impl ConnectionTrait, family_id: Uuid) -> AppResult<()> {
    refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, Expr::value(Utc::now()))
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}
