//! Listening rooms: the `Room` type, finding rooms, membership, roles and settings.

pub mod chat;
pub mod events;
pub mod playback;

use async_graphql::{Context, Enum, InputObject, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::rooms::{ControlMode, Role, Visibility};
use crate::graphql::accounts::user::User;
use crate::graphql::catalog::Track;
use crate::graphql::connection::{self, Page};
use crate::graphql::player::PlaybackState;
use crate::graphql::{ContextExt, loaders};
use crate::realtime::rooms::events::QueueEntry;
use crate::service::rooms::settings::RoomPatch;
use crate::service::rooms::{self, NewRoom};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RoomVisibility {
    /// Anyone may see and join.
    Public,
    /// The host's friends (and invited users) may see and join.
    Friends,
    /// Users the host invited only.
    Private,
}

impl From<RoomVisibility> for Visibility {
    fn from(v: RoomVisibility) -> Self {
        match v {
            RoomVisibility::Public => Self::Public,
            RoomVisibility::Friends => Self::Friends,
            RoomVisibility::Private => Self::Private,
        }
    }
}

impl From<Visibility> for RoomVisibility {
    fn from(v: Visibility) -> Self {
        match v {
            Visibility::Public => Self::Public,
            Visibility::Friends => Self::Friends,
            Visibility::Private => Self::Private,
        }
    }
}

/// Who may control playback (play, pause, seek, skip, reorder the queue).
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RoomControlMode {
    /// The host only (the default).
    HostOnly,
    /// Every member.
    Everyone,
    /// The host and members with the DJ role.
    Djs,
}

impl From<RoomControlMode> for ControlMode {
    fn from(m: RoomControlMode) -> Self {
        match m {
            RoomControlMode::HostOnly => Self::HostOnly,
            RoomControlMode::Everyone => Self::Everyone,
            RoomControlMode::Djs => Self::Djs,
        }
    }
}

impl From<ControlMode> for RoomControlMode {
    fn from(m: ControlMode) -> Self {
        match m {
            ControlMode::HostOnly => Self::HostOnly,
            ControlMode::Everyone => Self::Everyone,
            ControlMode::Djs => Self::Djs,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RoomRole {
    Host,
    Dj,
    Listener,
}

impl From<Role> for RoomRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Host => Self::Host,
            Role::Dj => Self::Dj,
            Role::Listener => Self::Listener,
        }
    }
}

impl From<RoomRole> for Role {
    fn from(r: RoomRole) -> Self {
        match r {
            RoomRole::Host => Self::Host,
            RoomRole::Dj => Self::Dj,
            RoomRole::Listener => Self::Listener,
        }
    }
}

pub struct Room(pub entity::room::Model);

#[Object]
impl Room {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn host(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.host_id).await?))
    }
    async fn visibility(&self) -> RoomVisibility {
        Visibility::of(&self.0).into()
    }
    async fn control_mode(&self) -> RoomControlMode {
        ControlMode::of(&self.0).into()
    }
    /// Hold playback until every connected member reports ready (or a timeout passes).
    async fn wait_for_all(&self) -> bool {
        self.0.wait_for_all
    }
    /// A skip vote passes when more than this percentage of connected members vote.
    async fn skip_vote_percent(&self) -> i32 {
        self.0.skip_vote_percent
    }
    /// Who joined, in the order they joined, and whether they are connected now.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::MEMBERS_BOUND, child_complexity)"
    )]
    async fn members(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<RoomMember>> {
        Ok(loaders::members(ctx, self.0.id)
            .await?
            .into_iter()
            .map(RoomMember)
            .collect())
    }
    async fn member_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let n = loaders::members(ctx, self.0.id).await?.len();
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    /// Members holding a `roomEvents` subscription to the room right now.
    async fn connected_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let n = ctx.state()?.rooms.presence.connected_count(self.0.id);
        Ok(i32::try_from(n).unwrap_or(i32::MAX))
    }
    async fn playback(&self, ctx: &Context<'_>) -> async_graphql::Result<PlaybackState> {
        let row = loaders::playback(ctx, self.0.id).await?;
        let track = match row.track_id {
            Some(id) => loaders::track(ctx, id).await?,
            None => None,
        };
        let playback = rooms::playback::from_row(&row, track.as_ref());
        Ok(PlaybackState::room(playback, track))
    }
    /// What plays next, in order.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::QUEUE_BOUND, child_complexity)"
    )]
    async fn queue(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<QueueItem>> {
        Ok(loaders::queue(ctx, self.0.id)
            .await?
            .into_iter()
            .map(|item| QueueItem { item, track: None })
            .collect())
    }
    /// Members typing in the chat right now.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::graphql::connection::MEMBERS_BOUND, child_complexity)"
    )]
    async fn typing(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<User>> {
        let ids = ctx.state()?.rooms.typing.typing_in(self.0.id);
        Ok(loaders::users(ctx, &ids)
            .await?
            .into_iter()
            .map(User::new)
            .collect())
    }
    /// How far ahead (ms) starts are scheduled now: twice the highest round trip reported by
    /// connected members, within the server's bounds.
    async fn start_lead_ms(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let lead = rooms::playback::lead_ms(ctx.state()?, self.0.id);
        Ok(i32::try_from(lead).unwrap_or(i32::MAX))
    }
    /// The viewer's role, or `null` when they are not a member.
    async fn viewer_role(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<RoomRole>> {
        Ok(self.viewer_member(ctx).await?.map(|m| Role::of(&m).into()))
    }
    /// Whether the viewer may play, pause, seek, skip and reorder the queue.
    async fn viewer_can_control(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(self
            .viewer_member(ctx)
            .await?
            .is_some_and(|m| rooms::can_control(&self.0, &m)))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
    /// Last activity.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
    /// Set once the room is closed (by the host, or after being idle).
    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.0.closed_at
    }
}

impl Room {
    async fn viewer_member(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<entity::room_user::Model>> {
        let Some(viewer) = ctx.viewer().user_id() else {
            return Ok(None);
        };
        Ok(loaders::members(ctx, self.0.id)
            .await?
            .into_iter()
            .find(|m| m.user_id == viewer))
    }
}

pub struct RoomMember(pub entity::room_user::Model);

#[Object]
impl RoomMember {
    async fn user(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.user_id).await?))
    }
    async fn role(&self) -> RoomRole {
        Role::of(&self.0).into()
    }
    /// Holds at least one `roomEvents` subscription to the room right now.
    async fn is_connected(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        Ok(ctx
            .state()?
            .rooms
            .presence
            .is_connected(self.0.room_id, self.0.user_id))
    }
    async fn joined_at(&self) -> DateTime<Utc> {
        self.0.joined_at
    }
    /// The member asked not to be waited for when the room waits for everyone.
    async fn wait_opt_out(&self) -> bool {
        self.0.wait_opt_out
    }
    /// The newest chat message the member has read.
    async fn last_read_message_id(&self) -> Option<Uuid> {
        self.0.last_read_message_id
    }
}

