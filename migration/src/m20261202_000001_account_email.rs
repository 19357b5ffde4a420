//! Accounts by email: whether an account's address was proven, single-use tokens sent by mail
//! (verification, password reset, email change; stored hashed), and the queue of mails waiting
//! to be delivered (sealed, so that a database dump reveals no link).
//!
//! Existing rows: an account created through Google, or linked to a Google identity with the
//! same address, had its address proven by Google.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(boolean(Users::EmailVerified).default(false))
                    .to_owned(),
            )
            .await?;
        let linked_with_same_email = Query::select()
            .expr(Expr::val(1))
            .from(UserIdentities::Table)
            .and_where(
                Expr::col((UserIdentities::Table, UserIdentities::UserId))
                    .equals((Users::Table, Users::Id)),
            )
            .and_where(
                Expr::col((UserIdentities::Table, UserIdentities::Email))
                    .equals((Users::Table, Users::Email)),
            )
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(Users::Table)
                    .value(Users::EmailVerified, true)
                    .cond_where(
                        Cond::any()
                            .add(Expr::col((Users::Table, Users::Provider)).eq("google"))
                            .add(Expr::exists(linked_with_same_email)),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(EmailTokens::Table)
                    .col(pk_uuid(EmailTokens::Id))
                    .col(uuid(EmailTokens::UserId))
                    .col(string(EmailTokens::Purpose))
                    .col(string_uniq(EmailTokens::TokenHash))
                    .col(string(EmailTokens::Email))
                    .col(timestamp_with_time_zone(EmailTokens::CreatedAt))
                    .col(timestamp_with_time_zone(EmailTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(EmailTokens::UsedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_email_tokens_user")
                            .from(EmailTokens::Table, EmailTokens::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_email_tokens_user_purpose")
                    .table(EmailTokens::Table)
                    .col(EmailTokens::UserId)
                    .col(EmailTokens::Purpose)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_email_tokens_expires")
                    .table(EmailTokens::Table)
                    .col(EmailTokens::ExpiresAt)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(OutboundMails::Table)
                    .col(pk_uuid(OutboundMails::Id))
                    .col(text(OutboundMails::Sealed))
                    .col(integer(OutboundMails::Attempts).default(0))
                    .col(timestamp_with_time_zone(OutboundMails::NextAttemptAt))
                    .col(timestamp_with_time_zone(OutboundMails::DiscardAfter))
                    .col(text_null(OutboundMails::LastError))
                    .col(timestamp_with_time_zone(OutboundMails::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_outbound_mails_next_attempt")
                    .table(OutboundMails::Table)
                    .col(OutboundMails::NextAttemptAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            OutboundMails::Table.into_iden(),
            EmailTokens::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::EmailVerified)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    Provider,
    EmailVerified,
}

#[derive(DeriveIden, Clone, Copy)]
enum UserIdentities {
    Table,
    UserId,
    Email,
}

#[derive(DeriveIden, Clone, Copy)]
enum EmailTokens {
    Table,
    Id,
    UserId,
    Purpose,
    TokenHash,
    Email,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OutboundMails {
    Table,
    Id,
    Sealed,
    Attempts,
    NextAttemptAt,
    DiscardAfter,
    LastError,
    CreatedAt,
}
