//! `userEvents`: the viewer's personal channel (`user:{id}` on the bus), on all their devices.

use async_graphql::{Context, SimpleObject, Subscription, Union};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use super::{ContextExt, user::User};
use crate::realtime::{Event, Topic, UserEvent as DomainEvent, bus::Delivery};

#[derive(SimpleObject)]
pub struct ProfileUpdated {
    user: User,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct SessionStarted {
    /// The new session (refresh-token family).
    session_id: Uuid,
    server_time_ms: f64,
}

#[derive(Union)]
pub enum UserEvent {
    ProfileUpdated(Box<ProfileUpdated>),
    SessionStarted(SessionStarted),
}

impl UserEvent {
    fn from_domain(event: &DomainEvent) -> Self {
        match event {
            DomainEvent::ProfileUpdated { user, at } => {
                Self::ProfileUpdated(Box::new(ProfileUpdated {
                    user: User::of_viewer(user.clone()),
                    server_time_ms: at.timestamp_millis() as f64,
                }))
            }
            DomainEvent::SessionStarted { session_id, at } => {
                Self::SessionStarted(SessionStarted {
                    session_id: *session_id,
                    server_time_ms: at.timestamp_millis() as f64,
                })
            }
        }
    }
}

#[derive(Default)]
pub struct UserEventsSubscription;

#[Subscription]
impl UserEventsSubscription {
    /// Events for the signed-in user only.
    async fn user_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = UserEvent> + use<>> {
        let viewer = ctx.viewer().require()?;
        let state = ctx.state()?;
        let stream =
            state
                .bus
                .subscribe(Topic::User(viewer.user_id))
                .filter_map(|delivery| async move {
                    match delivery {
                        Delivery::Event(event) => match event.as_ref() {
                            Event::User(e) => Some(UserEvent::from_domain(e)),
                        },
                        // Personal events are notifications; a client this far behind refetches.
                        Delivery::Lagged(n) => {
                            tracing::warn!(missed = n, "userEvents subscriber lagged");
                            None
                        }
                    }
                });
        Ok(stream)
    }
}
