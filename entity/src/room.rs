use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "rooms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub host_id: Uuid,
    /// `PUBLIC`, `FRIENDS` or `PRIVATE`.
    pub visibility: String,
    pub created_at: DateTimeUtc,
    /// Last activity: any change, and (refreshed periodically) while a member is connected.
    pub updated_at: DateTimeUtc,
    pub closed_at: Option<DateTimeUtc>,
    /// Who may control playback: `HOST_ONLY`, `EVERYONE` or `DJS`.
    pub control_mode: String,
    /// Hold playback until every connected member reports ready.
    pub wait_for_all: bool,
    /// A skip vote passes when more than this percentage of connected members vote.
    pub skip_vote_percent: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
