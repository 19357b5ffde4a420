use sea_orm::entity::prelude::*;

/// A mail waiting to be delivered. Deleted once the mail server took it (or once it is no
/// longer worth sending).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbound_mails")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// The envelope and the formatted message, sealed (XChaCha20-Poly1305, bound to `id`): the
    /// message holds a single-use link.
    #[sea_orm(column_type = "Text")]
    pub sealed: String,
    /// Delivery attempts started so far; also what a worker claims the row by.
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// When the mail is dropped unsent (its link has expired by then).
    pub discard_after: DateTimeUtc,
    /// What the mail server said the last time, without the message.
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
