//! GraphQL over HTTP, per the GraphQL-over-HTTP spec:
//!
//! - `Accept` negotiation: `application/graphql-response+json` when the client asks for it,
//!   `application/json` for `application/json`, `*/*` or no `Accept`; anything else is 406.
//! - A malformed request (no body, bad JSON, a parameter of the wrong type) is 400 whatever the
//!   media type. A document that fails to parse or validate has no `data` entry and is 400 under
//!   `application/graphql-response+json`, 200 under legacy `application/json`.
//! - POST needs `Content-Type: application/json`, or `multipart/form-data` for uploads (see
//!   [`super::upload`]); 415 otherwise. GET runs queries only (405
//!   with `Allow: POST` for mutations); a GET with a WebSocket upgrade goes to [`super::ws`].

use async_graphql::{
    Request as GqlRequest, Response as GqlResponse, ServerError,
    parser::{parse_query, types::OperationType},
};
use axum::{
    extract::{FromRequestParts, Query, Request, State, WebSocketUpgrade},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value};
use std::collections::HashMap;

use super::{HttpState, params, upload, web, ws};
use crate::auth::Viewer;
use crate::auth::rate_limit::ClientAddr;
use crate::error::AppError;

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    GraphqlResponseJson,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }

    /// The status of a document that fails to parse or validate: 400 under the new media type,
    /// 200 under legacy JSON.
    fn document_error_status(self) -> StatusCode {
        match self {
            Format::GraphqlResponseJson => StatusCode::BAD_REQUEST,
            Format::Json => StatusCode::OK,
        }
    }
}

pub async fn get(State(state): State<HttpState>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let client = parts.extensions.get::<ClientAddr>().copied();
    if is_websocket_upgrade(&parts.headers) {
        return match WebSocketUpgrade::from_request_parts(&mut parts, &state).await {
            Ok(upgrade) => ws::upgrade(state, upgrade, &parts.headers, client),
            Err(rejection) => rejection.into_response(),
        };
    }
    let params: HashMap<String, String> = match Query::try_from_uri(&parts.uri) {
        Ok(Query(params)) => params,
        Err(_) => HashMap::new(),
    };
    if !params.contains_key("query") && accepts_html(&parts.headers) {
        return graphiql(parts.headers).await;
    }
    let Some(format) = negotiate(&parts.headers) else {
        return not_acceptable();
    };
    let mut body = Map::new();
    for (key, value) in params {
        let value = match key.as_str() {
            // These two arrive URL-encoded as JSON text.
            "variables" | "extensions" => match serde_json::from_str::<Value>(&value) {
                Ok(v) => v,
                Err(_) => return request_error(format, &format!("`{key}` must be a JSON object")),
            },
            _ => Value::String(value),
        };
        body.insert(key, value);
    }
    let request = match params::request_from_json(Value::Object(body)) {
        Ok(r) => r,
        Err(msg) => return request_error(format, &msg),
    };
    if !is_query_operation(&request) {
        let mut resp = request_error_with_status(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            "Only queries may be sent with GET; send mutations with POST",
        );
        resp.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
        return resp;
    }
    execute(&state, &parts.headers, format, with_client(request, client)).await
}

pub async fn post(State(state): State<HttpState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let headers = &parts.headers;
    let client = parts.extensions.get::<ClientAddr>().copied();
    let Some(format) = negotiate(headers) else {
        return not_acceptable();
    };
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return request_error_with_status(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type: application/json is required",
        );
    };
    let Ok(mime) = content_type.parse::<mime::Mime>() else {
        return request_error_with_status(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Malformed Content-Type",
        );
    };
    if mime.essence_str() == "multipart/form-data" {
        let Some(boundary) = mime.get_param(mime::BOUNDARY) else {
            return request_error(format, "multipart/form-data needs a boundary");
        };
        return post_multipart(&state, headers, client, format, body, boundary.to_string()).await;
    }
    let utf8 = mime
        .get_param(mime::CHARSET)
        .is_none_or(|c| c == mime::UTF_8);
    if mime.essence_str() != "application/json" || !utf8 {
        return request_error_with_status(
            format,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Content-Type must be application/json (UTF-8) or multipart/form-data",
        );
    }
    let limit = state.app.config.body_limit_bytes;
    let Ok(body) = axum::body::to_bytes(body, limit).await else {
        return request_error_with_status(
            format,
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("The request body is larger than {limit} bytes"),
        );
    };
    if body.is_empty() {
        return request_error(format, "A request body is required");
    }
    let value = match serde_json::from_slice::<Value>(&body) {
        Ok(v) => v,
        Err(e) => return request_error(format, &format!("Request body is not valid JSON: {e}")),
    };
    let request = match params::request_from_json(value) {
        Ok(r) => r,
        Err(msg) => return request_error(format, &msg),
    };
    execute(&state, headers, format, with_client(request, client)).await
}

