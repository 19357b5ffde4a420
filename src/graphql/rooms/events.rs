//! `roomEvents(roomId)`: a member's live view of a room. The first message is a
//! `RoomSnapshot` (room, playback, queue, members, who is typing), so a client never races a
//! query against the stream; a subscriber that falls behind the bounded buffer (or whose
//! instance may have missed events from the others) gets a fresh `RoomSnapshot` instead of the
//! events it missed. The subscription ends after `RoomClosed`, or after the subscriber's own
//! `MemberLeft`.
//!
//! The events missed may be the very ones that end the subscription, so a resync first checks
//! that the viewer is still a member of the open room; when not, the stream ends there (with
//! `RoomClosed`, or the viewer's own `MemberLeft`) and nothing more of the room is sent.

use std::{borrow::Cow, sync::Arc};

use async_graphql::{
    Context, ContextSelectionSet, Object, OutputType, Positioned, ServerError, ServerResult,
    SimpleObject, Subscription, Union, Value, parser::types::Field, registry::Registry,
};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt, future, stream};
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::accounts::user::User;
use crate::graphql::player::PlaybackState;
use crate::graphql::rooms::chat::ChatMessage;
use crate::graphql::rooms::{QueueItem, Room, RoomMember, queue_items};
use crate::graphql::{ContextExt, loaders, shared};
use crate::realtime::bus::Delivery;
use crate::realtime::{Event, RoomEvent as Domain, RoomMessage, Topic};
use crate::service::rooms;
use crate::service::rooms::access;
use crate::service::rooms::live::{self, Snapshot};
use crate::state::AppState;

fn ms(at: &DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64
}

/// Everything about the room at one moment: sent first, and again after falling behind.
pub struct RoomSnapshot {
    room: Room,
    playback: PlaybackState,
    queue: Vec<QueueItem>,
    members: Vec<RoomMember>,
    typing: Vec<Uuid>,
    server_time_ms: f64,
}

#[Object]
impl RoomSnapshot {
    async fn room(&self) -> &Room {
        &self.room
    }
    async fn playback(&self) -> &PlaybackState {
        &self.playback
    }
    /// The queue in play order.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::QUEUE_BOUND, child_complexity)"
    )]
    async fn queue(&self) -> &[QueueItem] {
        &self.queue
    }
    /// Members in the order they joined.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::MEMBERS_BOUND, child_complexity)"
    )]
    async fn members(&self) -> &[RoomMember] {
        &self.members
    }
    /// Members typing right now.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::MEMBERS_BOUND, child_complexity)"
    )]
    async fn typing(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        Ok(loaders::users(ctx, &self.typing)
            .await?
            .into_iter()
            .map(User::new)
            .collect())
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// A user event member whose subject is a user id, resolved on demand.
macro_rules! user_event {
    ($name:ident, $doc:literal $(, $field:ident : $ty:ty)*) => {
        #[doc = $doc]
        pub struct $name {
            user_id: Uuid,
            $($field: $ty,)*
            server_time_ms: f64,
        }

        #[Object]
        impl $name {
            async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
                Ok(User::new(loaders::user(ctx, self.user_id).await?))
            }
            $(async fn $field(&self) -> $ty { self.$field.clone() })*
            async fn server_time_ms(&self) -> f64 {
                self.server_time_ms
            }
        }
    };
}

#[derive(SimpleObject)]
pub struct MemberJoined {
    user: User,
    member: RoomMember,
    server_time_ms: f64,
}

user_event!(MemberLeft, "A member left, or was removed (`kicked`) by the host.", kicked: bool);
user_event!(
    PresenceChanged,
    "A member's first `roomEvents` subscription opened, or their last one closed.",
    is_connected: bool
);
user_event!(TypingChanged, "A member started or stopped typing.", is_typing: bool);
user_event!(
    ReadMarkerUpdated,
    "A member read the chat up to `messageId`.",
    message_id: Uuid
);

