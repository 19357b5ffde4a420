//! The axum router, one file per route: `/graphql` (HTTP in [`graphql`], WebSocket in [`ws`],
//! multipart uploads in [`upload`]), `/graphiql`, `/stream/{trackId}` and its `/metadata`
//! ([`stream`]), `/attachments/{id}` ([`attachments`]), `/auth/google` and its callback ([`google`]), `/health` and `/ready`
//! ([`health`]), `/metrics`, and the web client as the fallback for every other path
//! ([`web`]); and the cross-cutting layers (request ids, tracing, CORS, compression, the client
//! address and per-client limit in [`rate_limit`], the body limit).
//!
//! CORS: the allowed origins are `CORS_ORIGINS` (any in development); a preflight may ask for
//! any request header (Apollo's `apollographql-client-*`, tracing's `traceparent`/`baggage`/
//! `sentry-trace`, …): the answer mirrors what it asked for. Which sites may call is decided by
//! the origin list alone; cross-origin requests carry no cookies (credentials are not allowed),
//! only the bearer token a client chose to send.

mod attachments;
mod google;
mod graphql;
mod health;
mod metrics;
mod params;
mod rate_limit;
mod stream;
mod upload;
mod web;
mod ws;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use axum::{
    Router,
    extract::FromRef,
    http::{
        Extensions, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, Version,
        header,
    },
    response::Response,
    routing::get,
};
use tower::ServiceBuilder;
use tower_http::{
    LatencyUnit,
    compression::{
        CompressionLayer, Predicate,
        predicate::{DefaultPredicate, NotForContentType},
    },
    cors::{AllowHeaders, AllowOrigin, CorsLayer},
    limit::RequestBodyLimitLayer,
    request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::{DefaultOnResponse, TraceLayer},
};
use tracing::Level;

use crate::graphql::AppSchema;
use crate::state::AppState;

pub use ws::WsConfig;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// What the HTTP handlers share.
#[derive(Clone)]
pub struct HttpState {
    pub app: AppState,
    pub schema: AppSchema,
}

impl FromRef<HttpState> for AppState {
    fn from_ref(state: &HttpState) -> AppState {
        state.app.clone()
    }
}

pub fn router(app: AppState, schema: AppSchema) -> Router {
    let cors = cors(&app.config.cors_origins);
    // JSON bodies are held to BODY_LIMIT_BYTES by the GraphQL handler; this outer limit only
    // has to let a multipart upload of its largest files (plus its operations) through.
    let body_limit = app
        .config
        .body_limit_bytes
        .saturating_mul(2)
        .saturating_add(
            usize::try_from(largest_file(&app)).unwrap_or(usize::MAX) * upload::MAX_FILES,
        );
    let state = HttpState { app, schema };

    let layers = ServiceBuilder::new()
        .layer(SetRequestIdLayer::new(REQUEST_ID, RequestIds::new()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request<_>| {
                    let request_id = req.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("");
                    // The path only: query strings may carry tokens.
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id)
                })
                .on_response(DefaultOnResponse::new().level(Level::INFO).latency_unit(LatencyUnit::Micros)),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(cors)
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .br(true)
                // Audio and video are already compressed, and compressing a file served by byte
                // ranges would break its ranges (multipart ones too).
                .compress_when(
                    DefaultPredicate::new()
                        .and(NotForContentType::const_new("audio/"))
                        .and(NotForContentType::const_new("video/"))
                        .and(NotForContentType::const_new("multipart/byteranges"))
                        .and(not_ranged as fn(StatusCode, Version, &HeaderMap, &Extensions) -> bool),
                ),
        )
        // The client address and the general per-client limit, for every route.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit_requests,
        ))
        .layer(RequestBodyLimitLayer::new(body_limit));

    // What these answer depends on who asks (the bearer token), so caches must key on it.
    let per_viewer = Router::new()
        .route("/graphql", get(graphql::get).post(graphql::post))
        .route("/stream/{track_id}", get(stream::audio))
        .route("/stream/{track_id}/metadata", get(stream::metadata))
        .route("/attachments/{attachment_id}", get(attachments::attachment))
        .route_layer(axum::middleware::map_response(vary_on_authorization));

    Router::new()
        .merge(per_viewer)
        .route("/graphiql", get(graphql::graphiql))
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .route("/auth/google", get(google::start))
        .route("/auth/google/callback", get(google::callback))
        .route("/auth/providers", get(web::providers))
        .fallback(web::fallback)
        .with_state(state)
        .layer(layers)
}

/// Request ids shaped as UUIDs: a random half drawn once per process and a counter, so that
/// naming a request costs no system call (a v4 UUID reads the system's random source each time).
#[derive(Clone)]
struct RequestIds {
    prefix: u64,
    next: Arc<AtomicU64>,
}

impl RequestIds {
    fn new() -> Self {
        Self {
            prefix: uuid::Uuid::new_v4().as_u64_pair().0,
            next: Arc::default(),
        }
    }
}

impl MakeRequestId for RequestIds {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
        let id = uuid::Uuid::from_u64_pair(self.prefix, n)
            .hyphenated()
            .encode_lower(&mut buf);
        HeaderValue::from_str(id).ok().map(RequestId::new)
    }
}

/// The largest file one multipart upload may carry: an audio track or an attachment.
fn largest_file(app: &AppState) -> u64 {
    app.config
        .media
        .max_upload_bytes
        .max(app.config.messenger.max_attachment_bytes)
}

/// Responses served by byte ranges (`Accept-Ranges: bytes`) are never compressed: a compressed
/// body has no byte positions to range over.
fn not_ranged(_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions) -> bool {
    headers
        .get(header::ACCEPT_RANGES)
        .is_none_or(|v| v != "bytes")
}

fn cors(origins: &Option<Vec<String>>) -> CorsLayer {
    let allow_origin = match origins {
        None => AllowOrigin::mirror_request(),
        Some(list) => AllowOrigin::list(list.iter().filter_map(|o| HeaderValue::from_str(o).ok())),
    };
    CorsLayer::new()
        .allow_origin(allow_origin)
        .allow_methods([Method::GET, Method::POST, Method::HEAD, Method::OPTIONS])
        .allow_headers(AllowHeaders::mirror_request())
        .expose_headers([
            REQUEST_ID,
            header::CONTENT_RANGE,
            header::ACCEPT_RANGES,
            header::CONTENT_LENGTH,
            header::ETAG,
            header::RETRY_AFTER,
            header::CONTENT_DISPOSITION,
        ])
        .max_age(Duration::from_secs(600))
}

/// Adds `Authorization` to the response's `Vary` (next to what CORS and compression add), so a
/// browser never answers a request from a response cached for another (or no) bearer token.
async fn vary_on_authorization(mut response: Response) -> Response {
    response
        .headers_mut()
        .append(header::VARY, HeaderValue::from_static("authorization"));
    response
}
