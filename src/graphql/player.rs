//! The personal player: each user controls only their own playback, shared by their devices.

use async_graphql::{Context, InputObject, Object};
use uuid::Uuid;

use crate::domain::playback::PlaybackState as State;
use crate::domain::room_rules::RoomPlayback;
use crate::graphql::accounts::user::User;
use crate::graphql::catalog::Track;
use crate::graphql::{ContextExt, loaders};
use crate::service::player::{self, Request};

/// A player's state: the personal player's, or a room's (which adds waiting for everyone).
pub struct PlaybackState(pub State, pub Option<Box<RoomExtras>>);

/// What only a room's playback has: the hold (waiting for members to be ready), and the loaded
/// track when the caller already has it.
pub struct RoomExtras {
    pub hold: Option<crate::domain::room_rules::Hold>,
    pub track: Option<entity::track::Model>,
}

impl PlaybackState {
    pub fn personal(state: State) -> Self {
        Self(state, None)
    }

    fn extras(&self) -> Option<&RoomExtras> {
        self.1.as_deref()
    }

    pub fn room(playback: RoomPlayback, track: Option<entity::track::Model>) -> Self {
        Self(
            playback.core,
            Some(Box::new(RoomExtras {
                hold: playback.hold,
                track,
            })),
        )
    }
}

#[Object]
impl PlaybackState {
    /// `null` when nothing is loaded.
    async fn track(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Track>> {
        let Some(loaded) = self.0.track else {
            return Ok(None);
        };
        if let Some(track) = self
            .extras()
            .and_then(|e| e.track.as_ref())
            .filter(|t| t.id == loaded.track_id)
        {
            return Ok(Some(Track(track.clone())));
        }
        Ok(loaders::track(ctx, loaded.track_id).await?.map(Track))
    }
    /// Rooms only: playback is held until these connected members report ready (see
    /// `reportPlaybackStatus`); empty when not waiting.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::MEMBERS_BOUND, child_complexity)"
    )]
    async fn waiting_for(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        let Some(hold) = self.extras().and_then(|e| e.hold.as_ref()) else {
            return Ok(Vec::new());
        };
        Ok(loaders::users(ctx, &hold.waiting_for)
            .await?
            .into_iter()
            .map(User::new)
            .collect())
    }
    /// Rooms only: while waiting, when playback starts anyway (server clock, Unix epoch ms).
    async fn wait_deadline_ms(&self) -> Option<f64> {
        self.extras()
            .and_then(|e| e.hold.as_ref())
            .map(|h| h.deadline_ms as f64)
    }
    async fn is_playing(&self) -> bool {
        self.0.is_playing
    }
    /// The position at the server instant `anchorTimeMs`.
    async fn position_ms(&self) -> i32 {
        i32::try_from(self.0.position_ms).unwrap_or(i32::MAX)
    }
    /// Server clock, Unix epoch ms.
    async fn anchor_time_ms(&self) -> f64 {
        self.0.anchor_time_ms as f64
    }
    /// +1 on every change.
    async fn version(&self) -> i32 {
        i32::try_from(self.0.version).unwrap_or(i32::MAX)
    }
}

#[derive(InputObject)]
pub struct UpdatePlaybackInput {
    track_id: Uuid,
    position_ms: i32,
    is_playing: bool,
}

#[derive(Default)]
pub struct PlayerQuery;

#[Object]
impl PlayerQuery {
    /// The viewer's own player; `null` before they ever played anything.
    async fn my_playback(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<PlaybackState>> {
        let viewer = ctx.viewer().require()?;
        Ok(player::current(ctx.state()?, viewer.user_id)
            .await?
            .map(PlaybackState::personal))
    }
}

#[derive(Default)]
pub struct PlayerMutation;

#[Object]
impl PlayerMutation {
    /// Plays `trackId` from `positionMs` (default 0) on the viewer's player.
    async fn play_track(
        &self,
        ctx: &Context<'_>,
        track_id: Uuid,
        position_ms: Option<i32>,
    ) -> async_graphql::Result<PlaybackState> {
        run(
            ctx,
            Request::Play {
                track_id,
                position_ms: position_ms.map(i64::from),
            },
        )
        .await
    }

    /// Pauses at `positionMs`, or where playback is now.
    async fn pause_playback(
        &self,
        ctx: &Context<'_>,
        position_ms: Option<i32>,
    ) -> async_graphql::Result<PlaybackState> {
        run(
            ctx,
            Request::Pause {
                position_ms: position_ms.map(i64::from),
            },
        )
        .await
    }

    /// Sets track, position and playing state at once.
    async fn update_playback(
        &self,
        ctx: &Context<'_>,
        input: UpdatePlaybackInput,
    ) -> async_graphql::Result<PlaybackState> {
        let request = Request::Update {
            track_id: input.track_id,
            position_ms: i64::from(input.position_ms),
            is_playing: input.is_playing,
        };
        run(ctx, request).await
    }
}

async fn run(ctx: &Context<'_>, request: Request) -> async_graphql::Result<PlaybackState> {
    let viewer = ctx.viewer().require()?;
    let state = player::apply(ctx.state()?, viewer.user_id, request).await?;
    Ok(PlaybackState::personal(state))
}
