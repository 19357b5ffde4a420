//! Domain events. Services publish them after their transaction commits; the GraphQL layer turns
//! them into subscription payloads, filtered by what each subscriber may see.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::calls::AnnotationKind;
use crate::domain::playback::PlaybackState;
use crate::realtime::RoomMessage;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Event {
    User(UserEvent),
    Room(RoomMessage),
    Call(CallMessage),
    /// Catalog rows changed (see `service::catalog::cache`).
    Catalog(CatalogChange),
}

/// Catalog rows that changed or are gone: news for every instance's catalog cache.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct CatalogChange {
    pub artists: Vec<Uuid>,
    pub tracks: Vec<Uuid>,
}

impl CatalogChange {
    pub fn artist(id: Uuid) -> Self {
        Self {
            artists: vec![id],
            tracks: Vec::new(),
        }
    }

    pub fn track(id: Uuid) -> Self {
        Self {
            artists: Vec::new(),
            tracks: vec![id],
        }
    }
}

/// Events on a user's personal channel (`user:{id}`), delivered to all of their devices.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum UserEvent {
    /// The user's profile changed (from any device).
    ProfileUpdated {
        user: entity::user::Model,
        at: DateTime<Utc>,
    },
    /// A new session signed in (login, registration or Google sign-in).
    SessionStarted { session_id: Uuid, at: DateTime<Utc> },
    /// To the receiver of a new friend request.
    FriendRequestReceived {
        request: entity::friend_request::Model,
        at: DateTime<Utc>,
    },
    /// To the requester: `user` accepted.
    FriendRequestAccepted {
        user: entity::user::Model,
        at: DateTime<Utc>,
    },
    /// To the receiver: the requester withdrew the request.
    FriendRequestCancelled { request_id: Uuid, at: DateTime<Utc> },
    /// To both sides of a removed friendship: `user_id` is the other side.
    FriendRemoved { user_id: Uuid, at: DateTime<Utc> },
    /// To each friend of `user_id` when their online state changes.
    FriendPresenceChanged {
        user_id: Uuid,
        is_online: bool,
        at: DateTime<Utc>,
    },
    /// The user's personal player changed (from any of their devices).
    MyPlaybackChanged {
        playback: PlaybackState,
        at: DateTime<Utc>,
    },
    /// `from` invited the user into `room`.
    RoomInvite {
        room: entity::room::Model,
        from: entity::user::Model,
        at: DateTime<Utc>,
    },
    /// A WebRTC signal (offer, answer, ICE candidate: opaque JSON) from another room member.
    SignalReceived {
        room_id: Uuid,
        from: entity::user::Model,
        signal: serde_json::Value,
        at: DateTime<Utc>,
    },
    /// A message was posted in one of the user's conversations (by anyone, the user included).
    MessagePosted {
        message: ConversationMessage,
        at: DateTime<Utc>,
    },
    /// A message of one of the user's conversations was edited.
    MessageEdited {
        message: ConversationMessage,
        at: DateTime<Utc>,
    },
    /// A message of one of the user's conversations was deleted.
    MessageDeleted {
        conversation_id: Uuid,
        message_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A member of one of the user's conversations moved their read marker.
    ConversationRead {
        conversation_id: Uuid,
        user_id: Uuid,
        last_read_message_id: Uuid,
        at: DateTime<Utc>,
    },
    /// A member of one of the user's conversations started or stopped typing.
    ConversationTyping {
        conversation_id: Uuid,
        user_id: Uuid,
        is_typing: bool,
        at: DateTime<Utc>,
    },
    /// A conversation was created, or its members or title changed; also to members who were
    /// added or left. `deleted` when its last member left.
    ConversationUpdated {
        conversation: entity::conversation::Model,
        deleted: bool,
        at: DateTime<Utc>,
    },
    /// `from` calls the user (to every device of theirs).
    IncomingCall {
        call: CallSnapshot,
        from: entity::user::Model,
        at: DateTime<Utc>,
    },
    /// A call the user takes part in changed (state, participants, media, screen share).
    CallUpdated {
        call: CallSnapshot,
        at: DateTime<Utc>,
    },
}

/// A call and its participants, read together after a change.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallSnapshot {
    pub call: entity::call::Model,
    pub participants: Vec<entity::call_participant::Model>,
}

/// What travels on a call's topic (`call:{id}`); `to` set: for that one user's devices only.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CallMessage {
    pub call_id: Uuid,
    pub to: Option<Uuid>,
    pub event: CallEvent,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum CallEvent {
    Updated(Box<CallSnapshot>),
    /// A WebRTC signal (offer, answer, ICE candidate: opaque JSON).
    Signal {
        from: Uuid,
        signal: serde_json::Value,
    },
    Annotation {
        from: Uuid,
        kind: AnnotationKind,
        data: serde_json::Value,
    },
    RemoteControlRequested {
        from: Uuid,
    },
}

/// A conversation's message as it travels in events: the row and its attachments in order.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ConversationMessage {
    pub message: entity::message::Model,
    pub attachments: Vec<entity::attachment::Model>,
}
