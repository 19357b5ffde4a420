//! Load generator for listening rooms: registers users, fills rooms, connects every member over
//! graphql-ws with a `roomEvents` subscription, has every host seek at once, and measures the
//! fan-out latency (from sending `roomSeek` until each member has the `PlaybackChanged`) and the
//! server's memory per connected client.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --bin loadgen -- --spawn --rooms 1 --members 50
//! cargo run --release --bin loadgen -- --spawn --rooms 40 --members 50 --rounds 20
//! # against a running server (memory needs its PID; the track needs its database):
//! cargo run --release --bin loadgen -- --url http://127.0.0.1:8000 --pid 1234 \
//!     --database-url sqlite://data/soundroom.db
//! ```
//!
//! Everything runs in this one process, so one clock times sends and receipts. The tool and the
//! server share the machine: on a small one the tool's own work is part of what is measured.

use std::{
    collections::HashMap,
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, anyhow, bail};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    sync::{Mutex, mpsc, oneshot},
};
use tokio_tungstenite::tungstenite::{Message, client::IntoClientRequest, http::HeaderValue};
use uuid::Uuid;

const USAGE: &str = "usage: loadgen [options]

  --spawn                 start target/release/soundroom (next to this binary) on a fresh
                          SQLite database in a temporary directory, and stop it at the end
  --server-env KEY=VALUE  with --spawn: also set this for the server (repeatable), e.g.
                          REDIS_URL=redis://127.0.0.1:6379 to include the event bridge
  --url URL               a running server (default http://127.0.0.1:8000)
  --pid PID               the running server's process id (for memory per client)
  --database-url URL      the running server's database (to insert the test track), unless
  --track-id UUID         ... a track that exists already is given
  --rooms N               rooms (default 1)
  --members N             members per room, host included (default 50)
  --rounds N              seek rounds, every host at once (default 20)
  --interval-ms N         pause between rounds (default 1000)
  --concurrency N         registrations/connections in flight (default 32)";

struct Options {
    spawn: bool,
    server_env: Vec<(String, String)>,
    url: String,
    pid: Option<u32>,
    database_url: Option<String>,
    track_id: Option<Uuid>,
    rooms: usize,
    members: usize,
    rounds: usize,
    interval: Duration,
    concurrency: usize,
}

fn options() -> anyhow::Result<Options> {
    let mut o = Options {
        spawn: false,
        server_env: Vec::new(),
        url: "http://127.0.0.1:8000".into(),
        pid: None,
        database_url: None,
        track_id: None,
        rooms: 1,
        members: 50,
        rounds: 20,
        interval: Duration::from_millis(1000),
        concurrency: 32,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().with_context(|| format!("{name} needs a value"));
        match arg.as_str() {
            "--spawn" => o.spawn = true,
            "--server-env" => {
                let pair = value("--server-env")?;
                let (key, val) = pair
                    .split_once('=')
                    .context("--server-env: expected KEY=VALUE")?;
                o.server_env.push((key.to_owned(), val.to_owned()));
            }
            "--url" => o.url = value("--url")?,
            "--pid" => o.pid = Some(value("--pid")?.parse()?),
            "--database-url" => o.database_url = Some(value("--database-url")?),
            "--track-id" => o.track_id = Some(value("--track-id")?.parse()?),
            "--rooms" => o.rooms = value("--rooms")?.parse()?,
            "--members" => o.members = value("--members")?.parse()?,
            "--rounds" => o.rounds = value("--rounds")?.parse()?,
            "--interval-ms" => o.interval = Duration::from_millis(value("--interval-ms")?.parse()?),
            "--concurrency" => o.concurrency = value("--concurrency")?.parse()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown option {other:?}\n\n{USAGE}"),
        }
    }
    if o.rooms == 0 || o.members < 1 || o.rounds == 0 || o.concurrency == 0 {
        bail!("--rooms, --members, --rounds and --concurrency must be at least 1");
    }
    Ok(o)
}

/// The server under test, started by us or already running.
struct Server {
    addr: SocketAddr,
    pid: Option<u32>,
    child: Option<Child>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(dir) = &self.data_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

async fn start_server(o: &Options) -> anyhow::Result<Server> {
    if !o.spawn {
        let addr = o
            .url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .context("--url: expected http://HOST:PORT")?;
        return Ok(Server {
            addr,
            pid: o.pid,
            child: None,
            data_dir: None,
            database_url: o.database_url.clone(),
        });
    }
    let exe = std::env::current_exe()?;
    let server = exe
        .parent()
        .map(|dir| dir.join("soundroom"))
        .filter(|p| p.exists())
        .context("--spawn: build the server first (cargo build --release)")?;
    let data_dir =
        std::env::temp_dir().join(format!("soundroom-loadgen-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir)?;
    let port = free_port()?;
    let database_url = format!(
        "sqlite://{}?mode=rwc",
        data_dir.join("soundroom.db").display()
    );
    let child = Command::new(server)
        .env("APP_ENV", "development")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATA_DIR", &data_dir)
        .env("DATABASE_URL", &database_url)
        .env("RATE_LIMIT", "off")
        .env("RUST_LOG", "warn")
        .envs(o.server_env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .spawn()
        .context("starting the server")?;
    let pid = child.id();
    let server = Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        pid: Some(pid),
        child: Some(child),
        data_dir: Some(data_dir),
        database_url: Some(database_url),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !healthy(server.addr).await {
        if Instant::now() > deadline {
            bail!("the server did not become healthy within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(server)
}

async fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    response.starts_with(b"HTTP/1.1 200")
}

/// Resident memory of a process, in KiB, from /proc.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// A track long enough never to end during the run, inserted into the server's database.
async fn insert_track(database_url: &str) -> anyhow::Result<Uuid> {
    use sea_orm::{ActiveModelTrait, Database, Set};
    let db = Database::connect(database_url)
        .await
        .context("--database-url: cannot connect")?;
    let now = chrono::Utc::now();
    let artist = entity::artist::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set("Loadgen".into()),
        genre: Set(None),
        image_url: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&db)
    .await?;
    let track = entity::track::ActiveModel {
        id: Set(Uuid::new_v4()),
        name: Set("Loadgen track".into()),
        genre: Set(None),
        artist_id: Set(artist.id),
        uploaded_by: Set(None),
        duration_ms: Set(3 * 3600 * 1000),
        format: Set("mp3".into()),
        mime_type: Set("audio/mpeg".into()),
        bitrate: Set(Some(128_000)),
        sample_rate: Set(Some(44_100)),
        size_bytes: Set(1),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&db)
    .await?;
    db.close().await.ok();
    Ok(track.id)
}

/// What a member's reader hands the collector: which client, in which room, got which version
/// of a `PlaybackChanged`, and when.
struct Receipt {
    client: usize,
    room: usize,
    version: i64,
    at: Instant,
}

/// Fresh snapshots received after the first one: a member fell behind the server's buffer.
static RESYNCS: AtomicU64 = AtomicU64::new(0);

/// One graphql-ws connection: a writer task, a reader task routing operation results to their
/// callers and room events to the collector.
struct Client {
    out: mpsc::UnboundedSender<String>,
    pending: Arc<Mutex<HashMap<String, oneshot::Sender<Value>>>>,
    next_id: AtomicU64,
    snapshot: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Client {
    async fn connect(
        addr: SocketAddr,
        token: Option<&str>,
        (client_index, room_index): (usize, usize),
        receipts: Option<mpsc::UnboundedSender<Receipt>>,
    ) -> anyhow::Result<Arc<Self>> {
        let mut request = format!("ws://{addr}/graphql").into_client_request()?;
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
        let (stream, _) = tokio_tungstenite::connect_async(request).await?;
        let (mut sink, mut source) = stream.split();
        let payload = token.map_or(
            json!({}),
            |t| json!({ "authorization": format!("Bearer {t}") }),
        );
        sink.send(Message::Text(
            json!({ "type": "connection_init", "payload": payload })
                .to_string()
                .into(),
        ))
        .await?;
        loop {
            match source.next().await {
                Some(Ok(Message::Text(text))) => {
                    let msg: Value = serde_json::from_str(&text)?;
                    if msg["type"] == "connection_ack" {
                        break;
                    }
                }
                Some(Ok(_)) => {}
                other => bail!("no connection_ack: {other:?}"),
            }
        }
        let (out, mut out_rx) = mpsc::unbounded_channel::<String>();
        tokio::spawn(async move {
            while let Some(text) = out_rx.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let (snapshot_tx, snapshot_rx) = oneshot::channel();
        let client = Arc::new(Self {
            out: out.clone(),
            pending: Arc::new(Mutex::new(HashMap::new())),
            next_id: AtomicU64::new(0),
            snapshot: Mutex::new(Some(snapshot_rx)),
        });
        let pending = client.pending.clone();
        tokio::spawn(async move {
            let mut snapshot_tx = Some(snapshot_tx);
            while let Some(Ok(message)) = source.next().await {
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(msg) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match msg["type"].as_str() {
                    Some("ping") => {
                        let _ = out.send(json!({ "type": "pong" }).to_string());
                    }
                    Some("next") if msg["id"] == "ev" => {
                        let event = &msg["payload"]["data"]["roomEvents"];
                        match event["__typename"].as_str() {
                            Some("RoomSnapshot") => match snapshot_tx.take() {
                                Some(tx) => {
                                    let _ = tx.send(());
                                }
                                None => {
                                    RESYNCS.fetch_add(1, Ordering::Relaxed);
                                }
                            },
                            Some("PlaybackChanged") => {
                                if let (Some(receipts), Some(version)) =
                                    (&receipts, event["playback"]["version"].as_i64())
                                {
                                    let _ = receipts.send(Receipt {
                                        client: client_index,
                                        room: room_index,
                                        version,
                                        at: Instant::now(),
                                    });
                                }
                            }
                            _ => {}
                        }
                    }
                    Some("next") | Some("error") => {
                        if let Some(id) = msg["id"].as_str()
                            && let Some(tx) = pending.lock().await.remove(id)
                        {
                            let _ = tx.send(msg);
                        }
                    }
                    _ => {}
                }
            }
        });
        Ok(client)
    }

    /// Runs a query or mutation over the socket; the result's `data`, or its errors.
    async fn run(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let id = format!("op{}", self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.pending.lock().await.insert(id.clone(), tx);
        self.out.send(
            json!({ "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables } })
                .to_string(),
        )?;
        let msg = tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .context("no answer within 60 s")??;
        if msg["type"] == "error" || !msg["payload"]["errors"].is_null() {
            bail!("{}", msg["payload"]);
        }
        Ok(msg["payload"]["data"].clone())
    }

    async fn subscribe_room(&self, room: &str) -> anyhow::Result<()> {
        let query = "subscription($r: UUID!) { roomEvents(roomId: $r) { __typename ... on PlaybackChanged { serverTimeMs playback { version isPlaying positionMs anchorTimeMs track { id } } } } }";
        self.out.send(
            json!({ "id": "ev", "type": "subscribe", "payload": { "query": query, "variables": { "r": room } } })
                .to_string(),
        )?;
        let rx = self
            .snapshot
            .lock()
            .await
            .take()
            .context("subscribed twice")?;
        tokio::time::timeout(Duration::from_secs(60), rx)
            .await
            .context("no snapshot within 60 s")??;
        Ok(())
    }
}

/// Runs `f` over `items` with at most `limit` in flight.
async fn bounded<T, F, Fut, R>(items: Vec<T>, limit: usize, f: F) -> anyhow::Result<Vec<R>>
where
    F: Fn(T) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<R>>,
{
    futures_util::stream::iter(items.into_iter().map(f))
        .buffered(limit)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let o = options()?;
    let server = start_server(&o).await?;
    let addr = server.addr;
    let total = o.rooms * o.members;
    println!(
        "server {addr} (pid {}), {} rooms x {} members = {total} clients, {} rounds",
        server.pid.map_or("?".into(), |p| p.to_string()),
        o.rooms,
        o.members,
        o.rounds
    );
    let track = match o.track_id {
        Some(id) => id,
        None => {
            let url = server
                .database_url
                .clone()
                .context("give --track-id, or --database-url to insert a track")?;
            insert_track(&url).await?
        }
    };

    // Registration over a few anonymous sockets.
    let started = Instant::now();
    let mut admins = Vec::new();
    for _ in 0..4 {
        admins.push(Client::connect(addr, None, (0, 0), None).await?);
    }
    let run_id = Uuid::new_v4().simple().to_string();
    let register =
        "mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }";
    let users: Vec<(String, String)> = bounded((0..total).collect(), o.concurrency, |i| {
        let admin = admins[i % admins.len()].clone();
        let email = format!("lg{i}-{}@loadgen.example", &run_id[..8]);
        async move {
            let data = admin
                .run(
                    register,
                    json!({ "i": { "email": email, "username": format!("loadgen {i}"), "password": "load generator" } }),
                )
                .await?;
            let token = data["register"]["accessToken"].as_str().context("token")?.to_owned();
            let id = data["register"]["user"]["id"].as_str().context("id")?.to_owned();
            Ok((token, id))
        }
    })
    .await?;
    drop(admins);
    println!(
        "registered {total} users in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = server.pid.and_then(rss_kib);

    // Connect everyone; hosts create rooms, members join and subscribe.
    let started = Instant::now();
    let (receipts_tx, mut receipts_rx) = mpsc::unbounded_channel::<Receipt>();
    let clients: Vec<Arc<Client>> = bounded((0..total).collect(), o.concurrency, |i| {
        let token = users[i].0.clone();
        let receipts = receipts_tx.clone();
        async move { Client::connect(addr, Some(&token), (i, i / o.members), Some(receipts)).await }
    })
    .await?;
    drop(receipts_tx);
    let mut rooms = Vec::new();
    for r in 0..o.rooms {
        let host = &clients[r * o.members];
        let data = host
            .run(
                "mutation($i: CreateRoomInput!) { createRoom(input: $i) { id } }",
                json!({ "i": { "name": format!("Load {r}"), "visibility": "PUBLIC" } }),
            )
            .await?;
        rooms.push(
            data["createRoom"]["id"]
                .as_str()
                .context("room id")?
                .to_owned(),
        );
    }
    bounded((0..total).collect(), o.concurrency, |i| {
        let client = clients[i].clone();
        let room = rooms[i / o.members].clone();
        let is_host = i % o.members == 0;
        async move {
            if !is_host {
                client
                    .run(
                        "mutation($r: UUID!) { joinRoom(roomId: $r) { id } }",
                        json!({ "r": room }),
                    )
                    .await?;
            }
            client.subscribe_room(&room).await
        }
    })
    .await?;
    println!(
        "connected and subscribed {total} clients in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    for (r, room) in rooms.iter().enumerate() {
        clients[r * o.members]
            .run(
                "mutation($r: UUID!, $t: UUID) { roomPlay(roomId: $r, trackId: $t) { version } }",
                json!({ "r": room, "t": track }),
            )
            .await?;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while receipts_rx.try_recv().is_ok() {}
    let rss_after = server.pid.and_then(rss_kib);

    // Rounds: every host seeks at once; version 2 + round is that round's event.
    let mut sent: HashMap<(usize, i64), Instant> = HashMap::new();
    let mut received: Vec<Receipt> = Vec::new();
    for round in 0..o.rounds {
        let version = 2 + round as i64;
        let seeks = rooms.iter().enumerate().map(|(r, room)| {
            let host = clients[r * o.members].clone();
            let room = room.clone();
            let position = 1000 * (round as i64 + 1);
            async move {
                let at = Instant::now();
                let data = host
                    .run(
                        "mutation($r: UUID!, $p: Int!) { roomSeek(roomId: $r, positionMs: $p) { version } }",
                        json!({ "r": room, "p": position }),
                    )
                    .await?;
                let got = data["roomSeek"]["version"].as_i64().unwrap_or(-1);
                if got != version {
                    return Err(anyhow!("room {r}: expected version {version}, got {got}"));
                }
                Ok::<_, anyhow::Error>((r, at))
            }
        });
        for result in futures_util::future::join_all(seeks).await {
            let (r, at) = result?;
            sent.insert((r, version), at);
        }
        tokio::time::sleep(o.interval).await;
        while let Ok(receipt) = receipts_rx.try_recv() {
            received.push(receipt);
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    while let Ok(receipt) = receipts_rx.try_recv() {
        received.push(receipt);
    }

    // One delivery per (member, version) counts; a repeat would be a duplicate.
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = 0usize;
    let mut latencies: Vec<f64> = Vec::new();
    for receipt in &received {
        let Some(sent_at) = sent.get(&(receipt.room, receipt.version)) else {
            continue;
        };
        if !seen.insert((receipt.client, receipt.version)) {
            duplicates += 1;
            continue;
        }
        latencies.push(receipt.at.saturating_duration_since(*sent_at).as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    let expected = o.rooms * o.members * o.rounds;
    let lost = expected.saturating_sub(latencies.len());
    println!(
        "fan-out latency over {} deliveries: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; events lost: {lost} of {expected}; duplicates: {duplicates}; lag resyncs: {}",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(f64::NAN),
        RESYNCS.load(Ordering::Relaxed),
    );
    match (rss_before, rss_after) {
        (Some(before), Some(after)) => println!(
            "server RSS: {before} KiB before connecting, {after} KiB with {total} clients connected and subscribed: {:.1} KiB per client",
            (after.saturating_sub(before)) as f64 / total as f64
        ),
        _ => println!("server RSS: unknown (give --pid, or --spawn)"),
    }
    drop(clients);
    Ok(())
}
