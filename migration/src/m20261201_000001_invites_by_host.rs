//! Whether an invitation was sent by the room's host: only those admit into a `PRIVATE` room,
//! so an invitation a member sent while the room was `FRIENDS` or `PUBLIC` stops working when
//! the host makes it private.
//!
//! Existing rows: bans come from the host; an invitation counts as the host's when its sender
//! is the room's host now (the conservative reading: who was host when it was sent is not
//! recorded).

use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RoomAccess::Table)
                    .add_column(boolean(RoomAccess::ByHost).default(false))
                    .to_owned(),
            )
            .await?;
        let host_of_room = Query::select()
            .column((Rooms::Table, Rooms::HostId))
            .from(Rooms::Table)
            .and_where(
                Expr::col((Rooms::Table, Rooms::Id))
                    .equals((RoomAccess::Table, RoomAccess::RoomId)),
            )
            .to_owned();
        manager
            .exec_stmt(
                Query::update()
                    .table(RoomAccess::Table)
                    .value(RoomAccess::ByHost, true)
                    .cond_where(
                        Cond::any()
                            .add(Expr::col((RoomAccess::Table, RoomAccess::Kind)).eq("BANNED"))
                            .add(Expr::col((RoomAccess::Table, RoomAccess::GrantedBy)).eq(
                                Expr::SubQuery(
                                    None,
                                    Box::new(host_of_room.into_sub_query_statement()),
                                ),
                            )),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(RoomAccess::Table)
                    .drop_column(RoomAccess::ByHost)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Rooms {
    Table,
    Id,
    HostId,
}

#[derive(DeriveIden, Clone, Copy)]
enum RoomAccess {
    Table,
    RoomId,
    Kind,
    GrantedBy,
    ByHost,
}
