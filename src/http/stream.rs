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
use entity::track;
use serde_json::json;
use uuid::Uuid;

use crate::auth::tokens::bearer;
use crate::error::{AppError, AppResult};
use crate::media::serve::{Served, serve};
use crate::service::catalog;
use crate::state::AppState;

pub async fn audio(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let (track_id, mime_type) = match authorized_mime(&app, &id, &query, &headers).await {
        Ok(found) => found,
        Err(err) => return err.into_response(),
    };
    let path = app.media.path_of(track_id);
    let served = Served {
        path: &path,
        id: track_id,
        mime_type: &mime_type,
    };
    match serve(served, &method, &headers).await {
        Ok(response) => response,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // Deleted meanwhile (here or by another instance), or lost.
            app.media.forget(track_id);
            tracing::warn!(%track_id, "a track's audio file is missing");
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
        let artist = catalog::find_artist(&app.db, track.artist_id)
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

/// The track's id and content type, after auth; from the cache when the file was served before.
async fn authorized_mime(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<(Uuid, std::sync::Arc<str>)> {
    let track_id = authorize(app, id, query, headers)?;
    if let Some(mime) = app.media.cached_mime(track_id) {
        return Ok((track_id, mime));
    }
    let track = find(app, track_id).await?;
    Ok((
        track_id,
        app.media.remember_mime(track_id, &track.mime_type),
    ))
}

async fn authorized_track(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<track::Model> {
    let track_id = authorize(app, id, query, headers)?;
    find(app, track_id).await
}

async fn find(app: &AppState, track_id: Uuid) -> AppResult<track::Model> {
    catalog::find_track(&app.db, track_id)
        .await?
        .ok_or_else(|| AppError::not_found("Track not found"))
}

/// Checks auth first (so unknown ids tell an anonymous caller nothing), then parses the id.
fn authorize(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<Uuid> {
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
    track_id.ok_or_else(|| AppError::not_found("Track not found"))
}
