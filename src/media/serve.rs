//! Serving a stored file over HTTP per RFC 9110: validators (`ETag`, `Last-Modified`),
//! conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`, `If-Range`) and byte ranges (single, suffix, open, multiple as
//! `multipart/byteranges`). Bodies are streamed from the file, never read whole into memory.

use std::{
    io::{self, SeekFrom},
    path::Path,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::{StreamExt, stream};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use super::range::{self, ByteSpan, RangeRequest};

const CHUNK: usize = 256 * 1024;

/// A file about to be served, with what its headers need.
pub struct Served<'a> {
    pub path: &'a Path,
    /// Names the representation in the ETag; stored files never change in place.
    pub id: Uuid,
    pub mime_type: &'a str,
}

/// Answers `method` (GET or HEAD) for `file` given the request's headers.
pub async fn serve(file: Served<'_>, method: &Method, headers: &HeaderMap) -> io::Result<Response> {
    let meta = tokio::fs::metadata(file.path).await?;
    let size = meta.len();
    let modified = meta.modified().unwrap_or(UNIX_EPOCH);
    let modified_secs = modified
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let etag = format!("\"{}-{:x}-{:x}\"", file.id.simple(), size, modified_secs);
    let last_modified = httpdate::fmt_http_date(modified);

    let mut base = HeaderMap::new();
    base.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    base.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    base.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    insert(&mut base, header::ETAG, &etag);
    insert(&mut base, header::LAST_MODIFIED, &last_modified);

    // RFC 9110 §13.2.2: If-Match, then If-Unmodified-Since, then If-None-Match, then
    // If-Modified-Since, then If-Range.
    if let Some(value) = text(headers, header::IF_MATCH) {
        if !matches_any(value, &etag, true) {
            return Ok(status_only(StatusCode::PRECONDITION_FAILED, base));
        }
    } else if let Some(since) = date(headers, header::IF_UNMODIFIED_SINCE)
        && modified_secs > since
    {
        return Ok(status_only(StatusCode::PRECONDITION_FAILED, base));
    }
    if let Some(value) = text(headers, header::IF_NONE_MATCH) {
        if matches_any(value, &etag, false) {
            return Ok(status_only(StatusCode::NOT_MODIFIED, base));
        }
    } else if let Some(since) = date(headers, header::IF_MODIFIED_SINCE)
        && modified_secs <= since
    {
        return Ok(status_only(StatusCode::NOT_MODIFIED, base));
    }

    insert(&mut base, header::CONTENT_TYPE, file.mime_type);
    let ranges = match text(headers, header::RANGE) {
        // Range is defined for GET only; If-Range whose validator fails means "send it all".
        Some(value) if method == Method::GET && if_range_holds(headers, &etag, modified_secs) => {
            range::evaluate(value, size)
        }
        _ => RangeRequest::Full,
    };
    let head = method == Method::HEAD;
    match ranges {
        RangeRequest::Full => {
            let body = if head {
                Body::empty()
            } else {
                segment(file.path, 0, size).await?
            };
            Ok(respond(StatusCode::OK, base, size, body))
        }
        RangeRequest::Single(span) => {
            insert(&mut base, header::CONTENT_RANGE, &span.content_range(size));
            let body = segment(file.path, span.start, span.len()).await?;
            Ok(respond(StatusCode::PARTIAL_CONTENT, base, span.len(), body))
        }
        RangeRequest::Multiple(spans) => multipart(file, base, size, &spans).await,
        RangeRequest::Unsatisfiable => {
            insert(&mut base, header::CONTENT_RANGE, &format!("bytes */{size}"));
            base.remove(header::CONTENT_TYPE);
            Ok(status_only(StatusCode::RANGE_NOT_SATISFIABLE, base))
        }
    }
}

