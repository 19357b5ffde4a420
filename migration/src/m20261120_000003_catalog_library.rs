//! Catalog and library rules the first migration left to code: a track appears at most once
//! per playlist, and the indexes behind "newest favorites first" and "an uploader's tracks".

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("uq_playlist_tracks_entry")
                    .table(PlaylistTracks::Table)
                    .col(PlaylistTracks::PlaylistId)
                    .col(PlaylistTracks::TrackId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_favorites_user_newest")
                    .table(Favorites::Table)
                    .col(Favorites::UserId)
                    .col(Favorites::CreatedAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_tracks_uploaded_by")
                    .table(Tracks::Table)
                    .col(Tracks::UploadedBy)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, table) in [
            ("idx_tracks_uploaded_by", Tracks::Table.into_iden()),
            ("idx_favorites_user_newest", Favorites::Table.into_iden()),
            (
                "uq_playlist_tracks_entry",
                PlaylistTracks::Table.into_iden(),
            ),
        ] {
            manager
                .drop_index(Index::drop().name(name).table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum PlaylistTracks {
    Table,
    PlaylistId,
    TrackId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Favorites {
    Table,
    UserId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tracks {
    Table,
    UploadedBy,
}
