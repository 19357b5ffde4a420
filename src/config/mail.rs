//! Settings of the mails the server sends (verification, password reset, email change): whether
//! the features are on, the SMTP server, the sender, and the delivery queue's timing.

use std::{path::Path, path::PathBuf, time::Duration};

use anyhow::bail;
use lettre::{AsyncSmtpTransport, Tokio1Executor, message::Mailbox};

use super::{AppEnv, Source, parse, parse_bool};

/// Where mails go.
#[derive(Clone)]
pub enum Delivery {
    /// `EMAIL_FEATURES=off`: nothing is sent, and the mutations that would mail answer
    /// `NOT_FOUND`.
    Off,
    /// An SMTP server, in lettre's URL scheme (`smtp://`, `smtp://…?tls=required`, `smtps://`).
    Smtp { url: String },
    /// No `SMTP_URL` outside production: one `.eml` file per mail in this folder.
    Outbox { dir: PathBuf },
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Off => f.write_str("Off"),
            // The URL may carry the SMTP password.
            Self::Smtp { .. } => f.write_str("Smtp(<redacted>)"),
            Self::Outbox { dir } => f.debug_struct("Outbox").field("dir", dir).finish(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct MailConfig {
    pub delivery: Delivery,
    /// The `From` of every mail, e.g. `Soundroom <no-reply@example.com>`.
    pub from: Mailbox,
    /// How long one SMTP exchange (connect, greeting, each command) may take.
    pub smtp_timeout: Duration,
    /// The first retry after a failed delivery; each next one waits twice as long, up to
    /// `retry_max`.
    pub retry_min: Duration,
    pub retry_max: Duration,
}

impl MailConfig {
    pub fn is_on(&self) -> bool {
        !matches!(self.delivery, Delivery::Off)
    }

    pub fn load(src: &impl Source, app_env: AppEnv, data_dir: &Path) -> anyhow::Result<Self> {
        let on = features_on(src)?;
        let smtp_url = src.get("SMTP_URL").map(|u| u.trim().to_owned());
        let delivery = match smtp_url {
            _ if !on => Delivery::Off,
            Some(url) => {
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    bail!("SMTP_URL: expected an smtp:// or smtps:// URL");
                }
                // Parses the host, port, credentials and TLS mode without connecting. The error
                // never repeats the URL (it may hold a password).
                AsyncSmtpTransport::<Tokio1Executor>::from_url(&url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: not a usable SMTP URL ({e})"))?;
                Delivery::Smtp { url }
            }
            None if app_env == AppEnv::Production => bail!(
                "SMTP_URL: required in production while EMAIL_FEATURES=on (or set EMAIL_FEATURES=off)"
            ),
            None => Delivery::Outbox {
                dir: data_dir.join("outbox"),
            },
        };
        let from = match src.get("MAIL_FROM") {
            Some(v) => v
                .trim()
                .parse::<Mailbox>()
                .map_err(|e| anyhow::anyhow!("MAIL_FROM: not a mail address ({e})"))?,
            None if on && app_env == AppEnv::Production => {
                bail!("MAIL_FROM: required in production while EMAIL_FEATURES=on")
            }
            None => "Soundroom <no-reply@localhost>"
                .parse()
                .map_err(|e| anyhow::anyhow!("default MAIL_FROM: {e}"))?,
        };
        let config = Self {
            delivery,
            from,
            smtp_timeout: Duration::from_secs(parse(src, "SMTP_TIMEOUT_SECS", 30)?),
            retry_min: Duration::from_millis(parse(src, "MAIL_RETRY_MIN_MS", 10_000)?),
            retry_max: Duration::from_millis(parse(src, "MAIL_RETRY_MAX_MS", 900_000)?),
        };
        if config.smtp_timeout.is_zero() || config.retry_min.is_zero() {
            bail!("SMTP_TIMEOUT_SECS / MAIL_RETRY_MIN_MS: must be at least 1");
        }
        if config.retry_max < config.retry_min {
            bail!("MAIL_RETRY_MAX_MS: must be at least MAIL_RETRY_MIN_MS");
        }
        Ok(config)
    }
}

/// `EMAIL_FEATURES` (default on).
pub fn features_on(src: &impl Source) -> anyhow::Result<bool> {
    parse_bool(src, "EMAIL_FEATURES", true)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn src(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)], env: AppEnv) -> anyhow::Result<MailConfig> {
        MailConfig::load(&src(pairs), env, Path::new("/data"))
    }

    #[test]
    fn development_without_smtp_writes_to_the_outbox() {
        let config = load(&[], AppEnv::Development).expect("config");
        assert!(
            matches!(&config.delivery, Delivery::Outbox { dir } if dir == Path::new("/data/outbox"))
        );
        assert_eq!(config.from.email.to_string(), "no-reply@localhost");
    }

    #[test]
    fn production_needs_smtp_only_while_the_features_are_on() {
        let err = load(&[], AppEnv::Production).unwrap_err().to_string();
        assert!(err.contains("SMTP_URL"), "{err}");
        let off = load(&[("EMAIL_FEATURES", "off")], AppEnv::Production).expect("off");
        assert!(!off.is_on());
        let err = load(
            &[("SMTP_URL", "smtp://mail.example:25")],
            AppEnv::Production,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("MAIL_FROM"), "{err}");
        let on = load(
            &[
                ("SMTP_URL", "smtps://user:pass@mail.example"),
                ("MAIL_FROM", "Soundroom <hello@example.com>"),
            ],
            AppEnv::Production,
        )
        .expect("on");
        assert!(matches!(on.delivery, Delivery::Smtp { .. }));
        assert!(
            !format!("{on:?}").contains("pass"),
            "the password is redacted"
        );
    }

    #[test]
    fn bad_values_name_their_setting() {
        for (key, value) in [
            ("SMTP_URL", "mail.example:25"),
            ("SMTP_URL", "smtp://"),
            ("MAIL_FROM", "not an address"),
            ("EMAIL_FEATURES", "maybe"),
            ("MAIL_RETRY_MAX_MS", "1"),
        ] {
            let err = load(&[(key, value)], AppEnv::Development)
                .unwrap_err()
                .to_string();
            assert!(err.contains(key), "{key}={value}: {err}");
        }
    }
}