async fn multipart(
    file: Served<'_>,
    mut base: HeaderMap,
    size: u64,
    spans: &[ByteSpan],
) -> io::Result<Response> {
    let boundary = Uuid::new_v4().simple().to_string();
    let mut parts = Vec::with_capacity(spans.len() * 2 + 1);
    let mut length = 0u64;
    for (i, span) in spans.iter().enumerate() {
        let head = format!(
            "{}--{boundary}\r\nContent-Type: {}\r\nContent-Range: {}\r\n\r\n",
            if i == 0 { "" } else { "\r\n" },
            file.mime_type,
            span.content_range(size)
        );
        length += head.len() as u64 + span.len();
        parts.push(stream::once(async move { Ok(Bytes::from(head)) }).boxed());
        parts.push(reader(file.path, span.start, span.len()).await?.boxed());
    }
    let tail = format!("\r\n--{boundary}--\r\n");
    length += tail.len() as u64;
    parts.push(stream::once(async move { Ok(Bytes::from(tail)) }).boxed());
    insert(
        &mut base,
        header::CONTENT_TYPE,
        &format!("multipart/byteranges; boundary={boundary}"),
    );
    let body = Body::from_stream(stream::iter(parts).flatten());
    Ok(respond(StatusCode::PARTIAL_CONTENT, base, length, body))
}

async fn reader(
    path: &Path,
    start: u64,
    len: u64,
) -> io::Result<ReaderStream<tokio::io::Take<tokio::fs::File>>> {
    let mut file = tokio::fs::File::open(path).await?;
    if start > 0 {
        file.seek(SeekFrom::Start(start)).await?;
    }
    Ok(ReaderStream::with_capacity(file.take(len), CHUNK))
}

async fn segment(path: &Path, start: u64, len: u64) -> io::Result<Body> {
    Ok(Body::from_stream(reader(path, start, len).await?))
}

fn respond(status: StatusCode, headers: HeaderMap, length: u64, body: Body) -> Response {
    let mut response = (status, headers, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    response
}

fn status_only(status: StatusCode, headers: HeaderMap) -> Response {
    (status, headers).into_response()
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        headers.insert(name, v);
    }
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// An HTTP date header as Unix seconds; an unparsable one is ignored, as RFC 9110 requires.
fn date(headers: &HeaderMap, name: header::HeaderName) -> Option<u64> {
    let value = text(headers, name)?;
    let time: SystemTime = httpdate::parse_http_date(value).ok()?;
    time.duration_since(UNIX_EPOCH).ok().map(|d| d.as_secs())
}

/// Whether a `#entity-tag` list (or `*`) matches; strong comparison for If-Match, weak for
/// If-None-Match.
fn matches_any(list: &str, etag: &str, strong: bool) -> bool {
    if list.trim() == "*" {
        return true;
    }
    list.split(',')
        .map(str::trim)
        .any(|candidate| match candidate.strip_prefix("W/") {
            Some(weak) => !strong && weak == etag,
            None => candidate == etag,
        })
}

/// `If-Range`: the Range applies only if the validator still names this representation: a
/// strong ETag match, or exactly the Last-Modified date. Absent, it holds.
fn if_range_holds(headers: &HeaderMap, etag: &str, modified_secs: u64) -> bool {
    let Some(value) = text(headers, header::IF_RANGE) else {
        return true;
    };
    let value = value.trim();
    if value.starts_with('"') || value.starts_with("W/") {
        return value == etag;
    }
    httpdate::parse_http_date(value)
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .is_some_and(|d| d.as_secs() == modified_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_lists() {
        let tag = "\"abc\"";
        assert!(matches_any("\"abc\"", tag, true));
        assert!(matches_any("\"x\", \"abc\"", tag, true));
        assert!(matches_any("*", tag, true));
        assert!(matches_any("W/\"abc\"", tag, false));
        assert!(!matches_any("W/\"abc\"", tag, true));
        assert!(!matches_any("\"abcd\"", tag, false));
    }

    #[test]
    fn if_range_validators() {
        let mut headers = HeaderMap::new();
        assert!(if_range_holds(&headers, "\"a\"", 100));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"a\""));
        assert!(if_range_holds(&headers, "\"a\"", 100));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("W/\"a\""));
        assert!(!if_range_holds(&headers, "\"a\"", 100));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("\"b\""));
        assert!(!if_range_holds(&headers, "\"a\"", 100));
        let when = UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
        let date = httpdate::fmt_http_date(when);
        headers.insert(
            header::IF_RANGE,
            HeaderValue::from_str(&date).expect("header"),
        );
        assert!(if_range_holds(&headers, "\"a\"", 1_700_000_000));
        assert!(!if_range_holds(&headers, "\"a\"", 1_700_000_001));
        headers.insert(header::IF_RANGE, HeaderValue::from_static("garbage"));
        assert!(!if_range_holds(&headers, "\"a\"", 100));
    }
}
