//! `userEvents`: the viewer's personal channel (`user:{id}` on the bus), on all their devices.

use async_graphql::{Context, Object, SimpleObject, Subscription, Union};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use uuid::Uuid;

use crate::error::AppError;
use crate::graphql::accounts::user::User;
use crate::graphql::calls::events::{CallUpdated, IncomingCall};
use crate::graphql::messenger::events::{
    ConversationRead, ConversationTyping, ConversationUpdated, MessageDeleted, MessageEdited,
    MessagePosted,
};
use crate::graphql::messenger::types::Conversation;
use crate::graphql::player::PlaybackState;
use crate::graphql::rooms::Room;
use crate::graphql::social::FriendRequest;
use crate::graphql::{ContextExt, loaders};
use crate::realtime::resume::{self, Cursor, Followed, Follower, ReplayError};
use crate::realtime::{Event, Topic, UserEvent as DomainEvent};

fn ms(at: &DateTime<Utc>) -> f64 {
    at.timestamp_millis() as f64
}

#[derive(SimpleObject)]
pub struct ProfileUpdated {
    user: User,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct SessionStarted {
    /// The new session (refresh-token family).
    session_id: Uuid,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct FriendRequestReceived {
    request: FriendRequest,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct FriendRequestAccepted {
    /// Who accepted.
    user: User,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

#[derive(SimpleObject)]
pub struct FriendRequestCancelled {
    request_id: Uuid,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

/// The friendship with `user` ended (from either side).
pub struct FriendRemoved {
    user_id: Uuid,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
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
    /// Where to resume after this event: `userEvents(after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

/// A friend came online or went offline.
pub struct FriendPresenceChanged {
    user_id: Uuid,
    is_online: bool,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
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
    /// Where to resume after this event: `userEvents(after:)`.
    async fn cursor(&self) -> &str {
        &self.cursor
    }
    async fn server_time_ms(&self) -> f64 {
        self.server_time_ms
    }
}

#[derive(SimpleObject)]
pub struct MyPlaybackChanged {
    playback: PlaybackState,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

/// `from` invited the viewer into `room` (which they may now see and join).
#[derive(SimpleObject)]
pub struct RoomInvite {
    room: Room,
    from: User,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
    server_time_ms: f64,
}

/// A WebRTC signal (offer, answer or ICE candidate) relayed from another member of `roomId`.
#[derive(SimpleObject)]
pub struct SignalReceived {
    room_id: Uuid,
    from: User,
    signal: async_graphql::Json<serde_json::Value>,
    /// Where to resume after this event: `userEvents(after:)`.
    cursor: String,
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
    IncomingCall(Box<IncomingCall>),
    CallUpdated(Box<CallUpdated>),
}

impl UserEvent {
    fn from_domain(event: &DomainEvent, cursor: &str) -> Self {
        match event {
            DomainEvent::ProfileUpdated { user, at } => {
                Self::ProfileUpdated(Box::new(ProfileUpdated {
                    user: User::of_viewer(user.clone()),
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::SessionStarted { session_id, at } => {
                Self::SessionStarted(SessionStarted {
                    session_id: *session_id,
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::FriendRequestReceived { request, at } => {
                Self::FriendRequestReceived(FriendRequestReceived {
                    request: FriendRequest(request.clone()),
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::FriendRequestAccepted { user, at } => {
                Self::FriendRequestAccepted(Box::new(FriendRequestAccepted {
                    user: User::new(user.clone()),
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::FriendRequestCancelled { request_id, at } => {
                Self::FriendRequestCancelled(FriendRequestCancelled {
                    request_id: *request_id,
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::FriendRemoved { user_id, at } => Self::FriendRemoved(FriendRemoved {
                user_id: *user_id,
                cursor: cursor.to_owned(),
                server_time_ms: ms(at),
            }),
            DomainEvent::FriendPresenceChanged {
                user_id,
                is_online,
                at,
            } => Self::FriendPresenceChanged(FriendPresenceChanged {
                user_id: *user_id,
                is_online: *is_online,
                cursor: cursor.to_owned(),
                server_time_ms: ms(at),
            }),
            DomainEvent::MyPlaybackChanged { playback, at } => {
                Self::MyPlaybackChanged(MyPlaybackChanged {
                    playback: PlaybackState::personal(*playback),
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                })
            }
            DomainEvent::RoomInvite { room, from, at } => Self::RoomInvite(Box::new(RoomInvite {
                room: Room(room.clone()),
                from: User::new(from.clone()),
                cursor: cursor.to_owned(),
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
                cursor: cursor.to_owned(),
                server_time_ms: ms(at),
            })),
            DomainEvent::MessagePosted { message, at } => {
                Self::MessagePosted(Box::new(MessagePosted {
                    message: message.clone().into(),
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::MessageEdited { message, at } => {
                Self::MessageEdited(Box::new(MessageEdited {
                    message: message.clone().into(),
                    cursor: cursor.to_owned(),
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
                cursor: cursor.to_owned(),
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
                cursor: cursor.to_owned(),
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
                cursor: cursor.to_owned(),
                server_time_ms: ms(at),
            }),
            DomainEvent::ConversationUpdated {
                conversation,
                deleted,
                at,
            } => Self::ConversationUpdated(Box::new(ConversationUpdated {
                conversation: Conversation(conversation.clone()),
                deleted: *deleted,
                cursor: cursor.to_owned(),
                server_time_ms: ms(at),
            })),
            DomainEvent::IncomingCall { call, from, at } => {
                Self::IncomingCall(Box::new(IncomingCall {
                    call: call.clone().into(),
                    from: User::new(from.clone()),
                    cursor: cursor.to_owned(),
                    server_time_ms: ms(at),
                }))
            }
            DomainEvent::CallUpdated { call, at } => Self::CallUpdated(Box::new(CallUpdated {
                call: call.clone().into(),
                cursor: cursor.to_owned(),
                server_time_ms: ms(at),
            })),
        }
    }
}

#[derive(Default)]
pub struct UserEventsSubscription;

#[Subscription]
impl UserEventsSubscription {
    /// Events for the signed-in user only, on every device they are connected with. Each
    /// carries a `cursor`: after a reconnect, `after` set to the last one received first
    /// replays, in order, every event published since (kept for at least 5 minutes), then
    /// goes on live. An older cursor is `CURSOR_EXPIRED`: refetch, then subscribe without it.
    async fn user_events(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = UserEvent> + use<>> {
        let viewer = ctx.viewer().require()?;
        let state = ctx.state()?;
        let after = after.as_deref().map(client_cursor).transpose()?;
        let follower = Follower::start(&state.bus, Topic::User(viewer.user_id), after)
            .await
            .map_err(replay_refused)?;
        let counted = state.presence.subscription("userEvents");
        Ok(futures_util::stream::unfold(
            (follower, counted),
            |(mut follower, counted)| async move {
                loop {
                    // A gap needs nothing more here: personal events are notifications.
                    if let Followed::Event((cursor, event)) = follower.next().await?
                        && let Event::User(e) = event.as_ref()
                    {
                        let item = UserEvent::from_domain(e, &cursor.to_string());
                        return Some((item, (follower, counted)));
                    }
                }
            },
        ))
    }
}

/// A cursor a client sent: `BAD_USER_INPUT` on `after` when it is none of ours,
/// `CURSOR_EXPIRED` when it is older than the log keeps.
pub(crate) fn client_cursor(raw: &str) -> Result<Cursor, AppError> {
    let not_ours = || AppError::bad_input("after", "Not a cursor this server gave out");
    let cursor: Cursor = raw.trim().parse().map_err(|()| not_ours())?;
    let now_ms = Utc::now().timestamp_millis().max(0) as u64;
    match resume::check_age(cursor, now_ms) {
        Ok(true) => Ok(cursor),
        Ok(false) => Err(not_ours()),
        Err(_) => Err(expired()),
    }
}

/// Why a subscription cannot start from the cursor it was given.
pub(crate) fn replay_refused(error: ReplayError) -> AppError {
    match error {
        ReplayError::Expired => expired(),
        ReplayError::Unavailable => {
            AppError::Internal(anyhow::anyhow!("the shared event log is unavailable"))
        }
    }
}

fn expired() -> AppError {
    AppError::CursorExpired(
        "This cursor is older than the server keeps events: refetch, then subscribe without `after`"
            .into(),
    )
}
