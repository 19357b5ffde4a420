//! Load generator for listening rooms: registers users, fills rooms, connects every member over
//! graphql-ws with a `roomEvents` subscription, has every host seek at once, and measures the
//! fan-out latency (from sending `roomSeek` until each member has the `PlaybackChanged`), the
//! seek's own round trip, the server's CPU time per delivery and its memory per connected
//! client. `--chat-rounds` adds chat bursts: every member of every room sends a message at once.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --bin loadgen -- --spawn --rooms 1 --members 50
//! cargo run --release --bin loadgen -- --spawn --rooms 41 --members 49 --rounds 20
//! cargo run --release --bin loadgen -- --spawn --postgres postgres://postgres@127.0.0.1:5432/test
//! cargo run --release --bin loadgen -- --anchor-spawn ../shared/anchors/apollo-server.mjs
//! # against a running server (memory needs its PID; the track needs its database):
//! cargo run --release --bin loadgen -- --url http://127.0.0.1:8000 --pid 1234 \
//!     --database-url sqlite://data/soundroom.db
//! ```
//!
//! Everything runs in this one process, so one clock times sends and receipts. The tool and the
//! server share the machine: on a small one the tool's own work is part of what is measured.

mod client;
mod rounds;
mod server;

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use serde_json::json;
use tokio::sync::mpsc;
use uuid::Uuid;

use client::{Client, Receipt, bounded, room_subscription};
use server::{ANCHOR_TRACK, insert_track, rss_kib, start_server};

const USAGE: &str = "usage: loadgen [options]

  --spawn                 start target/release/soundroom (next to this binary) on a fresh
                          SQLite database in a temporary directory, and stop it at the end
  --server-bin PATH       with --spawn: this server binary instead
  --postgres URL          with --spawn: on PostgreSQL at URL, in a schema of its own that is
                          dropped at the end, instead of SQLite
  --server-env KEY=VALUE  with --spawn: also set this for the server (repeatable), e.g.
                          REDIS_URL=redis://127.0.0.1:6379 to include the event bridge
  --anchor-spawn PATH     start the Apollo anchor (node PATH, e.g.
                          ../shared/anchors/apollo-server.mjs) instead, and stop it at the end
  --anchor                the server at --url is the Apollo anchor (no snapshots, no chat)
  --url URL               a running server (default http://127.0.0.1:8000)
  --pid PID               the running server's process id (for memory per client)
  --database-url URL      the running server's database (to insert the test track), unless
  --track-id UUID         ... a track that exists already is given
  --rooms N               rooms (default 1)
  --members N             members per room, host included (default 50)
  --rounds N              seek rounds, every host at once (default 20)
  --interval-ms N         pause between rounds (default 1000)
  --chat-rounds N         then N chat bursts: every member sends a message at once (default 0)
  --concurrency N         registrations/connections in flight (default 32)
  --label TEXT            name of the run on the last line (RESULT ...)";

struct Options {
    spawn: bool,
    server_bin: Option<PathBuf>,
    postgres: Option<String>,
    anchor: bool,
    anchor_spawn: Option<PathBuf>,
    chat_rounds: usize,
    label: String,
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
        server_bin: None,
        postgres: None,
        anchor: false,
        anchor_spawn: None,
        chat_rounds: 0,
        label: String::new(),
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
            "--server-bin" => o.server_bin = Some(value("--server-bin")?.into()),
            "--postgres" => o.postgres = Some(value("--postgres")?),
            "--anchor" => o.anchor = true,
            "--anchor-spawn" => o.anchor_spawn = Some(value("--anchor-spawn")?.into()),
            "--chat-rounds" => o.chat_rounds = value("--chat-rounds")?.parse()?,
            "--label" => o.label = value("--label")?,
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
    if o.anchor_spawn.is_some() {
        o.anchor = true;
    }
    if o.anchor && o.chat_rounds > 0 {
        bail!("the Apollo anchor has no room chat: leave out --chat-rounds");
    }
    Ok(o)
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
    let track = match (o.track_id, server.anchor) {
        (Some(id), _) => id,
        (None, true) => ANCHOR_TRACK.parse()?,
        (None, false) => {
            let url = server
                .database_url
                .clone()
                .context("give --track-id, or --database-url to insert a track")?;
            insert_track(&url, server.schema.as_deref()).await?
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
                    json!({ "i": { "email": email, "username": format!("loadgen_{i}"), "password": "load generator" } }),
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
    let subscription = room_subscription(o.chat_rounds > 0);
    let snapshot = !server.anchor;
    bounded((0..total).collect(), o.concurrency, |i| {
        let client = clients[i].clone();
        let room = rooms[i / o.members].clone();
        let is_host = i % o.members == 0;
        let subscription = subscription.as_str();
        async move {
            if !is_host {
                client
                    .run(
                        "mutation($r: UUID!) { joinRoom(roomId: $r) { id } }",
                        json!({ "r": room }),
                    )
                    .await?;
            }
            client.subscribe_room(&room, subscription, snapshot).await
        }
    })
    .await?;
    if !snapshot {
        // Without a first snapshot there is no word that a subscription is live: give the
        // server a moment (the first round shows anyone still missing as lost).
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
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

    let run = rounds::Run {
        o: &o,
        clients: &clients,
        rooms: &rooms,
        pid: server.pid,
    };
    let seeks = run.seek_rounds(&mut receipts_rx).await?;
    seeks.print("fan-out latency (seek sent -> member has the PlaybackChanged)");
    let chat = if o.chat_rounds > 0 {
        let chat = run.chat_rounds(&mut receipts_rx).await?;
        chat.print("chat burst (message sent -> member has the ChatMessagePosted)");
        Some(chat)
    } else {
        None
    };
    let per_client = match (rss_before, rss_after) {
        (Some(before), Some(after)) => {
            let per = (after.saturating_sub(before)) as f64 / total as f64;
            println!(
                "server RSS: {before} KiB before connecting, {after} KiB with {total} clients connected and subscribed: {per:.1} KiB per client"
            );
            per
        }
        _ => {
            println!("server RSS: unknown (give --pid, or --spawn)");
            f64::NAN
        }
    };
    rounds::print_result(&o, total, &seeks, chat.as_ref(), per_client);
    drop(clients);
    server.finish().await?;
    Ok(())
}
