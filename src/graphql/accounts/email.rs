//! Accounts by email: verifying the address, resetting and changing the password, changing the
//! address. Mailed links open the frontend (`FRONTEND_URL/verify-email#token=…`,
//! `/reset-password#token=…`, `/confirm-email#token=…`), whose pages call these mutations with
//! the token. A wrong, used or expired token is `BAD_USER_INPUT` on `token`.

use async_graphql::{Context, Object};

use crate::auth::rate_limit::Bucket;
use crate::domain::accounts::{Email, Password};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::accounts::security::{client_key, email_key, limit, succeeded};
use crate::graphql::accounts::{AuthPayload, user::User};
use crate::service::accounts::{self, passwords, verification};

#[derive(Default)]
pub struct EmailMutation;

#[Object]
impl EmailMutation {
    /// Verifies the address a verification link was mailed to; no sign-in needed (the link may
    /// be opened on another device). Returns the account.
    async fn verify_email(&self, ctx: &Context<'_>, token: String) -> async_graphql::Result<User> {
        let user = verification::verify(ctx.state()?, &token).await?;
        Ok(User::of_viewer(user))
    }

    /// Mails the viewer a new verification link. `false` (and no mail) when the address is
    /// verified already. Limited per account (`RATE_LIMIT_EMAIL_PER_ACCOUNT`).
    async fn resend_verification_email(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        let account = viewer.user_id.to_string();
        limit(ctx, &[(Bucket::EmailAccount, &account)]).await?;
        Ok(verification::resend(ctx.state()?, viewer.user_id).await?)
    }

    /// Mails a password reset link if an account has this address. Always `true` (for a
    /// well-formed address), and as fast either way: the answer never tells whether the account
    /// exists. Limited per address typed and per client.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        let (client, account) = (client_key(ctx), email_key(&email));
        limit(
            ctx,
            &[
                (Bucket::ResetClient, &client),
                (Bucket::ResetAccount, &account),
            ],
        )
        .await?;
        passwords::request_reset(ctx.state()?, &email)?;
        Ok(true)
    }

    /// Sets a new password with the token of a reset link, ends every session of the account
    /// and signs in. When the account has two-factor authentication on, `code` (a current code
    /// or an unused recovery code) is needed too: without it, or with a wrong one, the answer is
    /// `BAD_USER_INPUT` on `code` and the link keeps working.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
        code: Option<String>,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state()?;
        let code = code.as_deref().map(str::trim).filter(|c| !c.is_empty());
        // Code guesses count against the account's two-factor limit.
        let guessing = match code {
            Some(_) => Some((
                client_key(ctx),
                passwords::reset_target(state, &token).await?.id.to_string(),
            )),
            None => None,
        };
        let hits: Vec<(Bucket, &str)> = guessing.as_ref().map_or_else(Vec::new, |(c, a)| {
            vec![
                (Bucket::TwoFactorClient, c.as_str()),
                (Bucket::TwoFactorAccount, a.as_str()),
            ]
        });
        limit(ctx, &hits).await?;
        let (tokens, user) = passwords::reset(state, &token, &new_password, code).await?;
        succeeded(ctx, &hits).await?;
        Ok(AuthPayload::new(tokens, user))
    }

    /// Changes the viewer's password; every other session of theirs ends (this one stays). A
    /// wrong current password is `BAD_USER_INPUT` on `currentPassword` and counts as a failed
    /// sign-in.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Password::parse(&new_password).map_err(|e| e.on_field("newPassword"))?;
        let state = ctx.state()?;
        let user = accounts::current(&state.db, viewer.user_id).await?;
        let (client, account) = (client_key(ctx), email_key(&user.email));
        let hits = [
            (Bucket::LoginClient, client.as_str()),
            (Bucket::LoginAccount, account.as_str()),
        ];
        limit(ctx, &hits).await?;
        passwords::change(state, viewer, &current_password, &new_password).await?;
        succeeded(ctx, &hits).await?;
        Ok(true)
    }

    /// Asks to move the viewer's account to `newEmail`: mails the new address a confirmation
    /// link and the current one a notice; nothing changes until `confirmEmailChange`. A wrong
    /// password is `BAD_USER_INPUT` on `password` (and counts as a failed sign-in); an address
    /// another account has is `CONFLICT` on `newEmail`.
    async fn change_email(
        &self,
        ctx: &Context<'_>,
        new_email: String,
        password: String,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Email::parse(&new_email).map_err(|e| e.on_field("newEmail"))?;
        let state = ctx.state()?;
        let user = accounts::current(&state.db, viewer.user_id).await?;
        let own = viewer.user_id.to_string();
        limit(ctx, &[(Bucket::EmailAccount, &own)]).await?;
        let (client, account) = (client_key(ctx), email_key(&user.email));
        let hits = [
            (Bucket::LoginClient, client.as_str()),
            (Bucket::LoginAccount, account.as_str()),
        ];
        limit(ctx, &hits).await?;
        let changed =
            verification::change_email(state, viewer.user_id, &new_email, &password).await;
        // Only a wrong password counts as a failed sign-in.
        let wrong_password = matches!(
            &changed,
            Err(AppError::BadInput {
                field: Some("password"),
                ..
            })
        );
        if !wrong_password {
            succeeded(ctx, &hits).await?;
        }
        changed?;
        Ok(true)
    }

    /// Moves the account to the address the confirmation link was mailed to (which is then
    /// verified); no sign-in needed. `CONFLICT` when another account took that address
    /// meanwhile.
    async fn confirm_email_change(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> async_graphql::Result<User> {
        let user = verification::confirm_change(ctx.state()?, &token).await?;
        Ok(User::of_viewer(user))
    }
}
