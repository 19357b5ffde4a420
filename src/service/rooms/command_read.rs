//! What a playback command needs before it writes, in one statement: the room, the member's
//! row, the playback row and its loaded track (`rooms ⋈ room_playback`, left-joined with the
//! member's `room_users` row and the track).

use entity::{room, room_playback, room_user, track};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, IdenStatic, Iterable,
    sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement},
};
use uuid::Uuid;

use crate::error::AppResult;

/// One room as a command sees it.
pub(super) struct CommandRead {
    pub room: room::Model,
    /// `None` when the user is not a member.
    pub member: Option<room_user::Model>,
    pub playback: room_playback::Model,
    pub track: Option<track::Model>,
}

/// Selects every column of `entity`, named `{prefix}{column}`.
fn columns<E: EntityTrait>(q: &mut SelectStatement, entity: E, prefix: &str) {
    for column in E::Column::iter() {
        q.expr_as(
            column.select_as(Expr::col((entity, column))),
            Alias::new(format!("{prefix}{}", column.as_str())),
        );
    }
}

/// The room with `user_id`'s membership, its playback and the loaded track; `None` when there
/// is no such room.
pub(super) async fn read(
    db: &impl ConnectionTrait,
    room_id: Uuid,
    user_id: Uuid,
) -> AppResult<Option<CommandRead>> {
    let mut q = Query::select();
    columns(&mut q, room::Entity, "r_");
    columns(&mut q, room_user::Entity, "m_");
    columns(&mut q, room_playback::Entity, "p_");
    columns(&mut q, track::Entity, "t_");
    q.from(room::Entity)
        .join(
            JoinType::InnerJoin,
            room_playback::Entity,
            Expr::col((room_playback::Entity, room_playback::Column::RoomId))
                .equals((room::Entity, room::Column::Id)),
        )
        .join(
            JoinType::LeftJoin,
            room_user::Entity,
            Expr::col((room_user::Entity, room_user::Column::RoomId))
                .equals((room::Entity, room::Column::Id))
                .and(Expr::col((room_user::Entity, room_user::Column::UserId)).eq(user_id)),
        )
        .join(
            JoinType::LeftJoin,
            track::Entity,
            Expr::col((track::Entity, track::Column::Id))
                .equals((room_playback::Entity, room_playback::Column::TrackId)),
        )
        .and_where(Expr::col((room::Entity, room::Column::Id)).eq(room_id));
    let Some(row) = db.query_one(&q).await? else {
        return Ok(None);
    };
    Ok(Some(CommandRead {
        room: room::Model::from_query_result(&row, "r_")?,
        member: room_user::Model::from_query_result_optional(&row, "m_")?,
        playback: room_playback::Model::from_query_result(&row, "p_")?,
        track: track::Model::from_query_result_optional(&row, "t_")?,
    }))
}
