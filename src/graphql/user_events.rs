//! `userEvents`: the viewer's personal channel (`user:{id}` on the bus), on all their devices.

use async_graphql::{Context, Object, SimpleObject, Subscription, Union};
use chrono::{DateTime, Utc};
use futures_util::{Stream, StreamExt};
use uuid::Uuid;

use crate::graphql::accounts::user::User;
use crate::graphql::messenger::events::{
    ConversationRead, ConversationTyping, ConversationUpdated, MessageDeleted, MessageEdited,
    MessagePosted,
};
use crate::graphql::messenger::types::Conversation;
use crate::graphql::player::PlaybackState;
use crate::graphql::rooms::Room;
use crate::graphql::social::FriendRequest;
use crate::graphql::{ContextExt, loaders};
use crate::realtime::bus::Delivery;
use crate::realtime::{Event, Topic, UserEvent as DomainEvent};

fn ms(at: &DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64
}

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

#[derive(SimpleObject)]
pub struct FriendRequestReceived {
    request: FriendRequest,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct FriendRequestAccepted {
    /// Who accepted.
    user: User,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct FriendRequestCancelled {
    request_id: Uuid,
    server_time_ms: f64,
}

/// The friendship with `user` ended (from either side).
pub struct FriendRemoved {
    user_id: Uuid,
    server_time_ms: f64,
}

#[Object]
impl FriendRemoved {
    async fn user_id(&self) -> Uuid {
        self.user_id
    }
    /// `null` if that account no longer exists.
    async fn user(&self, ctx: &Context<'_>) -> Option<User> {
        loaders::user(ctx, self.user_id).await.ok().map(User::new)
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// A friend came online or went offline.
pub struct FriendPresenceChanged {
    user_id: Uuid,
    is_online: bool,
    server_time_ms: f64,
}

#[Object]
impl FriendPresenceChanged {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.user_id).await?))
    }
    async fn is_online(&self) -> bool {
        self.is_online
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

#[derive(SimpleObject)]
pub struct MyPlaybackChanged {
    playback: PlaybackState,
    server_time_ms: f64,
}

/// `from` invited the viewer into `room` (which they may now see and join).
#[derive(SimpleObject)]
pub struct RoomInvite {
    room: Room,
    from: User,
    server_time_ms: f64,
}

/// A WebRTC signal (offer, answer or ICE candidate) relayed from another member of `roomId`.
#[derive(SimpleObject)]
pub struct SignalReceived {
    room_id: Uuid,
    from: User,
    signal: async_graphql::Json<serde_json::Value>,
    server_time_ms: f64,
}

#[derive(Union)]
pub enum UserEvent {
    ProfileUpdated(Box<ProfileUpdated>),
    SessionStarted(SessionStarted),
    FriendRequestReceived(FriendRequestReceived),
    FriendRequestAccepted(Box<FriendRequestAccepted>),
    FriendRequestCancelled(FriendRequestCancelled),
    FriendRemoved(FriendRemoved),
    FriendPresenceChanged(FriendPresenceChanged),
    MyPlaybackChanged(MyPlaybackChanged),
    RoomInvite(Box<RoomInvite>),
    SignalReceived(Box<SignalReceived>),
    MessagePosted(Box<MessagePosted>),
    MessageEdited(Box<MessageEdited>),
    MessageDeleted(MessageDeleted),
    ConversationRead(ConversationRead),
    ConversationTyping(ConversationTyping),
    ConversationUpdated(Box<ConversationUpdated>),
}

impl UserEvent {
    fn from_domain(event: &DomainEvent) -> Self {
        match event {
            DomainEvent::ProfileUpdated { user, at } => {
                Self::ProfileUpdated(Box::new(ProfileUpdated {
                    user: User::of_viewer(user.clone()),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::SessionStarted { session_id, at } => {
                Self::SessionStarted(SessionStarted {
                    session_id: *session_id,
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::FriendRequestReceived { request, at } => {
                Self::FriendRequestReceived(FriendRequestReceived {
                    request: FriendRequest(request.clone()),
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::FriendRequestAccepted { user, at } => {
                Self::FriendRequestAccepted(Box::new(FriendRequestAccepted {
                    user: User::new(user.clone()),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::FriendRequestCancelled { request_id, at } => {
                Self::FriendRequestCancelled(FriendRequestCancelled {
                    request_id: *request_id,
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::FriendRemoved { user_id, at } => Self::FriendRemoved(FriendRemoved {
                user_id: *user_id,
                server_time_ms: ms(at),
            }),
            DomainEvent::FriendPresenceChanged {
                user_id,
                is_online,
                at,
            } => Self::FriendPresenceChanged(FriendPresenceChanged {
                user_id: *user_id,
                is_online: *is_online,
                server_time_ms: ms(at),
            }),
            DomainEvent::MyPlaybackChanged { playback, at } => {
                Self::MyPlaybackChanged(MyPlaybackChanged {
                    playback: PlaybackState::personal(*playback),
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::RoomInvite { room, from, at } => Self::RoomInvite(Box::new(RoomInvite {
                room: Room(room.clone()),
                from: User::new(from.clone()),
                server_time_ms: ms(at),
            })),
            DomainEvent::SignalReceived {
                room_id,
                from,
                signal,
                at,
            } => Self::SignalReceived(Box::new(SignalReceived {
                room_id: *room_id,
                from: User::new(from.clone()),
                signal: async_graphql::Json(signal.clone()),
                server_time_ms: ms(at),
            })),
            DomainEvent::MessagePosted { message, at } => {
                Self::MessagePosted(Box::new(MessagePosted {
                    message: message.clone().into(),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::MessageEdited { message, at } => {
                Self::MessageEdited(Box::new(MessageEdited {
                    message: message.clone().into(),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::MessageDeleted {
                conversation_id,
                message_id,
                at,
            } => Self::MessageDeleted(MessageDeleted {
                conversation_id: *conversation_id,
                message_id: *message_id,
                server_time_ms: ms(at),
            }),
            DomainEvent::ConversationRead {
                conversation_id,
                user_id,
                last_read_message_id,
                at,
            } => Self::ConversationRead(ConversationRead {
                conversation_id: *conversation_id,
                user_id: *user_id,
                last_read_message_id: *last_read_message_id,
                server_time_ms: ms(at),
            }),
            DomainEvent::ConversationTyping {
                conversation_id,
                user_id,
                is_typing,
                at,
            } => Self::ConversationTyping(ConversationTyping {
                conversation_id: *conversation_id,
                user_id: *user_id,
                is_typing: *is_typing,
                server_time_ms: ms(at),
            }),
            DomainEvent::ConversationUpdated {
                conversation,
                deleted,
                at,
            } => Self::ConversationUpdated(Box::new(ConversationUpdated {
                conversation: Conversation(conversation.clone()),
                deleted: *deleted,
                server_time_ms: ms(at),
            })),
        }
    }
}

#[derive(Default)]
pub struct UserEventsSubscription;

#[Subscription]
impl UserEventsSubscription {
    /// Events for the signed-in user only, on every device they are connected with.
    async fn user_events(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<impl Stream<Item = UserEvent> + use<>> {
        let viewer = ctx.viewer().require()?;
        let state = ctx.state()?;
        let guard = state.presence.subscription("userEvents");
        let stream = state
            .bus
            .subscribe(Topic::User(viewer.user_id))
            .filter_map(move |delivery| {
                let _counted = &guard;
                async move {
                    match delivery {
                        Delivery::Event(event) => match event.as_ref() {
                            Event::User(e) => Some(UserEvent::from_domain(e)),
                            Event::Room(_) | Event::Catalog(_) => None,
                        },
                        // Personal events are notifications; a client this far behind refetches.
                        Delivery::Lagged(n) => {
                            tracing::warn!(missed = n, "userEvents subscriber lagged");
                            None
                        }
                    }
                }
            });
        Ok(stream)
    }
}