/// A GraphQL multipart request (file uploads). Uploads need a signed-in user, checked before a
/// byte of the files is read.
async fn post_multipart(
    state: &HttpState,
    headers: &HeaderMap,
    client: Option<ClientAddr>,
    format: Format,
    body: axum::body::Body,
    boundary: String,
) -> Response {
    let viewer = match viewer(state, headers) {
        Ok(v) if v.user.is_some() => v,
        Ok(_) => return auth_error(format, AppError::unauthenticated("Sign in to upload files")),
        Err(err) => return auth_error(format, err),
    };
    let limits = upload::Limits {
        operations_bytes: state.app.config.body_limit_bytes as u64,
        file_bytes: state.app.config.media.max_upload_bytes,
        file_bytes_by_field: vec![(
            "uploadAttachment",
            state.app.config.messenger.max_attachment_bytes,
        )],
    };
    match upload::receive(
        body,
        boundary,
        &state.app.media,
        limits,
        params::request_from_json,
    )
    .await
    {
        Ok((request, staged)) => {
            let leftovers = staged.paths();
            let request = with_client(request.data(staged), client);
            let response = run(state, viewer, format, request).await;
            // What no resolver installed is removed before the client hears back.
            for path in leftovers {
                let _ = tokio::fs::remove_file(path).await;
            }
            response
        }
        Err(upload::Refusal::Malformed(message)) => request_error(format, &message),
        Err(upload::Refusal::App(status, err)) => body_response(
            format,
            status,
            serde_json::json!({ "errors": [error_value(err)] }),
        ),
    }
}

/// GraphiQL, built in `web/` and served from the binary (no CDN): queries over HTTP and
/// subscriptions over graphql-transport-ws on `/graphql`, with a headers editor.
pub async fn graphiql(headers: HeaderMap) -> Response {
    web::graphiql(&headers)
}

async fn execute(
    state: &HttpState,
    headers: &HeaderMap,
    format: Format,
    request: GqlRequest,
) -> Response {
    match viewer(state, headers) {
        Ok(viewer) => run(state, viewer, format, request).await,
        Err(err) => auth_error(format, err),
    }
}

fn viewer(state: &HttpState, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or("<invalid>"));
    Viewer::from_authorization(&state.app.tokens, authorization)
}

async fn run(state: &HttpState, viewer: Viewer, format: Format, request: GqlRequest) -> Response {
    let response = state.schema.execute(request.data(viewer)).await;
    render(format, response)
}

/// The client address travels as request data (for the per-client limits in resolvers).
fn with_client(request: GqlRequest, client: Option<ClientAddr>) -> GqlRequest {
    match client {
        Some(c) => request.data(c),
        None => request,
    }
}

fn render(format: Format, response: GqlResponse) -> Response {
    let is_request_error = response.data == async_graphql::Value::Null
        && !response.errors.is_empty()
        && response.errors.iter().all(|e| e.path.is_empty());
    let mut http_headers = response.http_headers.clone();
    let (status, body) = if is_request_error {
        (
            format.document_error_status(),
            serde_json::json!({ "errors": response.errors }).to_string(),
        )
    } else {
        (
            StatusCode::OK,
            serde_json::to_string(&response).unwrap_or_else(|_| internal_body().to_string()),
        )
    };
    http_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    let mut resp = (status, body).into_response();
    resp.headers_mut().extend(http_headers);
    resp
}

fn internal_body() -> Value {
    serde_json::json!({ "errors": [{ "message": "Internal server error", "extensions": { "code": "INTERNAL_SERVER_ERROR" } }] })
}

