//! Call events: `IncomingCall` and `CallUpdated` on `userEvents`, and `callEvents(callId)` for
//! the participants of one call, each event with `serverTimeMs`.

use async_graphql::{Context, Json, Object, SimpleObject, Subscription, Union};
use chrono::{DateTime, Utc};
use futures_util::{Stream, stream};
use uuid::Uuid;

use super::types::{AnnotationKind, Call};
use crate::domain::calls::{CallState, ParticipantState};
use crate::graphql::accounts::user::User;
use crate::graphql::user_events::{client_cursor, replay_refused};
use crate::graphql::{ContextExt, loaders};
use crate::realtime::resume::{Cursor, Followed, Follower};
use crate::realtime::{CallEvent as Domain, CallMessage, CallSnapshot, Event, Topic};
use crate::service::calls;
use crate::state::AppState;

fn ms(at: &DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64
}

/// `from` calls the viewer: ring on this device until a `CallUpdated` says otherwise.
#[derive(SimpleObject)]
pub struct IncomingCall {
    pub call: Call,
    pub from: User,
    /// Where to resume after this event: `userEvents(after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

/// A call the viewer takes part in changed.
#[derive(SimpleObject)]
pub struct CallUpdated {
    pub call: Call,
    /// Where to resume after this event: `userEvents(after:)`, or on `callEvents`
    /// `callEvents(callId, after:)`.
    pub cursor: String,
    pub server_time_ms: f64,
}

/// Who sent something relayed in a call, loaded when asked for.
struct Sender(Uuid);

impl Sender {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0).await?))
    }
}

/// A WebRTC signal (offer, answer or ICE candidate) from another participant, for the viewer.
pub struct CallSignalReceived {
    call_id: Uuid,
    from: Sender,
    signal: serde_json::Value,
    cursor: String,
    server_time_ms: f64,
}

#[Object]
impl CallSignalReceived {
    async fn call_id(&self) -> Uuid {
        self.call_id
    }
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        self.from.user(ctx).await
    }
    async fn signal(&self) -> Json<serde_json::Value> {
        Json(self.signal.clone())
    }
    /// Where to resume after this event: `callEvents(callId, after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// An annotation of the shared screen.
pub struct ScreenAnnotationAdded {
    call_id: Uuid,
    from: Sender,
    kind: AnnotationKind,
    data: serde_json::Value,
    cursor: String,
    server_time_ms: f64,
}

#[Object]
impl ScreenAnnotationAdded {
    async fn call_id(&self) -> Uuid {
        self.call_id
    }
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        self.from.user(ctx).await
    }
    async fn kind(&self) -> AnnotationKind {
        self.kind
    }
    async fn data(&self) -> Json<serde_json::Value> {
        Json(self.data.clone())
    }
    /// Where to resume after this event: `callEvents(callId, after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// `from` asks the viewer (who shares their screen) for remote control.
pub struct RemoteControlRequested {
    call_id: Uuid,
    from: Sender,
    cursor: String,
    server_time_ms: f64,
}

#[Object]
impl RemoteControlRequested {
    async fn call_id(&self) -> Uuid {
        self.call_id
    }
    async fn from(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        self.from.user(ctx).await
    }
    /// Where to resume after this event: `callEvents(callId, after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

#[derive(Union)]
pub enum CallEvent {
    CallUpdated(Box<CallUpdated>),
    CallSignalReceived(CallSignalReceived),
    ScreenAnnotationAdded(ScreenAnnotationAdded),
    RemoteControlRequested(RemoteControlRequested),
}

impl CallEvent {
    fn updated(snapshot: CallSnapshot, at: &DateTime<Utc>, cursor: Cursor) -> Self {
        Self::CallUpdated(Box::new(CallUpdated {
            call: snapshot.into(),
            cursor: cursor.to_string(),
            server_time_ms: ms(at),
        }))
    }

