//! Where a formatted mail goes: an SMTP server, or the development outbox folder.

use std::path::PathBuf;

use anyhow::Context;
use lettre::{
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor, address::Envelope,
    transport::smtp::PoolConfig,
};
use uuid::Uuid;

use crate::config::{Delivery, MailConfig};

pub(super) enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Outbox(PathBuf),
}

/// Why a delivery failed, in words safe to log (the mail server's answer, never the message).
pub(super) struct Failure {
    /// The server refused for good (a 5xx answer), as opposed to being away or busy.
    pub permanent: bool,
    pub reason: String,
}

impl Transport {
    pub(super) fn new(config: &MailConfig) -> anyhow::Result<Option<Self>> {
        Ok(match &config.delivery {
            Delivery::Off => None,
            Delivery::Smtp { url } => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("SMTP_URL: not a usable SMTP URL ({e})"))?
                    .timeout(Some(config.smtp_timeout))
                    .pool_config(PoolConfig::new().max_size(4))
                    .build();
                Some(Self::Smtp(transport))
            }
            Delivery::Outbox { dir } => {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("DATA_DIR: cannot create the mail outbox {}", dir.display())
                })?;
                Some(Self::Outbox(dir.clone()))
            }
        })
    }

    /// Says at start-up where mails go.
    pub(super) fn announce(&self) {
        match self {
            Self::Smtp(_) => tracing::info!("mail: delivering through SMTP_URL"),
            Self::Outbox(dir) => tracing::warn!(
                "mail: SMTP_URL is not set: mails are written to {} (one .eml file each; development only)",
                dir.display()
            ),
        }
    }

    pub(super) async fn send(
        &self,
        id: Uuid,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<(), Failure> {
        match self {
            Self::Smtp(smtp) => smtp
                .send_raw(envelope, message)
                .await
                .map(|_| ())
                .map_err(|e| Failure {
                    permanent: e.is_permanent(),
                    reason: e.to_string(),
                }),
            Self::Outbox(dir) => {
                let path = dir.join(format!("{id}.eml"));
                let partial = dir.join(format!(".{id}.eml.partial"));
                let written = async {
                    tokio::fs::write(&partial, message).await?;
                    tokio::fs::rename(&partial, &path).await
                };
                written.await.map_err(|e| Failure {
                    permanent: false,
                    reason: format!("cannot write to the outbox: {e}"),
                })?;
                tracing::info!(mail_id = %id, "mail written to {}", path.display());
                Ok(())
            }
        }
    }
}
