//! `GET`/`HEAD /stream/{trackId}` (the audio bytes, ranged) and `GET /stream/{trackId}/metadata`.
//!
//! Auth is `Authorization: Bearer <accessToken>` or `?token=` from `Track.streamUrl` (bound to
//! that track and user), because an `<audio>` element cannot send headers. 401 without valid
//! auth, 404 for an unknown track. The file path comes from the track's id alone. With
//! `MEDIA_REDIRECT=presigned` (media in a bucket), an authorized request is redirected (307) to
//! a short-lived presigned URL of the object instead.

use std::collections::HashMap;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use entity::track;
use serde_json::json;
use uuid::Uuid;

use crate::auth::tokens::bearer;
use crate::error::{AppError, AppResult};
use crate::media::serve::{Source, serve};
use crate::service::catalog;
use crate::state::AppState;

pub async fn audio(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    if app.media.redirects() {
        return redirect(&app, &id, &query, &headers)
            .await
            .unwrap_or_else(IntoResponse::into_response);
    }
    match authorized_source(&app, &id, &query, &headers).await {
        Ok(Ok(source)) => serve(source, &method, &headers),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            // Deleted meanwhile (here or by another instance), or lost.
            tracing::warn!(track_id = %id, "a track's audio file is missing");
            AppError::not_found("This track's audio is not available").into_response()
        }
        Ok(Err(e)) => AppError::Internal(anyhow::anyhow!("serving audio: {e}")).into_response(),
        Err(err) => err.into_response(),
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
        let artist = catalog::cache::artist(&app, track.artist_id)
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

/// `MEDIA_REDIRECT=presigned`: after auth, a temporary redirect to a presigned URL of the
/// track's object, which answers ranges and validators itself. Not cached: the URL expires.
async fn redirect(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<Response> {
    let track = authorized_track(app, id, query, headers).await?;
    let url = app
        .media
        .presigned_track(track.id)
        .await
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("no bucket to redirect to")))?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("presigning a track's URL: {e}")))?;
    let location = HeaderValue::from_str(&url)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("a presigned URL: {e}")))?;
    Ok((
        StatusCode::TEMPORARY_REDIRECT,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
    )
        .into_response())
}

/// The track's open file, after auth: kept open since it was last served, or opened now (its
/// content type read from the database). The inner error is the file's.
async fn authorized_source(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<std::io::Result<Source>> {
    let track_id = authorize(app, id, query, headers)?;
    match app.media.cached_track(track_id).await {
        Ok(Some(source)) => return Ok(Ok(source)),
        Ok(None) => {}
        Err(e) => return Ok(Err(e)),
    }
    let track = find(app, track_id).await?;
    Ok(app.media.open_track(track_id, &track.mime_type).await)
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
    catalog::cache::track(app, track_id)
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
