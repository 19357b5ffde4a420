use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    /// argon2id PHC string; `None` for accounts that only sign in through a provider. Never
    /// serialised (events carry users between instances; the hash stays in the database).
    #[serde(skip, default)]
    pub password_hash: Option<String>,
    pub username: String,
    #[sea_orm(unique)]
    pub tag: String,
    pub avatar_url: Option<String>,
    /// `local` or `google`.
    pub provider: String,
    /// `user` or `admin`.
    pub role: String,
    pub two_factor_enabled: bool,
    /// Whether the account's owner proved that `email` is theirs: a verification link, a
    /// password reset or an email change confirmed from that inbox, or Google vouching for it.
    /// Defaults to `false` when absent from an event sent by an older instance.
    #[serde(default)]
    pub email_verified: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
