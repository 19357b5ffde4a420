//! Calls: one-to-one calls, conferences and a listening room's voice channel, and their
//! participants.
//!
//! - `active_pair` holds a one-to-one call's ordered pair of users (`"<low>:<high>"`) until the
//!   call ends, under a unique index: two friends calling each other at the same instant cannot
//!   open two calls (the second insert fails and answers the first instead).
//! - `active_room_id` holds a room voice call's room until it ends, under a unique index: one
//!   voice call per room, even when members start it at once.
//! - `ring_deadline_ms` is when ringing participants become `MISSED`; timers are re-armed from it
//!   at start-up.
//! - The screen share (at most one per call) lives on the call's row, so that taking it is one
//!   conditional UPDATE.

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Calls::Table)
                    .col(pk_uuid(Calls::Id))
                    .col(string(Calls::Kind))
                    .col(string(Calls::State))
                    .col(boolean(Calls::OneToOne))
                    .col(uuid(Calls::InitiatorId))
                    .col(uuid_null(Calls::ConversationId))
                    .col(uuid_null(Calls::RoomId))
                    .col(string_null(Calls::ActivePair))
                    .col(uuid_null(Calls::ActiveRoomId))
                    .col(big_integer_null(Calls::RingDeadlineMs))
                    .col(uuid_null(Calls::ShareUserId))
                    .col(boolean(Calls::ShareHasAudio).default(false))
                    .col(string_null(Calls::ShareQuality))
                    .col(uuid_null(Calls::ShareControllerId))
                    .col(timestamp_with_time_zone_null(Calls::ShareStartedAt))
                    .col(timestamp_with_time_zone(Calls::CreatedAt))
                    .col(timestamp_with_time_zone_null(Calls::StartedAt))
                    .col(timestamp_with_time_zone_null(Calls::EndedAt))
                    .col(string_null(Calls::EndReason))
                    .foreign_key(&mut cascade(
                        "fk_calls_initiator",
                        Calls::Table,
                        Calls::InitiatorId,
                        Users::Table,
                        Users::Id,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_calls_conversation")
                            .from(Calls::Table, Calls::ConversationId)
                            .to(Conversations::Table, Conversations::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(&mut cascade(
                        "fk_calls_room",
                        Calls::Table,
                        Calls::RoomId,
                        Rooms::Table,
                        Rooms::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("uq_calls_active_pair", Calls::ActivePair),
            ("uq_calls_active_room", Calls::ActiveRoomId),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(Calls::Table)
                        .col(col)
                        .unique()
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_calls_ring_deadline")
                    .table(Calls::Table)
                    .col(Calls::RingDeadlineMs)
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CallParticipants::Table)
                    .col(uuid(CallParticipants::CallId))
                    .col(uuid(CallParticipants::UserId))
                    .col(string(CallParticipants::State))
                    .col(boolean(CallParticipants::AudioMuted).default(false))
                    .col(boolean(CallParticipants::VideoMuted).default(false))
                    .col(string(CallParticipants::Quality))
                    .col(timestamp_with_time_zone(CallParticipants::InvitedAt))
                    .col(timestamp_with_time_zone_null(CallParticipants::JoinedAt))
                    .col(timestamp_with_time_zone_null(CallParticipants::LeftAt))
                    .col(timestamp_with_time_zone(CallParticipants::CallCreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CallParticipants::CallId)
                            .col(CallParticipants::UserId),
                    )
                    .foreign_key(&mut cascade(
                        "fk_call_participants_call",
                        CallParticipants::Table,
                        CallParticipants::CallId,
                        Calls::Table,
                        Calls::Id,
                    ))
                    .foreign_key(&mut cascade(
                        "fk_call_participants_user",
                        CallParticipants::Table,
                        CallParticipants::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        // History: a user's calls, newest first (the call's creation is copied here for it).
        manager
            .create_index(
                Index::create()
                    .name("idx_call_participants_history")
                    .table(CallParticipants::Table)
                    .col(CallParticipants::UserId)
                    .col(CallParticipants::CallCreatedAt)
                    .col(CallParticipants::CallId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_call_participants_user_state")
                    .table(CallParticipants::Table)
                    .col(CallParticipants::UserId)
                    .col(CallParticipants::State)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CallParticipants::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Calls::Table).to_owned())
            .await?;
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

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Rooms {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Conversations {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Calls {
    Table,
    Id,
    Kind,
    State,
    OneToOne,
    InitiatorId,
    ConversationId,
    RoomId,
    ActivePair,
    ActiveRoomId,
    RingDeadlineMs,
    ShareUserId,
    ShareHasAudio,
    ShareQuality,
    ShareControllerId,
    ShareStartedAt,
    CreatedAt,
    StartedAt,
    EndedAt,
    EndReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum CallParticipants {
    Table,
    CallId,
    UserId,
    State,
    AudioMuted,
    VideoMuted,
    Quality,
    InvitedAt,
    JoinedAt,
    LeftAt,
    CallCreatedAt,
}
