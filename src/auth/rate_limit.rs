//! Rate limits: fixed-window counters per (bucket, key), e.g. login attempts per account and per
//! client address.
//!
//! - With `REDIS_URL` the counters live in Redis (one atomic script per rule: `INCR`, and
//!   `PEXPIRE` on the first hit of a window), so every instance behind a load balancer shares
//!   them. When Redis cannot be reached the limiter falls back to this process's counters and
//!   logs it (limits keep working, per instance) rather than failing requests.
//! - Without `REDIS_URL` the counters live in this process: limits are per instance.
//! - Keys are hashed before they are stored (no emails or addresses in Redis).
//! - The sign-in limits count failed attempts only: every attempt is counted before its secret
//!   is checked (so that guesses sent at once cannot slip past the limit together), and an
//!   attempt that succeeds is taken back with [`RateLimiter::refund`].
//! - This process's counters hold at most [`MEMORY_KEYS`] keys, however many keys clients make
//!   up (a new email per login, rotating IPv6 networks): when full, ended windows are dropped
//!   first, then the windows closest to their end.
//! - A fixed window admits at most twice its count across a window boundary; the daily rules of
//!   the two-factor limit bound the total.

use std::{
    net::IpAddr,
    sync::{
        Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use dashmap::DashMap;
use sha2::{Digest, Sha256};

use crate::config::{Limit, RateLimits, SecurityConfig};
use crate::error::{AppError, AppResult};

/// What is being counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// Every HTTP request and WebSocket operation, per client address.
    Requests,
    LoginAccount,
    LoginClient,
    TwoFactorAccount,
    TwoFactorClient,
    RegisterAccount,
    RegisterClient,
    /// `requestPasswordReset`, per email as typed and per client address.
    ResetAccount,
    ResetClient,
    /// Mails a signed-in user asks for, per user.
    EmailAccount,
    /// Messages sent, per user.
    Messages,
    /// Call signals, annotations and remote-control requests, per user.
    CallSignals,
}

impl Bucket {
    fn name(self) -> &'static str {
        match self {
            Bucket::Requests => "req",
            Bucket::LoginAccount => "login-acct",
            Bucket::LoginClient => "login-ip",
            Bucket::TwoFactorAccount => "2fa-acct",
            Bucket::TwoFactorClient => "2fa-ip",
            Bucket::RegisterAccount => "reg-acct",
            Bucket::RegisterClient => "reg-ip",
            Bucket::ResetAccount => "reset-acct",
            Bucket::ResetClient => "reset-ip",
            Bucket::EmailAccount => "mail-acct",
            Bucket::Messages => "msg-user",
            Bucket::CallSignals => "call-sig-user",
        }
    }

    fn limit(self, limits: &RateLimits) -> &Limit {
        match self {
            Bucket::Requests => &limits.requests_per_client,
            Bucket::LoginAccount => &limits.login_per_account,
            Bucket::LoginClient => &limits.login_per_client,
            Bucket::TwoFactorAccount => &limits.two_factor_per_account,
            Bucket::TwoFactorClient => &limits.two_factor_per_client,
            Bucket::RegisterAccount => &limits.register_per_account,
            Bucket::RegisterClient => &limits.register_per_client,
            Bucket::ResetAccount => &limits.reset_per_account,
            Bucket::ResetClient => &limits.reset_per_client,
            Bucket::EmailAccount => &limits.email_per_account,
            Bucket::Messages => &limits.messages_per_user,
            Bucket::CallSignals => &limits.call_signals_per_user,
        }
    }
}

/// The address a request comes from (the socket peer, or `X-Forwarded-For` behind trusted
/// proxies), carried as request data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    /// The rate-limit key: the IPv4 address, or the /64 network of an IPv6 address (one host
    /// usually holds a whole /64).
    pub fn key(&self) -> String {
        match self.0 {
            IpAddr::V4(v4) => v4.to_string(),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let s = v6.segments();
                    format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
                }
            },
        }
    }
}

pub struct RateLimiter {
    limits: RateLimits,
    prefix: String,
    memory: MemoryCounters,
    redis: Option<RedisCounters>,
}