pub struct QueueItem {
    pub item: entity::room_queue_item::Model,
    pub track: Option<entity::track::Model>,
}

impl From<QueueEntry> for QueueItem {
    fn from(e: QueueEntry) -> Self {
        Self {
            item: e.item,
            track: Some(e.track),
        }
    }
}

pub fn queue_items(entries: Vec<QueueEntry>) -> Vec<QueueItem> {
    entries.into_iter().map(QueueItem::from).collect()
}

#[Object]
impl QueueItem {
    async fn id(&self) -> Uuid {
        self.item.id
    }
    async fn track(&self, ctx: &Context<'_>) -> async_graphql::Result<Track> {
        if let Some(track) = &self.track {
            return Ok(Track(track.clone()));
        }
        Ok(Track(
            loaders::track(ctx, self.item.track_id)
                .await?
                .ok_or_else(|| crate::error::AppError::not_found("Track not found"))?,
        ))
    }
    /// Who put it in the queue.
    async fn added_by(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.item.added_by).await?))
    }
    async fn added_at(&self) -> DateTime<Utc> {
        self.item.created_at
    }
}

#[derive(InputObject)]
pub struct CreateRoomInput {
    /// 1–80 characters.
    name: String,
    #[graphql(default_with = "RoomVisibility::Public")]
    visibility: RoomVisibility,
    /// Default `HOST_ONLY`.
    control_mode: Option<RoomControlMode>,
    /// Default `false`.
    wait_for_all: Option<bool>,
    /// 0–99; default from the server's `ROOM_SKIP_VOTE_PERCENT` (50).
    skip_vote_percent: Option<i32>,
}

/// Omitted fields keep their values.
#[derive(InputObject)]
pub struct UpdateRoomInput {
    name: Option<String>,
    visibility: Option<RoomVisibility>,
    control_mode: Option<RoomControlMode>,
    wait_for_all: Option<bool>,
    skip_vote_percent: Option<i32>,
}

#[derive(Default)]
pub struct RoomQuery;

