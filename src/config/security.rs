//! Settings of account security: rate limits, connection and query caps, the client address,
//! and sign-in through an OpenID provider (Google by default).

use std::time::Duration;

use anyhow::bail;

use super::{AppEnv, Source, parse};

/// One fixed-window rule: at most `count` hits per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub count: u32,
    pub window: Duration,
}

/// Several rules that must all pass, e.g. `5/300,30/86400` (5 per 5 minutes and 30 per day).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limit(pub Vec<Rule>);

impl Limit {
    /// Parses `count/seconds[,count/seconds…]`.
    pub fn parse(key: &str, value: &str) -> anyhow::Result<Self> {
        let mut rules = Vec::new();
        for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((count, secs)) = part.split_once('/') else {
                bail!("{key}: expected count/seconds (e.g. 10/300), got {part:?}");
            };
            let count: u32 = count
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{key}: {count:?} is not a count"))?;
            let secs: u64 = secs
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("{key}: {secs:?} is not a number of seconds"))?;
            if count == 0 || secs == 0 {
                bail!(
                    "{key}: count and seconds must be at least 1 (use RATE_LIMIT=off to disable)"
                );
            }
            rules.push(Rule {
                count,
                window: Duration::from_secs(secs),
            });
        }
        if rules.is_empty() {
            bail!("{key}: expected count/seconds (e.g. 10/300)");
        }
        Ok(Self(rules))
    }
}

/// The rate limits; see `.env.example` for what each protects.
#[derive(Clone, Debug)]
pub struct RateLimits {
    /// `RATE_LIMIT=off` turns every limit off (for load tests).
    pub enabled: bool,
    /// Every HTTP request and every WebSocket operation, per client address.
    pub requests_per_client: Limit,
    pub login_per_account: Limit,
    pub login_per_client: Limit,
    pub two_factor_per_account: Limit,
    pub two_factor_per_client: Limit,
    pub register_per_account: Limit,
    pub register_per_client: Limit,
    /// `requestPasswordReset` per email as typed and per client address.
    pub reset_per_account: Limit,
    pub reset_per_client: Limit,
    /// Mails a signed-in user asks for (`resendVerificationEmail`, `changeEmail`), per user.
    pub email_per_account: Limit,
    /// Messages sent, per user.
    pub messages_per_user: Limit,
    /// Call signals, annotations and remote-control requests sent, per user.
    pub call_signals_per_user: Limit,
}

/// An OpenID provider to sign in with (Google unless `OIDC_ISSUER_URL` says otherwise).
#[derive(Clone)]
pub struct OidcSettings {
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
}

