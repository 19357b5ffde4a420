//! argon2id password hashing, on blocking threads: one hash costs tens of milliseconds of CPU
//! and 19 MiB, and must not stall the async runtime.
//!
//! At most one hash per CPU runs at a time; the rest wait their turn. The work is CPU-bound, so
//! more at once is no faster, and a burst of sign-ins (or a hostile client) would otherwise hold
//! 19 MiB per hash on dozens of blocking threads. (That memory is returned afterwards thanks to
//! the allocator choice in `main.rs`.)

use std::sync::OnceLock;

use anyhow::Context;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Runs `work` on a blocking thread once one of the per-CPU turns is free.
async fn in_turn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    let turns = TURNS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(2, |n| n.get()))
    });
    let _turn = turns
        .acquire()
        .await
        .context("password hashing is shut down")
        .map_err(AppError::Internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .context("password hashing task failed")
        .map_err(AppError::Internal)
}

pub async fn hash(password: String) -> AppResult<String> {
    in_turn(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("argon2 hash failed: {e}"))
    })
    .await?
    .map_err(AppError::Internal)
}

/// Checks `password` against a stored PHC string. With no stored hash (an account that signs in
/// only through a provider) a dummy hash is still computed, so the answer takes the same time.
pub async fn verify(password: String, stored: Option<String>) -> AppResult<bool> {
    in_turn(move || match stored {
        Some(hash) => Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok(),
        None => {
            let _ = Argon2::default().hash_password(password.as_bytes());
            false
        }
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_differ() {
        let a = hash("correct horse".into()).await.expect("hash");
        let b = hash("correct horse".into()).await.expect("hash");
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(
            verify("correct horse".into(), Some(a.clone()))
                .await
                .expect("verify")
        );
        assert!(!verify("wrong horse".into(), Some(a)).await.expect("verify"));
        assert!(!verify("anything".into(), None).await.expect("verify"));
    }
}
