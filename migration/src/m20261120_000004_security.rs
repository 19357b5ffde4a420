//! Account security: TOTP secrets (sealed), recovery codes (hashed), identities at OpenID
//! providers, and the pending state of browser sign-ins through a provider.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(UserTwoFactor::Table)
                    .col(pk_uuid(UserTwoFactor::UserId))
                    .col(text(UserTwoFactor::SecretSealed))
                    .col(timestamp_with_time_zone_null(UserTwoFactor::ConfirmedAt))
                    .col(big_integer_null(UserTwoFactor::LastUsedStep))
                    .col(timestamp_with_time_zone(UserTwoFactor::CreatedAt))
                    .col(timestamp_with_time_zone(UserTwoFactor::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_two_factor_user")
                            .from(UserTwoFactor::Table, UserTwoFactor::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RecoveryCodes::Table)
                    .col(pk_uuid(RecoveryCodes::Id))
                    .col(uuid(RecoveryCodes::UserId))
                    .col(string(RecoveryCodes::CodeHash))
                    .col(timestamp_with_time_zone_null(RecoveryCodes::UsedAt))
                    .col(timestamp_with_time_zone(RecoveryCodes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_recovery_codes_user")
                            .from(RecoveryCodes::Table, RecoveryCodes::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_recovery_codes_user_code")
                    .table(RecoveryCodes::Table)
                    .col(RecoveryCodes::UserId)
                    .col(RecoveryCodes::CodeHash)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(UserIdentities::Table)
                    .col(pk_uuid(UserIdentities::Id))
                    .col(uuid(UserIdentities::UserId))
                    .col(string(UserIdentities::Issuer))
                    .col(string(UserIdentities::Subject))
                    .col(string_null(UserIdentities::Email))
                    .col(timestamp_with_time_zone(UserIdentities::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_user_identities_user")
                            .from(UserIdentities::Table, UserIdentities::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_issuer_subject")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::Issuer)
                    .col(UserIdentities::Subject)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_user_identities_user")
                    .table(UserIdentities::Table)
                    .col(UserIdentities::UserId)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OidcLoginStates::Table)
                    .col(string(OidcLoginStates::StateHash).primary_key())
                    .col(string(OidcLoginStates::BrowserHash))
                    .col(text(OidcLoginStates::Nonce))
                    .col(text(OidcLoginStates::PkceVerifier))
                    .col(timestamp_with_time_zone(OidcLoginStates::CreatedAt))
                    .col(timestamp_with_time_zone(OidcLoginStates::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_oidc_login_states_expires")
                    .table(OidcLoginStates::Table)
                    .col(OidcLoginStates::ExpiresAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OidcLoginStates::Table.into_iden(),
            UserIdentities::Table.into_iden(),
            RecoveryCodes::Table.into_iden(),
            UserTwoFactor::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserTwoFactor {
    Table,
    UserId,
    SecretSealed,
    ConfirmedAt,
    LastUsedStep,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RecoveryCodes {
    Table,
    Id,
    UserId,
    CodeHash,
    UsedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserIdentities {
    Table,
    Id,
    UserId,
    Issuer,
    Subject,
    Email,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OidcLoginStates {
    Table,
    StateHash,
    BrowserHash,
    Nonce,
    PkceVerifier,
    CreatedAt,
    ExpiresAt,
}
