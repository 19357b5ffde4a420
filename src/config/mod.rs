//! Typed settings, read once at start-up from the environment (and `.env`), validated, with
//! embedded defaults. Every setting is listed with its default in `.env.example`.

use std::{collections::HashMap, path::PathBuf, time::Duration};

use anyhow::{Context, bail};

pub mod mail;
pub mod security;

pub use mail::{Delivery, MailConfig};
pub use security::{Limit, OidcSettings, RateLimits, Rule, SecurityConfig};
mod calls;
mod media;
mod messenger;
mod rooms;
pub use calls::CallSettings;
pub use media::{BucketSettings, MediaConfig};
pub use messenger::MessengerSettings;
pub use rooms::RoomSettings;

/// The minimum length of a JWT secret, in bytes. Shorter ones refuse to start in production.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
    Test,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub app_env: AppEnv,
    pub host: String,
    pub port: u16,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// PostgreSQL only: the schema to use (`search_path`); created when missing.
    pub database_schema: Option<String>,
    pub run_migrations: bool,
    pub secrets: Secrets,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// `None` allows any origin (development default); otherwise the listed origins only.
    pub cors_origins: Option<Vec<String>>,
    pub body_limit_bytes: usize,
    pub ws_init_timeout: Duration,
    pub ws_keepalive_interval: Duration,
    /// Events a subscriber may fall behind by (per topic) before it is told it lagged.
    pub event_buffer: usize,
    pub graphql_max_depth: usize,
    pub graphql_max_complexity: usize,
    pub media: MediaConfig,
    /// Rate limits, connection and query caps, provider sign-in.
    pub security: SecurityConfig,
    /// The mails the server sends and how they are delivered.
    pub mail: MailConfig,
    pub rooms: RoomSettings,
    pub messenger: MessengerSettings,
    pub calls: CallSettings,
}

#[derive(Clone)]
pub struct Secrets {
    pub jwt_access: Vec<u8>,
    pub jwt_refresh: Vec<u8>,
    pub jwt_2fa: Vec<u8>,
    /// Seals TOTP secrets at rest.
    pub totp_encryption: Vec<u8>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(<redacted>)")
    }
}

/// Where the values come from: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, key: &str) -> Option<String>;
}

pub struct Env;

impl Source for Env {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        HashMap::get(self, key)
            .cloned()
            .filter(|v| !v.trim().is_empty())
    }
}

