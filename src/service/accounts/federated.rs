//! Sign-in through an OpenID provider (Google): the browser flow's pending state, and turning a
//! verified identity into a Soundroom session.
//!
//! Pending state (`state`, `nonce`, PKCE verifier) is kept server-side in the database, keyed by
//! a hash of `state`: it works across instances, lives ten minutes, and is deleted by the first
//! callback that presents it (a conditional DELETE decides), so a replayed `state` fails. The
//! browser that started the flow gets a random binding cookie whose hash is stored beside it;
//! the callback must come from that browser, so nobody can make a victim's browser finish a
//! sign-in the attacker started (login CSRF).
//!
//! Accounts: an identity already linked (issuer + subject) signs into its user. Otherwise a
//! *verified* email matching an existing account links the identity to that account; an
//! unverified email is refused (it never signs into, or creates, an account with that email);
//! a new email creates a user with `provider = "google"` and no password.
//!
//! Linking hands the account to whoever proved the address. An account whose address was
//! verified (a mailed link, a password reset, a confirmed email change) keeps its password and
//! two-factor setup: its owner proved the address before. An account made with `register`
//! whose address nobody proved (anyone can register someone else's email and wait for its
//! owner to sign in with Google) loses its password, its two-factor setup, its pending mailed
//! links and every one of its sessions, in the same transaction as the link: whoever created it
//! can no longer get in. Access tokens already issued stay valid until they expire
//! (`ACCESS_TOKEN_TTL_SECS`). Either way the address is verified from then on.

use chrono::{Duration, Utc};
use entity::{oidc_login_state, user, user_identity};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, QueryFilter, Set, SqlErr,
    TransactionTrait, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::auth::oidc::VerifiedIdentity;
use crate::domain::accounts::{Email, Username};
use crate::error::{AppError, AppResult};
use crate::random;
use crate::service::accounts;
use crate::service::accounts::email_tokens;
use crate::service::accounts::sessions::{self, IssuedTokens};
use crate::service::accounts::two_factor;
use crate::state::AppState;

/// How long a started browser sign-in may take.
pub const PENDING_TTL_MINUTES: i64 = 10;

/// A started browser sign-in: where to send the browser, and the binding cookie's value.
pub struct Started {
    pub redirect_url: String,
    pub browser_binding: String,
}

pub async fn start_browser_sign_in(state: &AppState) -> AppResult<Started> {
    let request = state.oidc.authorization_request().await?;
    let browser_binding = random::token(32);
    let now = Utc::now();
    // Forget sign-ins that were never finished.
    oidc_login_state::Entity::delete_many()
        .filter(oidc_login_state::Column::ExpiresAt.lt(now))
        .exec(&state.db)
        .await?;
    oidc_login_state::ActiveModel {
        state_hash: Set(digest(&request.state)),
        browser_hash: Set(digest(&browser_binding)),
        nonce: Set(request.nonce),
        pkce_verifier: Set(request.pkce_verifier),
        created_at: Set(now),
        expires_at: Set(now + Duration::minutes(PENDING_TTL_MINUTES)),
    }
    .insert(&state.db)
    .await?;
    Ok(Started {
        redirect_url: request.url,
        browser_binding,
    })
}

/// What the pending sign-in held, once claimed.
pub struct Claimed {
    nonce: String,
    pkce_verifier: String,
}

/// Claims the pending sign-in of `state_param` (single use). `BAD_USER_INPUT` on `state` when
/// it is unknown, already used, expired, or was started in another browser.
pub async fn claim(
    db: &impl ConnectionTrait,
    state_param: &str,
    browser_binding: Option<&str>,
) -> AppResult<Claimed> {
    let bad = |why: &str| AppError::bad_input("state", why);
    let key = digest(state_param);
    let row = oidc_login_state::Entity::find_by_id(key.clone())
        .one(db)
        .await?
        .ok_or_else(|| bad("Unknown or already used sign-in state"))?;
    let deleted = oidc_login_state::Entity::delete_many()
        .filter(oidc_login_state::Column::StateHash.eq(key))
        .exec(db)
        .await?;
    if deleted.rows_affected != 1 {
        return Err(bad("Unknown or already used sign-in state"));
    }
    if row.expires_at <= Utc::now() {
        return Err(bad("This sign-in took too long; start again"));
    }
    let same_browser =
        browser_binding.is_some_and(|b| constant_time_eq(&digest(b), &row.browser_hash));
    if !same_browser {
        return Err(bad(
            "This sign-in was started in another browser; start again",
        ));
    }
    Ok(Claimed {
        nonce: row.nonce,
        pkce_verifier: row.pkce_verifier,
    })
}

