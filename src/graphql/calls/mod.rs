//! Calls: one-to-one, conferences and room voice. Resolvers parse arguments and call
//! [`crate::service::calls`]; the types are in [`types`], the events in [`events`].

pub mod events;
pub mod types;

use async_graphql::{
    Context, InputObject, Json, Object,
    connection::{Connection, Edge},
};
use uuid::Uuid;

use crate::domain::calls as rules;
use crate::domain::keyset::{Key, page_size};
use crate::error::AppError;
use crate::graphql::ContextExt;
use crate::graphql::connection::{Page, Total};
use crate::service::calls::{self, history, ice, media, relay, start, transitions};
use types::{AnnotationKind, Call, CallKind, CallParticipant, IceServer, MediaQuality};

#[derive(InputObject)]
pub struct StartCallInput {
    kind: CallKind,
    /// Friends to call: one for a one-to-one call, several for a conference.
    user_ids: Option<Vec<Uuid>>,
    /// A conversation of the viewer's: its other members are called.
    conversation_id: Option<Uuid>,
    /// A listening room the viewer is a member of: its voice call (started, or joined).
    room_id: Option<Uuid>,
}

#[derive(InputObject)]
pub struct CallMediaInput {
    audio_muted: Option<bool>,
    video_muted: Option<bool>,
    quality: Option<MediaQuality>,
}

#[derive(InputObject)]
pub struct ScreenAnnotationInput {
    kind: AnnotationKind,
    /// At most 16 KiB of JSON (`CALL_ANNOTATION_MAX_BYTES`), relayed as it is.
    data: Json<serde_json::Value>,
}

#[derive(Default)]
pub struct CallQuery;

#[Object]
impl CallQuery {
    /// A call the viewer takes part in; `null` for everyone else.
    async fn call(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Call>> {
        let viewer = ctx.viewer().require()?;
        Ok(calls::visible(&ctx.state()?.db, viewer.user_id, id)
            .await?
            .map(Call::new))
    }

    /// The viewer's calls, newest first: placed, answered, declined, missed and busy ones.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn calls(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Call>> {
        let viewer = ctx.viewer().require()?;
        let limit = page_size("first", first)?;
        let cursor = Key::parse_arg("after", after.as_deref())?;
        let page = history::list(&ctx.state()?.db, viewer.user_id, limit, cursor).await?;
        let mut connection = Connection::with_additional_fields(
            cursor.is_some(),
            page.has_more,
            Total {
                total_count: i32::try_from(page.total).unwrap_or(i32::MAX),
            },
        );
        connection.edges.extend(
            page.calls
                .into_iter()
                .map(|c| Edge::new(Key::new(c.created_at, c.id).encode(), Call::new(c))),
        );
        Ok(connection)
    }

    /// STUN and TURN servers for WebRTC; TURN credentials are short-lived
    /// (`TURN_CREDENTIAL_TTL_SECS`).
    async fn ice_servers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<IceServer>> {
        let viewer = ctx.viewer().require()?;
        Ok(ice::servers(ctx.state()?, viewer.user_id)
            .into_iter()
            .map(|s| IceServer {
                urls: s.urls,
                username: s.username,
                credential: s.credential,
            })
            .collect())
    }
}

#[derive(Default)]
pub struct CallMutation;

