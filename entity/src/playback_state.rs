use sea_orm::entity::prelude::*;

/// A user's personal player, shared by all their devices.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "playback_states")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    pub track_id: Option<Uuid>,
    pub is_playing: bool,
    /// Position at the server instant `anchor_time_ms`.
    pub position_ms: i64,
    /// Server clock, Unix epoch milliseconds.
    pub anchor_time_ms: i64,
    pub version: i64,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
