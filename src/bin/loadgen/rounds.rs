//! The measured part: seek rounds (every host seeks at once) and chat bursts (every member
//! sends a message at once), each timed from the command's send to every member's receipt, with
//! the command's own round trip and the server's CPU time over the rounds.

use std::{
    collections::{HashMap, HashSet},
    hash::Hash,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use anyhow::anyhow;
use serde_json::json;
use tokio::sync::mpsc;

use crate::Options;
use crate::client::{Client, RESYNCS, Receipt, Received, percentile};
use crate::server::cpu_seconds;

pub struct Run<'a> {
    pub o: &'a Options,
    pub clients: &'a [Arc<Client>],
    pub rooms: &'a [String],
    pub pid: Option<u32>,
}

/// The figures of one kind of round.
pub struct Figures {
    /// Send -> receipt, ms, sorted.
    pub latencies: Vec<f64>,
    /// The commands' round trips, ms, sorted.
    pub round_trips: Vec<f64>,
    pub expected: usize,
    pub duplicates: usize,
    /// Server CPU seconds over the rounds (the pauses between them included).
    pub server_cpu: Option<f64>,
    /// This tool's CPU seconds over the rounds.
    pub own_cpu: Option<f64>,
}

impl Figures {
    pub fn lost(&self) -> usize {
        self.expected.saturating_sub(self.latencies.len())
    }

    /// Server CPU time per delivery, in microseconds.
    pub fn cpu_per_delivery_us(&self) -> f64 {
        self.server_cpu
            .map_or(f64::NAN, |s| s * 1e6 / self.latencies.len().max(1) as f64)
    }

    pub fn print(&self, what: &str) {
        println!(
            "{what}: {} deliveries, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; lost {} of {}; duplicates {}; lag resyncs {}",
            self.latencies.len(),
            percentile(&self.latencies, 50.0),
            percentile(&self.latencies, 99.0),
            self.latencies.last().copied().unwrap_or(f64::NAN),
            self.lost(),
            self.expected,
            self.duplicates,
            RESYNCS.load(Ordering::Relaxed),
        );
        println!(
            "  command round trip over {}: p50 {:.1} ms, p99 {:.1} ms; server CPU {:.2} s = {:.1} us per delivery (this tool: {:.2} s)",
            self.round_trips.len(),
            percentile(&self.round_trips, 50.0),
            percentile(&self.round_trips, 99.0),
            self.server_cpu.unwrap_or(f64::NAN),
            self.cpu_per_delivery_us(),
            self.own_cpu.unwrap_or(f64::NAN),
        );
    }
}

/// One line to collect runs by: `RESULT label=… key=value …`.
pub fn print_result(
    o: &Options,
    members: usize,
    seeks: &Figures,
    chat: Option<&Figures>,
    kib_per_member: f64,
) {
    let mut line = format!(
        "RESULT label={} members={members} rooms={} p50_ms={:.1} p99_ms={:.1} max_ms={:.1} lost={} dup={} rtt_p50_ms={:.1} rtt_p99_ms={:.1} cpu_us_per_delivery={:.1} kib_per_member={kib_per_member:.1}",
        if o.label.is_empty() { "-" } else { &o.label },
        o.rooms,
        percentile(&seeks.latencies, 50.0),
        percentile(&seeks.latencies, 99.0),
        seeks.latencies.last().copied().unwrap_or(f64::NAN),
        seeks.lost(),
        seeks.duplicates,
        percentile(&seeks.round_trips, 50.0),
        percentile(&seeks.round_trips, 99.0),
        seeks.cpu_per_delivery_us(),
    );
    if let Some(chat) = chat {
        line.push_str(&format!(
            " chat_p50_ms={:.1} chat_p99_ms={:.1} chat_lost={} chat_rtt_p50_ms={:.1} chat_cpu_us_per_delivery={:.1}",
            percentile(&chat.latencies, 50.0),
            percentile(&chat.latencies, 99.0),
            chat.lost(),
            percentile(&chat.round_trips, 50.0),
            chat.cpu_per_delivery_us(),
        ));
    }
    println!("{line}");
}

/// Receipts of what was sent: one per (client, event) counts, a repeat is a duplicate.
fn tally<K: Hash + Eq + Clone>(
    received: &[Receipt],
    sent: &HashMap<K, Instant>,
    key: impl Fn(&Receipt) -> Option<K>,
) -> (Vec<f64>, usize) {
    let mut seen = HashSet::new();
    let mut duplicates = 0;
    let mut latencies = Vec::new();
    for receipt in received {
        let Some(k) = key(receipt) else { continue };
        let Some(sent_at) = sent.get(&k) else {
            continue;
        };
        if !seen.insert((receipt.client, k)) {
            duplicates += 1;
            continue;
        }
        latencies.push(receipt.at.saturating_duration_since(*sent_at).as_secs_f64() * 1000.0);
    }
    latencies.sort_by(f64::total_cmp);
    (latencies, duplicates)
}

