use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A file attached to a message. Until it is sent (`message_id` NULL) it belongs to its uploader
/// alone. Kind and MIME type come from the file's content; `name` is the uploader's file name,
/// shown back and never used as a path.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "attachments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub uploader_id: Uuid,
    pub message_id: Option<Uuid>,
    /// Order within the message.
    pub position: i32,
    /// `IMAGE`, `FILE`, `AUDIO` or `VIDEO`.
    pub kind: String,
    pub name: String,
    pub mime_type: String,
    pub size_bytes: i64,
    pub width: Option<i32>,
    pub height: Option<i32>,
    pub duration_ms: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
