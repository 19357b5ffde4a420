//! The single-use tokens that mailed links carry: 256 random bits each, only their SHA-256
//! stored (a 256-bit random value needs no key: the hash only keeps whoever reads the table
//! from using it), with an expiry, spent by a conditional UPDATE (`… WHERE used_at IS NULL`) so
//! that two requests racing with one link cannot both pass.
//!
//! A token also names the address it was mailed to, and counts only while that is still the
//! account's address (for an email change, while the new address is still what it proves).

use chrono::{DateTime, Duration, Utc};
use entity::email_token;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::random;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
    ChangeEmail,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [
        Purpose::VerifyEmail,
        Purpose::ResetPassword,
        Purpose::ChangeEmail,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
            Purpose::ChangeEmail => "change_email",
        }
    }

    /// How long a link works: a day to verify an address, an hour to reset a password.
    pub fn ttl(self) -> Duration {
        match self {
            Purpose::VerifyEmail | Purpose::ChangeEmail => Duration::hours(24),
            Purpose::ResetPassword => Duration::hours(1),
        }
    }

    /// The frontend page the link opens.
    fn page(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify-email",
            Purpose::ResetPassword => "reset-password",
            Purpose::ChangeEmail => "confirm-email",
        }
    }
}

/// A token to mail: the link that carries it, and when it stops working.
pub struct Issued {
    pub link: String,
    pub expires_at: DateTime<Utc>,
}

/// `FRONTEND_URL/<page>#token=…`: in the fragment, which browsers never send to a server (nor
/// put in a `Referer`).
fn link(frontend_url: &str, purpose: Purpose, token: &str) -> String {
    format!("{frontend_url}/{}#token={token}", purpose.page())
}

/// Issues a token for `user_id` mailed to `email`. Forgets expired tokens of every account on
/// the way.
pub async fn issue(
    db: &impl ConnectionTrait,
    frontend_url: &str,
    user_id: Uuid,
    purpose: Purpose,
    email: &str,
) -> AppResult<Issued> {
    let now = Utc::now();
    email_token::Entity::delete_many()
        .filter(email_token::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    let token = random::token(32);
    let expires_at = now + purpose.ttl();
    email_token::ActiveModel {
        id: Set(Uuid::new_v4()),
        user_id: Set(user_id),
        purpose: Set(purpose.as_str().to_owned()),
        token_hash: Set(digest(&token)),
        email: Set(email.to_owned()),
        created_at: Set(now),
        expires_at: Set(expires_at),
        used_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(Issued {
        link: link(frontend_url, purpose, &token),
        expires_at,
    })
}

fn bad_token(why: &str) -> AppError {
    AppError::bad_input("token", why)
}

/// The unspent, unexpired token of `purpose` that `token` is; `BAD_USER_INPUT` on `token`
/// otherwise. Spends nothing.
pub async fn find(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
) -> AppResult<email_token::Model> {
    let row = email_token::Entity::find()
        .filter(email_token::Column::TokenHash.eq(digest(token.trim())))
        .filter(email_token::Column::Purpose.eq(purpose.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| bad_token("This link is not valid"))?;
    if row.used_at.is_some() {
        return Err(bad_token("This link was already used"));
    }
    if row.expires_at <= Utc::now() {
        return Err(bad_token("This link has expired; ask for a new one"));
    }
    Ok(row)
}

/// Spends `token` (once: a second request with it fails), returning its row. The conditional
/// UPDATE comes first, so that a transaction this runs in writes before it reads (SQLite cannot
/// turn a reading transaction into a writing one while another connection writes).
pub async fn spend(
    db: &impl ConnectionTrait,
    purpose: Purpose,
    token: &str,
) -> AppResult<email_token::Model> {
    let hash = digest(token.trim());
    let now = Utc::now();
    let spent = email_token::Entity::update_many()
        .col_expr(email_token::Column::UsedAt, Expr::value(now))
        .filter(email_token::Column::TokenHash.eq(hash.as_str()))
        .filter(email_token::Column::Purpose.eq(purpose.as_str()))
        .filter(email_token::Column::UsedAt.is_null())
        .filter(email_token::Column::ExpiresAt.gt(now))
        .exec(db)
        .await?;
    if spent.rows_affected != 1 {
        // Why not: unknown, used or expired (or spent by a request racing this one).
        return Err(match find(db, purpose, token).await {
            Ok(_) => bad_token("This link was already used"),
            Err(e) => e,
        });
    }
    email_token::Entity::find()
        .filter(email_token::Column::TokenHash.eq(hash))
        .one(db)
        .await?
        .ok_or_else(|| bad_token("This link is not valid"))
}

/// The token is for the account's current address (a link mailed to an address the account
/// has since left proves nothing about it).
pub fn still_applies(row: &email_token::Model, account_email: &str) -> AppResult<()> {
    if row.email == account_email {
        Ok(())
    } else {
        Err(bad_token(
            "This link was sent to an address the account no longer uses",
        ))
    }
}

/// Voids the account's unspent tokens of these purposes.
pub async fn discard(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    purposes: &[Purpose],
) -> AppResult<()> {
    email_token::Entity::delete_many()
        .filter(email_token::Column::UserId.eq(user_id))
        .filter(email_token::Column::Purpose.is_in(purposes.iter().map(|p| p.as_str())))
        .filter(email_token::Column::UsedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_carry_the_token_in_the_fragment() {
        assert_eq!(
            link("https://app.example", Purpose::ResetPassword, "abc"),
            "https://app.example/reset-password#token=abc"
        );
        assert_eq!(
            link("http://localhost:5173", Purpose::VerifyEmail, "x"),
            "http://localhost:5173/verify-email#token=x"
        );
        assert_eq!(
            link("https://a.example", Purpose::ChangeEmail, "y"),
            "https://a.example/confirm-email#token=y"
        );
    }

    #[test]
    fn lifetimes() {
        assert_eq!(Purpose::VerifyEmail.ttl(), Duration::hours(24));
        assert_eq!(Purpose::ResetPassword.ttl(), Duration::hours(1));
    }
}
