// How long a presence change takes to reach a room's host: a member subscribes to the room's
// events (connected) or completes that subscription (disconnected), timed until the host's own
// `roomEvents` subscription has the matching `PresenceChanged`. Three setups, each on a fresh
// SQLite database: one instance without Redis, one instance with Redis, and two instances on
// one database and Redis with the host on A and the member on B (the change crosses through
// B's presence report). The difference between the last two is what Redis adds.
//
//   cargo build --release
//   node --experimental-websocket bench/presence.mjs [--rounds 20] [--bin target/release/soundroom]
//
// Needs Redis at REDIS_URL (default redis://127.0.0.1:6379). Node 20 (WebSocket behind the flag).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const rounds = Number(option("--rounds", "20"));
const bin = option("--bin", "target/release/soundroom");
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function startServer(env) {
  const port = await freePort();
  const child = spawn(bin, [], {
    env: { ...env, PORT: String(port), HOST: "127.0.0.1", RUST_LOG: "warn" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/ready`)).ok) return { child, base, ws: `ws://127.0.0.1:${port}/graphql` };
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start");
}

async function gql(base, token, query, variables) {
  const resp = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = await resp.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** A graphql-transport-ws connection: `subscribe(id, query, vars, onData)`, `complete(id)`. */
function connect(url, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, "graphql-transport-ws");
    const handlers = new Map();
    ws.onopen = () => ws.send(JSON.stringify({ type: "connection_init", payload: { authorization: `Bearer ${token}` } }));
    ws.onerror = reject;
    ws.onmessage = (m) => {
      const msg = JSON.parse(m.data);
      if (msg.type === "connection_ack") {
        resolve({
          subscribe(id, query, variables, onData) {
            handlers.set(id, onData);
            ws.send(JSON.stringify({ id, type: "subscribe", payload: { query, variables } }));
          },
          complete(id) {
            handlers.delete(id);
            ws.send(JSON.stringify({ id, type: "complete" }));
          },
          close: () => ws.close(),
        });
      } else if (msg.type === "ping") {
        ws.send(JSON.stringify({ type: "pong" }));
      } else if (msg.type === "next") {
        handlers.get(msg.id)?.(msg.payload.data);
      }
    };
  });
}

const ROOM_EVENTS = `subscription($r: UUID!) { roomEvents(roomId: $r) {
  __typename ... on PresenceChanged { user { id } isConnected } } }`;

const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function measure(label, envA, envB) {
  const a = await startServer(envA);
  const b = envB ? await startServer(envB) : a;
  try {
    const run = Math.random().toString(36).slice(2, 8);
    const register = async (name) =>
      (await gql(a.base, null, "mutation($i: RegisterInput!) { register(input: $i) { accessToken user { id } } }", {
        i: { email: `${name}-${run}@bench.example`, username: `${name}_${run}`, password: "presence bench" },
      })).register;
    const host = await register("host");
    const member = await register("member");
    const room = (await gql(a.base, host.accessToken, "mutation($i: CreateRoomInput!) { createRoom(input: $i) { id } }", {
      i: { name: "Presence", visibility: "PUBLIC" },
    })).createRoom.id;
    await gql(b.base, member.accessToken, "mutation($r: UUID!) { joinRoom(roomId: $r) { id } }", { r: room });

    let waiting = null;
    const hostWs = await connect(a.ws, host.accessToken);
    hostWs.subscribe("room", ROOM_EVENTS, { r: room }, (data) => {
      const e = data.roomEvents;
      if (e.__typename === "PresenceChanged" && e.user.id === member.user.id && waiting && e.isConnected === waiting.want) {
        const w = waiting;
        waiting = null;
        w.resolve(performance.now() - w.at);
      }
    });
    const memberWs = await connect(b.ws, member.accessToken);
    await new Promise((r) => setTimeout(r, 500));
    const timings = { connect: [], disconnect: [] };
    const change = (want, act) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${label}: no PresenceChanged(${want})`)), 20000);
        waiting = { want, at: performance.now(), resolve: (ms) => (clearTimeout(timer), resolve(ms)) };
        act();
      });
    for (let i = 0; i < rounds; i++) {
      timings.connect.push(await change(true, () => memberWs.subscribe(`m${i}`, ROOM_EVENTS, { r: room }, () => {})));
      await new Promise((r) => setTimeout(r, 100));
      timings.disconnect.push(await change(false, () => memberWs.complete(`m${i}`)));
      await new Promise((r) => setTimeout(r, 100));
    }
    hostWs.close();
    memberWs.close();
    const fmt = (xs) => `p50 ${percentile(xs, 50).toFixed(1)} ms, p90 ${percentile(xs, 90).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms`;
    console.log(`${label.padEnd(40)} connected: ${fmt(timings.connect)}; disconnected: ${fmt(timings.disconnect)}`);
  } finally {
    a.child.kill();
    if (b !== a) b.child.kill();
  }
}

function baseEnv(dataDir, extra = {}) {
  return {
    PATH: process.env.PATH,
    APP_ENV: "test",
    DATA_DIR: dataDir,
    RATE_LIMIT: "off",
    JWT_ACCESS_SECRET: "bench-access-secret-0123456789abcdef",
    JWT_REFRESH_SECRET: "bench-refresh-secret-0123456789abcdef",
    JWT_2FA_SECRET: "bench-2fa-secret-0123456789abcdef",
    ...extra,
  };
}

const dirs = [];
const fresh = () => {
  const d = mkdtempSync(join(tmpdir(), "soundroom-presence-"));
  dirs.push(d);
  return d;
};
try {
  await measure("one instance, no Redis", baseEnv(fresh()));
  const prefix = (name) => ({ REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench-${name}-${Date.now()}:` });
  await measure("one instance, Redis", baseEnv(fresh(), prefix("one")));
  const shared = fresh();
  const two = prefix("two");
  await measure("host on A, member on B (Redis)", baseEnv(shared, two), baseEnv(shared, { ...two, MEDIA_DIR: join(shared, "b-media") }));
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
