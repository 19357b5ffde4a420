//! Random tokens from the operating system's source, for secrets and one-time values.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

/// `bytes` random bytes from the OS, URL-safe base64 without padding.
pub fn token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    // The OS random source failing is not something a server can recover from.
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut buf).expect("OS random source unavailable");
    URL_SAFE_NO_PAD.encode(buf)
}
