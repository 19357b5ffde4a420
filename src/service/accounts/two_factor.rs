//! Two-factor authentication (TOTP): setup, enabling with a first code, disabling, and the
//! second step of sign-in.
//!
//! - `begin_setup` stores a fresh secret (sealed) as pending; `enable` turns 2FA on only after a
//!   valid code for that secret and hands out recovery codes, once.
//! - A code is accepted at most once: the last accepted time step is kept per user and advanced
//!   by a conditional UPDATE (`… WHERE last_used_step < step`), so two concurrent uses of one
//!   code cannot both pass, and neither can an older code after a newer one.
//! - A recovery code is spent by a conditional UPDATE too (`… WHERE used_at IS NULL`).

use chrono::Utc;
use entity::{recovery_code, user, user_two_factor};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Set,
    TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::auth::totp::{self, Provisioning};
use crate::error::{AppError, AppResult};
use crate::service::accounts;
use crate::service::accounts::sessions::{self, IssuedTokens};
use crate::state::AppState;

fn already_on() -> AppError {
    AppError::Conflict {
        field: None,
        message: "Two-factor authentication is already on; disable it first".into(),
    }
}

fn wrong_code() -> AppError {
    AppError::bad_input("code", "That code is not valid (or was already used)")
}

/// Starts (or restarts) setup: a fresh secret, pending until `enable` sees a code for it.
pub async fn begin_setup(state: &AppState, user_id: Uuid) -> AppResult<Provisioning> {
    let user = accounts::current(&state.db, user_id).await?;
    if user.two_factor_enabled {
        return Err(already_on());
    }
    let secret = totp::generate_secret();
    let sealed = state.totp_box.seal(user.id, &secret)?;
    let now = Utc::now();
    let txn = state.db.begin().await?;
    user_two_factor::Entity::delete_by_id(user.id)
        .exec(&txn)
        .await?;
    user_two_factor::ActiveModel {
        user_id: Set(user.id),
        secret_sealed: Set(sealed),
        confirmed_at: Set(None),
        last_used_step: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    let account = user.email.clone();
    tokio::task::spawn_blocking(move || totp::provisioning(&secret, &account))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("QR code task failed: {e}")))?
}

/// Turns 2FA on after one valid code for the pending secret; returns the recovery codes (the
/// only time they are shown).
pub async fn enable(state: &AppState, user_id: Uuid, code: &str) -> AppResult<Vec<String>> {
    let user = accounts::current(&state.db, user_id).await?;
    if user.two_factor_enabled {
        return Err(already_on());
    }
    let pending = user_two_factor::Entity::find_by_id(user.id)
        .filter(user_two_factor::Column::ConfirmedAt.is_null())
        .one(&state.db)
        .await?
        .ok_or_else(|| AppError::Conflict {
            field: None,
            message: "No two-factor setup is in progress; call beginTwoFactorSetup first".into(),
        })?;
    let step = current_step(state, &user, &pending, code)?.ok_or_else(wrong_code)?;
    let codes = state.recovery_codes.generate(user.id);
    let now = Utc::now();

    let txn = state.db.begin().await?;
    let confirmed = user_two_factor::Entity::update_many()
        .col_expr(user_two_factor::Column::ConfirmedAt, Expr::value(now))
        .col_expr(user_two_factor::Column::LastUsedStep, Expr::value(step))
        .col_expr(user_two_factor::Column::UpdatedAt, Expr::value(now))
        .filter(user_two_factor::Column::UserId.eq(user.id))
        .filter(user_two_factor::Column::ConfirmedAt.is_null())
        .filter(user_two_factor::Column::SecretSealed.eq(pending.secret_sealed.as_str()))
        .exec(&txn)
        .await?;
    if confirmed.rows_affected != 1 {
        txn.rollback().await?;
        return Err(AppError::Conflict {
            field: None,
            message: "Two-factor setup changed meanwhile; start again".into(),
        });
    }
    set_enabled(&txn, user.id, true).await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user.id))
        .exec(&txn)
        .await?;
    recovery_code::Entity::insert_many(codes.iter().map(|(_, hash)| recovery_code::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user.id),
        code_hash: Set(hash.clone()),
        used_at: Set(None),
        created_at: Set(now),
    }))
    .exec(&txn)
    .await?;
    txn.commit().await?;
    announce_profile(state, user.id).await;
    Ok(codes.into_iter().map(|(code, _)| code).collect())
}

