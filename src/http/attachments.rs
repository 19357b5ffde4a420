//! `GET`/`HEAD /attachments/{id}`: an attachment's bytes, served like `/stream` (ranges,
//! validators, 304, 416; see [`crate::media::serve`]).
//!
//! - Auth is `Authorization: Bearer <accessToken>` or `?token=` from `Attachment.url` (bound to
//!   that attachment and user). 401 without valid auth; 404 for an unknown attachment and for
//!   anyone who may not see it (only the members of its conversation, and its uploader before
//!   it is sent, may).
//! - Only plain media (PNG, JPEG, GIF, WebP images; common audio and video) is served inline;
//!   everything else, `FILE` kinds among it, gets `Content-Disposition: attachment`, so an SVG
//!   or HTML upload is never rendered by the browser. With `X-Content-Type-Options: nosniff`
//!   and a sandboxing `Content-Security-Policy`, even inline media cannot run anything.

use std::collections::HashMap;

use axum::{
    extract::{Path, Query, State},
    http::{HeaderMap, HeaderValue, Method, header},
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::auth::tokens::bearer;
use crate::domain::messenger::{MessageKind, is_inline};
use crate::error::{AppError, AppResult};
use crate::media::serve::serve;
use crate::service::messenger::attachments;
use crate::state::AppState;

pub async fn attachment(
    State(app): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let file = match authorized(&app, &id, &query, &headers).await {
        Ok(file) => file,
        Err(err) => return err.into_response(),
    };
    let mut response = match app.media.open_attachment(file.id, &file.mime_type).await {
        Ok(source) => serve(source, &method, &headers),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            tracing::warn!(attachment_id = %file.id, "an attachment's file is missing");
            return AppError::not_found("This attachment is not available").into_response();
        }
        Err(e) => {
            return AppError::Internal(anyhow::anyhow!("serving an attachment: {e}"))
                .into_response();
        }
    };
    let inline = is_inline(MessageKind::of(&file.kind), &file.mime_type);
    let out = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&disposition(inline, &file.name)) {
        out.insert(header::CONTENT_DISPOSITION, value);
    }
    out.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    response
}

/// The attachment the request may fetch: auth first (so unknown ids tell an anonymous caller
/// nothing), then who may see it.
async fn authorized(
    app: &AppState,
    id: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
) -> AppResult<entity::attachment::Model> {
    let attachment_id = Uuid::parse_str(id).ok();
    let user = match (headers.get(header::AUTHORIZATION), query.get("token")) {
        (Some(value), _) => {
            let value = value.to_str().unwrap_or_default();
            let token = bearer(value).ok_or_else(|| {
                AppError::unauthenticated("Authorization must be `Bearer <accessToken>`")
            })?;
            app.tokens.verify_access(token)?.sub
        }
        (None, Some(token)) => {
            let attachment_id = attachment_id
                .ok_or_else(|| AppError::unauthenticated("Invalid attachment token"))?;
            app.attachment_tokens.verify(token, attachment_id)?
        }
        (None, None) => {
            return Err(AppError::unauthenticated(
                "Send `Authorization: Bearer <accessToken>` or use the attachment's url",
            ));
        }
    };
    let attachment_id = attachment_id.ok_or_else(|| AppError::not_found("Attachment not found"))?;
    attachments::fetchable(&app.db, user, attachment_id).await
}

/// `Content-Disposition` with the file name as an ASCII fallback and in RFC 8187 encoding.
fn disposition(inline: bool, name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for byte in name.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte);
        if keep {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    let kind = if inline { "inline" } else { "attachment" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispositions_quote_and_encode_the_name() {
        assert_eq!(
            disposition(false, "report.pdf"),
            "attachment; filename=\"report.pdf\"; filename*=UTF-8''report.pdf"
        );
        assert_eq!(
            disposition(true, "фото 1.png"),
            "inline; filename=\"____ 1.png\"; filename*=UTF-8''%D1%84%D0%BE%D1%82%D0%BE%201.png"
        );
    }
}
