use sea_orm::entity::prelude::*;

/// A room's shared playback, written only with compare-and-set on `version`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "room_playback")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub room_id: Uuid,
    pub track_id: Option<Uuid>,
    /// Identifies this play of the track (the queue item it came from, or a fresh id).
    pub item_id: Option<Uuid>,
    pub is_playing: bool,
    /// Position at the server instant `anchor_time_ms`.
    pub position_ms: i64,
    /// Server clock, Unix epoch milliseconds (may lie ahead for a scheduled start).
    pub anchor_time_ms: i64,
    pub version: i64,
    /// While holding for everyone to be ready: a JSON array of the user ids still awaited.
    pub waiting_for: Option<String>,
    /// While holding: when the room starts anyway (Unix epoch ms).
    pub wait_deadline_ms: Option<i64>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
