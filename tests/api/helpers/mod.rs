//! The test harness: a server per test, typed HTTP helpers and a graphql-ws client.

#![allow(dead_code)]

pub mod oidc_provider;
pub mod s3;
pub mod smtp;
pub mod uploads;

use std::{collections::HashMap, net::SocketAddr, path::PathBuf, sync::Once, time::Duration};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use soundroom::{Application, config::Config, state::AppState};
use tokio::net::TcpStream;
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream,
    tungstenite::{
        Message, client::IntoClientRequest, http::HeaderValue, protocol::frame::coding::CloseCode,
    },
};

pub struct TestApp {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    pub data_dir: PathBuf,
    /// The running server's state, for fixtures that have no API yet (tracks) and admin roles.
    pub state: AppState,
    config: Config,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

static NOTICE: Once = Once::new();

/// Settings for a test server; `overrides` replace or add to the defaults.
pub fn test_config(overrides: &[(&str, &str)]) -> Config {
    Config::load(&test_env(overrides)).expect("test config")
}

/// The environment [`test_config`] reads: also what a server started as its own process gets.
pub fn test_env(overrides: &[(&str, &str)]) -> HashMap<String, String> {
    let data_dir =
        std::env::temp_dir().join(format!("soundroom-test-{}", uuid::Uuid::new_v4().simple()));
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("APP_ENV".into(), "test".into());
    env.insert("PORT".into(), "0".into());
    env.insert("DATA_DIR".into(), data_dir.display().to_string());
    env.insert(
        "JWT_ACCESS_SECRET".into(),
        "test-access-secret-0123456789abcdef".into(),
    );
    env.insert(
        "JWT_REFRESH_SECRET".into(),
        "test-refresh-secret-0123456789abcdef".into(),
    );
    env.insert(
        "JWT_2FA_SECRET".into(),
        "test-2fa-secret-0123456789abcdef".into(),
    );
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => {
            env.insert("DATABASE_URL".into(), url);
            env.insert("DATABASE_SCHEMA".into(), format!("t_{}", uuid::Uuid::new_v4().simple()));
        }
        _ => NOTICE.call_once(|| {
            eprintln!("notice: TEST_DATABASE_URL is not set: running on SQLite; the PostgreSQL run is skipped");
        }),
    }
    // Generous rate limits (every test's requests come from 127.0.0.1); the tests of the
    // limits themselves set tight ones.
    for key in [
        "RATE_LIMIT_REQUESTS_PER_CLIENT",
        "RATE_LIMIT_LOGIN_PER_ACCOUNT",
        "RATE_LIMIT_LOGIN_PER_CLIENT",
        "RATE_LIMIT_2FA_PER_ACCOUNT",
        "RATE_LIMIT_2FA_PER_CLIENT",
        "RATE_LIMIT_REGISTER_PER_ACCOUNT",
        "RATE_LIMIT_REGISTER_PER_CLIENT",
        "RATE_LIMIT_RESET_PER_ACCOUNT",
        "RATE_LIMIT_RESET_PER_CLIENT",
        "RATE_LIMIT_EMAIL_PER_ACCOUNT",
        "RATE_LIMIT_MESSAGES_PER_USER",
        "RATE_LIMIT_CALL_SIGNALS_PER_USER",
    ] {
        env.insert(key.into(), "100000/60".into());
    }
    for (k, v) in overrides {
        env.insert((*k).into(), (*v).into());
    }
    env
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(&[]).await
    }

    pub async fn spawn_with(overrides: &[(&str, &str)]) -> Self {
        Self::start(test_config(overrides)).await
    }

    pub async fn start(config: Config) -> Self {
        let data_dir = config.data_dir.clone();
        let app = Application::build(config.clone()).await.expect("build app");
        let addr = app.local_addr().expect("addr");
        let state = app.state().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        Self {
            addr,
            http: reqwest::Client::new(),
            data_dir,
            state,
            config,
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server and starts a new one on the same database (a new port).
    pub async fn restart(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = tokio::time::timeout(WAIT, server).await;
        }
        let mut config = self.config.clone();
        config.port = 0;
        let mut fresh = std::mem::ManuallyDrop::new(Self::start(config).await);
        self.addr = fresh.addr;
        self.state = fresh.state.clone();
        self.shutdown = fresh.shutdown.take();
        self.server = fresh.server.take();
    }

    /// Inserts an artist and a track of `duration_ms` directly (the upload API comes with the
    /// catalog); returns the track id.
    pub async fn create_track(&self, name: &str, duration_ms: i64) -> String {
        let artist = self.create_artist(&format!("{name} artist")).await;
        self.add_track(&artist, name, duration_ms).await
    }

    /// Inserts an artist directly; returns its id.
    pub async fn create_artist(&self, name: &str) -> String {
        use sea_orm::{ActiveModelTrait, Set};
        let now = chrono::Utc::now();
        let artist = entity::artist::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            name: Set(name.to_owned()),
            genre: Set(None),
            image_url: Set(None),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.state.db)
        .await
        .expect("insert artist");
        artist.id.to_string()
    }

    /// Inserts a track of `artist` directly; returns its id.
    pub async fn add_track(&self, artist: &str, name: &str, duration_ms: i64) -> String {
        use sea_orm::{ActiveModelTrait, Set};
        let now = chrono::Utc::now();
        let track = entity::track::ActiveModel {
            id: Set(uuid::Uuid::new_v4()),
            name: Set(name.to_owned()),
            genre: Set(Some("test".into())),
            artist_id: Set(artist.parse().expect("artist id")),
            uploaded_by: Set(None),
            duration_ms: Set(duration_ms),
            format: Set("mp3".into()),
            mime_type: Set("audio/mpeg".into()),
            bitrate: Set(Some(128_000)),
            sample_rate: Set(Some(44_100)),
            size_bytes: Set(1000),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&self.state.db)
        .await
        .expect("insert track");
        track.id.to_string()
    }

    /// Makes a user an admin.
    pub async fn make_admin(&self, user_id: &str) {
        use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, Set};
        let id: uuid::Uuid = user_id.parse().expect("uuid");
        let user = entity::user::Entity::find_by_id(id)
            .one(&self.state.db)
            .await
            .expect("query")
            .expect("user");
        let mut active = user.into_active_model();
        active.role = Set("admin".into());
        active.update(&self.state.db).await.expect("update");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn ws_url(&self) -> String {
        format!("ws://{}/graphql", self.addr)
    }

    /// GETs `path` (relative to this server) with `headers`.
    pub async fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> reqwest::Response {
        let mut req = self.http.get(self.url(path));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send().await.expect("send")
    }

    /// POSTs a GraphQL request (optionally signed in) and returns the JSON body.
    pub async fn gql(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut req = self
            .http
            .post(self.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.expect("send");
        resp.json().await.expect("json body")
    }

    /// Registers a user and returns the `AuthPayload` JSON.
    pub async fn register(&self, email: &str, username: &str) -> Session {
        let body = self
            .gql(
                None,
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken refreshToken expiresIn user { id tag email username } } }",
                json!({ "i": { "email": email, "username": username, "password": "correct horse" } }),
            )
            .await;
        Session::from_payload(&body["data"]["register"])
            .unwrap_or_else(|| panic!("register failed: {body}"))
    }

    pub async fn login(&self, email: &str, password: &str) -> Value {
        self.gql(
            None,
            "mutation($i: LoginInput!) { login(input: $i) { __typename ... on AuthPayload { accessToken refreshToken user { id email } } } }",
            json!({ "i": { "email": email, "password": password } }),
        )
        .await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

#[derive(Clone, Debug)]
pub struct Session {
    pub access: String,
    pub refresh: String,
    pub user_id: String,
    pub tag: String,
}

impl Session {
    pub fn from_payload(p: &Value) -> Option<Self> {
        Some(Self {
            access: p["accessToken"].as_str()?.to_owned(),
            refresh: p["refreshToken"].as_str()?.to_owned(),
            user_id: p["user"]["id"].as_str()?.to_owned(),
            tag: p["user"]["tag"].as_str().unwrap_or_default().to_owned(),
        })
    }
}

/// The `extensions.code` of the first error.
/// A response header as text ("" when missing or not text).
pub fn header_of(resp: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

pub fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {body}"))
}

pub const WAIT: Duration = Duration::from_secs(5);

/// What a WebSocket read produced.
#[derive(Debug)]
pub enum Frame {
    Json(Value),
    Closed(Option<u16>, String),
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The subprotocol the server chose.
    pub protocol: Option<String>,
    /// Answer the server's `ping` messages automatically (graphql-transport-ws).
    pub auto_pong: bool,
}

impl WsClient {
    pub async fn connect(app: &TestApp, protocols: &str) -> Self {
        Self::connect_with(app, protocols, None).await
    }

    pub async fn connect_with(app: &TestApp, protocols: &str, authorization: Option<&str>) -> Self {
        Self::connect_to(&app.ws_url(), protocols, authorization).await
    }

    /// Connects to the GraphQL endpoint at `ws_url` (a server of any process).
    pub async fn connect_to(ws_url: &str, protocols: &str, authorization: Option<&str>) -> Self {
        let mut request = ws_url.into_client_request().expect("request");
        if !protocols.is_empty() {
            request.headers_mut().insert(
                "Sec-WebSocket-Protocol",
                HeaderValue::from_str(protocols).expect("header"),
            );
        }
        if let Some(auth) = authorization {
            request.headers_mut().insert(
                "Authorization",
                HeaderValue::from_str(auth).expect("header"),
            );
        }
        let (stream, response) = tokio_tungstenite::connect_async(request)
            .await
            .expect("ws connect");
        let protocol = response
            .headers()
            .get("sec-websocket-protocol")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        Self {
            stream,
            protocol,
            auto_pong: true,
        }
    }

    /// Connects to `ws_url` with graphql-transport-ws and completes the handshake.
    pub async fn signed_in_at(ws_url: &str, token: Option<&str>) -> Self {
        let ws = Self::connect_to(ws_url, "graphql-transport-ws", None).await;
        ws.init(token).await
    }

    /// Connects with graphql-transport-ws and completes the handshake.
    pub async fn signed_in(app: &TestApp, token: Option<&str>) -> Self {
        let ws = Self::connect(app, "graphql-transport-ws").await;
        ws.init(token).await
    }

    /// Like [`signed_in`](Self::signed_in), over a socket with a tiny receive buffer: when this
    /// client stops reading, the server is held up soon, not after the kernel has buffered
    /// megabytes for it.
    pub async fn signed_in_with_small_buffer(app: &TestApp, token: Option<&str>) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        let tcp = socket.connect(app.addr).await.expect("connect");
        let mut request = app.ws_url().into_client_request().expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (stream, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
            .await
            .expect("ws connect");
        let ws = Self {
            stream,
            protocol: Some("graphql-transport-ws".into()),
            auto_pong: true,
        };
        ws.init(token).await
    }

    async fn init(mut self, token: Option<&str>) -> Self {
        let ws = &mut self;
        let payload = token.map_or(
            json!({}),
            |t| json!({ "authorization": format!("Bearer {t}") }),
        );
        ws.send(json!({ "type": "connection_init", "payload": payload }))
            .await;
        let ack = ws.recv_json().await;
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        self
    }

    pub async fn send(&mut self, value: Value) {
        self.stream
            .send(Message::Text(value.to_string().into()))
            .await
            .expect("ws send");
    }

    pub async fn send_raw(&mut self, message: Message) {
        self.stream.send(message).await.expect("ws send");
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } }))
            .await;
    }

    /// The next protocol message or the close, within [`WAIT`].
    pub async fn recv(&mut self) -> Frame {
        self.recv_within(WAIT)
            .await
            .unwrap_or_else(|| panic!("no WebSocket message within {WAIT:?}"))
    }

    /// Like [`recv`](Self::recv), `None` if nothing arrives within `wait`.
    pub async fn recv_within(&mut self, wait: Duration) -> Option<Frame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            match next {
                None => return Some(Frame::Closed(None, String::new())),
                Some(Err(e)) => return Some(Frame::Closed(None, e.to_string())),
                Some(Ok(Message::Close(frame))) => {
                    return Some(match frame {
                        Some(f) => Frame::Closed(Some(u16::from(f.code)), f.reason.to_string()),
                        None => Frame::Closed(None, String::new()),
                    });
                }
                Some(Ok(Message::Text(text))) => {
                    let value: Value = serde_json::from_str(&text).expect("server sent JSON");
                    if self.auto_pong && value["type"] == "ping" {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    if value["type"] == "ka" {
                        continue;
                    }
                    return Some(Frame::Json(value));
                }
                Some(Ok(_)) => continue,
            }
        }
    }

    pub async fn recv_json(&mut self) -> Value {
        match self.recv().await {
            Frame::Json(v) => v,
            Frame::Closed(code, reason) => {
                panic!("socket closed ({code:?}, {reason}) while a message was expected")
            }
        }
    }

    /// Waits for the close and returns its code; the server's keep-alive pings may come first.
    pub async fn expect_close(&mut self) -> (Option<u16>, String) {
        loop {
            match self.recv().await {
                Frame::Closed(code, reason) => return (code, reason),
                Frame::Json(v) if v["type"] == "ping" => continue,
                Frame::Json(v) => panic!("expected the socket to close, got {v}"),
            }
        }
    }

    /// Reads messages until one for `id` arrives.
    pub async fn next_for(&mut self, id: &str) -> Value {
        loop {
            let msg = self.recv_json().await;
            if msg["id"] == id {
                return msg;
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .stream
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "".into(),
            }))
            .await;
    }
}

/// The `exp` claim (Unix seconds) of a JWT, read without checking it.
pub fn jwt_exp(token: &str) -> i64 {
    use base64::Engine;
    let payload = token.split('.').nth(1).expect("a JWT has a payload");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    let claims: Value = serde_json::from_slice(&bytes).expect("JSON claims");
    claims["exp"].as_i64().expect("exp claim")
}

/// Sleeps until `ms` milliseconds after the Unix second `exp` began.
pub async fn sleep_until_after(exp: i64, ms: i64) {
    let target = exp * 1000 + ms;
    let now = chrono::Utc::now().timestamp_millis();
    if target > now {
        tokio::time::sleep(Duration::from_millis((target - now) as u64)).await;
    }
}
