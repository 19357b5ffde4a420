//! Outgoing mail: the links and notices of accounts by email, delivered from a queue so that no
//! request waits on the mail server.
//!
//! - A service queues a mail with [`Mailer::enqueue`] on its own connection or transaction
//!   (the mail exists exactly when the token it carries does), then calls [`Mailer::wake`]
//!   once that commits.
//! - The queue is a table (`outbound_mails`), so pending mails survive a restart. Each row holds
//!   the formatted message sealed with a key derived from `TOTP_ENCRYPTION_KEY` (bound to the
//!   row's id): a database dump reveals no link, and no address.
//! - One worker per instance ([`Mailer::start`]) sends what is due, deletes what the mail
//!   server took, and retries the rest with exponential back-off until the mail's link has
//!   expired. Instances share the table: a worker claims a row before sending it (a conditional
//!   UPDATE on its attempt count), so each attempt is made by one instance. A mail is sent at
//!   least once: an instance that dies mid-send leaves its claim to expire, and the mail goes
//!   out again.
//! - Logs name mails by id, never by link or address.
//! - Without `SMTP_URL` (outside production) mails are written to `DATA_DIR/outbox/`, one `.eml`
//!   file each.

mod queue;
pub mod templates;
mod transport;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use lettre::message::{Mailbox, MultiPart};
use sea_orm::{ActiveModelTrait, ConnectionTrait, DatabaseConnection, Set};
use tokio::sync::{Notify, watch};
use uuid::Uuid;

use crate::auth::totp::SecretBox;
use crate::config::{Config, MailConfig};
use crate::error::{AppError, AppResult};
use transport::Transport;

/// What a mail says: a subject and the same text as plain text and as HTML.
#[derive(Clone, Debug)]
pub struct Content {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// The handle services queue mails through; cheap to clone.
#[derive(Clone)]
pub struct Mailer(Arc<Inner>);

struct Inner {
    config: MailConfig,
    db: DatabaseConnection,
    /// `None` when `EMAIL_FEATURES=off`.
    transport: Option<Transport>,
    sealer: SecretBox,
    wake: Notify,
    stop: watch::Sender<bool>,
}

impl Mailer {
    /// Sets up the transport (no connection is made yet) and, without `SMTP_URL`, the outbox
    /// folder.
    pub fn new(config: &Config, db: DatabaseConnection) -> anyhow::Result<Self> {
        let transport = Transport::new(&config.mail)?;
        let (stop, _) = watch::channel(false);
        Ok(Self(Arc::new(Inner {
            config: config.mail.clone(),
            db,
            transport,
            sealer: SecretBox::for_purpose(
                &config.secrets.totp_encryption,
                b"soundroom/outbound-mail/v1",
            ),
            wake: Notify::new(),
            stop,
        })))
    }

    /// Whether mails are sent at all (`EMAIL_FEATURES`).
    pub fn is_on(&self) -> bool {
        self.0.transport.is_some()
    }

    /// Queues a mail to `to`, to be dropped unsent after `discard_after` (when its link
    /// expires). Runs on `db`, so that a transaction that issues a token queues its mail with
    /// it; call [`Mailer::wake`] after it commits. Does nothing when mail is off.
    pub async fn enqueue(
        &self,
        db: &impl ConnectionTrait,
        to: &str,
        content: Content,
        discard_after: DateTime<Utc>,
    ) -> AppResult<()> {
        if !self.is_on() {
            return Ok(());
        }
        let internal = |what: &str, e: &dyn std::fmt::Display| {
            AppError::Internal(anyhow::anyhow!("building a mail: {what}: {e}"))
        };
        let recipient: Mailbox = to.parse().map_err(|e| internal("recipient", &e))?;
        let message = lettre::Message::builder()
            .from(self.0.config.from.clone())
            .to(recipient)
            .subject(content.subject)
            .message_id(None)
            .multipart(MultiPart::alternative_plain_html(
                content.text,
                content.html,
            ))
            .map_err(|e| internal("message", &e))?;
        let id = Uuid::new_v4();
        let sealed = queue::seal(&self.0.sealer, id, &message)?;
        let now = Utc::now();
        entity::outbound_mail::ActiveModel {
            id: Set(id),
            sealed: Set(sealed),
            attempts: Set(0),
            next_attempt_at: Set(now),
            discard_after: Set(discard_after),
            last_error: Set(None),
            created_at: Set(now),
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// Tells this instance's worker that mails were queued.
    pub fn wake(&self) {
        self.0.wake.notify_one();
    }

    /// Starts this instance's delivery worker (once, at start-up).
    pub fn start(&self) {
        let Some(transport) = &self.0.transport else {
            return;
        };
        transport.announce();
        tokio::spawn(queue::run(self.0.clone(), self.0.stop.subscribe()));
    }

    /// Stops the worker; a mail it was sending is sent again by the next one.
    pub fn shutdown(&self) {
        self.0.stop.send_replace(true);
    }
}
