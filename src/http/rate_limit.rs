//! The client address of each request, and the general per-client request limit.
//!
//! The client address is the socket's peer address. `X-Forwarded-For` is trusted only with
//! `TRUST_PROXY_HOPS=N` (N reverse proxies in front, each appending the address it saw): the
//! N-th entry from the right is then the client; entries further left are whatever the client
//! claimed and are ignored.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::HttpState;
use crate::auth::rate_limit::{Bucket, ClientAddr};
use crate::error::AppError;

/// Routes that load balancers and monitoring poll; never limited.
const UNLIMITED: &[&str] = &["/health", "/ready", "/metrics"];

/// Finds the client address (kept as a request extension for the handlers) and applies the
/// general per-client limit: 429 with `Retry-After` beyond it.
pub async fn limit_requests(
    State(state): State<HttpState>,
    mut request: Request,
    next: Next,
) -> Response {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    let client = client_addr(
        peer,
        request.headers(),
        state.app.config.security.trust_proxy_hops,
    );
    request.extensions_mut().insert(client);
    if !state.app.limiter.enabled() || UNLIMITED.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    match state.app.limiter.hit(Bucket::Requests, &client.key()).await {
        Ok(()) => next.run(request).await,
        Err(err) => too_many(request.uri().path(), err),
    }
}

/// The rate-limit answer at the HTTP level: 429, `Retry-After`, and a body in the shape the
/// route's clients read (GraphQL errors on `/graphql`).
pub fn too_many(path: &str, err: AppError) -> Response {
    if path != "/graphql" {
        return err.into_response();
    }
    let retry_after = match &err {
        AppError::TooManyRequests { retry_after_secs } => *retry_after_secs,
        _ => 1,
    };
    let gql: async_graphql::Error = err.into();
    let body = serde_json::json!({ "errors": [gql.into_server_error(Default::default())] });
    let mut response = (StatusCode::TOO_MANY_REQUESTS, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
        headers.insert(header::RETRY_AFTER, v);
    }
    response
}

fn client_addr(peer: Option<IpAddr>, headers: &HeaderMap, trust_proxy_hops: usize) -> ClientAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if trust_proxy_hops == 0 {
        return ClientAddr(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|entry| parse_forwarded_ip(entry.trim()))
        .collect();
    // The proxy nearest to us appended the last entry; with N proxies the client is N-th from
    // the right. Fewer entries than proxies: the header was not set as promised; use the peer.
    forwarded
        .len()
        .checked_sub(trust_proxy_hops)
        .and_then(|i| forwarded.get(i).copied())
        .map_or(ClientAddr(peer), ClientAddr)
}

/// `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or `[2001:db8::1]:443`.
fn parse_forwarded_ip(entry: &str) -> Option<IpAddr> {
    if let Ok(ip) = entry.parse::<IpAddr>() {
        return Some(ip);
    }
    entry.parse::<SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xff(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "x-forwarded-for",
            HeaderValue::from_str(value).expect("header"),
        );
        h
    }

    #[test]
    fn forwarded_for_is_trusted_only_as_configured() {
        let peer: IpAddr = "10.0.0.9".parse().expect("ip");
        let h = xff("6.6.6.6, 1.2.3.4");
        assert_eq!(client_addr(Some(peer), &h, 0).0, peer, "off by default");
        assert_eq!(client_addr(Some(peer), &h, 1).0.to_string(), "1.2.3.4");
        assert_eq!(client_addr(Some(peer), &h, 2).0.to_string(), "6.6.6.6");
        assert_eq!(client_addr(Some(peer), &h, 3).0, peer, "too few entries");
        assert_eq!(
            client_addr(Some(peer), &xff("[2001:db8::1]:443"), 1)
                .0
                .to_string(),
            "2001:db8::1"
        );
        assert_eq!(client_addr(Some(peer), &xff("junk"), 1).0, peer);
        assert_eq!(client_addr(Some(peer), &HeaderMap::new(), 1).0, peer);
    }
}
