//! Listening rooms: room settings, per-member settings and read markers, the room's playback
//! (written with compare-and-set on `version`), the shared queue, invitations and bans, skip
//! votes, and chat messages.
//!
//! SQLite accepts one `ADD COLUMN` per `ALTER TABLE`, and only with a constant default, so each
//! added column is its own statement with a literal default.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            string(Rooms::ControlMode).default("HOST_ONLY").to_owned(),
            boolean(Rooms::WaitForAll).default(false).to_owned(),
            integer(Rooms::SkipVotePercent).default(50).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Rooms::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        index(
            manager,
            "idx_rooms_open_activity",
            Rooms::Table,
            &[Rooms::ClosedAt, Rooms::UpdatedAt],
        )
        .await?;

        for column in [
            boolean(RoomUsers::WaitOptOut).default(false).to_owned(),
            uuid_null(RoomUsers::LastReadMessageId).to_owned(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RoomUsers::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(RoomPlayback::Table)
                    .col(pk_uuid(RoomPlayback::RoomId))
                    .col(uuid_null(RoomPlayback::TrackId))
                    .col(uuid_null(RoomPlayback::ItemId))
                    .col(boolean(RoomPlayback::IsPlaying).default(false))
                    .col(big_integer(RoomPlayback::PositionMs).default(0))
                    .col(big_integer(RoomPlayback::AnchorTimeMs))
                    .col(big_integer(RoomPlayback::Version).default(0))
                    .col(text_null(RoomPlayback::WaitingFor))
                    .col(big_integer_null(RoomPlayback::WaitDeadlineMs))
                    .col(timestamp_with_time_zone(RoomPlayback::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_room_playback_room")
                            .from(RoomPlayback::Table, RoomPlayback::RoomId)
                            .to(Rooms::Table, Rooms::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_room_playback_track")
                            .from(RoomPlayback::Table, RoomPlayback::TrackId)
                            .to(Tracks::Table, Tracks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_room_playback_playing",
            RoomPlayback::Table,
            &[RoomPlayback::IsPlaying],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomQueue::Table)
                    .col(pk_uuid(RoomQueue::Id))
                    .col(uuid(RoomQueue::RoomId))
                    .col(uuid(RoomQueue::TrackId))
                    .col(uuid(RoomQueue::AddedBy))
                    .col(big_integer(RoomQueue::Position))
                    .col(timestamp_with_time_zone(RoomQueue::CreatedAt))
                    .foreign_key(&mut cascade(
                        "fk_room_queue_room",
                        RoomQueue::Table,
                        RoomQueue::RoomId,
                        Rooms::Table,
                        Rooms::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_room_queue_track",
                        RoomQueue::Table,
                        RoomQueue::TrackId,
                        Tracks::Table,
                        Tracks::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_room_queue_user",
                        RoomQueue::Table,
                        RoomQueue::AddedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_room_queue_order",
            RoomQueue::Table,
            &[RoomQueue::RoomId, RoomQueue::Position],
        )
        .await?;

        // Invitations (let a user into a PRIVATE room) and bans (a kicked user may not rejoin
        // until the host invites them again): one row per room and user.
        manager
            .create_table(
                Table::create()
                    .table(RoomAccess::Table)
                    .col(uuid(RoomAccess::RoomId))
                    .col(uuid(RoomAccess::UserId))
                    .col(string(RoomAccess::Kind))
                    .col(uuid(RoomAccess::GrantedBy))
                    .col(timestamp_with_time_zone(RoomAccess::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(RoomAccess::RoomId)
                            .col(RoomAccess::UserId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_room_access_room",
                        RoomAccess::Table,
                        RoomAccess::RoomId,
                        Rooms::Table,
                        Rooms::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_room_access_user",
                        RoomAccess::Table,
                        RoomAccess::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_room_access_granted_by",
                        RoomAccess::Table,
                        RoomAccess::GrantedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_room_access_user",
            RoomAccess::Table,
            &[RoomAccess::UserId],
        )
        .await?;

        // One vote per member; a vote counts only for the play (`item_id`) it was cast on.
        manager
            .create_table(
                Table::create()
                    .table(RoomSkipVotes::Table)
                    .col(uuid(RoomSkipVotes::RoomId))
                    .col(uuid(RoomSkipVotes::UserId))
                    .col(uuid(RoomSkipVotes::ItemId))
                    .col(timestamp_with_time_zone(RoomSkipVotes::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(RoomSkipVotes::RoomId)
                            .col(RoomSkipVotes::UserId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_room_skip_votes_room",
                        RoomSkipVotes::Table,
                        RoomSkipVotes::RoomId,
                        Rooms::Table,
                        Rooms::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_room_skip_votes_user",
                        RoomSkipVotes::Table,
                        RoomSkipVotes::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ChatMessages::Table)
                    .col(pk_uuid(ChatMessages::Id))
                    .col(uuid(ChatMessages::RoomId))
                    .col(uuid(ChatMessages::AuthorId))
                    .col(text(ChatMessages::Body))
                    .col(timestamp_with_time_zone(ChatMessages::CreatedAt))
                    .col(timestamp_with_time_zone_null(ChatMessages::EditedAt))
                    .col(timestamp_with_time_zone_null(ChatMessages::DeletedAt))
                    .foreign_key(&mut cascade(
                        "fk_chat_messages_room",
                        ChatMessages::Table,
                        ChatMessages::RoomId,
                        Rooms::Table,
                        Rooms::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_chat_messages_author",
                        ChatMessages::Table,
                        ChatMessages::AuthorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_chat_messages_room_time",
            ChatMessages::Table,
            &[
                ChatMessages::RoomId,
                ChatMessages::CreatedAt,
                ChatMessages::Id,
            ],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ChatMessages::Table.into_iden(),
            RoomSkipVotes::Table.into_iden(),
            RoomAccess::Table.into_iden(),
            RoomQueue::Table.into_iden(),
            RoomPlayback::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_rooms_open_activity")
                    .table(Rooms::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Rooms::ControlMode.into_iden(),
            Rooms::WaitForAll.into_iden(),
            Rooms::SkipVotePercent.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Rooms::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        for column in [
            RoomUsers::WaitOptOut.into_iden(),
            RoomUsers::LastReadMessageId.into_iden(),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(RoomUsers::Table)
                        .drop_column(column)
                        .to_owned(),
                )
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
enum Tracks {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Rooms {
    Table,
    Id,
    UpdatedAt,
    ClosedAt,
    ControlMode,
    WaitForAll,
    SkipVotePercent,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomUsers {
    Table,
    WaitOptOut,
    LastReadMessageId,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomPlayback {
    Table,
    RoomId,
    TrackId,
    ItemId,
    IsPlaying,
    PositionMs,
    AnchorTimeMs,
    Version,
    WaitingFor,
    WaitDeadlineMs,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomQueue {
    Table,
    Id,
    RoomId,
    TrackId,
    AddedBy,
    Position,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomAccess {
    Table,
    RoomId,
    UserId,
    Kind,
    GrantedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomSkipVotes {
    Table,
    RoomId,
    UserId,
    ItemId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ChatMessages {
    Table,
    Id,
    RoomId,
    AuthorId,
    Body,
    CreatedAt,
    EditedAt,
    DeletedAt,
}
