use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "tracks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    pub genre: Option<String>,
    pub artist_id: Uuid,
    pub uploaded_by: Option<Uuid>,
    pub duration_ms: i64,
    /// Container/codec name as probed, e.g. `mp3`, `flac`.
    pub format: String,
    pub mime_type: String,
    pub bitrate: Option<i32>,
    pub sample_rate: Option<i32>,
    pub size_bytes: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
