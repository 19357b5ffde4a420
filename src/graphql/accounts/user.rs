//! The `User` type as others and as the user themself see it.

use async_graphql::{Context, Object};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::graphql::social::FriendshipStatus;
use crate::graphql::{ContextExt, loaders};
use crate::service::social::Relation;

pub struct User(pub entity::user::Model, Owner);

/// Whether the viewer is this user: decided from the request's viewer, or known up front (the
/// user in an `AuthPayload` is the caller even though the request carried no token).
enum Owner {
    FromViewer,
    Viewer,
}

impl User {
    pub fn new(model: entity::user::Model) -> Self {
        Self(model, Owner::FromViewer)
    }

    /// The user is the caller themself.
    pub fn of_viewer(model: entity::user::Model) -> Self {
        Self(model, Owner::Viewer)
    }

    fn is_viewer(&self, ctx: &Context<'_>) -> bool {
        match self.1 {
            Owner::Viewer => true,
            Owner::FromViewer => ctx.viewer().user_id() == Some(self.0.id),
        }
    }
}

#[Object]
impl User {
    async fn id(&self) -> Uuid {
        self.0.id
    }

    async fn username(&self) -> &str {
        &self.0.username
    }

    /// Unique, permanent handle: `<username stem>#<digits>`.
    async fn tag(&self) -> &str {
        &self.0.tag
    }

    async fn avatar_url(&self) -> Option<&str> {
        self.0.avatar_url.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// Only visible to the user themself; `null` for everyone else.
    async fn email(&self, ctx: &Context<'_>) -> Option<&str> {
        self.is_viewer(ctx).then_some(self.0.email.as_str())
    }

    /// Only meaningful to the user themself; `false` for everyone else.
    async fn two_factor_enabled(&self, ctx: &Context<'_>) -> bool {
        self.is_viewer(ctx) && self.0.two_factor_enabled
    }

    /// Whether the user proved that `email` is theirs (a verification link, a password reset,
    /// a confirmed email change, or Google). Only meaningful to the user themself; `false` for
    /// everyone else.
    async fn email_verified(&self, ctx: &Context<'_>) -> bool {
        self.is_viewer(ctx) && self.0.email_verified
    }

    /// The viewer's relation to this user (`NONE` for anonymous viewers).
    async fn friendship(&self, ctx: &Context<'_>) -> async_graphql::Result<FriendshipStatus> {
        if self.is_viewer(ctx) {
            return Ok(FriendshipStatus::Itself);
        }
        let Some(viewer) = ctx.viewer().user_id() else {
            return Ok(FriendshipStatus::None);
        };
        Ok(loaders::relation(ctx, viewer, self.0.id).await?.into())
    }

    /// Whether the user has at least one open real-time connection. Only the user themself and
    /// their friends learn it; `false` for everyone else (anonymous viewers included).
    async fn is_online(&self, ctx: &Context<'_>) -> async_graphql::Result<bool> {
        // Offline says nothing, so only an online user costs a (batched) friendship lookup.
        if !ctx.state()?.presence.is_online(self.0.id) {
            return Ok(false);
        }
        if self.is_viewer(ctx) {
            return Ok(true);
        }
        let Some(viewer) = ctx.viewer().user_id() else {
            return Ok(false);
        };
        Ok(loaders::relation(ctx, viewer, self.0.id).await? == Relation::Friends)
    }
}