#[Object]
impl RoomQuery {
    /// A room the viewer may see (closed ones included, with `closedAt`); `null` otherwise.
    async fn room(&self, ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Room>> {
        Ok(rooms::visible(&ctx.state()?.db, ctx.viewer().user_id(), id)
            .await?
            .map(Room))
    }

    /// Open rooms the viewer may see: public rooms, their own, rooms they are invited to and
    /// their friends' FRIENDS rooms; newest activity first.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn rooms(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<Room>> {
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (rows, total) =
            rooms::list(&ctx.state()?.db, ctx.viewer().user_id(), offset, limit).await?;
        Ok(connection::page(
            rows.into_iter().map(Room).collect(),
            offset,
            total,
        ))
    }
}

#[derive(Default)]
pub struct RoomMutation;

#[Object]
impl RoomMutation {
    /// Creates a room with the viewer as its host (and first member).
    async fn create_room(
        &self,
        ctx: &Context<'_>,
        input: CreateRoomInput,
    ) -> async_graphql::Result<Room> {
        let viewer = ctx.viewer().require()?;
        let room = rooms::create(
            ctx.state()?,
            viewer.user_id,
            NewRoom {
                name: &input.name,
                visibility: input.visibility.into(),
                control_mode: input.control_mode.map(Into::into),
                wait_for_all: input.wait_for_all,
                skip_vote_percent: input.skip_vote_percent,
            },
        )
        .await?;
        Ok(Room(room))
    }

    /// Changes the room's settings (host only); members get `RoomUpdated`.
    async fn update_room(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        input: UpdateRoomInput,
    ) -> async_graphql::Result<Room> {
        let viewer = ctx.viewer().require()?;
        let patch = RoomPatch {
            name: input.name.as_deref(),
            visibility: input.visibility.map(Into::into),
            control_mode: input.control_mode.map(Into::into),
            wait_for_all: input.wait_for_all,
            skip_vote_percent: input.skip_vote_percent,
        };
        Ok(Room(
            rooms::settings::update(ctx.state()?, viewer.user_id, room_id, patch).await?,
        ))
    }

    /// Joins a room the viewer may enter (idempotent). The 51st member (by default) is refused
    /// with `FORBIDDEN`: the room is full.
    async fn join_room(&self, ctx: &Context<'_>, room_id: Uuid) -> async_graphql::Result<Room> {
        let viewer = ctx.viewer().require()?;
        Ok(Room(
            rooms::membership::join(ctx.state()?, viewer.user_id, room_id).await?,
        ))
    }

    /// Leaves the room; `false` when the viewer was not a member. A leaving host hands the
    /// room to the longest-present member.
    async fn leave_room(&self, ctx: &Context<'_>, room_id: Uuid) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(rooms::membership::leave(ctx.state()?, viewer.user_id, room_id).await?)
    }

    /// Closes the room for good (host only).
    async fn close_room(&self, ctx: &Context<'_>, room_id: Uuid) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(rooms::membership::close(ctx.state()?, viewer.user_id, room_id).await?)
    }

    /// Invites a friend; they get `RoomInvite` and may then see and join the room. Only the host
    /// invites into a PRIVATE room, and only the host's invitations admit into one (a member's
    /// invitation stops admitting when the room becomes PRIVATE).
    async fn invite_to_room(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        user_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(rooms::access::invite(ctx.state()?, viewer.user_id, room_id, user_id).await?)
    }

    /// Removes a member (host only); they may not rejoin until the host invites them again.
    async fn kick_from_room(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        user_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(rooms::membership::kick(ctx.state()?, viewer.user_id, room_id, user_id).await?)
    }

    /// Hands the host role to another member (host only); the previous host becomes a listener.
    async fn transfer_host(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        user_id: Uuid,
    ) -> async_graphql::Result<Room> {
        let viewer = ctx.viewer().require()?;
        Ok(Room(
            rooms::membership::transfer_host(ctx.state()?, viewer.user_id, room_id, user_id)
                .await?,
        ))
    }

    /// Makes a member a `DJ` or a `LISTENER` (host only).
    async fn set_room_role(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        user_id: Uuid,
        role: RoomRole,
    ) -> async_graphql::Result<RoomMember> {
        let viewer = ctx.viewer().require()?;
        Ok(RoomMember(
            rooms::membership::set_role(
                ctx.state()?,
                viewer.user_id,
                room_id,
                user_id,
                role.into(),
            )
            .await?,
        ))
    }

    /// Whether the room should not wait for the viewer when it waits for everyone.
    async fn set_wait_opt_out(
        &self,
        ctx: &Context<'_>,
        room_id: Uuid,
        opt_out: bool,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(
            rooms::settings::set_wait_opt_out(ctx.state()?, viewer.user_id, room_id, opt_out)
                .await?,
        )
    }
}
