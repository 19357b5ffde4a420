use sea_orm::entity::prelude::*;

/// An invitation into a room (`INVITED`) or a ban from it (`BANNED`, after a kick).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_access")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `INVITED` or `BANNED`.
    pub kind: String,
    pub granted_by: Uuid,
    /// Whether the room's host granted it (bans always; invitations when the inviter was the
    /// host). Only a host's invitation admits into a `PRIVATE` room.
    pub by_host: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
