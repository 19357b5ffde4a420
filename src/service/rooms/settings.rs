//! A room's settings: name, visibility, who controls playback, waiting for everyone, the skip
//! threshold; and a member's own opt-out from being waited for.

use chrono::Utc;
use entity::{room, room_user};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::domain::rooms::{ControlMode, RoomName, Visibility, skip_vote_percent};
use crate::error::AppResult;
use crate::realtime::RoomEvent;
use crate::service::rooms::{find_open, lock_row, publish, require_host, require_member};
use crate::state::AppState;

/// Changes to a room's settings; `None` keeps a value.
#[derive(Default)]
pub struct RoomPatch<'a> {
    pub name: Option<&'a str>,
    pub visibility: Option<Visibility>,
    pub control_mode: Option<ControlMode>,
    pub wait_for_all: Option<bool>,
    pub skip_vote_percent: Option<i32>,
}

/// Changes the room's settings (host only); members get `RoomUpdated`.
pub async fn update(
    state: &AppState,
    host: Uuid,
    room_id: Uuid,
    patch: RoomPatch<'_>,
) -> AppResult<room::Model> {
    let releases_hold = {
        let _turn = state.rooms.lock(room_id).await;
        let (room, _) = require_host(state, host, room_id).await?;
        let mut active: room::ActiveModel = room.clone().into();
        if let Some(name) = patch.name {
            active.name = Set(RoomName::parse(name)?.into_string());
        }
        if let Some(v) = patch.visibility {
            active.visibility = Set(v.as_str().to_owned());
        }
        if let Some(mode) = patch.control_mode {
            active.control_mode = Set(mode.as_str().to_owned());
        }
        if let Some(wait) = patch.wait_for_all {
            active.wait_for_all = Set(wait);
        }
        if let Some(percent) = patch.skip_vote_percent {
            active.skip_vote_percent = Set(skip_vote_percent(percent)?);
        }
        active.updated_at = Set(Utc::now());
        let txn = state.db.begin().await?;
        lock_row(&txn, room_id).await?;
        let updated = active.update(&txn).await?;
        txn.commit().await?;
        publish(
            state,
            room_id,
            RoomEvent::RoomUpdated {
                room: updated.clone(),
            },
        );
        room.wait_for_all && !updated.wait_for_all
    };
    if releases_hold {
        crate::service::rooms::timer::recheck(state, room_id).await;
    }
    find_open(&state.db, room_id).await
}

/// Whether the room waits for this member when it waits for everyone.
pub async fn set_wait_opt_out(
    state: &AppState,
    user_id: Uuid,
    room_id: Uuid,
    opt_out: bool,
) -> AppResult<bool> {
    require_member(state, user_id, room_id).await?;
    room_user::Entity::update_many()
        .col_expr(room_user::Column::WaitOptOut, Expr::value(opt_out))
        .filter(room_user::Column::RoomId.eq(room_id))
        .filter(room_user::Column::UserId.eq(user_id))
        .exec(&state.db)
        .await?;
    if opt_out {
        crate::service::rooms::timer::recheck(state, room_id).await;
    }
    Ok(opt_out)
}