fn drain(rx: &mut mpsc::UnboundedReceiver<Receipt>, into: &mut Vec<Receipt>) {
    while let Ok(receipt) = rx.try_recv() {
        into.push(receipt);
    }
}

fn own_cpu() -> Option<f64> {
    cpu_seconds(std::process::id())
}

fn ms_since(at: Instant) -> f64 {
    at.elapsed().as_secs_f64() * 1000.0
}

impl Run<'_> {
    fn cpu(&self) -> (Option<f64>, Option<f64>) {
        (self.pid.and_then(cpu_seconds), own_cpu())
    }

    /// Every host seeks at once, `--rounds` times; version 2 + round is that round's event.
    pub async fn seek_rounds(
        &self,
        receipts: &mut mpsc::UnboundedReceiver<Receipt>,
    ) -> anyhow::Result<Figures> {
        let o = self.o;
        let mut sent: HashMap<(usize, i64), Instant> = HashMap::new();
        let mut received = Vec::new();
        let mut round_trips = Vec::new();
        let (server0, own0) = self.cpu();
        for round in 0..o.rounds {
            let version = 2 + round as i64;
            let seeks = self.rooms.iter().enumerate().map(|(r, room)| {
                let host = self.clients[r * o.members].clone();
                let position = 1000 * (round as i64 + 1);
                async move {
                    let at = Instant::now();
                    let data = host
                        .run(
                            "mutation($r: UUID!, $p: Int!) { roomSeek(roomId: $r, positionMs: $p) { version } }",
                            json!({ "r": room, "p": position }),
                        )
                        .await?;
                    let took = ms_since(at);
                    let got = data["roomSeek"]["version"].as_i64().unwrap_or(-1);
                    if got != version {
                        return Err(anyhow!("room {r}: expected version {version}, got {got}"));
                    }
                    Ok::<_, anyhow::Error>((r, at, took))
                }
            });
            for result in futures_util::future::join_all(seeks).await {
                let (r, at, took) = result?;
                sent.insert((r, version), at);
                round_trips.push(took);
            }
            tokio::time::sleep(o.interval).await;
            drain(receipts, &mut received);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        drain(receipts, &mut received);
        let (server1, own1) = self.cpu();
        let (latencies, duplicates) = tally(&received, &sent, |r| match r.what {
            Received::Playback(v) => Some((r.room, v)),
            Received::Chat(_) => None,
        });
        round_trips.sort_by(f64::total_cmp);
        Ok(Figures {
            latencies,
            round_trips,
            expected: o.rooms * o.members * o.rounds,
            duplicates,
            server_cpu: server0.zip(server1).map(|(a, b)| b - a),
            own_cpu: own0.zip(own1).map(|(a, b)| b - a),
        })
    }

    /// Every member of every room sends one message at once, `--chat-rounds` times; each
    /// member should receive every message of its room (its own included).
    pub async fn chat_rounds(
        &self,
        receipts: &mut mpsc::UnboundedReceiver<Receipt>,
    ) -> anyhow::Result<Figures> {
        let o = self.o;
        let mut sent: HashMap<String, Instant> = HashMap::new();
        let mut received = Vec::new();
        let mut round_trips = Vec::new();
        let (server0, own0) = self.cpu();
        for round in 0..o.chat_rounds {
            let sends = self.clients.iter().enumerate().map(|(i, client)| {
                let client = client.clone();
                let room = &self.rooms[i / o.members];
                let body = format!("burst {round} from {i}");
                async move {
                    let at = Instant::now();
                    client
                        .run(
                            "mutation($r: UUID!, $b: String!) { sendRoomMessage(roomId: $r, body: $b) { id } }",
                            json!({ "r": room, "b": body }),
                        )
                        .await?;
                    Ok::<_, anyhow::Error>((body, at, ms_since(at)))
                }
            });
            for result in futures_util::future::join_all(sends).await {
                let (body, at, took) = result?;
                sent.insert(body, at);
                round_trips.push(took);
            }
            tokio::time::sleep(o.interval).await;
            drain(receipts, &mut received);
        }
        tokio::time::sleep(Duration::from_secs(3)).await;
        drain(receipts, &mut received);
        let (server1, own1) = self.cpu();
        let (latencies, duplicates) = tally(&received, &sent, |r| match &r.what {
            Received::Chat(body) => Some(body.clone()),
            Received::Playback(_) => None,
        });
        round_trips.sort_by(f64::total_cmp);
        Ok(Figures {
            latencies,
            round_trips,
            expected: self.clients.len() * o.members * o.chat_rounds,
            duplicates,
            server_cpu: server0.zip(server1).map(|(a, b)| b - a),
            own_cpu: own0.zip(own1).map(|(a, b)| b - a),
        })
    }
}
