//! Credentials: password hashing, signed tokens, and the viewer a request acts as.

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

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// Whether a JWT `exp` (Unix seconds) has passed, to the millisecond. jsonwebtoken compares
/// whole seconds, which would accept a token for up to a second after it expired; every token
/// kind checks this after decoding.
pub fn has_expired(exp_secs: i64) -> bool {
    exp_secs.saturating_mul(1000) <= chrono::Utc::now().timestamp_millis()
}

/// `bytes` random bytes from the OS, URL-safe base64 without padding.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source failing is not something a server can recover from.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("OS random source unavailable");
    URL_SAFE_NO_PAD.encode(buf)
}
