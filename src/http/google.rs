//! The browser flow of Google sign-in (any OpenID provider set by `OIDC_ISSUER_URL`):
//!
//! - `GET /auth/google` starts a sign-in (state, nonce and PKCE verifier kept server-side; see
//!   `service::federated`), sets a short-lived binding cookie, and redirects (303) to the
//!   provider.
//! - `GET /auth/google/callback` checks `state` (known, unused, fresh, same browser), exchanges
//!   the code, verifies the ID token, signs the user in, and redirects (303) to
//!   `FRONTEND_URL/auth/callback#accessToken=…&refreshToken=…&expiresIn=…`. The tokens travel in
//!   the fragment, which browsers never send to a server. A bad state, a failed exchange or a
//!   refused ID token is a 400 page with no tokens; a provider-side refusal (`error=…`, e.g. the
//!   user cancelled) with a good state redirects to `FRONTEND_URL/auth/callback#error=…`.
//! - With no `GOOGLE_CLIENT_ID` both answer 404 with a JSON error (`NOT_FOUND`).

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use super::HttpState;
use crate::auth::oidc;
use crate::error::AppError;
use crate::service::accounts::federated;

const COOKIE: &str = "soundroom_oidc";

pub async fn start(State(state): State<HttpState>) -> Response {
    let app = &state.app;
    if !app.oidc.is_configured() {
        return oidc::not_configured().into_response();
    }
    let started = match federated::start_browser_sign_in(app).await {
        Ok(s) => s,
        Err(err) => return error_page(err),
    };
    let secure = if app.config.security.public_url_is_https() {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{COOKIE}={}; Path=/auth/google; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        started.browser_binding,
        federated::PENDING_TTL_MINUTES * 60
    );
    let mut response = redirect(&started.redirect_url);
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

pub async fn callback(
    State(state): State<HttpState>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let app = &state.app;
    if !app.oidc.is_configured() {
        return oidc::not_configured().into_response();
    }
    let Some(state_param) = params.get("state") else {
        return page(
            StatusCode::BAD_REQUEST,
            "The sign-in response has no state; start again.",
        );
    };
    let claimed = match federated::claim(&app.db, state_param, cookie(&headers)).await {
        Ok(c) => c,
        Err(err) => return error_page(err),
    };
    let frontend = format!("{}/auth/callback", app.config.security.frontend_url);
    if let Some(error) = params.get("error") {
        let mut response = redirect(&format!("{frontend}#error={}", encode(error)));
        clear_cookie(&mut response);
        return response;
    }
    let Some(code) = params.get("code") else {
        return page(
            StatusCode::BAD_REQUEST,
            "The sign-in response has no code; start again.",
        );
    };
    match federated::finish_browser_sign_in(app, claimed, code).await {
        Ok((tokens, _user)) => {
            let mut response = redirect(&format!(
                "{frontend}#accessToken={}&refreshToken={}&expiresIn={}",
                encode(&tokens.access_token),
                encode(&tokens.refresh_token),
                tokens.expires_in_secs
            ));
            clear_cookie(&mut response);
            response
        }
        Err(err) => error_page(err),
    }
}

fn cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value)
}

fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    response
}

fn clear_cookie(response: &mut Response) {
    let expired = format!("{COOKIE}=; Path=/auth/google; HttpOnly; SameSite=Lax; Max-Age=0");
    if let Ok(v) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
}

/// A sign-in failure as a page: 400 for anything about the request or the identity, 404 when
/// sign-in is off, 500 (logged) for our own failures and an unreachable provider.
fn error_page(err: AppError) -> Response {
    let status = match &err {
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        _ => StatusCode::BAD_REQUEST,
    };
    page(status, &err.public_message())
}

fn page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Sign-in failed</title></head>\
         <body><h1>Sign-in failed</h1><p>{}</p></body></html>",
        escape_html(message)
    );
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn escape_html(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            '&' => "&amp;".to_owned(),
            '"' => "&quot;".to_owned(),
            '\'' => "&#39;".to_owned(),
            c => c.to_string(),
        })
        .collect()
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_parsing_and_encoding() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; soundroom_oidc=xyz; b=2"),
        );
        assert_eq!(cookie(&h), Some("xyz"));
        assert_eq!(cookie(&HeaderMap::new()), None);
        assert_eq!(encode("a.b-c_d~e"), "a.b-c_d~e");
        assert_eq!(encode("a b&c=d#"), "a%20b%26c%3Dd%23");
        assert_eq!(
            escape_html("<b>\"x\"</b>"),
            "&lt;b&gt;&quot;x&quot;&lt;/b&gt;"
        );
    }
}