impl RateLimiter {
    /// Must be called inside the Tokio runtime when `REDIS_URL` is set (the Redis connection is
    /// made lazily, on first use; start-up never waits for it).
    pub fn new(config: &SecurityConfig) -> Self {
        let redis = config
            .redis_url
            .as_deref()
            .filter(|_| config.rate_limits.enabled)
            .and_then(|url| match RedisCounters::new(url) {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::error!(error = %e, "REDIS_URL: cannot set up Redis; rate limits are per instance");
                    None
                }
            });
        Self {
            limits: config.rate_limits.clone(),
            prefix: config.redis_key_prefix.clone(),
            memory: MemoryCounters::default(),
            redis,
        }
    }

    pub fn enabled(&self) -> bool {
        self.limits.enabled
    }

    /// Counts one hit of `key` in `bucket`. `TOO_MANY_REQUESTS` (with the seconds until the
    /// fullest window resets) when any rule of the bucket is over its count.
    pub async fn hit(&self, bucket: Bucket, key: &str) -> AppResult<()> {
        if !self.limits.enabled {
            return Ok(());
        }
        let id = hashed(key);
        let mut retry_after: Option<Duration> = None;
        for rule in &bucket.limit(&self.limits).0 {
            let counter = self.counter(bucket, rule.window, &id);
            let (count, remaining) = self.incr(counter, rule.window).await;
            if count > u64::from(rule.count) {
                retry_after = Some(retry_after.map_or(remaining, |r| r.max(remaining)));
            }
        }
        match retry_after {
            None => Ok(()),
            Some(wait) => Err(AppError::TooManyRequests {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }),
        }
    }

    /// Takes back one hit of `key` in `bucket`: an attempt that succeeded, for the limits that
    /// count failures only.
    pub async fn refund(&self, bucket: Bucket, key: &str) {
        if !self.limits.enabled {
            return;
        }
        let id = hashed(key);
        for rule in &bucket.limit(&self.limits).0 {
            let counter = self.counter(bucket, rule.window, &id);
            if let Some(redis) = &self.redis
                && redis.decr(&counter).await
            {
                continue;
            }
            self.memory.decr(&counter);
        }
    }

    fn counter(&self, bucket: Bucket, window: Duration, id: &str) -> String {
        format!(
            "{}rl:{}:{}:{}",
            self.prefix,
            bucket.name(),
            window.as_secs(),
            id
        )
    }

    async fn incr(&self, counter: String, window: Duration) -> (u64, Duration) {
        if let Some(redis) = &self.redis
            && let Some(result) = redis.incr(&counter, window).await
        {
            return result;
        }
        self.memory.incr(counter, window)
    }
}

/// The first 16 bytes of the key's SHA-256, in hex (checked on every request: one allocation).
fn hashed(key: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(key.as_bytes());
    let mut out = String::with_capacity(32);
    for b in digest.iter().take(16) {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out
}

/// Most keys this process's counters hold: about 150 bytes each, so some 15 MiB when full.
pub const MEMORY_KEYS: usize = 100_000;

struct MemoryCounters {
    /// counter -> (window start, window, hits)
    map: DashMap<String, (Instant, Duration, u64)>,
    capacity: usize,
    hits: AtomicU64,
}

impl Default for MemoryCounters {
    fn default() -> Self {
        Self::with_capacity(MEMORY_KEYS)
    }
}

impl MemoryCounters {
    fn with_capacity(capacity: usize) -> Self {
        Self {
            map: DashMap::new(),
            capacity: capacity.max(1),
            hits: AtomicU64::new(0),
        }
    }

    fn incr(&self, counter: String, window: Duration) -> (u64, Duration) {
        let now = Instant::now();
        if self.map.len() >= self.capacity && !self.map.contains_key(&counter) {
            self.make_room(now);
        }
        let result = {
            let mut entry = self.map.entry(counter).or_insert((now, window, 0));
            let (start, _, count) = &mut *entry;
            if now.duration_since(*start) >= window {
                *start = now;
                *count = 0;
            }
            *count += 1;
            (*count, window.saturating_sub(now.duration_since(*start)))
        };
        // Now and then, forget windows that have ended (the entry guard is dropped above).
        if self.hits.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.forget_ended(now);
        }
        result
    }

    fn decr(&self, counter: &str) {
        if let Some(mut entry) = self.map.get_mut(counter) {
            entry.2 = entry.2.saturating_sub(1);
        }
    }

    fn forget_ended(&self, now: Instant) {
        self.map
            .retain(|_, (start, window, _)| now.duration_since(*start) < *window);
    }

    /// Drops ended windows and, if the map is still full, the eighth of the windows that end
    /// soonest (their counts matter the least).
    fn make_room(&self, now: Instant) {
        self.forget_ended(now);
        if self.map.len() < self.capacity {
            return;
        }
        let mut ends: Vec<Instant> = self
            .map
            .iter()
            .map(|entry| entry.value().0 + entry.value().1)
            .collect();
        let nth = (ends.len() / 8).min(ends.len().saturating_sub(1));
        let (_, cutoff, _) = ends.select_nth_unstable(nth);
        let cutoff = *cutoff;
        self.map
            .retain(|_, (start, window, _)| *start + *window > cutoff);
    }
}