/// Finishes the browser flow: exchanges the code, verifies the ID token, signs in.
pub async fn finish_browser_sign_in(
    state: &AppState,
    claimed: Claimed,
    code: &str,
) -> AppResult<(IssuedTokens, user::Model)> {
    let identity = state
        .oidc
        .exchange(code, &claimed.pkce_verifier, &claimed.nonce)
        .await?;
    sign_in(state, identity).await
}

/// `loginWithGoogle`: an ID token the client obtained by itself.
pub async fn sign_in_with_id_token(
    state: &AppState,
    id_token: &str,
) -> AppResult<(IssuedTokens, user::Model)> {
    let identity = state.oidc.verify_id_token(id_token).await?;
    sign_in(state, identity).await
}

/// The user a verified identity signs into (linking or creating as described above), and a new
/// session for them.
pub async fn sign_in(
    state: &AppState,
    identity: VerifiedIdentity,
) -> AppResult<(IssuedTokens, user::Model)> {
    let user = match linked_user(state, &identity).await? {
        Some(user) => user,
        None => link_or_create(state, &identity).await?,
    };
    let tokens = sessions::start(state, &state.db, user.id).await?;
    accounts::announce_session(state, &tokens);
    Ok((tokens, user))
}

async fn linked_user(
    state: &AppState,
    identity: &VerifiedIdentity,
) -> AppResult<Option<user::Model>> {
    let Some(link) = user_identity::Entity::find()
        .filter(user_identity::Column::Issuer.eq(identity.issuer.as_str()))
        .filter(user_identity::Column::Subject.eq(identity.subject.as_str()))
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    accounts::find(&state.db, link.user_id).await
}

