//! The delivery worker over the `outbound_mails` table, and the sealing of queued mails.

use std::{sync::Arc, time::Duration};

use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use entity::outbound_mail;
use lettre::{Address, address::Envelope};
use sea_orm::{
    ColumnTrait, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr,
};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use super::Inner;
use crate::auth::totp::SecretBox;
use crate::error::AppResult;

/// Rows read per query.
const BATCH: u64 = 20;
/// How often a worker looks at the table when nothing woke it (mails queued by another
/// instance that stopped before sending them).
const POLL: Duration = Duration::from_secs(60);
/// The pause after the database failed the worker.
const DATABASE_PAUSE: Duration = Duration::from_secs(5);
/// A mail the server refused for good (a 5xx answer) is tried this often in all before it is
/// dropped (a refusal may also come from a misconfiguration that is fixed meanwhile).
const PERMANENT_ATTEMPTS: i32 = 3;

/// What is sealed in a row: the envelope and the formatted message.
#[derive(Serialize, Deserialize)]
struct Sealed {
    from: Option<String>,
    to: Vec<String>,
    /// The RFC 5322 message, base64.
    message: String,
}

pub(super) fn seal(sealer: &SecretBox, id: Uuid, message: &lettre::Message) -> AppResult<String> {
    let envelope = message.envelope();
    let sealed = Sealed {
        from: envelope.from().map(ToString::to_string),
        to: envelope.to().iter().map(ToString::to_string).collect(),
        message: STANDARD.encode(message.formatted()),
    };
    let json = serde_json::to_vec(&sealed).map_err(anyhow::Error::from)?;
    sealer.seal(id, &json)
}

fn open(sealer: &SecretBox, row: &outbound_mail::Model) -> Option<(Envelope, Vec<u8>)> {
    let json = sealer.open(row.id, &row.sealed).ok()?;
    let sealed: Sealed = serde_json::from_slice(&json).ok()?;
    let from = match sealed.from {
        Some(f) => Some(f.parse::<Address>().ok()?),
        None => None,
    };
    let to = sealed
        .to
        .iter()
        .map(|t| t.parse::<Address>())
        .collect::<Result<Vec<_>, _>>()
        .ok()?;
    let envelope = Envelope::new(from, to).ok()?;
    Some((envelope, STANDARD.decode(sealed.message).ok()?))
}

/// The wait after failed attempt `attempt` (1, 2, …): `min`, doubling, at most `max`.
fn back_off(min: Duration, max: Duration, attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    min.saturating_mul(1u32 << doublings).min(max)
}

/// How long a claimed row is left alone: long enough for one SMTP exchange to time out at
/// every step, after which another worker may take it.
fn lease(inner: &Inner) -> Duration {
    inner.config.smtp_timeout.saturating_mul(10)
}

fn after(from: DateTime<Utc>, wait: Duration) -> DateTime<Utc> {
    from + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::MAX)
}

