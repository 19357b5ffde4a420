//! A small OpenID provider for the tests, on 127.0.0.1: discovery document, JWKS, an
//! authorization endpoint that signs in whoever the test says (no login page), and a token
//! endpoint that checks the code (single use), the redirect URI, the client's credentials and
//! the PKCE verifier (S256) before returning an RS256-signed ID token. A test can make it
//! misbehave (sign with another key, tamper with the token, another audience, …) to check
//! that the server refuses.

#![allow(dead_code)]

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use axum::{
    Form, Json, Router,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use base64::{
    Engine,
    engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD},
};
use jsonwebtoken::{Algorithm, EncodingKey, Header, jwk::Jwk};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub const CLIENT_ID: &str = "soundroom-test-client";
pub const CLIENT_SECRET: &str = "soundroom-test-secret";
const KID: &str = "test-key-1";

/// Who signs in at the next authorization request.
#[derive(Clone, Debug)]
pub struct Identity {
    pub sub: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl Identity {
    pub fn new(sub: &str, email: &str) -> Self {
        Self {
            sub: sub.into(),
            email: Some(email.into()),
            email_verified: true,
            name: Some("Ann Google".into()),
        }
    }
}

/// How the provider misbehaves when it issues an ID token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tweak {
    None,
    /// Signed with a key the provider does not publish (same `kid`).
    ForgedSignature,
    /// A valid token whose payload was changed afterwards.
    TamperedPayload,
    /// `alg: none`, no signature.
    Unsigned,
    WrongAudience,
    /// Our audience plus an untrusted one.
    ExtraAudience,
    Expired,
    WrongNonce,
    WrongIssuer,
    /// The authorization endpoint answers `error=access_denied` (the user cancelled).
    Deny,
}

struct Pending {
    identity: Identity,
    tweak: Tweak,
    nonce: Option<String>,
    code_challenge: String,
    redirect_uri: String,
}

struct Inner {
    issuer: String,
    key: EncodingKey,
    forger: EncodingKey,
    jwk: Value,
    next: Mutex<(Identity, Tweak)>,
    codes: Mutex<HashMap<String, Pending>>,
    discovery_hits: AtomicUsize,
}

pub struct Provider {
    pub issuer: String,
    inner: Arc<Inner>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn der_from_pem(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    STANDARD.decode(body).expect("PEM body")
}

impl Provider {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind provider");
        let issuer = format!("http://{}", listener.local_addr().expect("addr"));
        let key = EncodingKey::from_rsa_der(&der_from_pem(include_str!(
            "../../fixtures/oidc_provider_key.pem"
        )));
        let forger = EncodingKey::from_rsa_der(&der_from_pem(include_str!(
            "../../fixtures/oidc_forger_key.pem"
        )));
        let mut jwk =
            serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::RS256).expect("jwk"))
                .expect("jwk json");
        jwk["kid"] = json!(KID);
        jwk["use"] = json!("sig");
        let inner = Arc::new(Inner {
            issuer: issuer.clone(),
            key,
            forger,
            jwk,
            next: Mutex::new((
                Identity::new("google-sub-1", "ann@example.com"),
                Tweak::None,
            )),
            codes: Mutex::new(HashMap::new()),
            discovery_hits: AtomicUsize::new(0),
        });
        let router = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(inner.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Self {
            issuer,
            inner,
            task,
        }
    }

    /// The settings that point a test server at this provider.
    pub fn settings(&self) -> Vec<(&'static str, String)> {
        vec![
            ("OIDC_ISSUER_URL", self.issuer.clone()),
            ("GOOGLE_CLIENT_ID", CLIENT_ID.into()),
            ("GOOGLE_CLIENT_SECRET", CLIENT_SECRET.into()),
            ("FRONTEND_URL", "http://frontend.test".into()),
            ("PUBLIC_URL", "http://soundroom.test".into()),
        ]
    }

    /// Who signs in next, and how the provider behaves for them.
    pub fn sign_in_next(&self, identity: Identity, tweak: Tweak) {
        *self.inner.next.lock().expect("lock") = (identity, tweak);
    }

    pub fn discovery_hits(&self) -> usize {
        self.inner.discovery_hits.load(Ordering::SeqCst)
    }

    /// An ID token as a client would get it from the provider directly (no nonce).
    pub fn id_token(&self, identity: &Identity, tweak: Tweak) -> String {
        self.inner.id_token(identity, tweak, None)
    }
}

