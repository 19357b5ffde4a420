//! argon2id password hashing, on threads of its own: one hash costs tens of milliseconds of CPU
//! and 19 MiB, and must not stall the async runtime.
//!
//! Hashes run one CPU fewer at a time than the machine has (at least one): the work is
//! CPU-bound, so more at once is no faster, and a burst of sign-ins would otherwise take every
//! core from the runtime, and every other request would wait behind it. The hashing threads also
//! run at a lower priority (nice 10): while requests are waiting for a CPU they go first, and a
//! hash takes what is left (all of it on an otherwise idle machine). The rest wait their
//! turn in a bounded queue; past [`MAX_WAITING`] waiters, or after [`MAX_WAIT`], the answer is
//! `TOO_MANY_REQUESTS`. A burst (or a hostile client) never holds 19 MiB per hash on dozens of
//! blocking threads. (That memory is returned afterwards thanks to the allocator choice in
//! `main.rs`.)

use std::{
    sync::{
        Mutex, OnceLock,
        atomic::{AtomicUsize, Ordering},
        mpsc,
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

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads' queue, their threads started on first use.
fn pool() -> &'static Mutex<mpsc::Sender<Job>> {
    static POOL: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();
    POOL.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = std::sync::Arc::new(Mutex::new(queue));
        for i in 0..hashing_threads() {
            let queue = queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("password-hash-{i}"))
                .spawn(move || hashing_thread(&queue));
            if let Err(e) = spawned {
                tracing::error!("starting a password hashing thread: {e}");
            }
        }
        Mutex::new(jobs)
    })
}

fn hashing_thread(queue: &Mutex<mpsc::Receiver<Job>>) {
    lower_priority();
    loop {
        let job = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        // A panicking hash fails its own request (its reply is dropped), not the thread.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

/// Nice 10 for this thread (22 on the crate's 0–99 scale maps to it on Linux); hashing at the
/// process's own priority where that is refused.
fn lower_priority() {
    use thread_priority::{ThreadPriority, ThreadPriorityValue, set_current_thread_priority};
    let lowered = ThreadPriorityValue::try_from(22u8)
        .map_err(|e| format!("{e:?}"))
        .and_then(|v| {
            set_current_thread_priority(ThreadPriority::Crossplatform(v))
                .map_err(|e| format!("{e:?}"))
        });
    if let Err(e) = lowered {
        tracing::warn!("password hashing keeps normal priority: {e}");
    }
}

/// Runs `work` on a hashing thread once a turn is free; the turn is held until the work is
/// done, even if the request waiting for it goes away.
async fn in_turn<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> AppResult<T> {
    let turn = turn().await?;
    let (reply, done) = tokio::sync::oneshot::channel();
    let job: Job = Box::new(move || {
        let _turn = turn;
        let _ = reply.send(work());
    });
    pool()
        .lock()
        .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing is shut down")))?
        .send(job)
        .map_err(|_| AppError::Internal(anyhow::anyhow!("password hashing is shut down")))?;
    done.await
        .context("password hashing failed")
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

    /// The nice value of the calling thread, from `/proc` (Linux).
    fn own_nice() -> Option<i64> {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
        // Fields after the parenthesised command name; nice is the 19th field of the line.
        let rest = &stat[stat.rfind(')')? + 2..];
        rest.split(' ').nth(16)?.parse().ok()
    }

    #[tokio::test]
    async fn hashes_run_at_a_lower_priority_than_requests() {
        let Some(runtime_nice) = own_nice() else {
            return; // no /proc here
        };
        let hashing_nice = in_turn(own_nice).await.expect("ran").expect("nice");
        if runtime_nice <= 10 {
            assert_eq!(hashing_nice, 10);
        } else {
            // Already nicer than 10: lowering the nice value again is refused, and it stays.
            assert!(
                hashing_nice >= runtime_nice,
                "{hashing_nice} < {runtime_nice}"
            );
        }
    }

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
