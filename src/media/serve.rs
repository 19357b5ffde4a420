//! Serving a stored file over HTTP per RFC 9110: validators (`ETag`, `Last-Modified`),
//! conditional requests (`If-Match`, `If-None-Match`, `If-Modified-Since`,
//! `If-Unmodified-Since`, `If-Range`) and byte ranges (single, suffix, open, multiple as
//! `multipart/byteranges`). Bodies are read from the open file (or its cached blocks) as the
//! connection takes them, never read whole into memory.

use std::{
    io,
    sync::Arc,
    time::{SystemTime, UNIX_EPOCH},
};

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use futures_util::{Stream, StreamExt, stream};
use uuid::Uuid;

use super::blocks::{BLOCK, BlockKey, Blocks};
use super::open_files::OpenFile;
use super::range::{self, ByteSpan, RangeRequest};

/// Largest read while no block cache is on: a whole-file GET goes out in writes this large.
const LARGE_READ: u64 = 1024 * 1024;

/// A file about to be served, and the block cache to serve it through (`None`: read directly).
#[derive(Clone)]
pub struct Source {
    pub file: Arc<OpenFile>,
    pub blocks: Option<Arc<Blocks>>,
}

/// Answers `method` (GET or HEAD) for `source` given the request's headers.
pub fn serve(source: Source, method: &Method, headers: &HeaderMap) -> Response {
    let file = &source.file;
    let (size, modified_secs, etag) = (file.size, file.modified_secs, file.etag.as_str());

    let mut base = HeaderMap::new();
    base.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    base.insert(header::CACHE_CONTROL, HeaderValue::from_static("private"));
    base.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    base.insert(header::ETAG, file.etag_header.clone());
    base.insert(header::LAST_MODIFIED, file.last_modified.clone());

    // RFC 9110 §13.2.2: If-Match, then If-Unmodified-Since, then If-None-Match, then
    // If-Modified-Since, then If-Range.
    if let Some(value) = text(headers, header::IF_MATCH) {
        if !matches_any(value, etag, true) {
            return status_only(StatusCode::PRECONDITION_FAILED, base);
        }
    } else if let Some(since) = date(headers, header::IF_UNMODIFIED_SINCE)
        && modified_secs > since
    {
        return status_only(StatusCode::PRECONDITION_FAILED, base);
    }
    if let Some(value) = text(headers, header::IF_NONE_MATCH) {
        if matches_any(value, etag, false) {
            return status_only(StatusCode::NOT_MODIFIED, base);
        }
    } else if let Some(since) = date(headers, header::IF_MODIFIED_SINCE)
        && modified_secs <= since
    {
        return status_only(StatusCode::NOT_MODIFIED, base);
    }

    base.insert(header::CONTENT_TYPE, file.content_type.clone());
    let ranges = match text(headers, header::RANGE) {
        // Range is defined for GET only; If-Range whose validator fails means "send it all".
        Some(value) if method == Method::GET && if_range_holds(headers, etag, modified_secs) => {
            range::evaluate(value, size)
        }
        _ => RangeRequest::Full,
    };
    let head = method == Method::HEAD;
    match ranges {
        RangeRequest::Full => {
            let body = if head || size == 0 {
                Body::empty()
            } else {
                span_body(&source, 0, size)
            };
            respond(StatusCode::OK, base, size, body)
        }
        RangeRequest::Single(span) => {
            insert(&mut base, header::CONTENT_RANGE, &span.content_range(size));
            let body = span_body(&source, span.start, span.len());
            respond(StatusCode::PARTIAL_CONTENT, base, span.len(), body)
        }
        RangeRequest::Multiple(spans) => multipart(&source, base, &spans),
        RangeRequest::Unsatisfiable => {
            insert(&mut base, header::CONTENT_RANGE, &format!("bytes */{size}"));
            base.remove(header::CONTENT_TYPE);
            status_only(StatusCode::RANGE_NOT_SATISFIABLE, base)
        }
    }
}

fn multipart(source: &Source, mut base: HeaderMap, spans: &[ByteSpan]) -> Response {
    let size = source.file.size;
    let boundary = Uuid::new_v4().simple().to_string();
    let mut parts = Vec::with_capacity(spans.len() * 2 + 1);
    let mut length = 0u64;
    for (i, span) in spans.iter().enumerate() {
        let head = format!(
            "{}--{boundary}\r\nContent-Type: {}\r\nContent-Range: {}\r\n\r\n",
            if i == 0 { "" } else { "\r\n" },
            source.file.mime_type,
            span.content_range(size)
        );
        length += head.len() as u64 + span.len();
        parts.push(stream::once(async move { Ok(Bytes::from(head)) }).boxed());
        parts.push(pieces(source.clone(), span.start, span.len()).boxed());
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
    respond(StatusCode::PARTIAL_CONTENT, base, length, body)
}

/// The body of `len` bytes from `start`: straight from the cache when every block is there (one
/// buffer for a range within a block), else read lazily as the connection takes it.
fn span_body(source: &Source, start: u64, len: u64) -> Body {
    if let Some(blocks) = &source.blocks {
        let mut cached = Vec::new();
        let mut pos = start;
        let end = start + len;
        while pos < end {
            let Some(block) = blocks.get(&key(&source.file, pos / BLOCK)) else {
                break;
            };
            let piece = slice(&block, pos, end);
            pos += piece.len() as u64;
            cached.push(piece);
        }
        if pos == end {
            return match <[Bytes; 1]>::try_from(cached) {
                Ok([one]) => Body::from(one),
                Err(many) => {
                    Body::from_stream(stream::iter(many.into_iter().map(Ok::<_, io::Error>)))
                }
            };
        }
    }
    Body::from_stream(pieces(source.clone(), start, len))
}

/// The bytes from `start` to `start + len`, one block (or one large read) at a time.
fn pieces(
    source: Source,
    start: u64,
    len: u64,
) -> impl Stream<Item = io::Result<Bytes>> + Send + 'static {
    let end = start + len;
    stream::try_unfold((source, start), move |(source, pos)| async move {
        if pos >= end {
            return Ok(None);
        }
        let piece = piece(&source, pos, end).await?;
        let next = pos + piece.len() as u64;
        Ok(Some((piece, (source, next))))
    })
}

/// The next bytes at `pos`, at most up to `end`.
async fn piece(source: &Source, pos: u64, end: u64) -> io::Result<Bytes> {
    let file = &source.file;
    let Some(blocks) = &source.blocks else {
        let len = (end - pos).min(LARGE_READ);
        return file.read_at(pos, len as usize).await;
    };
    let index = pos / BLOCK;
    let key = key(file, index);
    let block = match blocks.get(&key) {
        Some(block) => block,
        None => {
            let block_start = index * BLOCK;
            let block_len = BLOCK.min(file.size - block_start);
            let block = file.read_at(block_start, block_len as usize).await?;
            blocks.insert(key, block.clone());
            block
        }
    };
    Ok(slice(&block, pos, end))
}

fn key(file: &OpenFile, index: u64) -> BlockKey {
    BlockKey {
        id: file.id,
        inode: file.inode(),
        index,
    }
}

/// The part of a block (the one holding `pos`) from `pos` to at most `end`.
fn slice(block: &Bytes, pos: u64, end: u64) -> Bytes {
    let from = (pos % BLOCK) as usize;
    let to = (from as u64 + (end - pos)).min(block.len() as u64) as usize;
    block.slice(from..to)
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
