//! Friendships (stored once per pair, `user_a < user_b`) and each user's personal player state.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Friendships::Table)
                    .col(uuid(Friendships::UserA))
                    .col(uuid(Friendships::UserB))
                    .col(timestamp_with_time_zone(Friendships::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Friendships::UserA)
                            .col(Friendships::UserB),
                    )
                    .check(Expr::col(Friendships::UserA).lt(Expr::col(Friendships::UserB)))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_friendships_user_a")
                            .from(Friendships::Table, Friendships::UserA)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_friendships_user_b")
                            .from(Friendships::Table, Friendships::UserB)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_friendships_user_b")
                    .table(Friendships::Table)
                    .col(Friendships::UserB)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlaybackStates::Table)
                    .col(pk_uuid(PlaybackStates::UserId))
                    .col(uuid_null(PlaybackStates::TrackId))
                    .col(boolean(PlaybackStates::IsPlaying).default(false))
                    .col(big_integer(PlaybackStates::PositionMs).default(0))
                    .col(big_integer(PlaybackStates::AnchorTimeMs))
                    .col(big_integer(PlaybackStates::Version).default(0))
                    .col(timestamp_with_time_zone(PlaybackStates::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playback_states_user")
                            .from(PlaybackStates::Table, PlaybackStates::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_playback_states_track")
                            .from(PlaybackStates::Table, PlaybackStates::TrackId)
                            .to(Tracks::Table, Tracks::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PlaybackStates::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Friendships::Table).to_owned())
            .await
    }
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
enum Friendships {
    Table,
    UserA,
    UserB,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlaybackStates {
    Table,
    UserId,
    TrackId,
    IsPlaying,
    PositionMs,
    AnchorTimeMs,
    Version,
    UpdatedAt,
}
