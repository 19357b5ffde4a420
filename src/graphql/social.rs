//! Friends, friend requests and finding people.

use async_graphql::{Context, Enum, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::accounts::user::User;
use crate::graphql::connection::{self, Page};
use crate::graphql::{ContextExt, loaders};
use crate::service::social::{self, Direction, Relation};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum FriendshipStatus {
    None,
    Friends,
    RequestSent,
    RequestReceived,
    #[graphql(name = "SELF")]
    Itself,
}

impl From<Relation> for FriendshipStatus {
    fn from(r: Relation) -> Self {
        match r {
            Relation::None => Self::None,
            Relation::Friends => Self::Friends,
            Relation::RequestSent => Self::RequestSent,
            Relation::RequestReceived => Self::RequestReceived,
            Relation::Itself => Self::Itself,
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum RequestDirection {
    Incoming,
    Outgoing,
}

pub struct FriendRequest(pub entity::friend_request::Model);

#[Object]
impl FriendRequest {
    async fn id(&self) -> Uuid {
        self.0.id
    }
    async fn requester(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.requester_id).await?))
    }
    async fn receiver(&self, ctx: &Context<'_>) -> async_graphql::Result<User> {
        Ok(User::new(loaders::user(ctx, self.0.receiver_id).await?))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

#[derive(Default)]
pub struct SocialQuery;

#[Object]
impl SocialQuery {
    /// The viewer's friends, by username.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn friends(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Page<User>> {
        let viewer = ctx.viewer().require()?;
        let (offset, limit) = connection::window(first, after.as_deref())?;
        let (users, total) =
            social::friends_page(&ctx.state()?.db, viewer.user_id, offset, limit).await?;
        Ok(connection::page(
            users.into_iter().map(User::new).collect(),
            offset,
            total,
        ))
    }

    /// Pending requests to (`INCOMING`) or from (`OUTGOING`) the viewer, newest first.
    #[graphql(
        complexity = "crate::graphql::connection::bounded_cost(crate::service::social::REQUESTS_LISTED as usize, child_complexity)"
    )]
    async fn friend_requests(
        &self,
        ctx: &Context<'_>,
        direction: RequestDirection,
    ) -> async_graphql::Result<Vec<FriendRequest>> {
        let viewer = ctx.viewer().require()?;
        let direction = match direction {
            RequestDirection::Incoming => Direction::Incoming,
            RequestDirection::Outgoing => Direction::Outgoing,
        };
        let rows = social::requests(&ctx.state()?.db, viewer.user_id, direction).await?;
        Ok(rows.into_iter().map(FriendRequest).collect())
    }

    /// People by exact tag (`ann#0520`) or by username or tag prefix, case-insensitive.
    #[graphql(complexity = "crate::graphql::connection::cost(first, child_complexity)")]
    async fn search_users(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<User>> {
        ctx.viewer().require()?;
        let (_, limit) = connection::window(first, None)?;
        let users = social::search_users(&ctx.state()?.db, &query, limit).await?;
        Ok(users.into_iter().map(User::new).collect())
    }
}

#[derive(Default)]
pub struct SocialMutation;

#[Object]
impl SocialMutation {
    /// Asks `userId` to be friends. If they already asked you, this is `CONFLICT`: accept theirs.
    async fn send_friend_request(
        &self,
        ctx: &Context<'_>,
        user_id: Uuid,
    ) -> async_graphql::Result<FriendRequest> {
        let viewer = ctx.viewer().require()?;
        Ok(FriendRequest(
            social::send_request(ctx.state()?, viewer.user_id, user_id).await?,
        ))
    }

    /// Accepts a request sent to the viewer; returns the new friend.
    async fn accept_friend_request(
        &self,
        ctx: &Context<'_>,
        request_id: Uuid,
    ) -> async_graphql::Result<User> {
        let viewer = ctx.viewer().require()?;
        Ok(User::new(
            social::accept(ctx.state()?, viewer.user_id, request_id).await?,
        ))
    }

    async fn decline_friend_request(
        &self,
        ctx: &Context<'_>,
        request_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(social::decline(ctx.state()?, viewer.user_id, request_id).await?)
    }

    /// Withdraws a request the viewer sent.
    async fn cancel_friend_request(
        &self,
        ctx: &Context<'_>,
        request_id: Uuid,
    ) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(social::cancel(ctx.state()?, viewer.user_id, request_id).await?)
    }

    /// `false` when you were not friends.
    async fn remove_friend(&self, ctx: &Context<'_>, user_id: Uuid) -> async_graphql::Result<bool> {
        let viewer = ctx.viewer().require()?;
        Ok(social::remove_friend(ctx.state()?, viewer.user_id, user_id).await?)
    }
}
