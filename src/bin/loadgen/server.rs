//! The server under test: started as a child process on a fresh database, its memory read from
//! `/proc`, a track inserted for the rooms to play.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use anyhow::{Context, bail};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};
use uuid::Uuid;

use crate::Options;

/// The server under test, started by us or already running.
pub struct Server {
    pub addr: SocketAddr,
    pub pid: Option<u32>,
    pub child: Option<Child>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
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

pub fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

pub async fn start_server(o: &Options) -> anyhow::Result<Server> {
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

pub async fn healthy(addr: SocketAddr) -> bool {
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
pub fn rss_kib(pid: u32) -> Option<u64> {
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
pub async fn insert_track(database_url: &str) -> anyhow::Result<Uuid> {
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