    fn from_domain(message: &CallMessage, cursor: Cursor) -> Self {
        let call_id = message.call_id;
        let server_time_ms = ms(&message.at);
        let cursor_text = cursor.to_string();
        match &message.event {
            Domain::Updated(snapshot) => Self::updated((**snapshot).clone(), &message.at, cursor),
            Domain::Signal { from, signal } => Self::CallSignalReceived(CallSignalReceived {
                call_id,
                from: Sender(*from),
                signal: signal.clone(),
                cursor: cursor_text,
                server_time_ms,
            }),
            Domain::Annotation { from, kind, data } => {
                Self::ScreenAnnotationAdded(ScreenAnnotationAdded {
                    call_id,
                    from: Sender(*from),
                    kind: (*kind).into(),
                    data: data.clone(),
                    cursor: cursor_text,
                    server_time_ms,
                })
            }
            Domain::RemoteControlRequested { from } => {
                Self::RemoteControlRequested(RemoteControlRequested {
                    call_id,
                    from: Sender(*from),
                    cursor: cursor_text,
                    server_time_ms,
                })
            }
        }
    }
}

/// Whether the viewer's subscription ends with this state of the call: it ended, or the
/// viewer is no longer ringing or joined.
fn ends_for(snapshot: &CallSnapshot, viewer: Uuid) -> bool {
    CallState::of(&snapshot.call.state) == CallState::Ended
        || !snapshot
            .participants
            .iter()
            .find(|p| p.user_id == viewer)
            .is_some_and(|p| ParticipantState::of(&p.state).is_live())
}

#[derive(Default)]
pub struct CallEventsSubscription;

#[Subscription]
impl CallEventsSubscription {
    /// The events of one call, for its participants (`FORBIDDEN` for anyone else): every
    /// `CallUpdated`, and the signals, annotations and remote-control requests meant for the
    /// viewer. Ends once the viewer is no longer ringing or joined, or the call ended. Each
    /// event carries a `cursor`; `after` set to the last one received replays what was missed
    /// (kept for at least 5 minutes; older is `CURSOR_EXPIRED`), then goes on live.
    async fn call_events(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = CallEvent> + use<>> {
        let viewer = ctx.viewer().require()?.user_id;
        let state = ctx.state()?.clone();
        let after = after.as_deref().map(client_cursor).transpose()?;
        // Subscribe before checking, so that nothing falls between the check and the stream.
        let follower = Follower::start(&state.bus, Topic::Call(call_id), after)
            .await
            .map_err(replay_refused)?;
        calls::require_participant(&state.db, viewer, call_id).await?;
        let mut feed = CallFeed {
            state,
            call_id,
            viewer,
            follower,
            ended: false,
            closing: None,
        };
        // Already over for the viewer (and nothing to replay): the call as it is, then the end.
        if !feed.follower.has_pending() {
            feed.closing = feed.resync().await;
        }
        Ok(stream::unfold(feed, CallFeed::next))
    }
}

/// One `callEvents` subscription: the call's log in order (see [`Follower`]), the events
/// meant for the viewer, until the call is over for them.
struct CallFeed {
    state: AppState,
    call_id: Uuid,
    viewer: Uuid,
    follower: Follower,
    ended: bool,
    /// Sent, then the stream ends.
    closing: Option<CallEvent>,
}

impl CallFeed {
    async fn next(mut self) -> Option<(CallEvent, Self)> {
        loop {
            if let Some(event) = self.closing.take() {
                self.ended = true;
                return Some((event, self));
            }
            if self.ended {
                return None;
            }
            let (cursor, event) = match self.follower.next().await? {
                Followed::Event(logged) => logged,
                // Events may be lost: the call as it is now tells whether it is over.
                Followed::Gap => {
                    self.closing = self.resync().await;
                    continue;
                }
            };
            let Event::Call(message) = event.as_ref() else {
                continue;
            };
            if message.call_id != self.call_id || message.to.is_some_and(|to| to != self.viewer) {
                continue;
            }
            if let Domain::Updated(snapshot) = &message.event
                && ends_for(snapshot, self.viewer)
            {
                self.ended = true;
            }
            return Some((CallEvent::from_domain(message, cursor), self));
        }
    }

    /// The call as it is now, as a last event when it is over for the viewer.
    async fn resync(&mut self) -> Option<CallEvent> {
        match calls::snapshot(&self.state.db, self.call_id).await {
            Ok(snapshot) if ends_for(&snapshot, self.viewer) => Some(CallEvent::updated(
                snapshot,
                &Utc::now(),
                self.follower.last(),
            )),
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = ?e, call_id = %self.call_id, "could not resync a call subscriber: ending it");
                self.ended = true;
                None
            }
        }
    }
}
