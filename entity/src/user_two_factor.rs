use sea_orm::entity::prelude::*;

/// A user's TOTP secret. `confirmed_at` is `None` while setup awaits its first code.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "user_two_factor")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub user_id: Uuid,
    /// The secret sealed with `TOTP_ENCRYPTION_KEY` (XChaCha20-Poly1305, bound to the user id).
    #[sea_orm(column_type = "Text")]
    pub secret_sealed: String,
    pub confirmed_at: Option<DateTimeUtc>,
    /// The last accepted TOTP time step: a code for this step or an earlier one is refused.
    pub last_used_step: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
