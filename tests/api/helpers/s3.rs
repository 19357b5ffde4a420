//! A real S3-compatible server for the tests: Garage (`cargo install garage`), one per test
//! process, started on free loopback ports with a single-node layout, one bucket and one key.
//! Every test server gets its own prefix in that bucket (`MEDIA_STORE=s3://BUCKET/t-…`).
//!
//! Found as `GARAGE_BIN`, or `garage` on the `PATH` or in `~/.cargo/bin`. Tests that need it are
//! skipped with a notice when it is missing, unless `REQUIRE_S3` is set (CI).

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    sync::OnceLock,
    time::{Duration, Instant},
};

pub const BUCKET: &str = "soundroom-test";
pub const REGION: &str = "garage";
/// Garage key ids are "GK" and 24 hex digits; secrets 64 hex digits.
pub const KEY_ID: &str = "GK0123456789abcdef01234567";
pub const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

pub struct Garage {
    pub endpoint: String,
    /// The shell that runs the server and stops it with this process.
    _watchdog: std::process::Child,
}

impl Garage {
    /// Settings that put a test server's media in its own prefix of the bucket.
    pub fn media_env(&self) -> Vec<(String, String)> {
        let prefix = format!("t-{}", uuid::Uuid::new_v4().simple());
        self.media_env_at(&prefix)
    }

    /// Settings for a test server whose media is under `prefix` (instances sharing media).
    pub fn media_env_at(&self, prefix: &str) -> Vec<(String, String)> {
        [
            ("MEDIA_STORE", format!("s3://{BUCKET}/{prefix}")),
            ("S3_ENDPOINT", self.endpoint.clone()),
            ("S3_REGION", REGION.to_owned()),
            ("S3_FORCE_PATH_STYLE", "true".to_owned()),
            ("AWS_ACCESS_KEY_ID", KEY_ID.to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }
}

fn binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("GARAGE_BIN") {
        return Some(PathBuf::from(path));
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo/bin"));
    }
    dirs.into_iter()
        .map(|dir| dir.join("garage"))
        .find(|p| p.is_file())
}

/// The test process's Garage, started on first use; `None` (with a notice) when Garage is not
/// installed and `REQUIRE_S3` is not set.
pub fn garage() -> Option<&'static Garage> {
    static GARAGE: OnceLock<Option<Garage>> = OnceLock::new();
    GARAGE
        .get_or_init(|| {
            let Some(bin) = binary() else {
                if std::env::var_os("REQUIRE_S3").is_some() {
                    panic!("REQUIRE_S3 is set but Garage is not installed (cargo install garage)");
                }
                eprintln!("notice: Garage is not installed: the S3 media tests are skipped");
                return None;
            };
            Some(start(&bin))
        })
        .as_ref()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn start(bin: &PathBuf) -> Garage {
    let dir = std::env::temp_dir().join(format!(
        "soundroom-garage-{}",
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir_all(&dir).expect("garage dir");
    let (rpc, s3, admin) = (free_port(), free_port(), free_port());
    let config = dir.join("garage.toml");
    std::fs::write(
        &config,
        format!(
            r#"metadata_dir = "{dir}/meta"
data_dir = "{dir}/data"
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{secret}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
"#,
            dir = dir.display(),
            secret = SECRET,
        ),
    )
    .expect("garage config");
    // The server is stopped by a watchdog once this test process is gone (tests never run
    // destructors of statics).
    let script = format!(
        "{bin} -c {config} server >{log} 2>&1 & server=$!; \
         while kill -0 {parent} 2>/dev/null && kill -0 $server 2>/dev/null; do sleep 1; done; \
         kill $server 2>/dev/null; rm -rf {dir}",
        bin = bin.display(),
        config = config.display(),
        log = dir.join("server.log").display(),
        parent = std::process::id(),
        dir = dir.display(),
    );
    let watchdog = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start garage");

    let cli = |args: &[&str]| -> Result<String, String> {
        let out = Command::new(bin)
            .arg("-c")
            .arg(&config)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "garage {}: {}{}",
                args.join(" "),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    let node_id = loop {
        match cli(&["node", "id", "-q"]) {
            Ok(out) => break out.trim().split('@').next().unwrap_or_default().to_owned(),
            Err(e) if Instant::now() > deadline => panic!("garage did not start: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(200)),
        }
    };
    let setup: [&[&str]; 5] = [
        &["layout", "assign", "-z", "dc1", "-c", "1G", &node_id],
        &["layout", "apply", "--version", "1"],
        &["bucket", "create", BUCKET],
        &[
            "key",
            "import",
            "--yes",
            "-n",
            "soundroom-test",
            KEY_ID,
            SECRET,
        ],
        &[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", KEY_ID,
        ],
    ];
    for args in setup {
        cli(args).unwrap_or_else(|e| panic!("{e}"));
    }
    let endpoint = format!("http://127.0.0.1:{s3}");
    // The S3 API answers once the layout is in place.
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", s3)).is_err() {
        assert!(Instant::now() < deadline, "garage's S3 API did not open");
        std::thread::sleep(Duration::from_millis(100));
    }
    Garage {
        endpoint,
        _watchdog: watchdog,
    }
}