/// Counters in Redis. An error makes the limiter use memory for a short while (and log once),
/// rather than refuse or stall requests.
struct RedisCounters {
    manager: redis::aio::ConnectionManager,
    script: redis::Script,
    decr_script: redis::Script,
    down_until: Mutex<Option<Instant>>,
}

const INCR_SCRIPT: &str = r"
local n = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {n, ttl}
";

/// Takes back one hit, never below zero, without touching the window's expiry.
const DECR_SCRIPT: &str = r"
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then
  return redis.call('DECR', KEYS[1])
end
return 0
";

const REDIS_RETRY_AFTER: Duration = Duration::from_secs(5);

impl RedisCounters {
    fn new(url: &str) -> redis::RedisResult<Self> {
        let client = redis::Client::open(url)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(Duration::from_secs(2)))
            .set_number_of_retries(1);
        Ok(Self {
            manager: redis::aio::ConnectionManager::new_lazy_with_config(client, config)?,
            script: redis::Script::new(INCR_SCRIPT),
            decr_script: redis::Script::new(DECR_SCRIPT),
            down_until: Mutex::new(None),
        })
    }

    fn is_down(&self) -> bool {
        let down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        down.is_some_and(|until| Instant::now() < until)
    }

    /// Whether Redis took the refund (else it goes to this process's counters, where the hit
    /// was counted while Redis was away).
    async fn decr(&self, counter: &str) -> bool {
        if self.is_down() {
            return false;
        }
        let mut conn = self.manager.clone();
        let result: redis::RedisResult<i64> =
            self.decr_script.key(counter).invoke_async(&mut conn).await;
        result.is_ok()
    }

    async fn incr(&self, counter: &str, window: Duration) -> Option<(u64, Duration)> {
        if self.is_down() {
            return None;
        }
        let mut conn = self.manager.clone();
        let window_ms = u64::try_from(window.as_millis()).unwrap_or(u64::MAX);
        let result: redis::RedisResult<(i64, i64)> = self
            .script
            .key(counter)
            .arg(window_ms)
            .invoke_async(&mut conn)
            .await;
        match result {
            Ok((count, ttl_ms)) => Some((
                u64::try_from(count).unwrap_or(0),
                Duration::from_millis(u64::try_from(ttl_ms).unwrap_or(0)),
            )),
            Err(e) => {
                let mut down = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
                if down.is_none_or(|until| Instant::now() >= until) {
                    tracing::warn!(error = %e, "Redis unavailable: rate limits counted in this process for now");
                }
                *down = Some(Instant::now() + REDIS_RETRY_AFTER);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Rule;

    #[test]
    fn keys_are_stored_as_half_their_sha256() {
        assert_eq!(hashed("abc"), "ba7816bf8f01cfea414140de5dae2223");
    }

    fn limiter(rules: &[(u32, u64)]) -> RateLimiter {
        let limit = Limit(
            rules
                .iter()
                .map(|(count, secs)| Rule {
                    count: *count,
                    window: Duration::from_secs(*secs),
                })
                .collect(),
        );
        RateLimiter {
            limits: RateLimits {
                enabled: true,
                requests_per_client: limit.clone(),
                login_per_account: limit.clone(),
                login_per_client: limit.clone(),
                two_factor_per_account: limit.clone(),
                two_factor_per_client: limit.clone(),
                register_per_account: limit.clone(),
                register_per_client: limit.clone(),
                reset_per_account: limit.clone(),
                reset_per_client: limit.clone(),
                email_per_account: limit.clone(),
                messages_per_user: limit.clone(),
                call_signals_per_user: limit,
            },
            prefix: "t:".into(),
            memory: MemoryCounters::default(),
            redis: None,
        }
    }

    #[tokio::test]
    async fn counts_per_bucket_and_key() {
        let l = limiter(&[(2, 60)]);
        assert!(l.hit(Bucket::LoginAccount, "a").await.is_ok());
        assert!(l.hit(Bucket::LoginAccount, "a").await.is_ok());
        let err = l.hit(Bucket::LoginAccount, "a").await.expect_err("third");
        assert!(
            matches!(err, AppError::TooManyRequests { retry_after_secs } if (1..=60).contains(&retry_after_secs))
        );
        assert!(l.hit(Bucket::LoginAccount, "b").await.is_ok(), "other key");
        assert!(
            l.hit(Bucket::LoginClient, "a").await.is_ok(),
            "other bucket"
        );
    }

    #[tokio::test]
    async fn the_strictest_rule_decides_and_the_longest_wait_is_reported() {
        let l = limiter(&[(5, 10), (1, 3600)]);
        assert!(l.hit(Bucket::Requests, "x").await.is_ok());
        let err = l.hit(Bucket::Requests, "x").await.expect_err("daily rule");
        assert!(
            matches!(err, AppError::TooManyRequests { retry_after_secs } if retry_after_secs > 3500)
        );
    }

    #[tokio::test]
    async fn a_refund_takes_back_one_hit() {
        let l = limiter(&[(2, 60)]);
        for _ in 0..5 {
            assert!(l.hit(Bucket::TwoFactorAccount, "a").await.is_ok());
            l.refund(Bucket::TwoFactorAccount, "a").await;
        }
        assert!(l.hit(Bucket::TwoFactorAccount, "a").await.is_ok());
        assert!(l.hit(Bucket::TwoFactorAccount, "a").await.is_ok());
        assert!(l.hit(Bucket::TwoFactorAccount, "a").await.is_err());
        // Refunds never go below zero, nor create counters.
        l.refund(Bucket::LoginAccount, "b").await;
        l.refund(Bucket::LoginAccount, "b").await;
        assert!(l.memory.map.len() == 1);
    }

    #[test]
    fn memory_counters_stay_bounded_whatever_keys_come() {
        let counters = MemoryCounters::with_capacity(100);
        let window = Duration::from_secs(300);
        counters.incr("kept".into(), window);
        counters.incr("kept".into(), window);
        for i in 0..10_000 {
            counters.incr(format!("made-up-{i}"), window);
            assert!(counters.map.len() <= 100, "{}", counters.map.len());
        }
        // Ended windows go first: a full map of ended windows makes room without evicting live ones.
        let short = MemoryCounters::with_capacity(10);
        for i in 0..10 {
            short.incr(format!("old-{i}"), Duration::ZERO);
        }
        short.incr("live".into(), window);
        assert_eq!(short.map.len(), 1);
    }

    #[test]
    fn ipv6_clients_are_keyed_by_their_64() {
        let a = ClientAddr("2001:db8:1:2:aaaa::1".parse().expect("ip"));
        let b = ClientAddr("2001:db8:1:2:bbbb::2".parse().expect("ip"));
        let c = ClientAddr("2001:db8:1:3::1".parse().expect("ip"));
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), c.key());
        let mapped = ClientAddr("::ffff:10.0.0.1".parse().expect("ip"));
        assert_eq!(mapped.key(), "10.0.0.1");
    }
}
