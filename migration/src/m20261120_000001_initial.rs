//! The tables the seeds list (users, artists, tracks, playlists, playlist_tracks, favorites,
//! friend_requests, rooms, room_users) plus refresh tokens.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(pk_uuid(Users::Id))
                    .col(string_uniq(Users::Email))
                    .col(string_null(Users::PasswordHash))
                    .col(string(Users::Username))
                    .col(string_uniq(Users::Tag))
                    .col(string_null(Users::AvatarUrl))
                    .col(string(Users::Provider).default("local"))
                    .col(string(Users::Role).default("user"))
                    .col(boolean(Users::TwoFactorEnabled).default(false))
                    .col(timestamp_with_time_zone(Users::CreatedAt))
                    .col(timestamp_with_time_zone(Users::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_users_username",
            Users::Table,
            &[Users::Username],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(RefreshTokens::Table)
                    .col(pk_uuid(RefreshTokens::Id))
                    .col(uuid(RefreshTokens::UserId))
                    .col(uuid(RefreshTokens::FamilyId))
                    .col(string_uniq(RefreshTokens::TokenHash))
                    .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                    .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                    .col(timestamp_with_time_zone_null(RefreshTokens::RevokedAt))
                    .foreign_key(&mut cascade(
                        "fk_refresh_tokens_user",
                        RefreshTokens::Table,
                        RefreshTokens::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_refresh_tokens_family",
            RefreshTokens::Table,
            &[RefreshTokens::FamilyId],
        )
        .await?;
        index(
            manager,
            "idx_refresh_tokens_user",
            RefreshTokens::Table,
            &[RefreshTokens::UserId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Artists::Table)
                    .col(pk_uuid(Artists::Id))
                    .col(string(Artists::Name))
                    .col(string_null(Artists::Genre))
                    .col(string_null(Artists::ImageUrl))
                    .col(uuid_null(Artists::CreatedBy))
                    .col(timestamp_with_time_zone(Artists::CreatedAt))
                    .col(timestamp_with_time_zone(Artists::UpdatedAt))
                    .foreign_key(&mut set_null(
                        "fk_artists_created_by",
                        Artists::Table,
                        Artists::CreatedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_artists_name",
            Artists::Table,
            &[Artists::Name],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tracks::Table)
                    .col(pk_uuid(Tracks::Id))
                    .col(string(Tracks::Name))
                    .col(string_null(Tracks::Genre))
                    .col(uuid(Tracks::ArtistId))
                    .col(uuid_null(Tracks::UploadedBy))
                    .col(big_integer(Tracks::DurationMs))
                    .col(string(Tracks::Format))
                    .col(string(Tracks::MimeType))
                    .col(integer_null(Tracks::Bitrate))
                    .col(integer_null(Tracks::SampleRate))
                    .col(big_integer(Tracks::SizeBytes))
                    .col(timestamp_with_time_zone(Tracks::CreatedAt))
                    .col(timestamp_with_time_zone(Tracks::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tracks_artist")
                            .from(Tracks::Table, Tracks::ArtistId)
                            .to(Artists::Table, Artists::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(&mut set_null(
                        "fk_tracks_uploaded_by",
                        Tracks::Table,
                        Tracks::UploadedBy,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_tracks_artist",
            Tracks::Table,
            &[Tracks::ArtistId],
        )
        .await?;
        index(manager, "idx_tracks_genre", Tracks::Table, &[Tracks::Genre]).await?;
        index(manager, "idx_tracks_name", Tracks::Table, &[Tracks::Name]).await?;

        manager
            .create_table(
                Table::create()
                    .table(Playlists::Table)
                    .col(pk_uuid(Playlists::Id))
                    .col(string(Playlists::Name))
                    .col(string_null(Playlists::ImageUrl))
                    .col(uuid(Playlists::OwnerId))
                    .col(boolean(Playlists::IsPublic).default(false))
                    .col(timestamp_with_time_zone(Playlists::CreatedAt))
                    .col(timestamp_with_time_zone(Playlists::UpdatedAt))
                    .foreign_key(&mut cascade(
                        "fk_playlists_owner",
                        Playlists::Table,
                        Playlists::OwnerId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_playlists_owner",
            Playlists::Table,
            &[Playlists::OwnerId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(PlaylistTracks::Table)
                    .col(pk_uuid(PlaylistTracks::Id))
                    .col(uuid(PlaylistTracks::PlaylistId))
                    .col(uuid(PlaylistTracks::TrackId))
                    .col(integer(PlaylistTracks::Position))
                    .col(timestamp_with_time_zone(PlaylistTracks::AddedAt))
                    .foreign_key(&mut cascade(
                        "fk_playlist_tracks_playlist",
                        PlaylistTracks::Table,
                        PlaylistTracks::PlaylistId,
                        Playlists::Table,
                        Playlists::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_playlist_tracks_track",
                        PlaylistTracks::Table,
                        PlaylistTracks::TrackId,
                        Tracks::Table,
                        Tracks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_playlist_tracks_order",
            PlaylistTracks::Table,
            &[PlaylistTracks::PlaylistId, PlaylistTracks::Position],
        )
        .await?;
        index(
            manager,
            "idx_playlist_tracks_track",
            PlaylistTracks::Table,
            &[PlaylistTracks::TrackId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Favorites::Table)
                    .col(uuid(Favorites::UserId))
                    .col(uuid(Favorites::TrackId))
                    .col(timestamp_with_time_zone(Favorites::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Favorites::UserId)
                            .col(Favorites::TrackId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_favorites_user",
                        Favorites::Table,
                        Favorites::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_favorites_track",
                        Favorites::Table,
                        Favorites::TrackId,
                        Tracks::Table,
                        Tracks::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_favorites_track",
            Favorites::Table,
            &[Favorites::TrackId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(FriendRequests::Table)
                    .col(pk_uuid(FriendRequests::Id))
                    .col(uuid(FriendRequests::RequesterId))
                    .col(uuid(FriendRequests::ReceiverId))
                    .col(timestamp_with_time_zone(FriendRequests::CreatedAt))
                    .foreign_key(&mut cascade(
                        "fk_friend_requests_requester",
                        FriendRequests::Table,
                        FriendRequests::RequesterId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_friend_requests_receiver",
                        FriendRequests::Table,
                        FriendRequests::ReceiverId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("uq_friend_requests_pair")
                    .table(FriendRequests::Table)
                    .col(FriendRequests::RequesterId)
                    .col(FriendRequests::ReceiverId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_friend_requests_receiver",
            FriendRequests::Table,
            &[FriendRequests::ReceiverId],
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Rooms::Table)
                    .col(pk_uuid(Rooms::Id))
                    .col(string(Rooms::Name))
                    .col(uuid(Rooms::HostId))
                    .col(string(Rooms::Visibility).default("PUBLIC"))
                    .col(timestamp_with_time_zone(Rooms::CreatedAt))
                    .col(timestamp_with_time_zone(Rooms::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Rooms::ClosedAt))
                    .foreign_key(&mut cascade(
                        "fk_rooms_host",
                        Rooms::Table,
                        Rooms::HostId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(manager, "idx_rooms_host", Rooms::Table, &[Rooms::HostId]).await?;

        manager
            .create_table(
                Table::create()
                    .table(RoomUsers::Table)
                    .col(uuid(RoomUsers::RoomId))
                    .col(uuid(RoomUsers::UserId))
                    .col(string(RoomUsers::Role).default("LISTENER"))
                    .col(timestamp_with_time_zone(RoomUsers::JoinedAt))
                    .primary_key(
                        Index::create()
                            .col(RoomUsers::RoomId)
                            .col(RoomUsers::UserId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_room_users_room",
                        RoomUsers::Table,
                        RoomUsers::RoomId,
                        Rooms::Table,
                        Rooms::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_room_users_user",
                        RoomUsers::Table,
                        RoomUsers::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        index(
            manager,
            "idx_room_users_user",
            RoomUsers::Table,
            &[RoomUsers::UserId],
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            RoomUsers::Table.into_iden(),
            Rooms::Table.into_iden(),
            FriendRequests::Table.into_iden(),
            Favorites::Table.into_iden(),
            PlaylistTracks::Table.into_iden(),
            Playlists::Table.into_iden(),
            Tracks::Table.into_iden(),
            Artists::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Users::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// A plain (non-unique) index.
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

fn fk<
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    U: IntoIden + Clone + 'static,
    D: IntoIden + Clone + 'static,
>(
    name: &str,
    from_table: T,
    from_col: C,
    to_table: U,
    to_col: D,
    action: ForeignKeyAction,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(action)
        .to_owned()
}

fn cascade<T, C, U, D>(
    name: &str,
    from_table: T,
    from_col: C,
    to_table: U,
    to_col: D,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    U: IntoIden + Clone + 'static,
    D: IntoIden + Clone + 'static,
{
    fk(
        name,
        from_table,
        from_col,
        to_table,
        to_col,
        ForeignKeyAction::Cascade,
    )
}

fn set_null<T, C, U, D>(
    name: &str,
    from_table: T,
    from_col: C,
    to_table: U,
    to_col: D,
) -> ForeignKeyCreateStatement
where
    T: IntoIden + Clone + 'static,
    C: IntoIden + Clone + 'static,
    U: IntoIden + Clone + 'static,
    D: IntoIden + Clone + 'static,
{
    fk(
        name,
        from_table,
        from_col,
        to_table,
        to_col,
        ForeignKeyAction::SetNull,
    )
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    PasswordHash,
    Username,
    Tag,
    AvatarUrl,
    Provider,
    Role,
    TwoFactorEnabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    UserId,
    FamilyId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Artists {
    Table,
    Id,
    Name,
    Genre,
    ImageUrl,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Tracks {
    Table,
    Id,
    Name,
    Genre,
    ArtistId,
    UploadedBy,
    DurationMs,
    Format,
    MimeType,
    Bitrate,
    SampleRate,
    SizeBytes,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Playlists {
    Table,
    Id,
    Name,
    ImageUrl,
    OwnerId,
    IsPublic,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PlaylistTracks {
    Table,
    Id,
    PlaylistId,
    TrackId,
    Position,
    AddedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Favorites {
    Table,
    UserId,
    TrackId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum FriendRequests {
    Table,
    Id,
    RequesterId,
    ReceiverId,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Rooms {
    Table,
    Id,
    Name,
    HostId,
    Visibility,
    CreatedAt,
    UpdatedAt,
    ClosedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomUsers {
    Table,
    RoomId,
    UserId,
    Role,
    JoinedAt,
}
