//! Accounts: registration, password sign-in, profiles.
//!
//! Tags: every user gets a unique, permanent `tag` at registration, `<username stem>#<4 digits>`
//! (e.g. `ann_lee#4821`), the handle friends search for. Usernames need not be unique; the tag
//! never changes, even when the username does.

pub mod email_tokens;
pub mod federated;
pub mod passwords;
pub mod sessions;
pub mod two_factor;
pub mod verification;

use chrono::Utc;
use entity::user;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, SqlErr,
};
use uuid::Uuid;

use crate::auth::password;
use crate::domain::accounts::{Email, Password, Username, parse_image_url};
use crate::error::{AppError, AppResult};
use crate::realtime::{Event, Topic, UserEvent};
use crate::service::accounts::sessions::IssuedTokens;
use crate::state::AppState;

pub struct RegisterInput<'a> {
    pub email: &'a str,
    pub username: &'a str,
    pub password: &'a str,
}

pub async fn register(
    state: &AppState,
    input: RegisterInput<'_>,
) -> AppResult<(IssuedTokens, user::Model)> {
    let email = Email::parse(input.email)?;
    let username = Username::parse(input.username)?;
    let password = Password::parse(input.password)?;
    if find_by_email(&state.db, &email).await?.is_some() {
        return Err(email_taken());
    }
    let hash = password::hash(password.into_inner()).await?;
    let user =
        insert_with_unique_tag(&state.db, &email, &username, Some(hash), "local", false).await?;
    if state.mailer.is_on() {
        // The account exists either way; a link that could not be queued can be asked for
        // again with resendVerificationEmail.
        if let Err(e) = verification::send_link(state, &user).await {
            tracing::error!(error = ?e, user_id = %user.id, "could not queue the verification mail");
        }
    }
    let tokens = sessions::start(state, &state.db, user.id).await?;
    announce_session(state, &tokens);
    Ok((tokens, user))
}

/// What a right password gets: a session, or (with two-factor authentication on) a challenge
/// to pass to `verifyTwoFactor` with a code.
pub enum LoginOutcome {
    Session(Box<(IssuedTokens, user::Model)>),
    TwoFactorRequired { challenge_token: String },
}

pub async fn login(state: &AppState, email: &str, password: &str) -> AppResult<LoginOutcome> {
    let invalid = || AppError::unauthenticated("Invalid email or password");
    // A malformed email cannot match an account; answer exactly as for a wrong password.
    let user = match Email::parse(email) {
        Ok(email) => find_by_email(&state.db, &email).await?,
        Err(_) => None,
    };
    let stored = user.as_ref().and_then(|u| u.password_hash.clone());
    if !password::verify(password.to_owned(), stored).await? {
        return Err(invalid());
    }
    let user = user.ok_or_else(invalid)?;
    if user.two_factor_enabled {
        return Ok(LoginOutcome::TwoFactorRequired {
            challenge_token: crate::service::accounts::two_factor::challenge(state, &user)?,
        });
    }
    let tokens = sessions::start(state, &state.db, user.id).await?;
    announce_session(state, &tokens);
    Ok(LoginOutcome::Session(Box::new((tokens, user))))
}

pub(crate) fn announce_session(state: &AppState, tokens: &IssuedTokens) {
    state.bus.publish(
        Topic::User(tokens.user_id),
        Event::User(UserEvent::SessionStarted {
            session_id: tokens.session_id,
            at: Utc::now(),
        }),
    );
}

/// Reads the account and tells every device of the user that it changed (`ProfileUpdated`).
pub(crate) async fn announce_profile(state: &AppState, user_id: Uuid) -> AppResult<user::Model> {
    let user = current(&state.db, user_id).await?;
    state.bus.publish(
        Topic::User(user_id),
        Event::User(UserEvent::ProfileUpdated {
            user: user.clone(),
            at: Utc::now(),
        }),
    );
    Ok(user)
}

pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id).one(db).await?)
}

/// The signed-in user's own row; a token for a deleted account is no longer valid.
pub async fn current(db: &impl ConnectionTrait, id: Uuid) -> AppResult<user::Model> {
    find(db, id)
        .await?
        .ok_or_else(|| AppError::unauthenticated("Account no longer exists"))
}

pub(crate) async fn find_by_email(
    db: &impl ConnectionTrait,
    email: &Email,
) -> AppResult<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

pub struct ProfileUpdate<'a> {
    pub username: Option<&'a str>,
    /// `Some(None)` clears the avatar.
    pub avatar_url: Option<Option<&'a str>>,
}

pub async fn update_profile(
    state: &AppState,
    user_id: Uuid,
    change: ProfileUpdate<'_>,
) -> AppResult<user::Model> {
    let current = current(&state.db, user_id).await?;
    let mut active: user::ActiveModel = current.into();
    if let Some(name) = change.username {
        active.username = Set(Username::parse(name)?.as_str().to_owned());
    }
    if let Some(avatar) = change.avatar_url {
        active.avatar_url = Set(parse_image_url("avatarUrl", avatar)?);
    }
    active.updated_at = Set(Utc::now());
    let updated = active.update(&state.db).await?;
    state.bus.publish(
        Topic::User(user_id),
        Event::User(UserEvent::ProfileUpdated {
            user: updated.clone(),
            at: Utc::now(),
        }),
    );
    Ok(updated)
}

fn email_taken() -> AppError {
    AppError::conflict("email", "An account with this email already exists")
}

/// Inserts a user, drawing a fresh tag discriminator until the tag is unique. The unique
/// constraints decide races: a duplicate email that slipped past the early check is `CONFLICT`.
/// `email_verified` says whether the address is already proven (Google vouched for it).
pub async fn insert_with_unique_tag(
    db: &impl ConnectionTrait,
    email: &Email,
    username: &Username,
    password_hash: Option<String>,
    provider: &str,
    email_verified: bool,
) -> AppResult<user::Model> {
    let stem = username.tag_stem();
    for attempt in 0..20u32 {
        let digits = if attempt < 10 { 4 } else { 6 };
        let tag = format!("{stem}#{}", discriminator(digits));
        let now = Utc::now();
        let row = user::ActiveModel {
            id: Set(Uuid::now_v7()),
            email: Set(email.as_str().to_owned()),
            password_hash: Set(password_hash.clone()),
            username: Set(username.as_str().to_owned()),
            tag: Set(tag),
            avatar_url: Set(None),
            provider: Set(provider.to_owned()),
            role: Set("user".to_owned()),
            two_factor_enabled: Set(false),
            email_verified: Set(email_verified),
            created_at: Set(now),
            updated_at: Set(now),
        };
        match row.insert(db).await {
            Ok(user) => return Ok(user),
            Err(err) => match unique_violation(&err) {
                Some(msg) if msg.contains("email") => return Err(email_taken()),
                Some(msg) if msg.contains("tag") => continue,
                _ => return Err(err.into()),
            },
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "could not find a free tag for {stem}"
    )))
}

fn unique_violation(err: &DbErr) -> Option<String> {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => Some(msg),
        _ => None,
    }
}

/// `digits` random decimal digits, with leading zeros.
fn discriminator(digits: u32) -> String {
    let mut buf = [0u8; 4];
    // Uniformity is irrelevant here; OS randomness keeps tags unguessable enough.
    let n = match getrandom::fill(&mut buf) {
        Ok(()) => u32::from_le_bytes(buf),
        Err(_) => Uuid::new_v4().as_u128() as u32,
    };
    format!("{:0width$}", n % 10u32.pow(digits), width = digits as usize)
}
