use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "call_participants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub call_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// `RINGING`, `JOINED`, `DECLINED`, `MISSED`, `BUSY` or `LEFT`.
    pub state: String,
    pub audio_muted: bool,
    pub video_muted: bool,
    /// `LOW`, `MEDIUM` or `HIGH`.
    pub quality: String,
    /// When the participant was rung or first joined.
    pub invited_at: DateTimeUtc,
    pub joined_at: Option<DateTimeUtc>,
    pub left_at: Option<DateTimeUtc>,
    /// The call's creation, copied for the history's order.
    pub call_created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
