//! Two-factor authentication and Google sign-in, and the rate limits on sign-in mutations.

use async_graphql::{Context, Object, SimpleObject};

use crate::auth::rate_limit::{Bucket, ClientAddr};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::accounts::AuthPayload;
use crate::service::accounts::{federated, two_factor};

/// What an authenticator app needs to add the account. Shown by `beginTwoFactorSetup`; two-factor
/// authentication is on only after `enableTwoFactor` with a code from the app.
#[derive(SimpleObject)]
pub struct TwoFactorSetup {
    /// The secret in base32, for typing in by hand.
    secret: String,
    /// `otpauth://totp/Soundroom:<email>?secret=…&issuer=Soundroom` (SHA-1, 6 digits, 30 s: the
    /// key-URI defaults).
    otpauth_url: String,
    /// The otpauth URL as a QR code: a PNG, bare base64 (prefix `data:image/png;base64,` to show it).
    qr_code_png_base64: String,
}

/// Returned once by `enableTwoFactor`: single-use recovery codes, each accepted once by
/// `verifyTwoFactor` or `disableTwoFactor` in place of a TOTP code.
#[derive(SimpleObject)]
pub struct TwoFactorEnabled {
    recovery_codes: Vec<String>,
}

/// Counts one attempt in each bucket; `TOO_MANY_REQUESTS` (with `extensions.retryAfter` and an
/// HTTP `Retry-After` header) when one is over its limit.
pub async fn limit(ctx: &Context<'_>, hits: &[(Bucket, &str)]) -> async_graphql::Result<()> {
    let state = ctx.state()?;
    for (bucket, key) in hits {
        if let Err(err) = state.limiter.hit(*bucket, key).await {
            if let AppError::TooManyRequests { retry_after_secs } = &err {
                ctx.insert_http_header("retry-after", retry_after_secs.to_string());
            }
            return Err(err.into());
        }
    }
    Ok(())
}

/// Takes back the hits of an attempt at a secret (a password, a code) that succeeded: the
/// sign-in limits count failed attempts only. Each attempt is still counted, with [`limit`],
/// before its secret is checked.
pub async fn succeeded(ctx: &Context<'_>, hits: &[(Bucket, &str)]) -> async_graphql::Result<()> {
    let state = ctx.state()?;
    for (bucket, key) in hits {
        state.limiter.refund(*bucket, key).await;
    }
    Ok(())
}

/// The rate-limit key of the request's client address.
pub fn client_key(ctx: &Context<'_>) -> String {
    ctx.data_opt::<ClientAddr>()
        .map_or_else(|| "unknown".to_owned(), ClientAddr::key)
}

/// The rate-limit key of an account named by email (as typed; trimmed and lower-cased).
pub fn email_key(email: &str) -> String {
    email.trim().to_lowercase()
}

#[derive(Default)]
pub struct SecurityMutation;

#[Object]
impl SecurityMutation {
    /// The second step of signing in with two-factor authentication on: the `challengeToken`
    /// from `login` and a current code from the authenticator app (or an unused recovery code).
    /// A wrong code or an expired challenge (5 minutes) is `UNAUTHENTICATED`.
    async fn verify_two_factor(
        &self,
        ctx: &Context<'_>,
        challenge_token: String,
        code: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state()?;
        let client = client_key(ctx);
        limit(ctx, &[(Bucket::TwoFactorClient, &client)]).await?;
        let user_id = state.challenges.verify(&challenge_token)?;
        let account = user_id.to_string();
        limit(ctx, &[(Bucket::TwoFactorAccount, &account)]).await?;
        let (tokens, user) = two_factor::verify(state, user_id, &code).await?;
        succeeded(
            ctx,
            &[
                (Bucket::TwoFactorClient, &client),
                (Bucket::TwoFactorAccount, &account),
            ],
        )
        .await?;
        Ok(AuthPayload::new(tokens, user))
    }

    /// Signs in with an ID token the client got from Google itself (Google Identity Services,
    /// a mobile SDK). Refused tokens are `UNAUTHENTICATED`; `NOT_FOUND` when Google sign-in is
    /// not configured on this server.
    async fn login_with_google(
        &self,
        ctx: &Context<'_>,
        id_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state()?;
        if !state.oidc.is_configured() {
            return Err(crate::auth::oidc::not_configured().into());
        }
        let client = client_key(ctx);
        limit(ctx, &[(Bucket::LoginClient, &client)]).await?;
        let (tokens, user) = federated::sign_in_with_id_token(state, &id_token).await?;
        succeeded(ctx, &[(Bucket::LoginClient, &client)]).await?;
        Ok(AuthPayload::new(tokens, user))
    }

    /// Starts two-factor setup with a fresh secret (replacing an unfinished setup).
    /// `CONFLICT` when two-factor authentication is already on.
    async fn begin_two_factor_setup(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<TwoFactorSetup> {
        let viewer = ctx.viewer().require()?;
        let setup = two_factor::begin_setup(ctx.state()?, viewer.user_id).await?;
        Ok(TwoFactorSetup {
            secret: setup.secret_base32,
            otpauth_url: setup.otpauth_url,
            qr_code_png_base64: setup.qr_png_base64,
        })
    }

    /// Turns two-factor authentication on with a current code for the secret from
    /// `beginTwoFactorSetup`; returns the recovery codes (shown this once). A wrong code is
    /// `BAD_USER_INPUT` on `code`.
    async fn enable_two_factor(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<TwoFactorEnabled> {
        let viewer = ctx.viewer().require()?;
        let account = viewer.user_id.to_string();
        let hits = [(Bucket::TwoFactorAccount, account.as_str())];
        limit(ctx, &hits).await?;
        let codes = two_factor::enable(ctx.state()?, viewer.user_id, &code).await?;
        succeeded(ctx, &hits).await?;
        Ok(TwoFactorEnabled {
            recovery_codes: codes,
        })
    }

    /// Turns two-factor authentication off; needs a current code (or an unused recovery code).
    /// A wrong code is `BAD_USER_INPUT` on `code`.
    async fn disable_two_factor(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        let account = viewer.user_id.to_string();
        let hits = [(Bucket::TwoFactorAccount, account.as_str())];
        limit(ctx, &hits).await?;
        two_factor::disable(ctx.state()?, viewer.user_id, &code).await?;
        succeeded(ctx, &hits).await?;
        Ok(true)
    }
}