#[derive(SimpleObject)]
pub struct PlaybackChanged {
    playback: PlaybackState,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct QueueChanged {
    /// The whole queue, in play order.
    queue: Vec<QueueItem>,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct ChatMessagePosted {
    message: ChatMessage,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct ChatMessageEdited {
    message: ChatMessage,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct ChatMessageDeleted {
    message: ChatMessage,
    server_time_ms: f64,
}

/// The host changed (handed over, or the host left). The new host's role is `HOST`; a host who
/// handed over is now a `LISTENER`.
pub struct HostChanged {
    host_id: Uuid,
    previous_host_id: Option<Uuid>,
    server_time_ms: f64,
}

#[Object]
impl HostChanged {
    async fn host(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.host_id).await?))
    }
    async fn previous_host(&self, ctx: &Context<'_>) -> Option<User> {
        let id = self.previous_host_id?;
        loaders::user(ctx, id).await.ok().map(User::new)
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

#[derive(SimpleObject)]
pub struct MemberRoleChanged {
    member: RoomMember,
    server_time_ms: f64,
}

/// The room's settings changed.
#[derive(SimpleObject)]
pub struct RoomUpdated {
    room: Room,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct SkipVotesChanged {
    /// Votes for the current track from connected members.
    votes: i32,
    /// Votes that skip it.
    needed: i32,
    server_time_ms: f64,
}

/// The room closed; the subscription ends.
#[derive(SimpleObject)]
pub struct RoomClosed {
    room_id: Uuid,
    server_time_ms: f64,
}

#[derive(Union)]
pub enum RoomEvent {
    RoomSnapshot(Box<RoomSnapshot>),
    MemberJoined(Box<MemberJoined>),
    MemberLeft(MemberLeft),
    PresenceChanged(PresenceChanged),
    PlaybackChanged(Box<PlaybackChanged>),
    QueueChanged(QueueChanged),
    ChatMessagePosted(ChatMessagePosted),
    ChatMessageEdited(ChatMessageEdited),
    ChatMessageDeleted(ChatMessageDeleted),
    TypingChanged(TypingChanged),
    HostChanged(HostChanged),
    MemberRoleChanged(MemberRoleChanged),
    RoomUpdated(RoomUpdated),
    SkipVotesChanged(SkipVotesChanged),
    ReadMarkerUpdated(ReadMarkerUpdated),
    RoomClosed(RoomClosed),
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

impl RoomEvent {
    fn from_domain(message: &RoomMessage) -> Self {
        let server_time_ms = ms(&message.at);
        match &message.event {
            Domain::MemberJoined { user, member } => Self::MemberJoined(Box::new(MemberJoined {
                user: User::new(user.clone()),
                member: RoomMember(member.clone()),
                server_time_ms,
            })),
            Domain::MemberLeft { user_id, kicked } => Self::MemberLeft(MemberLeft {
                user_id: *user_id,
                kicked: *kicked,
                server_time_ms,
            }),
            Domain::PresenceChanged {
                user_id,
                is_connected,
            } => Self::PresenceChanged(PresenceChanged {
                user_id: *user_id,
                is_connected: *is_connected,
                server_time_ms,
            }),
            Domain::PlaybackChanged { playback, track } => {
                Self::PlaybackChanged(Box::new(PlaybackChanged {
                    playback: PlaybackState::room(playback.clone(), track.clone()),
                    server_time_ms,
                }))
            }
            Domain::QueueChanged { queue } => Self::QueueChanged(QueueChanged {
                queue: queue_items(queue.clone()),
                server_time_ms,
            }),
            Domain::ChatMessagePosted { message } => Self::ChatMessagePosted(ChatMessagePosted {
                message: ChatMessage(message.clone()),
                server_time_ms,
            }),
            Domain::ChatMessageEdited { message } => Self::ChatMessageEdited(ChatMessageEdited {
                message: ChatMessage(message.clone()),
                server_time_ms,
            }),
            Domain::ChatMessageDeleted { message } => {
                Self::ChatMessageDeleted(ChatMessageDeleted {
                    message: ChatMessage(message.clone()),
                    server_time_ms,
                })
            }
            Domain::TypingChanged { user_id, is_typing } => Self::TypingChanged(TypingChanged {
                user_id: *user_id,
                is_typing: *is_typing,
                server_time_ms,
            }),
            Domain::HostChanged {
                host_id,
                previous_host_id,
            } => Self::HostChanged(HostChanged {
                host_id: *host_id,
                previous_host_id: *previous_host_id,
                server_time_ms,
            }),
            Domain::MemberRoleChanged { member } => Self::MemberRoleChanged(MemberRoleChanged {
                member: RoomMember(member.clone()),
                server_time_ms,
            }),
            Domain::RoomUpdated { room } => Self::RoomUpdated(RoomUpdated {
                room: Room(room.clone()),
                server_time_ms,
            }),
            Domain::SkipVotesChanged { votes, needed } => {
                Self::SkipVotesChanged(SkipVotesChanged {
                    votes: count(*votes),
                    needed: count(*needed),
                    server_time_ms,
                })
            }
            Domain::ReadMarkerUpdated {
                user_id,
                message_id,
            } => Self::ReadMarkerUpdated(ReadMarkerUpdated {
                user_id: *user_id,
                message_id: *message_id,
                server_time_ms,
            }),
            Domain::RoomClosed => Self::RoomClosed(RoomClosed {
                room_id: message.room_id,
                server_time_ms,
            }),
        }
    }

    fn snapshot(snapshot: Snapshot) -> Self {
        Self::RoomSnapshot(Box::new(RoomSnapshot {
            room: Room(snapshot.room),
            playback: PlaybackState::room(snapshot.playback, snapshot.track),
            queue: queue_items(snapshot.queue),
            members: snapshot.members.into_iter().map(RoomMember).collect(),
            typing: snapshot.typing,
            server_time_ms: ms(&Utc::now()),
        }))
    }
}

async fn fresh_snapshot(state: &AppState, room_id: Uuid) -> Option<RoomEvent> {
    match live::snapshot(state, room_id).await {
        Ok(snapshot) => Some(RoomEvent::snapshot(snapshot)),
        Err(e) => {
            tracing::warn!(error = ?e, %room_id, "could not build a room snapshot");
            None
        }
    }
}

/// One payload of the stream: an event of the room's topic, the same for every subscriber
/// (resolved once per shape, see [`shared`]), or one of this subscriber's own (a snapshot, or
/// what ended its subscription after a resync).
pub enum RoomEventItem {
    /// Holds an `Event::Room` (see [`RoomEventItem::shared`]).
    Shared(Arc<Event>),
    Own(RoomEvent),
}

impl RoomEventItem {
    fn shared(event: Arc<Event>) -> Option<Self> {
        matches!(event.as_ref(), Event::Room(_)).then_some(Self::Shared(event))
    }

    fn message(event: &Event) -> Option<&RoomMessage> {
        match event {
            Event::Room(message) => Some(message),
            Event::User(_) | Event::Call(_) | Event::Catalog(_) => None,
        }
    }
}

/// The schema sees the `RoomEvent` union.
impl OutputType for RoomEventItem {
    fn type_name() -> Cow<'static, str> {
        <RoomEvent as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <RoomEvent as OutputType>::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        match self {
            Self::Own(event) => event.introspection_type_name(),
            Self::Shared(event) => Self::message(event)
                .map_or_else(<RoomEvent as OutputType>::type_name, |m| {
                    RoomEvent::from_domain(m).introspection_type_name()
                }),
        }
    }

    fn create_type_info(registry: &mut Registry) -> String {
        <RoomEvent as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self {
            Self::Own(event) => event.resolve(ctx, field).await,
            Self::Shared(event) => match Self::message(event) {
                Some(message) => {
                    shared::resolve(ctx, field, &message.renders, || {
                        RoomEvent::from_domain(message)
                    })
                    .await
                }
                None => Err(ServerError::new("not a room event", Some(field.pos))),
            },
        }
    }
}

/// What the subscription does with one delivery.
enum Step {
    Send(RoomEventItem),
    /// Send this, then end.
    Last(RoomEventItem),
    End,
    Skip,
}

impl Step {
    /// The events to send, then `None` where the stream ends.
    fn into_items(self) -> impl Iterator<Item = Option<RoomEventItem>> {
        let (event, ends) = match self {
            Step::Send(event) => (Some(event), false),
            Step::Last(event) => (Some(event), true),
            Step::End => (None, true),
            Step::Skip => (None, false),
        };
        event.map(Some).into_iter().chain(ends.then_some(None))
    }
}

/// After missing events: a fresh snapshot while the viewer is still a member of the open room;
/// otherwise the end, told as what ended it (fails closed: when membership cannot be read, the
/// stream ends and the client may subscribe again).
async fn resync(state: &AppState, room_id: Uuid, user_id: Uuid) -> Step {
    let now = ms(&Utc::now());
    match rooms::require_member_any(state, user_id, room_id).await {
        Ok((room, _)) if room.closed_at.is_some() => {
            Step::Last(RoomEventItem::Own(RoomEvent::RoomClosed(RoomClosed {
                room_id,
                server_time_ms: now,
            })))
        }
        Ok(_) => fresh_snapshot(state, room_id)
            .await
            .map_or(Step::Skip, |snapshot| {
                Step::Send(RoomEventItem::Own(snapshot))
            }),
        Err(AppError::Forbidden(_) | AppError::NotFound(_)) => {
            let kicked = access::is_banned(&state.db, room_id, user_id)
                .await
                .unwrap_or(false);
            Step::Last(RoomEventItem::Own(RoomEvent::MemberLeft(MemberLeft {
                user_id,
                kicked,
                server_time_ms: now,
            })))
        }
        Err(e) => {
            tracing::warn!(error = ?e, %room_id, "could not recheck a room subscriber: ending it");
            Step::End
        }
    }
}

#[derive(Default)]
pub struct RoomEventsSubscription;

#[Subscription]
impl RoomEventsSubscription {
    /// A room's events, for its members only (`NOT_FOUND` for a room the viewer may not see,
    /// `FORBIDDEN` for one they have not joined). Holding this subscription makes the viewer
    /// *connected* to the room (`RoomMember.isConnected`).
    async fn room_events(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = RoomEventItem> + use<>> {
        let viewer = ctx.viewer().require()?;
        let state = ctx.state()?.clone();
        // Subscribe before checking membership and reading the snapshot, so nothing falls
        // between them: a removal right after the check still arrives as the viewer's MemberLeft.
        let deliveries = state.bus.subscribe(Topic::Room(room_id));
        rooms::require_member(&state, viewer.user_id, room_id).await?;
        let counted = state.presence.subscription("roomEvents");
        let connection = live::connect(&state, room_id, viewer.user_id);
        // The snapshot's and the resync's queries are boxed: the stream lives as long as the
        // subscription, and their state would otherwise be part of it the whole time.
        let first = {
            let state = state.clone();
            stream::once(async move { Box::pin(fresh_snapshot(&state, room_id)).await })
        };
        let user_id = viewer.user_id;
        let events = deliveries.then(move |delivery| {
            let state = state.clone();
            async move {
                match delivery {
                    Delivery::Event(event) => {
                        let ends = matches!(event.as_ref(), Event::Room(m) if m.ends_subscription_of(user_id));
                        match RoomEventItem::shared(event) {
                            Some(item) if ends => Step::Last(item),
                            Some(item) => Step::Send(item),
                            None => Step::Skip,
                        }
                    }
                    Delivery::Lagged(missed) => {
                        tracing::debug!(missed, %room_id, "roomEvents subscriber lagged: resyncing");
                        Box::pin(resync(&state, room_id, user_id)).await
                    }
                }
            }
        });
        let stream = first
            .map(|snapshot| {
                snapshot.map_or(Step::Skip, |snapshot| {
                    Step::Send(RoomEventItem::Own(snapshot))
                })
            })
            .chain(events)
            // Up to and including an event that ends this subscription, then stop at once.
            .flat_map(|step| stream::iter(step.into_items()))
            .take_while(|event| future::ready(event.is_some()))
            .filter_map(future::ready)
            .map(move |event| {
                // The subscription counts (and the member is connected) while this stream lives.
                let _held = (&counted, &connection);
                event
            });
        Ok(stream)
    }
}
