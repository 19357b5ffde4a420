//! Call events: `IncomingCall` and `CallUpdated` on `userEvents`, and `callEvents(callId)` for
//! the participants of one call, each event with `serverTimeMs`.

use async_graphql::{Context, Json, Object, SimpleObject, Subscription, Union};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, future, stream};
use uuid::Uuid;

use super::types::{AnnotationKind, Call};
use crate::domain::calls::{CallState, ParticipantState};
use crate::graphql::accounts::user::User;
use crate::graphql::{ContextExt, loaders};
use crate::realtime::bus::Delivery;
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
    /// Where to resume after this event: `userEvents(after:)`. Empty on `callEvents`, which
    /// does not resume yet.
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
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// `from` asks the viewer (who shares their screen) for remote control.
pub struct RemoteControlRequested {
    call_id: Uuid,
    from: Sender,
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
    fn updated(snapshot: CallSnapshot, at: &DateTime<Utc>) -> Self {
        Self::CallUpdated(Box::new(CallUpdated {
            call: snapshot.into(),
            cursor: String::new(),
            server_time_ms: ms(at),
        }))
    }

    fn from_domain(message: &CallMessage) -> Self {
        let call_id = message.call_id;
        let server_time_ms = ms(&message.at);
        match &message.event {
            Domain::Updated(snapshot) => Self::updated((**snapshot).clone(), &message.at),
            Domain::Signal { from, signal } => Self::CallSignalReceived(CallSignalReceived {
                call_id,
                from: Sender(*from),
                signal: signal.clone(),
                server_time_ms,
            }),
            Domain::Annotation { from, kind, data } => {
                Self::ScreenAnnotationAdded(ScreenAnnotationAdded {
                    call_id,
                    from: Sender(*from),
                    kind: (*kind).into(),
                    data: data.clone(),
                    server_time_ms,
                })
            }
            Domain::RemoteControlRequested { from } => {
                Self::RemoteControlRequested(RemoteControlRequested {
                    call_id,
                    from: Sender(*from),
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

enum Step {
    Send(CallEvent),
    Last(CallEvent),
    Skip,
    End,
}

impl Step {
    fn into_items(self) -> impl Iterator<Item = Option<CallEvent>> {
        let (event, ends) = match self {
            Step::Send(e) => (Some(e), false),
            Step::Last(e) => (Some(e), true),
            Step::Skip => (None, false),
            Step::End => (None, true),
        };
        event.map(Some).into_iter().chain(ends.then_some(None))
    }

    fn update(snapshot: CallSnapshot, viewer: Uuid, at: &DateTime<Utc>) -> Self {
        if ends_for(&snapshot, viewer) {
            Step::Last(CallEvent::updated(snapshot, at))
        } else {
            Step::Send(CallEvent::updated(snapshot, at))
        }
    }
}

/// After missing events: the call as it is now.
async fn resync(state: &AppState, call_id: Uuid, viewer: Uuid) -> Step {
    match calls::snapshot(&state.db, call_id).await {
        Ok(snapshot) => Step::update(snapshot, viewer, &Utc::now()),
        Err(e) => {
            tracing::warn!(error = ?e, %call_id, "could not resync a call subscriber: ending it");
            Step::End
        }
    }
}

#[derive(Default)]
pub struct CallEventsSubscription;

#[Subscription]
impl CallEventsSubscription {
    /// The events of one call, for its participants: `CallUpdated`, signals sent to the viewer,
    /// annotations and (to the sharer) remote-control requests. Ends after the `CallUpdated`
    /// in which the call ends or the viewer leaves it; a call already over is answered with
    /// one `CallUpdated`.
    async fn call_events(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = CallEvent> + use<>> {
        let viewer = ctx.viewer().require()?.user_id;
        let state = ctx.state()?.clone();
        // Subscribe before checking, so that nothing falls between the check and the stream.
        let deliveries = state.bus.subscribe(Topic::Call(call_id));
        calls::require_participant(&state.db, viewer, call_id).await?;
        let current = calls::snapshot(&state.db, call_id).await?;
        let over = ends_for(&current, viewer);
        let first =
            stream::iter(over.then(|| Step::Last(CallEvent::updated(current, &Utc::now()))));
        let events = deliveries.then(move |delivery| {
            let state = state.clone();
            async move {
                match delivery {
                    Delivery::Event(event) => match event.as_ref() {
                        Event::Call(message) if message.call_id == call_id => {
                            if message.to.is_some_and(|to| to != viewer) {
                                return Step::Skip;
                            }
                            match &message.event {
                                Domain::Updated(snapshot) => {
                                    Step::update((**snapshot).clone(), viewer, &message.at)
                                }
                                _ => Step::Send(CallEvent::from_domain(message)),
                            }
                        }
                        _ => Step::Skip,
                    },
                    Delivery::Lagged(missed) => {
                        tracing::debug!(missed, %call_id, "callEvents subscriber lagged");
                        resync(&state, call_id, viewer).await
                    }
                }
            }
        });
        let stream = first
            .chain(events)
            .flat_map(|step| stream::iter(step.into_items()))
            .take_while(|event| future::ready(event.is_some()))
            .filter_map(future::ready);
        Ok(stream)
    }
}
