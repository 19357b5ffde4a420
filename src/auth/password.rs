//! argon2id password hashing, on blocking threads: one hash costs tens of milliseconds of CPU
//! and 19 MiB, and must not stall the async runtime.
//!
//! Hashes run one CPU fewer at a time than the machine has (at least one): the work is
//! CPU-bound, so more at once is no faster, and a burst of sign-ins would otherwise take every
//! core from the runtime, and every other request would wait behind it. The rest wait their
//! turn in a bounded queue; past [`MAX_WAITING`] waiters, or after [`MAX_WAIT`], the answer is
//! `TOO_MANY_REQUESTS`. A burst (or a hostile client) never holds 19 MiB per hash on dozens of
//! blocking threads. (That memory is returned afterwards thanks to the allocator choice in
//! `main.rs`.)

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{AppError, AppResult};

/// Most hashes waiting for a turn; more are refused at once.
pub const MAX_WAITING: usize = 256;
/// Longest a hash waits for its turn.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

struct Turns {
    permits: Semaphore,
    waiting: AtomicUsize,
}

/// Hashes that may run at once: one per CPU, but one.
fn hashing_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .saturating_sub(1)
        .max(1)
}

fn turns() -> &'static Turns {
    static TURNS: OnceLock<Turns> = OnceLock::new();
    TURNS.get_or_init(|| Turns {
        permits: Semaphore::new(hashing_threads()),
        waiting: AtomicUsize::new(0),
    })
}

/// Counts a waiter for as long as it waits (also when its request is dropped meanwhile).
struct Waiting(&'static AtomicUsize);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

fn busy() -> AppError {
    AppError::TooManyRequests {
        retry_after_secs: 1,
    }
}

async fn turn() -> AppResult<SemaphorePermit<'static>> {
    let turns = turns();
    if let Ok(permit) = turns.permits.try_acquire() {
        return Ok(permit);
    }
    if turns.waiting.fetch_add(1, Ordering::Relaxed) >= MAX_WAITING {
        turns.waiting.fetch_sub(1, Ordering::Relaxed);
        return Err(busy());
    }
    let _waiting = Waiting(&turns.waiting);
    match tokio::time::timeout(MAX_WAIT, turns.permits.acquire()).await {
        Ok(permit) => permit
            .context("password hashing is shut down")
            .map_err(AppError::Internal),
        Err(_) => Err(busy()),
    }
}

/// Runs `work` on a blocking thread once a turn is free; the turn is held until the work is
/// done, even if the request waiting for it goes away.
async fn in_turn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let turn = turn().await?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        work()
    })
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

    #[test]
    fn leaves_a_cpu_to_the_runtime() {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        assert_eq!(hashing_threads(), cpus.saturating_sub(1).max(1));
    }
}