/// A bad or expired token: `UNAUTHENTICATED`, 401 under the new media type.
fn auth_error(format: Format, err: AppError) -> Response {
    let status = match format {
        Format::GraphqlResponseJson => StatusCode::UNAUTHORIZED,
        Format::Json => StatusCode::OK,
    };
    let body = serde_json::json!({ "errors": [error_value(err)] });
    let mut resp = body_response(format, status, body);
    resp.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer error=\"invalid_token\""),
    );
    resp
}

/// An error raised before execution, as a GraphQL error object (no location: there is none).
fn error_value(err: AppError) -> Value {
    let gql: async_graphql::Error = err.into();
    let mut value = serde_json::to_value(gql.into_server_error(Default::default()))
        .unwrap_or_else(|_| internal_body());
    if let Some(map) = value.as_object_mut() {
        map.remove("locations");
    }
    value
}

/// A request that is not well-formed GraphQL over HTTP: 400.
fn request_error(format: Format, message: &str) -> Response {
    request_error_with_status(format, StatusCode::BAD_REQUEST, message)
}

fn request_error_with_status(format: Format, status: StatusCode, message: &str) -> Response {
    let error = ServerError::new(message, None);
    let mut value = serde_json::to_value(&error).unwrap_or_default();
    value["extensions"] = serde_json::json!({ "code": "BAD_REQUEST" });
    body_response(format, status, serde_json::json!({ "errors": [value] }))
}

fn body_response(format: Format, status: StatusCode, body: Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    resp
}

/// Whether the selected operation is a query. An unparsable document counts as a query so that
/// execution reports the syntax error.
fn is_query_operation(request: &GqlRequest) -> bool {
    let Ok(doc) = parse_query(&request.query) else {
        return true;
    };
    let ty = match (&doc.operations, &request.operation_name) {
        (async_graphql::parser::types::DocumentOperations::Single(op), _) => Some(op.node.ty),
        (async_graphql::parser::types::DocumentOperations::Multiple(ops), Some(name)) => {
            ops.get(name.as_str()).map(|op| op.node.ty)
        }
        // Several operations and no name: execution reports it.
        (async_graphql::parser::types::DocumentOperations::Multiple(_), None) => None,
    };
    ty.is_none_or(|t| t == OperationType::Query)
}

/// The response format for the request's `Accept`; `None` when nothing we produce is acceptable.
fn negotiate(headers: &HeaderMap) -> Option<Format> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Format::Json);
    };
    let mut ranges: Vec<(f32, usize, &str)> = accept
        .split(',')
        .enumerate()
        .filter_map(|(i, part)| {
            let mut pieces = part.split(';');
            let media = pieces.next()?.trim();
            let q = pieces
                .filter_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .next()
                .unwrap_or(1.0);
            (q > 0.0).then_some((q, i, media))
        })
        .collect();
    ranges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, _, media) in ranges {
        match media.to_ascii_lowercase().as_str() {
            GRAPHQL_RESPONSE_JSON => return Some(Format::GraphqlResponseJson),
            "application/json" | "application/*" | "*/*" => return Some(Format::Json),
            _ => {}
        }
    }
    None
}

fn not_acceptable() -> Response {
    request_error_with_status(
        Format::Json,
        StatusCode::NOT_ACCEPTABLE,
        "Acceptable media types: application/graphql-response+json, application/json",
    )
}

fn accepts_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"))
}

fn is_websocket_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Format::Json));
        assert_eq!(
            negotiate(&accept("application/graphql-response+json")),
            Some(Format::GraphqlResponseJson)
        );
        assert_eq!(negotiate(&accept("*/*")), Some(Format::Json));
        assert_eq!(
            negotiate(&accept(
                "application/json;q=0.9, application/graphql-response+json"
            )),
            Some(Format::GraphqlResponseJson)
        );
        assert_eq!(
            negotiate(&accept(
                "application/graphql-response+json;q=0, application/json"
            )),
            Some(Format::Json)
        );
        assert!(negotiate(&accept("text/plain")).is_none());
    }

    #[test]
    fn operation_type() {
        assert!(is_query_operation(&GqlRequest::new("{ a }")));
        assert!(!is_query_operation(&GqlRequest::new("mutation { a }")));
        assert!(!is_query_operation(
            &GqlRequest::new("query A { a } mutation B { b }").operation_name("B")
        ));
        assert!(is_query_operation(
            &GqlRequest::new("query A { a } mutation B { b }").operation_name("A")
        ));
        assert!(is_query_operation(&GqlRequest::new("{")));
    }
}
