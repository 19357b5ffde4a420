//! Accounts: sign-up, sign-in, sessions, profile.

pub mod email;
pub mod security;
pub mod user;

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, Union};
use uuid::Uuid;

use crate::auth::rate_limit::Bucket;
use crate::graphql::ContextExt;
use crate::graphql::accounts::user::User;
use crate::service::accounts::sessions::{self, IssuedTokens};
use crate::service::accounts::{self, LoginOutcome, ProfileUpdate, RegisterInput as Register};

#[derive(SimpleObject)]
pub struct AuthPayload {
    access_token: String,
    refresh_token: String,
    /// Seconds until the access token expires.
    expires_in: i32,
    user: User,
}

impl AuthPayload {
    pub(super) fn new(tokens: IssuedTokens, user: entity::user::Model) -> Self {
        Self {
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            expires_in: i32::try_from(tokens.expires_in_secs).unwrap_or(i32::MAX),
            user: User::of_viewer(user),
        }
    }
}

/// Returned by `login` instead of tokens when the account has two-factor authentication on;
/// pass `challengeToken` with a code to `verifyTwoFactor`.
#[derive(SimpleObject)]
pub struct TwoFactorChallenge {
    challenge_token: String,
}

#[derive(Union)]
pub enum LoginResult {
    AuthPayload(Box<AuthPayload>),
    TwoFactorChallenge(TwoFactorChallenge),
}

#[derive(InputObject)]
pub struct RegisterInput {
    email: String,
    /// 3–32 characters.
    username: String,
    /// At least 8 characters.
    password: String,
}

#[derive(InputObject)]
pub struct LoginInput {
    email: String,
    password: String,
}

#[derive(InputObject)]
pub struct UpdateProfileInput {
    username: Option<String>,
    /// `null` removes the avatar; omit to keep it.
    avatar_url: MaybeUndefined<String>,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user, or `null` for anonymous callers.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let Some(id) = ctx.viewer().user_id() else {
            return Ok(None);
        };
        Ok(Some(User::of_viewer(
            accounts::current(&ctx.state()?.db, id).await?,
        )))
    }

    async fn user(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<User>> {
        Ok(accounts::find(&ctx.state()?.db, id).await?.map(User::new))
    }

    /// The server clock, Unix epoch milliseconds, for client clock-offset estimation.
    async fn server_time(&self) -> f64 {
        chrono::Utc::now().timestamp_millis() as f64
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (client, account) = (security::client_key(ctx), security::email_key(&input.email));
        security::limit(
            ctx,
            &[
                (Bucket::RegisterClient, &client),
                (Bucket::RegisterAccount, &account),
            ],
        )
        .await?;
        let register = Register {
            email: &input.email,
            username: &input.username,
            password: &input.password,
        };
        let (tokens, user) = accounts::register(ctx.state()?, register).await?;
        Ok(AuthPayload::new(tokens, user))
    }

    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<LoginResult> {
        let (client, account) = (security::client_key(ctx), security::email_key(&input.email));
        let hits = [
            (Bucket::LoginClient, client.as_str()),
            (Bucket::LoginAccount, account.as_str()),
        ];
        security::limit(ctx, &hits).await?;
        let outcome = accounts::login(ctx.state()?, &input.email, &input.password).await?;
        // The password was right (a second factor may still be asked for).
        security::succeeded(ctx, &hits).await?;
        Ok(match outcome {
            LoginOutcome::Session(session) => {
                let (tokens, user) = *session;
                LoginResult::AuthPayload(Box::new(AuthPayload::new(tokens, user)))
            }
            LoginOutcome::TwoFactorRequired { challenge_token } => {
                LoginResult::TwoFactorChallenge(TwoFactorChallenge { challenge_token })
            }
        })
    }

    /// Rotates the refresh token: the one presented stops working. Presenting an already used
    /// refresh token revokes its whole session.
    async fn refresh_tokens(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.state()?;
        let tokens = sessions::refresh(state, &refresh_token).await?;
        let user = accounts::current(&state.db, tokens.user_id).await?;
        Ok(AuthPayload::new(tokens, user))
    }

    /// Ends the session of this refresh token. `false` when the token is unknown.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        Ok(sessions::logout(ctx.state()?, &refresh_token).await?)
    }

    /// Changes the viewer's profile; every device of theirs gets `ProfileUpdated`.
    async fn update_profile(
        &self,
        ctx: &Context<'_>,
        input: UpdateProfileInput,
    ) -> async_graphql::Result<User> {
        let viewer = ctx.viewer().require()?;
        let avatar_url = match &input.avatar_url {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(url) => Some(Some(url.as_str())),
        };
        let change = ProfileUpdate {
            username: input.username.as_deref(),
            avatar_url,
        };
        Ok(User::of_viewer(
            accounts::update_profile(ctx.state()?, viewer.user_id, change).await?,
        ))
    }
}
