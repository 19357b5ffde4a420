//! Proving an address: the verification link `register` mails (and `resendVerificationEmail`
//! mails again), and changing an account's address, which happens only once the new address
//! confirmed it (and is then verified too).
//!
//! `email_verified` is what the Google linking rule reads (see `federated`): a verified account
//! keeps its password and second factor when a Google identity with its address links to it.

use chrono::{Duration, Utc};
use entity::user;
use sea_orm::{ColumnTrait, DbErr, EntityTrait, QueryFilter, SqlErr, TransactionTrait};
use sea_orm::{ConnectionTrait, sea_query::Expr};
use uuid::Uuid;

use crate::auth::password;
use crate::domain::accounts::Email;
use crate::error::{AppError, AppResult};
use crate::mail::templates;
use crate::service::accounts::email_tokens::{self, Purpose};
use crate::service::accounts::{self, announce_profile};
use crate::state::AppState;

/// `NOT_FOUND` unless this server sends mail (`EMAIL_FEATURES`).
pub fn require_mail(state: &AppState) -> AppResult<()> {
    if state.mailer.is_on() {
        Ok(())
    } else {
        Err(AppError::not_found(
            "Email features are turned off on this server",
        ))
    }
}

fn hours(d: Duration) -> i64 {
    d.num_hours()
}

/// Mails `user` a link that verifies their current address.
pub async fn send_link(state: &AppState, user: &user::Model) -> AppResult<()> {
    let txn = state.db.begin().await?;
    let issued = email_tokens::issue(
        &txn,
        &state.config.security.frontend_url,
        user.id,
        Purpose::VerifyEmail,
        &user.email,
    )
    .await?;
    let content = templates::verify_email(
        &user.username,
        &issued.link,
        hours(Purpose::VerifyEmail.ttl()),
    );
    state
        .mailer
        .enqueue(&txn, &user.email, content, issued.expires_at)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// `resendVerificationEmail`: `false` (and no mail) when the address is verified already.
pub async fn resend(state: &AppState, user_id: Uuid) -> AppResult<bool> {
    require_mail(state)?;
    let user = accounts::current(&state.db, user_id).await?;
    if user.email_verified {
        return Ok(false);
    }
    send_link(state, &user).await?;
    Ok(true)
}

/// `verifyEmail`: spends the token and marks the address verified.
pub async fn verify(state: &AppState, token: &str) -> AppResult<user::Model> {
    let txn = state.db.begin().await?;
    let row = email_tokens::spend(&txn, Purpose::VerifyEmail, token).await?;
    let user = owner(&txn, row.user_id).await?;
    email_tokens::still_applies(&row, &user.email)?;
    set_email(&txn, user.id, None).await?;
    email_tokens::discard(&txn, user.id, &[Purpose::VerifyEmail]).await?;
    txn.commit().await?;
    announce_profile(state, user.id).await
}

/// The account a token was issued to; a deleted account makes the token invalid.
async fn owner(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<user::Model> {
    accounts::find(db, user_id)
        .await?
        .ok_or_else(|| AppError::bad_input("token", "This link is not valid"))
}

/// Marks the address verified, moving the account to `new_email` first when given. A taken
/// address is `CONFLICT`.
async fn set_email(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    new_email: Option<&str>,
) -> AppResult<()> {
    let mut update = user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()));
    if let Some(email) = new_email {
        update = update.col_expr(user::Column::Email, Expr::value(email));
    }
    match update.filter(user::Column::Id.eq(user_id)).exec(db).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e) => Err(address_taken()),
        Err(e) => Err(e.into()),
    }
}

fn address_taken() -> AppError {
    AppError::conflict("newEmail", "An account with this email already exists")
}

fn taken_meanwhile() -> AppError {
    AppError::Conflict {
        field: None,
        message: "Another account uses this email address now".into(),
    }
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// `changeEmail`: after the password, mails the new address a confirmation link and the old
/// one a notice. A newer request replaces an unconfirmed older one.
pub async fn change_email(
    state: &AppState,
    user_id: Uuid,
    new_email: &str,
    current_password: &str,
) -> AppResult<()> {
    require_mail(state)?;
    let new_email = Email::parse(new_email).map_err(|e| e.on_field("newEmail"))?;
    let user = accounts::current(&state.db, user_id).await?;
    check_password(&user, current_password, "password").await?;
    if new_email.as_str() == user.email {
        return Err(AppError::bad_input(
            "newEmail",
            "This is already your email address",
        ));
    }
    if accounts::find_by_email(&state.db, &new_email)
        .await?
        .is_some()
    {
        return Err(address_taken());
    }
    let txn = state.db.begin().await?;
    email_tokens::discard(&txn, user.id, &[Purpose::ChangeEmail]).await?;
    let issued = email_tokens::issue(
        &txn,
        &state.config.security.frontend_url,
        user.id,
        Purpose::ChangeEmail,
        new_email.as_str(),
    )
    .await?;
    let confirm = templates::confirm_email_change(
        &user.username,
        &issued.link,
        hours(Purpose::ChangeEmail.ttl()),
    );
    state
        .mailer
        .enqueue(&txn, new_email.as_str(), confirm, issued.expires_at)
        .await?;
    let notice = templates::email_change_requested(&user.username, new_email.as_str());
    state
        .mailer
        .enqueue(&txn, &user.email, notice, issued.expires_at)
        .await?;
    txn.commit().await?;
    state.mailer.wake();
    Ok(())
}

/// `confirmEmailChange`: spends the token and moves the account to the new address, verified.
/// Links mailed to the old address (verification, password reset) stop working.
pub async fn confirm_change(state: &AppState, token: &str) -> AppResult<user::Model> {
    let txn = state.db.begin().await?;
    let row = email_tokens::spend(&txn, Purpose::ChangeEmail, token).await?;
    let user = owner(&txn, row.user_id).await?;
    let taken = accounts::find_by_email(&txn, &Email::parse(&row.email)?)
        .await?
        .is_some_and(|other| other.id != user.id);
    if taken {
        return Err(taken_meanwhile());
    }
    set_email(&txn, user.id, Some(&row.email))
        .await
        .map_err(|e| match e {
            AppError::Conflict { .. } => taken_meanwhile(),
            other => other,
        })?;
    email_tokens::discard(&txn, user.id, &Purpose::ALL).await?;
    txn.commit().await?;
    tracing::info!(user_id = %user.id, "an account's email address changed");
    announce_profile(state, user.id).await
}

/// `BAD_USER_INPUT` on `field` unless `password` is the account's password. An account without
/// one (made through Google) is told how to get one.
pub async fn check_password(
    user: &user::Model,
    password: &str,
    field: &'static str,
) -> AppResult<()> {
    let has_password = user.password_hash.is_some();
    if password::verify(password.to_owned(), user.password_hash.clone()).await? {
        return Ok(());
    }
    Err(AppError::bad_input(
        field,
        if has_password {
            "Wrong password"
        } else {
            "This account has no password yet: set one with a password reset link first"
        },
    ))
}