impl std::fmt::Debug for OidcSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcSettings")
            .field("issuer_url", &self.issuer_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

#[derive(Clone, Debug)]
pub struct SecurityConfig {
    pub rate_limits: RateLimits,
    /// Shared counters for several instances; `None` keeps them in this process.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key this server writes.
    pub redis_key_prefix: String,
    /// With Redis: how long another instance's presence report counts after it stops
    /// reporting (it reports every third of this); `PRESENCE_TTL_MS`.
    pub presence_ttl: std::time::Duration,
    /// How many reverse proxies in front append to `X-Forwarded-For`; 0 ignores the header and
    /// uses the socket's peer address.
    pub trust_proxy_hops: usize,
    pub ws_max_connections_per_client: usize,
    pub ws_max_connections_per_user: usize,
    pub ws_max_operations_per_connection: usize,
    pub graphql_max_aliases: usize,
    /// `None` when `GOOGLE_CLIENT_ID` is unset: provider sign-in answers a clear error.
    pub oidc: Option<OidcSettings>,
    /// The server's public base URL (builds the callback URL), without a trailing slash.
    pub public_url: String,
    /// Where the browser goes after a provider sign-in, and where mailed links point, without a
    /// trailing slash: the server's own web client (`public_url`) unless `FRONTEND_URL` names
    /// another.
    pub frontend_url: String,
}

impl SecurityConfig {
    pub fn load(src: &impl Source, app_env: AppEnv) -> anyhow::Result<Self> {
        let limit = |key: &str, default: &str| -> anyhow::Result<Limit> {
            Limit::parse(key, &src.get(key).unwrap_or_else(|| default.to_owned()))
        };
        let rate_limits = RateLimits {
            enabled: match src
                .get("RATE_LIMIT")
                .map(|v| v.trim().to_ascii_lowercase())
                .as_deref()
            {
                None | Some("on" | "true" | "1" | "yes") => true,
                Some("off" | "false" | "0" | "no") => false,
                Some(v) => bail!("RATE_LIMIT: expected on or off, got {v:?}"),
            },
            requests_per_client: limit("RATE_LIMIT_REQUESTS_PER_CLIENT", "600/60")?,
            login_per_account: limit("RATE_LIMIT_LOGIN_PER_ACCOUNT", "10/300,50/86400")?,
            login_per_client: limit("RATE_LIMIT_LOGIN_PER_CLIENT", "30/300")?,
            two_factor_per_account: limit("RATE_LIMIT_2FA_PER_ACCOUNT", "5/300,30/86400")?,
            two_factor_per_client: limit("RATE_LIMIT_2FA_PER_CLIENT", "20/300")?,
            register_per_account: limit("RATE_LIMIT_REGISTER_PER_ACCOUNT", "5/3600")?,
            register_per_client: limit("RATE_LIMIT_REGISTER_PER_CLIENT", "10/3600")?,
            reset_per_account: limit("RATE_LIMIT_RESET_PER_ACCOUNT", "5/3600")?,
            reset_per_client: limit("RATE_LIMIT_RESET_PER_CLIENT", "20/3600")?,
            email_per_account: limit("RATE_LIMIT_EMAIL_PER_ACCOUNT", "5/3600")?,
            messages_per_user: limit("RATE_LIMIT_MESSAGES_PER_USER", "30/10")?,
            call_signals_per_user: limit("RATE_LIMIT_CALL_SIGNALS_PER_USER", "300/10")?,
        };
        let redis_url = src.get("REDIS_URL");
        if let Some(url) = &redis_url
            && !(url.starts_with("redis://")
                || url.starts_with("rediss://")
                || url.starts_with("unix://")
                || url.starts_with("redis+unix://"))
        {
            bail!("REDIS_URL: expected a redis:// or rediss:// URL");
        }
        let client_id = src.get("GOOGLE_CLIENT_ID");
        let client_secret = src.get("GOOGLE_CLIENT_SECRET");
        let issuer_url = src
            .get("OIDC_ISSUER_URL")
            .unwrap_or_else(|| "https://accounts.google.com".into())
            .trim()
            .trim_end_matches('/')
            .to_owned();
        if !(issuer_url.starts_with("https://") || issuer_url.starts_with("http://")) {
            bail!("OIDC_ISSUER_URL: expected an http(s) URL");
        }
        let oidc = client_id.map(|client_id| OidcSettings {
            issuer_url,
            client_id: client_id.trim().to_owned(),
            client_secret,
        });
        let public_url = match src.get("PUBLIC_URL") {
            Some(url) => url,
            None if app_env == AppEnv::Production && oidc.is_some() => {
                bail!("PUBLIC_URL: required in production when GOOGLE_CLIENT_ID is set")
            }
            // Mailed links point at FRONTEND_URL, which defaults to this.
            None if app_env == AppEnv::Production
                && src.get("FRONTEND_URL").is_none()
                && super::mail::features_on(src)? =>
            {
                bail!(
                    "PUBLIC_URL: required in production while EMAIL_FEATURES=on (mailed links point at FRONTEND_URL, which defaults to it)"
                )
            }
            None => format!(
                "http://{}:{}",
                src.get("HOST").unwrap_or_else(|| "127.0.0.1".into()),
                parse(src, "PORT", 8000u16)?
            ),
        };
        // The server serves its own web client, so by default the browser comes back to it.
        let frontend_url = src
            .get("FRONTEND_URL")
            .unwrap_or_else(|| public_url.clone());
        for (key, url) in [("PUBLIC_URL", &public_url), ("FRONTEND_URL", &frontend_url)] {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                bail!("{key}: expected an http(s) URL, got {url:?}");
            }
        }
        let config = Self {
            rate_limits,
            redis_url,
            redis_key_prefix: src
                .get("REDIS_KEY_PREFIX")
                .unwrap_or_else(|| "soundroom:".into()),
            presence_ttl: std::time::Duration::from_millis(
                parse::<u64>(src, "PRESENCE_TTL_MS", 15_000)?.max(300),
            ),
            trust_proxy_hops: parse(src, "TRUST_PROXY_HOPS", 0)?,
            ws_max_connections_per_client: parse(src, "WS_MAX_CONNECTIONS_PER_CLIENT", 50)?,
            ws_max_connections_per_user: parse(src, "WS_MAX_CONNECTIONS_PER_USER", 20)?,
            ws_max_operations_per_connection: parse(src, "WS_MAX_OPERATIONS_PER_CONNECTION", 100)?,
            graphql_max_aliases: parse(src, "GRAPHQL_MAX_ALIASES", 30)?,
            oidc,
            public_url: public_url.trim_end_matches('/').to_owned(),
            frontend_url: frontend_url.trim_end_matches('/').to_owned(),
        };
        if config.ws_max_connections_per_client == 0
            || config.ws_max_connections_per_user == 0
            || config.ws_max_operations_per_connection == 0
        {
            bail!("WS_MAX_*: must be at least 1");
        }
        Ok(config)
    }

    /// Whether the callback URL is https (the binding cookie then gets `Secure`).
    pub fn public_url_is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_refuse_nonsense() {
        let l = Limit::parse("K", "5/300, 30/86400").expect("parse");
        assert_eq!(
            l.0,
            vec![
                Rule {
                    count: 5,
                    window: Duration::from_secs(300)
                },
                Rule {
                    count: 30,
                    window: Duration::from_secs(86400)
                }
            ]
        );
        for bad in ["", "5", "x/3", "5/x", "0/10", "5/0", "5/-1"] {
            let err = Limit::parse("RATE_LIMIT_X", bad)
                .expect_err(bad)
                .to_string();
            assert!(err.contains("RATE_LIMIT_X"), "{bad}: {err}");
        }
    }
}
