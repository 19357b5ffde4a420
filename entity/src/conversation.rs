use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// A conversation between friends: `DIRECT` (two users, one conversation per pair: the ordered
/// pair `direct_user_a < direct_user_b` is unique) or `GROUP` (with a title and an owner).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, Serialize, Deserialize)]
#[sea_orm(table_name = "conversations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `DIRECT` or `GROUP`.
    pub kind: String,
    /// Groups only.
    pub title: Option<String>,
    pub direct_user_a: Option<Uuid>,
    pub direct_user_b: Option<Uuid>,
    pub created_at: DateTimeUtc,
    /// The last activity: a message, or a change of members or title.
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
