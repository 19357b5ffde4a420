//! The messenger: conversations (direct ones unique per pair of users, groups), their members
//! with roles and read markers, messages, and attachments.
//!
//! - A direct conversation stores its two users as the ordered pair `(direct_user_a <
//!   direct_user_b)` under a unique index, so two racing opens of the same pair cannot create
//!   two conversations. Groups leave both columns NULL (NULLs never collide in a unique index,
//!   on SQLite and PostgreSQL alike).
//! - A deleted message keeps its row (empty body, `deleted_at` set); its attachments' rows go.
//! - An attachment belongs to its uploader (`message_id` NULL) until it is sent in a message.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Conversations::Table)
                    .col(pk_uuid(Conversations::Id))
                    .col(string(Conversations::Kind))
                    .col(string_null(Conversations::Title))
                    .col(uuid_null(Conversations::DirectUserA))
                    .col(uuid_null(Conversations::DirectUserB))
                    .col(timestamp_with_time_zone(Conversations::CreatedAt))
                    .col(timestamp_with_time_zone(Conversations::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_conversations_direct_a",
                        Conversations::Table,
                        Conversations::DirectUserA,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_conversations_direct_b",
                        Conversations::Table,
                        Conversations::DirectUserB,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_conversations_direct_pair")
                    .table(Conversations::Table)
                    .col(Conversations::DirectUserA)
                    .col(Conversations::DirectUserB)
                    .unique()
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ConversationMembers::Table)
                    .col(uuid(ConversationMembers::ConversationId))
                    .col(uuid(ConversationMembers::UserId))
                    .col(string(ConversationMembers::Role))
                    .col(timestamp_with_time_zone(ConversationMembers::JoinedAt))
                    .col(uuid_null(ConversationMembers::LastReadMessageId))
                    .primary_key(
                        Index::create()
                            .col(ConversationMembers::ConversationId)
                            .col(ConversationMembers::UserId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_conversation_members_conversation",
                        ConversationMembers::Table,
                        ConversationMembers::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_conversation_members_user",
                        ConversationMembers::Table,
                        ConversationMembers::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_conversation_members_user",
            ConversationMembers::Table,
            &[ConversationMembers::UserId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Messages::Table)
                    .col(pk_uuid(Messages::Id))
                    .col(uuid(Messages::ConversationId))
                    .col(uuid(Messages::AuthorId))
                    .col(string(Messages::Kind))
                    .col(text(Messages::Body))
                    .col(uuid_null(Messages::ReplyToId))
                    .col(timestamp_with_time_zone(Messages::CreatedAt))
                    .col(timestamp_with_time_zone_null(Messages::EditedAt))
                    .col(timestamp_with_time_zone_null(Messages::DeletedAt))
                    .foreign_key(&mut cascade(
                        "fk_messages_conversation",
                        Messages::Table,
                        Messages::ConversationId,
                        Conversations::Table,
                        Conversations::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_messages_author",
                        Messages::Table,
                        Messages::AuthorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_messages_reply_to")
                            .from(Messages::Table, Messages::ReplyToId)
                            .to(Messages::Table, Messages::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_messages_conversation_time",
            Messages::Table,
            &[Messages::ConversationId, Messages::CreatedAt, Messages::Id],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attachments::Table)
                    .col(pk_uuid(Attachments::Id))
                    .col(uuid(Attachments::UploaderId))
                    .col(uuid_null(Attachments::MessageId))
                    .col(integer(Attachments::Position).default(0))
                    .col(string(Attachments::Kind))
                    .col(string(Attachments::Name))
                    .col(string(Attachments::MimeType))
                    .col(big_integer(Attachments::SizeBytes))
                    .col(integer_null(Attachments::Width))
                    .col(integer_null(Attachments::Height))
                    .col(big_integer_null(Attachments::DurationMs))
                    .col(timestamp_with_time_zone(Attachments::CreatedAt))
                    .foreign_key(&mut cascade(
                        "fk_attachments_uploader",
                        Attachments::Table,
                        Attachments::UploaderId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_attachments_message",
                        Attachments::Table,
                        Attachments::MessageId,
                        Messages::Table,
                        Messages::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_attachments_message",
            Attachments::Table,
            &[Attachments::MessageId, Attachments::Position],
        )
        .await?;
        index(
            manager,
            "idx_attachments_unsent",
            Attachments::Table,
            &[Attachments::MessageId, Attachments::CreatedAt],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Attachments::Table.into_iden(),
            Messages::Table.into_iden(),
            ConversationMembers::Table.into_iden(),
            Conversations::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn cascade<T, C, U, D>(
    name: &str,
    from: T,
    from_col: C,
    to: U,
    to_col: D,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    U: IntoIden + Clone + 'static,
    D: IntoIden + Clone + 'static,
{
    ForeignKey::create()
        .name(name)
        .from(from, from_col)
        .to(to, to_col)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

async fn index<T, C>(
    manager: &SchemaManager<'_>,
    name: &str,
    table: T,
    cols: &[C],
) -> Result<(), DbErr>
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
{
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col.clone());
    }
    manager.create_index(stmt.to_owned()).await
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversations {
    Table,
    Id,
    Kind,
    Title,
    DirectUserA,
    DirectUserB,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ConversationMembers {
    Table,
    ConversationId,
    UserId,
    Role,
    JoinedAt,
    LastReadMessageId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Messages {
    Table,
    Id,
    ConversationId,
    AuthorId,
    Kind,
    Body,
    ReplyToId,
    CreatedAt,
    EditedAt,
    DeletedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Attachments {
    Table,
    Id,
    UploaderId,
    MessageId,
    Position,
    Kind,
    Name,
    MimeType,
    SizeBytes,
    Width,
    Height,
    DurationMs,
    CreatedAt,
}
