//! Events on a room's topic (`room:{id}`). Each carries what subscribers need to render it, so
//! that fanning one event out to every member costs no extra queries per member.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::room_rules::RoomPlayback;
use crate::realtime::renders::Renders;

/// One event on `room:{room_id}`, stamped with the server time it happened at.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoomMessage {
    pub room_id: Uuid,
    pub at: DateTime<Utc>,
    pub event: RoomEvent,
    /// The subscription payloads rendered from this event in this process.
    #[serde(skip)]
    pub renders: Renders,
}

/// A queue entry with its track, as shown to clients.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct QueueEntry {
    pub item: entity::room_queue_item::Model,
    pub track: entity::track::Model,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum RoomEvent {
    MemberJoined {
        user: entity::user::Model,
        member: entity::room_user::Model,
    },
    /// `kicked`: removed by the host rather than leaving.
    MemberLeft {
        user_id: Uuid,
        kicked: bool,
    },
    /// The member's first subscription to the room opened, or their last one closed.
    PresenceChanged {
        user_id: Uuid,
        is_connected: bool,
    },
    PlaybackChanged {
        playback: RoomPlayback,
        track: Option<entity::track::Model>,
    },
    QueueChanged {
        queue: Vec<QueueEntry>,
    },
    ChatMessagePosted {
        message: entity::chat_message::Model,
    },
    ChatMessageEdited {
        message: entity::chat_message::Model,
    },
    ChatMessageDeleted {
        message: entity::chat_message::Model,
    },
    TypingChanged {
        user_id: Uuid,
        is_typing: bool,
    },
    HostChanged {
        host_id: Uuid,
        previous_host_id: Option<Uuid>,
    },
    MemberRoleChanged {
        member: entity::room_user::Model,
    },
    RoomUpdated {
        room: entity::room::Model,
    },
    SkipVotesChanged {
        votes: usize,
        needed: usize,
    },
    ReadMarkerUpdated {
        user_id: Uuid,
        message_id: Uuid,
    },
    RoomClosed,
}

impl RoomMessage {
    pub fn new(room_id: Uuid, event: RoomEvent) -> Self {
        Self {
            room_id,
            at: Utc::now(),
            event,
            renders: Renders::default(),
        }
    }

    /// Whether a subscription of `user_id` ends after this event (they left or were removed,
    /// or the room closed).
    pub fn ends_subscription_of(&self, user_id: Uuid) -> bool {
        match &self.event {
            RoomEvent::RoomClosed => true,
            RoomEvent::MemberLeft { user_id: who, .. } => *who == user_id,
            _ => false,
        }
    }
}
