//! Soundroom's own web client and GraphiQL, served from files embedded in the binary.
//!
//! The sources live in `web/` (TypeScript, built by Vite); the build output `web/dist/` is
//! committed and embedded by `build.rs`, so the binary needs nothing beside it. What is served:
//!
//! - `/assets/…`: content-hashed files, cached for good (`immutable`); a miss is 404.
//! - other files at the top of `dist/` (`/favicon.svg`, …) and the pages themselves
//!   (`/` and every client-side route such as `/rooms/{id}` answer `index.html`; `/graphiql`
//!   answers `graphiql.html`): `no-cache`, so a new release is picked up on the next visit.
//! - GET or HEAD only; API-like paths (`/api/…`, `/graphql/…`, `/stream/…`, …), paths that
//!   name a file, and requests that do not accept HTML are 404 rather than the client.
//!
//! The routes of the API are matched before this fallback, so they always win.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};

use super::HttpState;

/// One embedded file of `web/dist/`.
pub struct Asset {
    pub path: &'static str,
    pub body: &'static [u8],
    pub content_type: &'static str,
    pub etag: &'static str,
}

mod embedded {
    use super::Asset;
    include!(concat!(env!("OUT_DIR"), "/web_assets.rs"));
}

const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";

/// Everything the pages load comes from this server; the API is same-origin (HTTP and
/// WebSocket); audio streams from `/stream`. Inline styles are allowed for GraphiQL's editor.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data: blob:; media-src 'self' blob:; font-src 'self' data:; \
    connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; \
    form-action 'self'; frame-ancestors 'none'";

/// Paths that belong to the API (or would if they existed): never answered with the client.
const RESERVED: &[&str] = &[
    "/api",
    "/assets",
    "/attachments",
    "/auth/google",
    "/graphiql",
    "/graphql",
    "/health",
    "/metrics",
    "/ready",
    "/stream",
];

fn find(path: &str) -> Option<&'static Asset> {
    embedded::ASSETS
        .binary_search_by(|a| a.path.cmp(path))
        .ok()
        .map(|i| &embedded::ASSETS[i])
}

fn page(name: &str) -> &'static Asset {
    // build.rs refuses to build without index.html; graphiql.html comes from the same build.
    find(name)
        .or_else(|| find("/index.html"))
        .unwrap_or(&embedded::ASSETS[0])
}

/// The router's fallback: an embedded file, the client for a client-side route, or 404.
pub async fn fallback(method: Method, uri: Uri, headers: HeaderMap) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return not_found();
    }
    let path = uri.path();
    if path != "/index.html"
        && let Some(asset) = find(path)
    {
        let cache = if path.starts_with("/assets/") {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return serve(asset, cache, &headers);
    }
    let reserved = RESERVED.iter().any(|p| {
        path == *p
            || path
                .strip_prefix(p)
                .is_some_and(|rest| rest.starts_with('/'))
    });
    let names_a_file = path
        .rsplit('/')
        .next()
        .is_some_and(|last| last.contains('.'));
    if reserved || names_a_file || !accepts_html(&headers) {
        return not_found();
    }
    serve(page("/index.html"), REVALIDATE, &headers)
}

/// GraphiQL (`/graphiql`, and `GET /graphql` from a browser).
pub fn graphiql(headers: &HeaderMap) -> Response {
    serve(page("/graphiql.html"), REVALIDATE, headers)
}

/// `GET /auth/providers`: which sign-in providers the client should offer.
pub async fn providers(State(state): State<HttpState>) -> Response {
    let mut response =
        Json(serde_json::json!({ "google": state.app.oidc.is_configured() })).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(REVALIDATE));
    response
}

fn serve(asset: &'static Asset, cache: &'static str, request: &HeaderMap) -> Response {
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(|t| t.trim().trim_start_matches("W/"))
                .any(|t| t == asset.etag.trim_start_matches("W/") || t == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        asset.body.into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::ETAG, HeaderValue::from_static(asset.etag));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if asset.content_type.starts_with("text/html") {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    if fresh {
        h.remove(header::CONTENT_LENGTH);
    }
    response
}

/// A browser navigation asks for HTML; `*/*` and no `Accept` at all count too (curl).
fn accepts_html(headers: &HeaderMap) -> bool {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    accept.split(',').any(|part| {
        let media = part.split(';').next().unwrap_or("").trim();
        media.eq_ignore_ascii_case("text/html") || media == "*/*" || media == "text/*"
    })
}

fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        Json(serde_json::json!({ "errors": [{ "message": "Not found", "extensions": { "code": "NOT_FOUND" } }] })),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_sorted_and_include_both_pages() {
        assert!(embedded::ASSETS.windows(2).all(|w| w[0].path < w[1].path));
        assert!(find("/index.html").is_some());
        assert!(find("/graphiql.html").is_some());
        assert!(
            embedded::ASSETS
                .iter()
                .any(|a| a.path.starts_with("/assets/"))
        );
    }

    #[test]
    fn html_acceptance() {
        let mut h = HeaderMap::new();
        assert!(accepts_html(&h));
        h.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        assert!(!accepts_html(&h));
        h.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"),
        );
        assert!(accepts_html(&h));
    }
}