#[Object]
impl CallMutation {
    /// Places a call to friends (`userIds`), to a conversation's members (`conversationId`), or
    /// starts (or joins) a room's voice call (`roomId`): exactly one of them.
    async fn start_call(
        &self,
        ctx: &Context<'_>,
        input: StartCallInput,
    ) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        let target = match (input.user_ids, input.conversation_id, input.room_id) {
            (Some(users), None, None) => start::Target::Users(users),
            (None, Some(id), None) => start::Target::Conversation(id),
            (None, None, Some(id)) => start::Target::Room(id),
            _ => {
                return Err(AppError::bad_input(
                    "input",
                    "Give exactly one of userIds, conversationId and roomId",
                )
                .into());
            }
        };
        let kind: rules::CallKind = input.kind.into();
        Ok(start::start(ctx.state()?, viewer.user_id, kind, target)
            .await?
            .into())
    }

    /// Answers a call that rings the viewer (on one device; the others stop ringing).
    async fn accept_call(&self, ctx: &Context<'_>, call_id: Uuid) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(transitions::accept(ctx.state()?, viewer.user_id, call_id)
            .await?
            .into())
    }

    async fn decline_call(&self, ctx: &Context<'_>, call_id: Uuid) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(transitions::decline(ctx.state()?, viewer.user_id, call_id)
            .await?
            .into())
    }

    /// Rejoins a call, or joins a room's voice call.
    async fn join_call(&self, ctx: &Context<'_>, call_id: Uuid) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(transitions::join(ctx.state()?, viewer.user_id, call_id)
            .await?
            .into())
    }

    async fn leave_call(&self, ctx: &Context<'_>, call_id: Uuid) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(transitions::leave(ctx.state()?, viewer.user_id, call_id)
            .await?
            .into())
    }

    /// Ends the call for everyone: its initiator (a room's host for room voice).
    async fn end_call(&self, ctx: &Context<'_>, call_id: Uuid) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(transitions::end(ctx.state()?, viewer.user_id, call_id)
            .await?
            .into())
    }

    /// Relays a WebRTC signal (offer, answer, ICE candidate; at most 16 KiB of JSON) to one
    /// participant's devices on `callEvents`. Both must be ringing or joined.
    async fn send_call_signal(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        to_user_id: Uuid,
        signal: Json<serde_json::Value>,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(relay::send_signal(ctx.state()?, viewer.user_id, call_id, to_user_id, signal.0).await?)
    }

    /// The viewer's microphone, camera and quality in a call they are joined in.
    async fn set_call_media(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        input: CallMediaInput,
    ) -> async_graphql::Result<CallParticipant> {
        let viewer = ctx.viewer().require()?;
        let change = media::MediaChange {
            audio_muted: input.audio_muted,
            video_muted: input.video_muted,
            quality: input.quality.map(Into::into),
        };
        Ok(CallParticipant(
            media::set_media(ctx.state()?, viewer.user_id, call_id, change).await?,
        ))
    }

    /// Shares the viewer's screen; one sharer at a time (`CONFLICT` otherwise).
    async fn start_screen_share(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        has_audio: bool,
        quality: MediaQuality,
    ) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(media::start_share(
            ctx.state()?,
            viewer.user_id,
            call_id,
            has_audio,
            quality.into(),
        )
        .await?
        .into())
    }

    async fn stop_screen_share(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
    ) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(media::stop_share(ctx.state()?, viewer.user_id, call_id)
            .await?
            .into())
    }

    /// Asks the sharer for remote control (`RemoteControlRequested` on their `callEvents`).
    async fn request_remote_control(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(relay::request_remote_control(ctx.state()?, viewer.user_id, call_id).await?)
    }

    /// The sharer grants remote control to a joined participant, or revokes it (`null`).
    async fn set_remote_control(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        user_id: Option<Uuid>,
    ) -> async_graphql::Result<Call> {
        let viewer = ctx.viewer().require()?;
        Ok(
            media::set_remote_control(ctx.state()?, viewer.user_id, call_id, user_id)
                .await?
                .into(),
        )
    }

    /// Relays an annotation of the shared screen to everyone in the call, while someone shares.
    async fn add_screen_annotation(
        &self,
        ctx: &Context<'_>,
        call_id: Uuid,
        input: ScreenAnnotationInput,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(relay::annotate(
            ctx.state()?,
            viewer.user_id,
            call_id,
            input.kind.into(),
            input.data.0,
        )
        .await?)
    }
}