async fn link_or_create(state: &AppState, identity: &VerifiedIdentity) -> AppResult<user::Model> {
    let refused = |why: &str| AppError::unauthenticated(why);
    let email = identity
        .email
        .as_deref()
        .ok_or_else(|| refused("Your Google account shared no email address"))
        .and_then(|e| {
            Email::parse(e)
                .map_err(|_| refused("Your Google account's email address is not usable"))
        })?;
    if !identity.email_verified {
        return Err(refused(
            "Your Google account's email address is not verified; verify it with Google first",
        ));
    }
    let user = match accounts::find_by_email(&state.db, &email).await? {
        Some(existing) => existing,
        None => {
            let username = username_for(identity, &email);
            match accounts::insert_with_unique_tag(
                &state.db, &email, &username, None, "google", true,
            )
            .await
            {
                Ok(user) => user,
                // Someone registered this email a moment ago: link to that account.
                Err(AppError::Conflict { .. }) => accounts::find_by_email(&state.db, &email)
                    .await?
                    .ok_or_else(|| {
                        AppError::Internal(anyhow::anyhow!("user vanished while linking"))
                    })?,
                Err(e) => return Err(e),
            }
        }
    };
    let link = user_identity::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user.id),
        issuer: Set(identity.issuer.clone()),
        subject: Set(identity.subject.clone()),
        email: Set(Some(email.as_str().to_owned())),
        created_at: Set(Utc::now()),
    };
    let txn = state.db.begin().await?;
    let claimed = has_unproven_credentials(&user);
    if claimed {
        remove_credentials(&txn, user.id).await?;
    }
    if !user.email_verified {
        mark_verified(&txn, user.id).await?;
    }
    match link.insert(&txn).await {
        Ok(_) => {
            txn.commit().await?;
            if claimed {
                tracing::warn!(user_id = %user.id, "an account's unverified email was proven through Google sign-in: its password, two-factor setup and sessions were removed");
            }
            if user.email_verified {
                return Ok(user);
            }
            Ok(accounts::find(&state.db, user.id).await?.unwrap_or(user))
        }
        // A concurrent sign-in linked this identity first: use its link.
        Err(e) if is_unique_violation(&e) => {
            txn.rollback().await?;
            linked_user(state, identity)
                .await?
                .ok_or_else(|| AppError::Internal(anyhow::anyhow!("identity link vanished")))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the account can be entered by means its email's owner never vouched for: a password
/// or a second factor set up by whoever registered it, on an account whose address was never
/// verified. A verified account's credentials were set up by whoever proved the address.
fn has_unproven_credentials(user: &user::Model) -> bool {
    !user.email_verified && (user.password_hash.is_some() || user.two_factor_enabled)
}

async fn mark_verified(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(user::Column::EmailVerified, Expr::value(true))
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes the password and the two-factor setup, voids every mailed link the account has
/// pending (an email change asked for with the removed password would otherwise move the
/// account away), and ends every session.
async fn remove_credentials(db: &impl ConnectionTrait, user_id: Uuid) -> AppResult<()> {
    user::Entity::update_many()
        .col_expr(
            user::Column::PasswordHash,
            Expr::value(Option::<String>::None),
        )
        .col_expr(user::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(user::Column::Id.eq(user_id))
        .exec(db)
        .await?;
    two_factor::remove(db, user_id).await?;
    email_tokens::discard(db, user_id, &email_tokens::Purpose::ALL).await?;
    sessions::revoke_all(db, user_id).await
}

fn is_unique_violation(err: &DbErr) -> bool {
    matches!(err.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// A valid username from the provider's `name`, else the email's local part, else "user".
fn username_for(identity: &VerifiedIdentity, email: &Email) -> Username {
    let local = email.as_str().split('@').next().unwrap_or_default();
    [identity.name.as_deref().unwrap_or_default(), local]
        .into_iter()
        .find_map(|raw| Username::parse(&sanitize(raw)).ok())
        .or_else(|| Username::parse("user").ok())
        .unwrap_or_else(|| unreachable!("\"user\" is a valid username"))
}

fn sanitize(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                ' '
            }
        })
        .collect();
    kept.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(Username::MAX)
        .collect::<String>()
        .trim()
        .to_owned()
}

fn digest(value: &str) -> String {
    Sha256::digest(value.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(name: Option<&str>) -> VerifiedIdentity {
        VerifiedIdentity {
            issuer: "https://issuer.example".into(),
            subject: "1".into(),
            email: None,
            email_verified: true,
            name: name.map(str::to_owned),
            picture: None,
        }
    }

    #[test]
    fn usernames_from_provider_data() {
        let email = Email::parse("ann.lee@example.com").expect("email");
        assert_eq!(
            username_for(&identity(Some("Ann Lee")), &email).as_str(),
            "Ann Lee"
        );
        assert_eq!(
            username_for(&identity(Some("Ann  <Lee>!")), &email).as_str(),
            "Ann Lee"
        );
        assert_eq!(
            username_for(&identity(Some("李")), &email).as_str(),
            "ann.lee"
        );
        assert_eq!(username_for(&identity(None), &email).as_str(), "ann.lee");
        let short = Email::parse("a@example.com").expect("email");
        assert_eq!(username_for(&identity(None), &short).as_str(), "user");
        let long = "x".repeat(60);
        assert_eq!(
            username_for(&identity(Some(&long)), &email).as_str().len(),
            32
        );
    }

    #[test]
    fn digests_and_comparison() {
        assert_eq!(digest("a").len(), 64);
        assert!(constant_time_eq(&digest("a"), &digest("a")));
        assert!(!constant_time_eq(&digest("a"), &digest("b")));
        assert!(!constant_time_eq("ab", "abc"));
    }
}
