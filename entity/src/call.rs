use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A call: one-to-one, a conference, or a listening room's voice channel (`room_id`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "calls")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `AUDIO` or `VIDEO`.
    pub kind: String,
    /// `RINGING`, `ACTIVE` or `ENDED`.
    pub state: String,
    /// Placed to one user (not a conference, not room voice).
    pub one_to_one: bool,
    pub initiator_id: Uuid,
    pub conversation_id: Option<Uuid>,
    pub room_id: Option<Uuid>,
    /// A one-to-one call's `"<low id>:<high id>"` until it ends (unique).
    pub active_pair: Option<String>,
    /// A room voice call's room until it ends (unique).
    pub active_room_id: Option<Uuid>,
    /// When ringing participants become `MISSED` (Unix epoch ms); `NULL` once nobody rings.
    pub ring_deadline_ms: Option<i64>,
    pub share_user_id: Option<Uuid>,
    pub share_has_audio: bool,
    /// `LOW`, `MEDIUM` or `HIGH` while someone shares.
    pub share_quality: Option<String>,
    pub share_controller_id: Option<Uuid>,
    pub share_started_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    /// The first answer.
    pub started_at: Option<DateTimeUtc>,
    pub ended_at: Option<DateTimeUtc>,
    /// `HANGUP`, `DECLINED`, `MISSED` or `BUSY` once ended.
    pub end_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