/// Turns 2FA off; needs a valid code (a current TOTP code or an unused recovery code).
pub async fn disable(state: &AppState, user_id: Uuid, code: &str) -> AppResult<()> {
    let user = accounts::current(&state.db, user_id).await?;
    if !user.two_factor_enabled {
        return Err(AppError::Conflict {
            field: None,
            message: "Two-factor authentication is not on".into(),
        });
    }
    if !accept_code(state, &user, code).await? {
        return Err(wrong_code());
    }
    let txn = state.db.begin().await?;
    remove(&txn, user.id).await?;
    txn.commit().await?;
    announce_profile(state, user.id).await;
    Ok(())
}

/// Removes the secret and recovery codes and turns 2FA off.
pub async fn remove(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    user_two_factor::Entity::delete_by_id(user_id)
        .exec(db)
        .await?;
    recovery_code::Entity::delete_many()
        .filter(recovery_code::Column::UserId.eq(user_id))
        .exec(db)
        .await?;
    set_enabled(db, user_id, false).await
}

/// The challenge `login` returns when the password was right and 2FA is on.
pub fn challenge(state: &AppState, user: &user::Model) -> AppResult<String> {
    state.challenges.issue(user.id)
}

/// The second step of sign-in: a valid challenge and a valid code start a session.
pub async fn verify(
    state: &AppState,
    user_id: Uuid,
    code: &str,
) -> AppResult<(IssuedTokens, user::Model)> {
    let invalid = || AppError::unauthenticated("Invalid two-factor code");
    let user = accounts::find(&state.db, user_id)
        .await?
        .filter(|u| u.two_factor_enabled)
        .ok_or_else(|| AppError::unauthenticated("Invalid two-factor challenge"))?;
    if !accept_code(state, &user, code).await? {
        return Err(invalid());
    }
    let tokens = sessions::start(state, &state.db, user.id).await?;
    accounts::announce_session(state, &tokens);
    Ok((tokens, user))
}

/// Spends `code` if it is valid now: a TOTP code for a step later than the last accepted one,
/// or an unused recovery code.
pub(crate) async fn accept_code(
    state: &AppState,
    user: &user::Model,
    code: &str,
) -> AppResult<bool> {
    if totp::normalize_code(code).is_some() {
        let Some(row) = user_two_factor::Entity::find_by_id(user.id)
            .filter(user_two_factor::Column::ConfirmedAt.is_not_null())
            .one(&state.db)
            .await?
        else {
            return Ok(false);
        };
        let Some(step) = current_step(state, user, &row, code)? else {
            return Ok(false);
        };
        let claimed = user_two_factor::Entity::update_many()
            .col_expr(user_two_factor::Column::LastUsedStep, Expr::value(step))
            .filter(user_two_factor::Column::UserId.eq(user.id))
            .filter(
                Condition::any()
                    .add(user_two_factor::Column::LastUsedStep.is_null())
                    .add(user_two_factor::Column::LastUsedStep.lt(step)),
            )
            .exec(&state.db)
            .await?;
        return Ok(claimed.rows_affected == 1);
    }
    let Some(hash) = state.recovery_codes.hash(user.id, code) else {
        return Ok(false);
    };
    let spent = recovery_code::Entity::update_many()
        .col_expr(recovery_code::Column::UsedAt, Expr::value(Utc::now()))
        .filter(recovery_code::Column::UserId.eq(user.id))
        .filter(recovery_code::Column::CodeHash.eq(hash))
        .filter(recovery_code::Column::UsedAt.is_null())
        .exec(&state.db)
        .await?;
    Ok(spent.rows_affected == 1)
}

/// The time step `code` belongs to (now ±1), if any; replay is checked by the caller.
fn current_step(
    state: &AppState,
    user: &user::Model,
    row: &user_two_factor::Model,
    code: &str,
) -> AppResult<Option<i64>> {
    let secret = state.totp_box.open(user.id, &row.secret_sealed)?;
    let generator = totp::generator(&secret, &user.email)?;
    let now = u64::try_from(Utc::now().timestamp()).unwrap_or(0);
    Ok(totp::matching_step(&generator, code, now).and_then(|s| i64::try_from(s).ok()))
}

async fn set_enabled(db: &impl ConnectionTrait, user_id: Uuid, on: bool) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::TwoFactorEnabled, Expr::value(on))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Every device of the user learns that `twoFactorEnabled` changed.
async fn announce_profile(state: &AppState, user_id: Uuid) {
    if let Err(e) = accounts::announce_profile(state, user_id).await {
        tracing::warn!(error = ?e, "could not announce a two-factor change");
    }
}