impl Inner {
    fn id_token(&self, identity: &Identity, tweak: Tweak, nonce: Option<&str>) -> String {
        let now = chrono::Utc::now().timestamp();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": identity.sub,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 600,
            "email_verified": identity.email_verified,
        });
        if let Some(email) = &identity.email {
            claims["email"] = json!(email);
        }
        if let Some(name) = &identity.name {
            claims["name"] = json!(name);
        }
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        match tweak {
            Tweak::WrongAudience => claims["aud"] = json!("someone-else"),
            Tweak::ExtraAudience => claims["aud"] = json!([CLIENT_ID, "someone-else"]),
            Tweak::Expired => {
                claims["iat"] = json!(now - 7200);
                claims["exp"] = json!(now - 3600);
            }
            Tweak::WrongNonce => claims["nonce"] = json!("not-the-nonce"),
            Tweak::WrongIssuer => claims["iss"] = json!("https://evil.example"),
            _ => {}
        }
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(KID.into());
        let key = if tweak == Tweak::ForgedSignature {
            &self.forger
        } else {
            &self.key
        };
        let token = jsonwebtoken::encode(&header, &claims, key).expect("sign");
        match tweak {
            Tweak::TamperedPayload => {
                let parts: Vec<&str> = token.split('.').collect();
                let mut changed = claims.clone();
                changed["sub"] = json!("someone-else");
                changed["email"] = json!("victim@example.com");
                let payload = URL_SAFE_NO_PAD.encode(changed.to_string());
                format!("{}.{payload}.{}", parts[0], parts[2])
            }
            Tweak::Unsigned => {
                let header =
                    URL_SAFE_NO_PAD.encode(json!({ "alg": "none", "typ": "JWT" }).to_string());
                let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
                format!("{header}.{payload}.")
            }
            _ => token,
        }
    }
}

async fn discovery(State(inner): State<Arc<Inner>>) -> Json<Value> {
    inner.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let issuer = &inner.issuer;
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid", "email", "profile"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
    }))
}

async fn jwks(State(inner): State<Arc<Inner>>) -> Json<Value> {
    Json(json!({ "keys": [inner.jwk] }))
}

fn bad_request(what: &str) -> Response {
    (StatusCode::BAD_REQUEST, format!("test provider: {what}")).into_response()
}

async fn authorize(
    State(inner): State<Arc<Inner>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("client_id") != CLIENT_ID {
        return bad_request("unknown client_id");
    }
    if get("response_type") != "code" {
        return bad_request("response_type must be code");
    }
    if get("code_challenge_method") != "S256" || get("code_challenge").is_empty() {
        return bad_request("PKCE with S256 is required");
    }
    if !get("scope").split(' ').any(|s| s == "openid") {
        return bad_request("scope must include openid");
    }
    let (state, redirect_uri) = (get("state"), get("redirect_uri"));
    if state.is_empty() || redirect_uri.is_empty() || get("nonce").is_empty() {
        return bad_request("state, nonce and redirect_uri are required");
    }
    let (identity, tweak) = inner.next.lock().expect("lock").clone();
    let separator = if redirect_uri.contains('?') { '&' } else { '?' };
    let location = if tweak == Tweak::Deny {
        format!("{redirect_uri}{separator}error=access_denied&state={state}")
    } else {
        let code = uuid::Uuid::new_v4().simple().to_string();
        inner.codes.lock().expect("lock").insert(
            code.clone(),
            Pending {
                identity,
                tweak,
                nonce: q.get("nonce").cloned(),
                code_challenge: get("code_challenge"),
                redirect_uri: redirect_uri.clone(),
            },
        );
        format!("{redirect_uri}{separator}code={code}&state={state}")
    };
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

async fn token(
    State(inner): State<Arc<Inner>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let invalid = |why: &str| {
        (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "invalid_grant", "error_description": why })),
        )
            .into_response()
    };
    // client_secret_basic or client_secret_post
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| STANDARD.decode(b).ok())
        .and_then(|b| String::from_utf8(b).ok());
    let (id, secret) = match basic {
        Some(pair) => {
            let (id, secret) = pair.split_once(':').unwrap_or_default();
            (id.to_owned(), secret.to_owned())
        }
        None => (
            form.get("client_id").cloned().unwrap_or_default(),
            form.get("client_secret").cloned().unwrap_or_default(),
        ),
    };
    if id != CLIENT_ID || secret != CLIENT_SECRET {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_client" })),
        )
            .into_response();
    }
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return invalid("grant_type");
    }
    let Some(pending) = form
        .get("code")
        .and_then(|c| inner.codes.lock().expect("lock").remove(c))
    else {
        return invalid("unknown or used code");
    };
    if form.get("redirect_uri") != Some(&pending.redirect_uri) {
        return invalid("redirect_uri differs");
    }
    let verifier = form.get("code_verifier").cloned().unwrap_or_default();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    if challenge != pending.code_challenge {
        return invalid("PKCE verifier does not match");
    }
    let id_token = inner.id_token(&pending.identity, pending.tweak, pending.nonce.as_deref());
    Json(json!({
        "access_token": uuid::Uuid::new_v4().to_string(),
        "token_type": "Bearer",
        "expires_in": 3600,
        "id_token": id_token,
    }))
    .into_response()
}
