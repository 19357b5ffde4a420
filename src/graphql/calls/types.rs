//! The calls' GraphQL types: `Call`, `CallParticipant`, `ScreenShare`, `IceServer` and their
//! enums (the domain's, exposed as they are). Participants and users go through DataLoaders, so
//! a page of history costs a fixed number of statements; a call read with its participants
//! (after a change, in events) is shown as read.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use entity::{call, call_participant};
use uuid::Uuid;

use crate::domain::calls;
use crate::graphql::accounts::user::User;
use crate::graphql::connection::bounded_cost;
use crate::graphql::loaders;
use crate::realtime::CallSnapshot;

/// Costing bound of a call's participants: the default `CALL_MAX_PARTICIPANTS`.
pub const PARTICIPANTS_BOUND: usize = 50;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::calls::CallKind")]
pub enum CallKind {
    Audio,
    Video,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::calls::CallState")]
pub enum CallState {
    /// Placed, nobody answered yet.
    Ringing,
    /// From the first answer.
    Active,
    Ended,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::calls::ParticipantState")]
pub enum ParticipantState {
    Ringing,
    Joined,
    Declined,
    Missed,
    /// In another call, or rung by too many calls, when this one was placed.
    Busy,
    Left,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::calls::CallEndReason")]
pub enum CallEndReason {
    Hangup,
    Declined,
    Missed,
    Busy,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::calls::MediaQuality")]
pub enum MediaQuality {
    Low,
    Medium,
    High,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "crate::domain::calls::AnnotationKind")]
pub enum AnnotationKind {
    Draw,
    Pointer,
    Text,
    /// Clears the annotations drawn so far.
    Clear,
}

pub struct Call {
    call: call::Model,
    /// Read with the call (after a change); loaded on demand otherwise.
    participants: Option<Vec<call_participant::Model>>,
}

impl Call {
    pub fn new(call: call::Model) -> Self {
        Self {
            call,
            participants: None,
        }
    }
}

impl From<CallSnapshot> for Call {
    fn from(s: CallSnapshot) -> Self {
        Self {
            call: s.call,
            participants: Some(s.participants),
        }
    }
}

#[Object]
impl Call {
    async fn id(&self) -> Uuid {
        self.call.id
    }
    async fn kind(&self) -> CallKind {
        calls::CallKind::parse(&self.call.kind)
            .unwrap_or(calls::CallKind::Audio)
            .into()
    }
    async fn state(&self) -> CallState {
        calls::CallState::of(&self.call.state).into()
    }
    /// Placed in this conversation.
    async fn conversation_id(&self) -> Option<Uuid> {
        self.call.conversation_id
    }
    /// The voice channel of this listening room.
    async fn room_id(&self) -> Option<Uuid> {
        self.call.room_id
    }
    /// Placed to one user (not a conference, not room voice).
    async fn is_one_to_one(&self) -> bool {
        self.call.one_to_one
    }
    async fn initiator(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.call.initiator_id).await?))
    }
    /// In the order they were rung or joined.
    #[graphql(complexity = "bounded_cost(PARTICIPANTS_BOUND, child_complexity)")]
    async fn participants(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CallParticipant>> {
        let rows = match &self.participants {
            Some(rows) => rows.clone(),
            None => loaders::call_participants(ctx, self.call.id).await?,
        };
        Ok(rows.into_iter().map(CallParticipant).collect())
    }
    /// `null` while nobody shares their screen.
    async fn screen_share(&self) -> Option<ScreenShare> {
        let user_id = self.call.share_user_id?;
        Some(ScreenShare {
            user_id,
            has_audio: self.call.share_has_audio,
            quality: self
                .call
                .share_quality
                .as_deref()
                .map_or(calls::MediaQuality::Medium, calls::MediaQuality::of)
                .into(),
            controller_id: self.call.share_controller_id,
            started_at: self.call.share_started_at.unwrap_or(self.call.created_at),
        })
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.call.created_at
    }
    /// The first answer (room voice: its start).
    async fn started_at(&self) -> Option<DateTime<Utc>> {
        self.call.started_at
    }
    async fn ended_at(&self) -> Option<DateTime<Utc>> {
        self.call.ended_at
    }
    async fn end_reason(&self) -> Option<CallEndReason> {
        self.call
            .end_reason
            .as_deref()
            .and_then(calls::CallEndReason::parse)
            .map(Into::into)
    }
    /// From the first answer to the end (or to now while it lasts); `null` when nobody
    /// answered.
    async fn duration_ms(&self) -> Option<f64> {
        let started = self.call.started_at?;
        let until = self.call.ended_at.unwrap_or_else(Utc::now);
        Some((until - started).num_milliseconds().max(0) as f64)
    }
}

pub struct CallParticipant(pub call_participant::Model);

#[Object]
impl CallParticipant {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.user_id).await?))
    }
    async fn state(&self) -> ParticipantState {
        calls::ParticipantState::of(&self.0.state).into()
    }
    async fn audio_muted(&self) -> bool {
        self.0.audio_muted
    }
    async fn video_muted(&self) -> bool {
        self.0.video_muted
    }
    async fn quality(&self) -> MediaQuality {
        calls::MediaQuality::of(&self.0.quality).into()
    }
    async fn joined_at(&self) -> Option<DateTime<Utc>> {
        self.0.joined_at
    }
    async fn left_at(&self) -> Option<DateTime<Utc>> {
        self.0.left_at
    }
}

pub struct ScreenShare {
    user_id: Uuid,
    has_audio: bool,
    quality: MediaQuality,
    controller_id: Option<Uuid>,
    started_at: DateTime<Utc>,
}

#[Object]
impl ScreenShare {
    /// Who shares.
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.user_id).await?))
    }
    async fn has_audio(&self) -> bool {
        self.has_audio
    }
    async fn quality(&self) -> MediaQuality {
        self.quality
    }
    /// Whom the sharer lets control their screen.
    async fn remote_controller(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.controller_id {
            Some(id) => Ok(Some(User::new(loaders::user(ctx, id).await?))),
            None => Ok(None),
        }
    }
    async fn started_at(&self) -> DateTime<Utc> {
        self.started_at
    }
}

/// A STUN or TURN server for `RTCPeerConnection`'s `iceServers`.
#[derive(SimpleObject)]
pub struct IceServer {
    pub urls: Vec<String>,
    /// TURN: `<expiry unix time>:<user id>`.
    pub username: Option<String>,
    /// TURN: base64(HMAC-SHA1(shared secret, username)).
    pub credential: Option<String>,
}
