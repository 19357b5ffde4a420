//! Credentials and abuse limits: password hashing, signed tokens (access, refresh, two-factor
//! challenge, stream, attachment), TOTP, OpenID Connect, the viewer a request acts as, and the
//! rate limiter.

pub mod challenge;
pub mod media_token;
pub mod oidc;
pub mod password;
pub mod rate_limit;
pub mod tokens;
pub mod totp;
pub mod turn;
pub mod viewer;

pub use media_token::{MediaTokens, Purpose};
pub use tokens::{AccessClaims, TokenService};
pub use viewer::Viewer;

/// Whether a JWT `exp` (Unix seconds) has passed, to the millisecond. jsonwebtoken compares
/// whole seconds, which would accept a token for up to a second after it expired; every token
/// kind checks this after decoding.
pub fn has_expired(exp_secs: i64) -> bool {
    exp_secs.saturating_mul(1000) <= chrono::Utc::now().timestamp_millis()
}
