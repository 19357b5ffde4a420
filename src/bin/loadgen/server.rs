//! The server under test: started as a child process on a fresh database (a temporary SQLite
//! file, or a schema of its own in PostgreSQL), or the Apollo anchor started with node; its
//! memory and CPU time read from `/proc`; a track inserted for the rooms to play.

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
    /// PostgreSQL: the schema this run created, dropped at the end.
    pub schema: Option<String>,
    /// The Apollo anchor rather than Soundroom: no `RoomSnapshot`, no chat, a seeded catalog.
    pub anchor: bool,
}

/// Track 42 of the Apollo anchor's seeded catalog.
pub const ANCHOR_TRACK: &str = "70000000-0000-4000-8000-00000000002a";

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

impl Server {
    /// Drops the PostgreSQL schema this run created.
    pub async fn finish(&self) -> anyhow::Result<()> {
        let (Some(url), Some(schema)) = (&self.database_url, &self.schema) else {
            return Ok(());
        };
        use sea_orm::{ConnectionTrait, Database};
        let db = Database::connect(url.as_str()).await?;
        db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))
            .await?;
        db.close().await.ok();
        Ok(())
    }
}

pub async fn start_server(o: &Options) -> anyhow::Result<Server> {
    if let Some(script) = &o.anchor_spawn {
        return start_anchor(o, script).await;
    }
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
            schema: None,
            anchor: o.anchor,
        });
    }
    let server = match &o.server_bin {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .map(|dir| dir.join("soundroom"))
            .filter(|p| p.exists())
            .context("--spawn: build the server first (cargo build --release)")?,
    };
    let data_dir =
        std::env::temp_dir().join(format!("soundroom-loadgen-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&data_dir)?;
    let port = free_port()?;
    let (database_url, schema) = match &o.postgres {
        Some(url) => (
            url.clone(),
            Some(format!(
                "loadgen_{}",
                &Uuid::new_v4().simple().to_string()[..12]
            )),
        ),
        None => (
            format!(
                "sqlite://{}?mode=rwc",
                data_dir.join("soundroom.db").display()
            ),
            None,
        ),
    };
    let mut command = Command::new(server);
    if let Some(schema) = &schema {
        command.env("DATABASE_SCHEMA", schema);
    }
    let child = command
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
        schema,
        anchor: false,
    };
    wait_healthy(&server).await?;
    Ok(server)
}

/// The Apollo anchor (`node apollo-server.mjs`), its rooms capped at `--members`.
async fn start_anchor(o: &Options, script: &PathBuf) -> anyhow::Result<Server> {
    let port = free_port()?;
    let child = Command::new("node")
        .arg(script)
        .env("NODE_ENV", "production")
        .env("PORT", port.to_string())
        .env("ROOM_MAX_MEMBERS", o.members.max(2).to_string())
        .stdout(Stdio::null())
        .spawn()
        .context("starting the Apollo anchor with node")?;
    let server = Server {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        pid: Some(child.id()),
        child: Some(child),
        data_dir: None,
        database_url: None,
        schema: None,
        anchor: true,
    };
    wait_healthy(&server).await?;
    Ok(server)
}

async fn wait_healthy(server: &Server) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !healthy(server.addr).await {
        if Instant::now() > deadline {
            bail!("the server did not become healthy within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    Ok(())
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

/// CPU time (user + system) a process has used, in seconds, from /proc.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The fields after the command name (which may hold spaces) start with the state.
    let rest = stat.rsplit_once(") ")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // /proc counts in USER_HZ clock ticks, 100 per second on Linux.
    Some((utime + stime) / 100.0)
}

/// A track long enough never to end during the run, inserted into the server's database.
pub async fn insert_track(database_url: &str, schema: Option<&str>) -> anyhow::Result<Uuid> {
    use sea_orm::{ActiveModelTrait, ConnectOptions, Database, Set};
    let mut options = ConnectOptions::new(database_url.to_owned());
    if let Some(schema) = schema {
        options.set_schema_search_path(schema.to_owned());
    }
    let db = Database::connect(options)
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
