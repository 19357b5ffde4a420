//! `GET`/`HEAD /stream/{trackId}` (the audio bytes, ranged) and `GET /stream/{trackId}/metadata`.
//!
//! Auth is `Authorization: Bearer <accessToken>` or `?token=` from `Track.streamUrl` (bound to
//! that track and user), because an `<audio>` element cannot send headers. 401 without valid
//! auth, 404 for an unknown track. The file path comes from the track's id alone.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, Method, header},
    response::{IntoResponse, Response},
};
use entity::{artist, track};
use sea_orm::EntityTrait;
use serde_json::json;
use uuid::Uuid;

use crate::{
    auth::tokens::bearer,
    error::{AppError, AppResult},
    media::serve::{Served, serve},
    state::AppState,
};

pub async fn audio(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let track = match authorized_track(&app, &id, &query, &headers).await {
        Ok(track) => track,
        Err(err) => return err.into_response(),
    };
    let path = app.media.path_of(track.id);
    let served = Served {
        path: &path,
        id: track.id,
        mime_type: &track.mime_type,
    };
    match serve(served, &method, &headers).await {
        Ok(response) => response,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::error!(track_id = %track.id, "a track's audio file is missing");
            AppError::not_found("This track's audio is not available").into_response()
        }
        Err(e) => AppError::Internal(anyhow::anyhow!("serving audio: {e}")).into_response(),
    }
}

pub async fn metadata(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let result: AppResult<Response> = async {
        let track = authorized_track(&app, &id, &query, &headers).await?;
        let artist = artist::Entity::find_by_id(track.artist_id)
            .one(&app.db)
            .await?
            .map(|a| a.name);
        Ok(Json(json!({
            "id": track.id,
            "title": track.name,
            "artist": artist,
            "durationMs": track.duration_ms,
            "bitrate": track.bitrate,
            "sampleRate": track.sample_rate,
            "format": track.format,
            "mimeType": track.mime_type,
            "size": track.size_bytes,
        }))
        .into_response())
    }
    .await;
    result.unwrap_or_else(IntoResponse::into_response)
}

/// Checks auth first (so unknown ids tell an anonymous caller nothing), then finds the track.
async fn authorized_track(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<track::Model> {
    let track_id = Uuid::parse_str(id).ok();
    match (headers.get(header::AUTHORIZATION), query.get("token")) {
        (Some(value), _) => {
            let value = value.to_str().unwrap_or_default();
            let token = bearer(value).ok_or_else(|| {
                AppError::unauthenticated("Authorization must be `Bearer <accessToken>`")
            })?;
            app.tokens.verify_access(token)?;
        }
        (None, Some(token)) => {
            let track_id =
                track_id.ok_or_else(|| AppError::unauthenticated("Invalid stream token"))?;
            app.stream_tokens.verify(token, track_id)?;
        }
        (None, None) => {
            return Err(AppError::unauthenticated(
                "Send `Authorization: Bearer <accessToken>` or use the track's streamUrl",
            ));
        }
    }
    let track_id = track_id.ok_or_else(|| AppError::not_found("Track not found"))?;
    track::Entity::find_by_id(track_id)
        .one(&app.db)
        .await?
        .ok_or_else(|| AppError::not_found("Track not found"))
}
