//! A room's shared playback and queue: commands, readiness and latency reports, skip votes.

use async_graphql::{Context, Enum, Object, SimpleObject};
use uuid::Uuid;

use crate::graphql::ContextExt;
use crate::graphql::player::PlaybackState;
use crate::graphql::rooms::{QueueItem, queue_items};
use crate::service::rooms::playback::{self, Request};
use crate::service::rooms::queue;

/// A member's readiness for the room's current track.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum MemberPlaybackStatus {
    /// Loading; a room that waits for everyone holds playback for this member.
    Buffering,
    /// Loaded at the held position and able to start.
    Ready,
}

#[derive(SimpleObject)]
pub struct SkipVoteResult {
    /// Votes for the current track from connected members.
    votes: i32,
    /// Votes that skip it: more than the room's share of connected members.
    needed: i32,
    /// The vote skipped the track.
    skipped: bool,
}

fn int(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

async fn run(
    ctx: &Context<'_>,
    room_id: Uuid,
    request: Request,
    expected_version: Option<i32>,
) -> async_graphql::Result<PlaybackState> {
    let viewer = ctx.viewer().require()?;
    let (playback, track) = playback::command(
        ctx.state()?,
        viewer.user_id,
        room_id,
        request,
        expected_version.map(i64::from),
    )
    .await?;
    Ok(PlaybackState::room(playback, track))
}

#[derive(Default)]
pub struct RoomPlaybackMutation;

/// Playback commands need control of the room (see `Room.controlMode`). Each takes an optional
/// `expectedVersion`: when the room's playback is at another version the command is refused
/// with `CONFLICT` (without it, concurrent commands are all applied in some order). Starts are
/// scheduled `Room.startLeadMs` ahead (`anchorTimeMs` in the future).
#[Object]
impl RoomPlaybackMutation {
    /// Plays `trackId` from `positionMs` (default 0). Without `trackId`: resumes the current
    /// track (from `positionMs` when given), or starts the queue's first item when nothing is
    /// loaded.
    async fn room_play(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        track_id: Option<Uuid>,
        position_ms: Option<i32>,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<PlaybackState> {
        let request = Request::Play {
            track_id,
            position_ms: position_ms.map(i64::from),
        };
        run(ctx, room_id, request, expected_version).await
    }

    /// Pauses where playback is now.
    async fn room_pause(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<PlaybackState> {
        run(ctx, room_id, Request::Pause, expected_version).await
    }

    async fn room_seek(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        position_ms: i32,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<PlaybackState> {
        let request = Request::Seek {
            position_ms: i64::from(position_ms),
        };
        run(ctx, room_id, request, expected_version).await
    }

    /// Plays the queue's first item (taking it off the queue), or stops when the queue is
    /// empty.
    async fn room_skip(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        expected_version: Option<i32>,
    ) -> async_graphql::Result<PlaybackState> {
        run(ctx, room_id, Request::Skip, expected_version).await
    }

    /// Any member: reports whether they have `trackId` (the room's current track) loaded.
    /// Reports about another track are ignored.
    async fn report_playback_status(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        track_id: Uuid,
        status: MemberPlaybackStatus,
    ) -> async_graphql::Result<PlaybackState> {
        let request = match status {
            MemberPlaybackStatus::Ready => Request::Ready { track_id },
            MemberPlaybackStatus::Buffering => Request::Buffering { track_id },
        };
        run(ctx, room_id, request, None).await
    }

    /// Any member: reports the round trip (ms) measured with `serverTime`, so that starts are
    /// scheduled late enough for them. Counts while the member has a `roomEvents` subscription.
    /// Returns the room's start lead now (ms).
    async fn report_latency(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        rtt_ms: i32,
    ) -> async_graphql::Result<i32> {
        let viewer = ctx.viewer().require()?;
        let lead =
            playback::report_latency(ctx.state()?, viewer.user_id, room_id, i64::from(rtt_ms))
                .await?;
        Ok(i32::try_from(lead).unwrap_or(i32::MAX))
    }

    /// Any member: votes to skip the current track. It is skipped when the votes of connected
    /// members are more than the room's `skipVotePercent` of connected members.
    async fn vote_skip(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
    ) -> async_graphql::Result<SkipVoteResult> {
        let viewer = ctx.viewer().require()?;
        let outcome =
            crate::service::rooms::votes::vote_skip(ctx.state()?, viewer.user_id, room_id).await?;
        Ok(SkipVoteResult {
            votes: int(outcome.votes),
            needed: int(outcome.needed),
            skipped: outcome.skipped,
        })
    }

    /// Any member: adds a track at the end of the queue; returns the queue.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::QUEUE_BOUND, child_complexity)"
    )]
    async fn enqueue_track(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        track_id: Uuid,
    ) -> async_graphql::Result<Vec<QueueItem>> {
        let viewer = ctx.viewer().require()?;
        let queue = queue::enqueue(ctx.state()?, viewer.user_id, room_id, track_id).await?;
        Ok(queue_items(queue))
    }

    /// Whoever added the item, or anyone who controls playback: takes it off the queue.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::QUEUE_BOUND, child_complexity)"
    )]
    async fn remove_queue_item(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        item_id: Uuid,
    ) -> async_graphql::Result<Vec<QueueItem>> {
        let viewer = ctx.viewer().require()?;
        let queue = queue::remove(ctx.state()?, viewer.user_id, room_id, item_id).await?;
        Ok(queue_items(queue))
    }

    /// Those who control playback: moves an item to `position` (0 plays next).
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::QUEUE_BOUND, child_complexity)"
    )]
    async fn move_queue_item(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        item_id: Uuid,
        position: i32,
    ) -> async_graphql::Result<Vec<QueueItem>> {
        let viewer = ctx.viewer().require()?;
        let queue = queue::move_item(
            ctx.state()?,
            viewer.user_id,
            room_id,
            item_id,
            i64::from(position),
        )
        .await?;
        Ok(queue_items(queue))
    }
}
