//! A real SMTP server for the tests: aiosmtpd (`pip install aiosmtpd`) on 127.0.0.1 with the
//! handler in `smtp_sink.py`, which writes every message it accepts, decoded, to a folder the
//! test reads.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use serde::Deserialize;

/// One message the server accepted.
#[derive(Clone, Debug, Deserialize)]
pub struct Received {
    pub mail_from: String,
    pub rcpt_tos: Vec<String>,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub message_id: String,
    pub content_type: String,
    pub parts: Vec<String>,
    pub text: Option<String>,
    pub html: Option<String>,
}

impl Received {
    pub fn text(&self) -> &str {
        self.text.as_deref().unwrap_or_default()
    }

    /// The token of the `page#token=…` link in the plain-text part.
    pub fn token(&self, page: &str) -> Option<String> {
        let text = self.text();
        let marker = format!("/{page}#token=");
        let start = text.find(&marker)? + marker.len();
        let token: String = text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        (!token.is_empty()).then_some(token)
    }

    /// Whether the message went to `address` (envelope recipient).
    pub fn is_for(&self, address: &str) -> bool {
        self.rcpt_tos
            .iter()
            .any(|r| r.eq_ignore_ascii_case(address))
    }
}

/// A free port on 127.0.0.1, nothing listening on it (yet).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

pub struct SmtpServer {
    pub port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl SmtpServer {
    /// Starts a server on a free port.
    pub async fn start() -> Self {
        Self::start_on(free_port()).await
    }

    /// Starts a server on `port` (e.g. one a test server was told about earlier).
    pub async fn start_on(port: u16) -> Self {
        let dir =
            std::env::temp_dir().join(format!("soundroom-smtp-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).expect("mail folder");
        let mut server = Self {
            port,
            dir,
            child: None,
        };
        server.spawn().await;
        server
    }

    async fn spawn(&mut self) {
        let handler = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/helpers");
        let log = std::fs::File::create(self.dir.join("server.log")).expect("log file");
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{}", self.port))
            .args(["-c", "smtp_sink.Sink"])
            .arg(self.dir.join("messages"))
            .env("PYTHONPATH", handler)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("python3 runs");
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                panic!(
                    "the SMTP server exited ({status}); is aiosmtpd installed (pip install aiosmtpd)?\n{log}"
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                self.child = Some(child);
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _ = child.kill();
        panic!(
            "the SMTP server did not listen on {} within 10 s",
            self.port
        );
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let Ok(entries) = std::fs::read_dir(self.dir.join("messages")) else {
            return Vec::new();
        };
        let mut names: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let json = std::fs::read_to_string(p).expect("message file");
                serde_json::from_str(&json).expect("message JSON")
            })
            .collect()
    }

    /// The first message to `address` whose subject contains `subject`, waiting up to `wait`.
    pub async fn wait_for_within(
        &self,
        address: &str,
        subject: &str,
        wait: Duration,
    ) -> Option<Received> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(m) = self
                .received()
                .into_iter()
                .find(|m| m.is_for(address) && m.subject.contains(subject))
            {
                return Some(m);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Like [`wait_for_within`](Self::wait_for_within), 10 s, panicking when nothing comes.
    pub async fn wait_for(&self, address: &str, subject: &str) -> Received {
        self.wait_for_within(address, subject, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| {
                panic!(
                    "no mail to {address} about {subject:?} within 10 s; got {:#?}",
                    self.received()
                )
            })
    }

    /// Waits up to 10 s until `n` messages to `address` about `subject` arrived; returns them.
    pub async fn wait_for_count(&self, address: &str, subject: &str, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let found: Vec<Received> = self
                .received()
                .into_iter()
                .filter(|m| m.is_for(address) && m.subject.contains(subject))
                .collect();
            if found.len() >= n || tokio::time::Instant::now() >= deadline {
                assert_eq!(found.len(), n, "mails to {address} about {subject:?}");
                return found;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The messages to `address` whose subject contains `subject`.
    pub fn count(&self, address: &str, subject: &str) -> usize {
        self.received()
            .iter()
            .filter(|m| m.is_for(address) && m.subject.contains(subject))
            .count()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
