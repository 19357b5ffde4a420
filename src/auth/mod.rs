//! Credentials and abuse limits: password hashing, signed tokens (access, refresh, two-factor
//! challenge, stream), TOTP, OpenID Connect, the viewer a request acts as, and the rate limiter.

pub mod challenge;
pub mod oidc;
pub mod password;
pub mod rate_limit;
pub mod stream_token;
pub mod tokens;
pub mod totp;
pub mod viewer;

pub use stream_token::StreamTokens;
pub use tokens::{AccessClaims, TokenService};
pub use viewer::Viewer;

/// Whether a JWT `exp` (Unix seconds) has passed, to the millisecond. jsonwebtoken compares
/// whole seconds, which would accept a token for up to a second after it expired; every token
/// kind checks this after decoding.
pub fn has_expired(exp_secs: i64) -> bool {
    exp_secs.saturating_mul(1000) <= chrono::Utc::now().timestamp_millis()
}
