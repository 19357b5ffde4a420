//! `iceServers` against a real TURN server: coturn (`turnserver`, Debian package `coturn`)
//! started on a free loopback port with `use-auth-secret`. An allocation with the credentials
//! the server hands out succeeds (`turnutils_uclient`); forged and expired ones are refused.
//! Skipped with a notice when coturn is not installed, unless `REQUIRE_COTURN` is set (CI).

use std::{process::Stdio, time::Duration};

use serde_json::{Value, json};
use tokio::process::{Child, Command};

use super::*;
use crate::helpers::{TestApp, code};

const SECRET: &str = "turn-test-secret-0123456789";

fn installed(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(program).is_file()))
}

/// Whether coturn is here; panics when it must be (`REQUIRE_COTURN`).
fn coturn_available() -> bool {
    let present = installed("turnserver") && installed("turnutils_uclient");
    if !present {
        if std::env::var_os("REQUIRE_COTURN").is_some() {
            panic!("REQUIRE_COTURN is set but turnserver/turnutils_uclient are not installed");
        }
        eprintln!("notice: coturn is not installed: the TURN credential test is skipped");
    }
    present
}

/// A port free for both UDP and TCP on loopback.
fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp bind");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

struct Turn {
    port: u16,
    _child: Child,
}

async fn start_turn() -> Turn {
    let port = free_port();
    let relay_low = free_port().max(20_000);
    let child = Command::new("turnserver")
        .args([
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            &format!("--listening-port={port}"),
            "--use-auth-secret",
            &format!("--static-auth-secret={SECRET}"),
            "--realm=soundroom.test",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--fingerprint",
            "--allow-loopback-peers",
            &format!("--min-port={relay_low}"),
            &format!("--max-port={}", relay_low.saturating_add(40)),
            "--simple-log",
            "--no-stdout-log",
            "--log-file=/dev/null",
            "--pidfile=/dev/null",
            "--no-rfc5780",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start turnserver");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Turn {
                port,
                _child: child,
            };
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("turnserver did not listen on {port}");
}

/// One TURN allocation (and a few relayed packets) with these credentials: `true` on success.
async fn allocate(port: u16, username: &str, password: &str) -> bool {
    let run = Command::new("turnutils_uclient")
        .args(["-y", "-n", "1", "-m", "1", "-u", username, "-w", password])
        .args(["-p", &port.to_string(), "127.0.0.1"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .status();
    match tokio::time::timeout(Duration::from_secs(30), run).await {
        Ok(Ok(status)) => status.success(),
        Ok(Err(e)) => panic!("turnutils_uclient: {e}"),
        Err(_) => false,
    }
}

async fn ice_servers(app: &TestApp, who: &Session) -> Vec<Value> {
    let body = app
        .gql(
            Some(&who.access),
            "{ iceServers { urls username credential } }",
            json!({}),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
    body["data"]["iceServers"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn turn_entry(servers: &[Value]) -> (String, String) {
    let turn = servers
        .iter()
        .find(|s| {
            s["urls"][0]
                .as_str()
                .is_some_and(|u| u.starts_with("turn:"))
        })
        .unwrap_or_else(|| panic!("no TURN server in {servers:?}"));
    (
        turn["username"].as_str().expect("username").to_owned(),
        turn["credential"].as_str().expect("credential").to_owned(),
    )
}

#[tokio::test]
async fn turn_credentials_open_an_allocation_and_forged_or_expired_ones_do_not() {
    if !coturn_available() {
        return;
    }
    let turn = start_turn().await;
    let stun = format!("stun:127.0.0.1:{}", turn.port);
    let turn_url = format!("turn:127.0.0.1:{}?transport=udp", turn.port);
    let settings = [
        ("STUN_URLS", stun.as_str()),
        ("TURN_URLS", turn_url.as_str()),
        ("TURN_SHARED_SECRET", SECRET),
        ("TURN_CREDENTIAL_TTL_SECS", "600"),
    ];
    let app = TestApp::spawn_with(&settings).await;
    let ann = user(&app, "ann").await;
    let servers = ice_servers(&app, &ann).await;
    assert_eq!(servers.len(), 2, "{servers:?}");
    assert_eq!(servers[0]["urls"][0], stun.as_str());
    assert!(servers[0]["username"].is_null() && servers[0]["credential"].is_null());
    let (username, credential) = turn_entry(&servers);
    let (expiry, user_id) = username.split_once(':').expect("expiry:user");
    assert_eq!(user_id, ann.user_id);
    let expiry: i64 = expiry.parse().expect("unix time");
    let now = chrono::Utc::now().timestamp();
    assert!(
        (now + 590..=now + 610).contains(&expiry),
        "{expiry} vs {now}"
    );

    assert!(
        allocate(turn.port, &username, &credential).await,
        "the issued credentials open an allocation"
    );
    let mut forged = credential.clone().into_bytes();
    forged[0] = if forged[0] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("utf8");
    assert!(
        !allocate(turn.port, &username, &forged).await,
        "a forged credential is refused"
    );
    let other_user = format!("{expiry}:{}", uuid::Uuid::new_v4());
    assert!(
        !allocate(turn.port, &other_user, &credential).await,
        "a credential is bound to its username"
    );

    // Credentials that lived one second are refused once expired.
    let mut short = settings.to_vec();
    short.retain(|(k, _)| *k != "TURN_CREDENTIAL_TTL_SECS");
    short.push(("TURN_CREDENTIAL_TTL_SECS", "1"));
    let brief = TestApp::spawn_with(&short).await;
    let bob = user(&brief, "bob").await;
    let (username, credential) = turn_entry(&ice_servers(&brief, &bob).await);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(
        !allocate(turn.port, &username, &credential).await,
        "an expired credential is refused"
    );
}

#[tokio::test]
async fn without_turn_settings_only_stun_is_offered() {
    let app = TestApp::spawn_with(&[("STUN_URLS", "stun:stun.example.org:3478")]).await;
    let ann = user(&app, "ann").await;
    let servers = ice_servers(&app, &ann).await;
    assert_eq!(
        servers,
        vec![
            json!({ "urls": ["stun:stun.example.org:3478"], "username": null, "credential": null })
        ]
    );
    let anonymous = app.gql(None, "{ iceServers { urls } }", json!({})).await;
    assert_eq!(code(&anonymous), "UNAUTHENTICATED");
    let bad = soundroom::config::Config::load(&std::collections::HashMap::from([(
        "STUN_URLS".to_owned(),
        "http://nope".to_owned(),
    )]));
    assert!(bad.is_err(), "STUN_URLS must be stun: URLs");
}
