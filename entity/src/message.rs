use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A message in a conversation. Ids are time-ordered (UUIDv7) and `created_at` is the id's own
/// millisecond, so ordering by `(created_at, id)` and by `id` agree. Deleting keeps the row
/// (with `deleted_at` set and an empty body) so that history and read markers keep their places.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub conversation_id: Uuid,
    pub author_id: Uuid,
    /// `TEXT`, `IMAGE`, `FILE`, `AUDIO` or `VIDEO`: the first attachment's kind, else `TEXT`.
    pub kind: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub reply_to_id: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub edited_at: Option<DateTimeUtc>,
    pub deleted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