pub(super) async fn run(inner: Arc<Inner>, mut stop: watch::Receiver<bool>) {
    loop {
        let wait = match deliver_due(&inner, &stop).await {
            Ok(Some(next)) => (next - Utc::now()).to_std().unwrap_or_default().min(POLL),
            Ok(None) => POLL,
            Err(e) => {
                if *stop.borrow() {
                    return;
                }
                tracing::warn!(error = %e, "mail queue: the database failed; trying again soon");
                DATABASE_PAUSE
            }
        };
        tokio::select! {
            () = inner.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
            _ = stop.changed() => {}
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Sends every mail that is due; returns when the next one is.
async fn deliver_due(
    inner: &Inner,
    stop: &watch::Receiver<bool>,
) -> Result<Option<DateTime<Utc>>, DbErr> {
    loop {
        let due = outbound_mail::Entity::find()
            .filter(outbound_mail::Column::NextAttemptAt.lte(Utc::now()))
            .order_by_asc(outbound_mail::Column::NextAttemptAt)
            .limit(BATCH)
            .all(&inner.db)
            .await?;
        if due.is_empty() {
            break;
        }
        for row in due {
            if *stop.borrow() {
                return Ok(None);
            }
            deliver(inner, row).await?;
        }
    }
    let next: Option<DateTime<Utc>> = outbound_mail::Entity::find()
        .select_only()
        .column(outbound_mail::Column::NextAttemptAt)
        .order_by_asc(outbound_mail::Column::NextAttemptAt)
        .into_tuple()
        .one(&inner.db)
        .await?;
    Ok(next)
}

/// One attempt at one mail, if this worker wins the claim on it.
async fn deliver(inner: &Inner, row: outbound_mail::Model) -> Result<(), DbErr> {
    let id = row.id;
    let now = Utc::now();
    if row.discard_after <= now {
        tracing::error!(mail_id = %id, attempts = row.attempts, last_error = ?row.last_error, "mail dropped undelivered: its link has expired");
        return forget(inner, id).await;
    }
    let attempt = row.attempts + 1;
    let claimed = outbound_mail::Entity::update_many()
        .col_expr(outbound_mail::Column::Attempts, Expr::value(attempt))
        .col_expr(
            outbound_mail::Column::NextAttemptAt,
            Expr::value(after(now, lease(inner))),
        )
        .filter(outbound_mail::Column::Id.eq(id))
        .filter(outbound_mail::Column::Attempts.eq(row.attempts))
        .exec(&inner.db)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(());
    }
    let Some((envelope, message)) = open(&inner.sealer, &row) else {
        tracing::error!(mail_id = %id, "mail dropped: it does not open (TOTP_ENCRYPTION_KEY changed, or a damaged row)");
        return forget(inner, id).await;
    };
    let Some(transport) = &inner.transport else {
        return Ok(());
    };
    match transport.send(id, &envelope, &message).await {
        Ok(()) => {
            tracing::info!(mail_id = %id, attempt, "mail delivered");
            forget(inner, id).await
        }
        Err(failure) if failure.permanent && attempt >= PERMANENT_ATTEMPTS => {
            tracing::error!(mail_id = %id, attempt, reason = %failure.reason, "mail dropped: the mail server refused it");
            forget(inner, id).await
        }
        Err(failure) => {
            let wait = back_off(inner.config.retry_min, inner.config.retry_max, attempt);
            tracing::warn!(mail_id = %id, attempt, reason = %failure.reason, retry_in_ms = wait.as_millis() as u64, "mail not delivered yet");
            let reason: String = failure.reason.chars().take(500).collect();
            outbound_mail::Entity::update_many()
                .col_expr(
                    outbound_mail::Column::NextAttemptAt,
                    Expr::value(after(Utc::now(), wait)),
                )
                .col_expr(outbound_mail::Column::LastError, Expr::value(reason))
                .filter(outbound_mail::Column::Id.eq(id))
                .filter(outbound_mail::Column::Attempts.eq(attempt))
                .exec(&inner.db)
                .await?;
            Ok(())
        }
    }
}

async fn forget(inner: &Inner, id: Uuid) -> Result<(), DbErr> {
    outbound_mail::Entity::delete_by_id(id)
        .exec(&inner.db)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use lettre::message::MultiPart;

    use super::*;

    #[test]
    fn back_off_doubles_up_to_the_cap() {
        let (min, max) = (Duration::from_secs(10), Duration::from_secs(60));
        let waits: Vec<u64> = (1..=6).map(|a| back_off(min, max, a).as_secs()).collect();
        assert_eq!(waits, [10, 20, 40, 60, 60, 60]);
        assert_eq!(back_off(min, max, i32::MAX), max);
    }

    #[test]
    fn a_sealed_mail_opens_only_for_its_row_and_hides_its_link() {
        let sealer = SecretBox::for_purpose(b"key material, long enough for a test", b"mail");
        let message = lettre::Message::builder()
            .from("Soundroom <no-reply@example.com>".parse().expect("from"))
            .to("ann@example.com".parse().expect("to"))
            .subject("Verify")
            .multipart(MultiPart::alternative_plain_html(
                "https://app.example/verify-email#token=secret-token".to_owned(),
                "<p>secret-token</p>".to_owned(),
            ))
            .expect("message");
        let id = Uuid::new_v4();
        let sealed = seal(&sealer, id, &message).expect("seal");
        assert!(!sealed.contains("secret") && !sealed.contains("ann@"));
        let row = |id| outbound_mail::Model {
            id,
            sealed: sealed.clone(),
            attempts: 0,
            next_attempt_at: Utc::now(),
            discard_after: Utc::now(),
            last_error: None,
            created_at: Utc::now(),
        };
        let (envelope, bytes) = open(&sealer, &row(id)).expect("opens");
        assert_eq!(envelope.to()[0].to_string(), "ann@example.com");
        assert_eq!(bytes, message.formatted());
        assert!(
            open(&sealer, &row(Uuid::new_v4())).is_none(),
            "bound to the row"
        );
    }
}
