//! Passwords: resetting one through a mailed link, and changing one while signed in.
//!
//! - `requestPasswordReset` answers at once, the same way whether or not an account has the
//!   address: the lookup and the mail happen after the answer, on a task of their own.
//! - A reset proves the inbox: it sets the password, marks the address verified, ends every
//!   session of the account and signs in anew. With two-factor authentication on a verified
//!   account it needs a code too (the mail alone does not pass the second factor). On an
//!   account whose address was never verified, the second factor was set up by someone who
//!   never proved the address, so the reset removes it, as Google linking does.
//! - Either way the account's pending reset and email-change links stop working, and the
//!   account's address gets a notice.

use chrono::{Duration, Utc};
use entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait, sea_query::Expr};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use crate::auth::password;
use crate::auth::viewer::SignedIn;
use crate::domain::accounts::{Email, Password};
use crate::error::{AppError, AppResult};
use crate::mail::templates;
use crate::service::accounts::email_tokens::{self, Purpose};
use crate::service::accounts::sessions::{self, IssuedTokens};
use crate::service::accounts::verification::{check_password, require_mail};
use crate::service::accounts::{self, announce_profile, announce_session, two_factor};
use crate::state::AppState;

/// `requestPasswordReset`: mails a reset link if an account has this address, after answering.
/// A malformed address is `BAD_USER_INPUT` on `email` (that tells nothing about accounts).
pub fn request_reset(state: &AppState, email: &str) -> AppResult<()> {
    require_mail(state)?;
    let email = Email::parse(email)?;
    let state = state.clone();
    tokio::spawn(async move {
        if let Err(e) = mail_reset_link(&state, &email).await {
            tracing::error!(error = ?e, "could not queue a password reset mail");
        }
    });
    Ok(())
}

async fn mail_reset_link(state: &AppState, email: &Email) -> AppResult<()> {
    let Some(user) = accounts::find_by_email(&state.db, email).await? else {
        return Ok(());
    };
    let txn = state.db.begin().await?;
    let issued = email_tokens::issue(
        &txn,
        &state.config.security.frontend_url,
        user.id,
        Purpose::ResetPassword,
        &user.email,
    )
    .await?;
    let minutes = Purpose::ResetPassword.ttl().num_minutes();
    let content = templates::reset_password(&user.username, &issued.link, minutes);
    state
        .mailer
        .enqueue(&txn, &user.email, content, issued.expires_at)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// The account a reset link is for, spending nothing (so that code attempts can be limited per
/// account before [`reset`] runs). `BAD_USER_INPUT` on `token` for a bad link.
pub async fn reset_target(state: &AppState, token: &str) -> AppResult<user::Model> {
    let row = email_tokens::find(&state.db, Purpose::ResetPassword, token).await?;
    let user = accounts::find(&state.db, row.user_id)
        .await?
        .ok_or_else(|| AppError::bad_input("token", "This link is not valid"))?;
    email_tokens::still_applies(&row, &user.email)?;
    Ok(user)
}

/// Whether a reset of this account must also pass its second factor.
pub fn needs_code(user: &user::Model) -> bool {
    user.two_factor_enabled && user.email_verified
}

/// `resetPassword`: sets the password, ends every session and starts a new one.
pub async fn reset(
    state: &AppState,
    token: &str,
    new_password: &str,
    code: Option<&str>,
) -> AppResult<(IssuedTokens, user::Model)> {
    let password = Password::parse(new_password).map_err(|e| e.on_field("newPassword"))?;
    let user = reset_target(state, token).await?;
    if needs_code(&user) {
        let code = code.map(str::trim).filter(|c| !c.is_empty()).ok_or_else(|| {
            AppError::bad_input(
                "code",
                "This account has two-factor authentication on: enter a code from the authenticator app (or a recovery code)",
            )
        })?;
        if !two_factor::accept_code(state, &user, code).await? {
            return Err(AppError::bad_input(
                "code",
                "That code is not valid (or was already used)",
            ));
        }
    }
    let hash = password::hash(password.into_inner()).await?;
    let txn = state.db.begin().await?;
    let row = email_tokens::spend(&txn, Purpose::ResetPassword, token).await?;
    let user = accounts::find(&txn, row.user_id)
        .await?
        .ok_or_else(|| AppError::bad_input("token", "This link is not valid"))?;
    email_tokens::still_applies(&row, &user.email)?;
    if user.two_factor_enabled && !user.email_verified {
        two_factor::remove(&txn, user.id).await?;
    }
    set_password(&txn, user.id, &hash, true).await?;
    sessions::revoke_all(&txn, user.id).await?;
    finish_change(state, &txn, &user).await?;
    txn.commit().await?;
    state.mailer.wake();
    tracing::info!(user_id = %user.id, "a password was reset: every session ended");
    let tokens = sessions::start(state, &state.db, user.id).await?;
    announce_session(state, &tokens);
    let user = announce_profile(state, user.id).await?;
    Ok((tokens, user))
}

/// `changePassword`: needs the current password; ends every session but the caller's.
pub async fn change(
    state: &AppState,
    viewer: SignedIn,
    current_password: &str,
    new_password: &str,
) -> AppResult<()> {
    let password = Password::parse(new_password).map_err(|e| e.on_field("newPassword"))?;
    let user = accounts::current(&state.db, viewer.user_id).await?;
    check_password(&user, current_password, "currentPassword").await?;
    let hash = password::hash(password.into_inner()).await?;
    let txn = state.db.begin().await?;
    set_password(&txn, user.id, &hash, user.email_verified).await?;
    sessions::revoke_all_except(&txn, user.id, viewer.session_id).await?;
    finish_change(state, &txn, &user).await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

async fn set_password(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    hash: &str,
    email_verified: bool,
) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(hash))
        .col_expr(user::Column::EmailVerified, Expr::value(email_verified))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// After a new password: pending reset and email-change links die (an email change asked for
/// with the old password is void), and the account's address is told.
async fn finish_change(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: &user::Model,
) -> AppResult<()> {
    email_tokens::discard(
        txn,
        user.id,
        &[Purpose::ResetPassword, Purpose::ChangeEmail],
    )
    .await?;
    state
        .mailer
        .enqueue(
            txn,
            &user.email,
            templates::password_changed(&user.username),
            Utc::now() + Duration::days(1),
        )
        .await
}