impl Config {
    /// Reads `.env` (when present) and the environment.
    pub fn from_env() -> anyhow::Result<Self> {
        // A missing .env is normal; a malformed one is not.
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(e) if e.not_found() => {}
            Err(e) => bail!("could not read .env: {e}"),
        }
        Self::load(&Env)
    }

    pub fn load(src: &impl Source) -> anyhow::Result<Self> {
        let app_env = match src
            .get("APP_ENV")
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("development") | Some("dev") => AppEnv::Development,
            Some("production") | Some("prod") => AppEnv::Production,
            Some("test") => AppEnv::Test,
            Some(other) => {
                bail!("APP_ENV: expected development, production or test, got {other:?}")
            }
        };
        let data_dir = PathBuf::from(src.get("DATA_DIR").unwrap_or_else(|| "./data".into()));
        let database_url = src.get("DATABASE_URL").unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("soundroom.db").display()
            )
        });
        if !(database_url.starts_with("sqlite:") || database_url.starts_with("postgres")) {
            bail!("DATABASE_URL: expected a sqlite:// or postgres:// URL");
        }
        let secrets = Secrets {
            jwt_access: secret(src, app_env, &data_dir, "JWT_ACCESS_SECRET")?,
            jwt_refresh: secret(src, app_env, &data_dir, "JWT_REFRESH_SECRET")?,
            jwt_2fa: secret(src, app_env, &data_dir, "JWT_2FA_SECRET")?,
            totp_encryption: secret(src, app_env, &data_dir, "TOTP_ENCRYPTION_KEY")?,
        };
        let cors_origins = match src.get("CORS_ORIGINS") {
            None if app_env == AppEnv::Production => {
                bail!("CORS_ORIGINS: required in production (comma-separated origins, or *)")
            }
            None => None,
            Some(v) if v.trim() == "*" => None,
            Some(v) => {
                let list: Vec<String> = v
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect();
                for origin in &list {
                    if !(origin.starts_with("http://") || origin.starts_with("https://")) {
                        bail!("CORS_ORIGINS: {origin:?} is not an http(s) origin");
                    }
                }
                Some(list)
            }
        };
        let config = Config {
            app_env,
            host: src.get("HOST").unwrap_or_else(|| "127.0.0.1".into()),
            port: parse(src, "PORT", 8000)?,
            database_schema: src.get("DATABASE_SCHEMA"),
            run_migrations: parse_bool(src, "RUN_MIGRATIONS", true)?,
            access_token_ttl: Duration::from_secs(parse(src, "ACCESS_TOKEN_TTL_SECS", 900)?),
            refresh_token_ttl: Duration::from_secs(parse(
                src,
                "REFRESH_TOKEN_TTL_SECS",
                30 * 24 * 3600,
            )?),
            cors_origins,
            body_limit_bytes: parse(src, "BODY_LIMIT_BYTES", 1024 * 1024)?,
            ws_init_timeout: Duration::from_millis(parse(src, "WS_INIT_TIMEOUT_MS", 10_000)?),
            ws_keepalive_interval: Duration::from_millis(parse(src, "WS_KEEPALIVE_MS", 15_000)?),
            event_buffer: parse(src, "EVENT_BUFFER", 256)?,
            graphql_max_depth: parse(src, "GRAPHQL_MAX_DEPTH", 15)?,
            graphql_max_complexity: parse(src, "GRAPHQL_MAX_COMPLEXITY", 20_000)?,
            media: MediaConfig::load(src, &data_dir)?,
            security: SecurityConfig::load(src, app_env)?,
            mail: MailConfig::load(src, app_env, &data_dir)?,
            rooms: RoomSettings::load(src)?,
            messenger: MessengerSettings::load(src)?,
            calls: CallSettings::load(src)?,
            data_dir,
            database_url,
            secrets,
        };
        if config.access_token_ttl.as_secs() == 0 || config.refresh_token_ttl.as_secs() == 0 {
            bail!("ACCESS_TOKEN_TTL_SECS / REFRESH_TOKEN_TTL_SECS: must be at least 1");
        }
        if config.ws_keepalive_interval.is_zero() || config.ws_init_timeout.is_zero() {
            bail!("WS_KEEPALIVE_MS / WS_INIT_TIMEOUT_MS: must be at least 1");
        }
        if config.event_buffer == 0 {
            bail!("EVENT_BUFFER: must be at least 1");
        }
        Ok(config)
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }
}

fn parse<T: std::str::FromStr>(src: &impl Source, key: &str, default: T) -> anyhow::Result<T>
where
    T::Err: std::fmt::Display,
{
    match src.get(key) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("{key}: invalid value {v:?}: {e}")),
    }
}

fn parse_bool(src: &impl Source, key: &str, default: bool) -> anyhow::Result<bool> {
    match src
        .get(key)
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None => Ok(default),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some("0" | "false" | "no" | "off") => Ok(false),
        Some(v) => bail!("{key}: expected true or false, got {v:?}"),
    }
}

/// A signing secret: from the environment; in production it must be present and long enough; in
/// development a missing one is generated once and kept in `DATA_DIR` so tokens survive restarts.
fn secret(
    src: &impl Source,
    env: AppEnv,
    data_dir: &std::path::Path,
    key: &str,
) -> anyhow::Result<Vec<u8>> {
    if let Some(v) = src.get(key) {
        if v.len() < MIN_SECRET_LEN && env == AppEnv::Production {
            bail!("{key}: must be at least {MIN_SECRET_LEN} bytes in production");
        }
        if v.len() < MIN_SECRET_LEN {
            tracing::warn!(
                "{key} is shorter than {MIN_SECRET_LEN} bytes: fine for development, refused in production"
            );
        }
        return Ok(v.into_bytes());
    }
    if env == AppEnv::Production {
        bail!("{key}: required in production (at least {MIN_SECRET_LEN} random bytes)");
    }
    let path = data_dir.join(format!("{}.secret", key.to_ascii_lowercase()));
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let existing = existing.trim().to_owned();
        if existing.len() >= MIN_SECRET_LEN {
            return Ok(existing.into_bytes());
        }
    }
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("DATA_DIR: cannot create {}", data_dir.display()))?;
    let generated = crate::random::token(48);
    write_private(&path, &generated)
        .with_context(|| format!("{key}: cannot persist a generated secret"))?;
    tracing::warn!(
        "{key} is not set: generated one and saved it to {} (development only; set it explicitly in production)",
        path.display()
    );
    Ok(generated.into_bytes())
}

fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    opts.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn temp_dir() -> String {
        let dir = std::env::temp_dir().join(format!("soundroom-config-{}", uuid::Uuid::new_v4()));
        dir.display().to_string()
    }

    #[test]
    fn production_refuses_missing_or_short_secrets() {
        let dir = temp_dir();
        let long = "x".repeat(40);
        let base = [
            ("APP_ENV", "production"),
            ("DATA_DIR", dir.as_str()),
            ("CORS_ORIGINS", "https://a.example"),
        ];
        let err = Config::load(&src(&base)).unwrap_err().to_string();
        assert!(err.contains("JWT_ACCESS_SECRET"), "{err}");
        let mut short = base.to_vec();
        short.extend([
            ("JWT_ACCESS_SECRET", "short"),
            ("JWT_REFRESH_SECRET", long.as_str()),
            ("JWT_2FA_SECRET", long.as_str()),
        ]);
        let err = Config::load(&src(&short)).unwrap_err().to_string();
        assert!(
            err.contains("JWT_ACCESS_SECRET") && err.contains("at least"),
            "{err}"
        );
        let mut ok = base.to_vec();
        ok.extend([
            ("JWT_ACCESS_SECRET", long.as_str()),
            ("JWT_REFRESH_SECRET", long.as_str()),
            ("JWT_2FA_SECRET", long.as_str()),
            ("TOTP_ENCRYPTION_KEY", long.as_str()),
            ("EMAIL_FEATURES", "off"),
        ]);
        assert!(Config::load(&src(&ok)).is_ok());

        // With mail on, production also needs the SMTP server, a sender and the public address
        // that mailed links point at.
        let mut mail = ok.clone();
        mail.retain(|(k, _)| *k != "EMAIL_FEATURES");
        let err = Config::load(&src(&mail)).unwrap_err().to_string();
        assert!(err.contains("PUBLIC_URL"), "{err}");
        mail.push(("PUBLIC_URL", "https://soundroom.example"));
        let err = Config::load(&src(&mail)).unwrap_err().to_string();
        assert!(err.contains("SMTP_URL"), "{err}");
        mail.push(("SMTP_URL", "smtp://mail.example:587?tls=required"));
        let err = Config::load(&src(&mail)).unwrap_err().to_string();
        assert!(err.contains("MAIL_FROM"), "{err}");
        mail.push(("MAIL_FROM", "Soundroom <no-reply@example.com>"));
        let config = Config::load(&src(&mail)).expect("mail config");
        assert_eq!(config.security.frontend_url, "https://soundroom.example");
    }

    #[test]
    fn development_generates_and_keeps_secrets() {
        let dir = temp_dir();
        let first = Config::load(&src(&[("DATA_DIR", dir.as_str())])).expect("config");
        let second = Config::load(&src(&[("DATA_DIR", dir.as_str())])).expect("config");
        assert_eq!(first.secrets.jwt_access, second.secrets.jwt_access);
        assert_ne!(first.secrets.jwt_access, first.secrets.jwt_refresh);
        assert!(first.secrets.jwt_access.len() >= MIN_SECRET_LEN);
        assert!(first.database_url.starts_with("sqlite://"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn bad_settings_name_themselves() {
        let dir = temp_dir();
        for (key, value) in [
            ("PORT", "eighty"),
            ("APP_ENV", "staging"),
            ("RUN_MIGRATIONS", "maybe"),
            ("CORS_ORIGINS", "example.com"),
            ("DATABASE_URL", "mysql://x"),
        ] {
            let err = Config::load(&src(&[("DATA_DIR", dir.as_str()), (key, value)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
