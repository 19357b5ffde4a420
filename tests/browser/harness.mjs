// What the browser tests share: the server under test, Debian's Chromium through
// playwright-core, a generated WAV file, and small GraphQL and statistics helpers.
//
// SOUNDROOM_URL names a running server (CI starts one); without it, target/debug/soundroom is
// started on a free port with a fresh data directory and stopped at the end.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "..", "..");

/** Access tokens live this long on a server the tests start: long enough to sign in and
 * upload, short enough that every page refreshes and its WebSocket is closed with 4403 (and
 * reconnects) during the sync measurement. */
export const ACCESS_TOKEN_TTL_SECS = 20;

async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitHealthy(base, child) {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      const r = await fetch(`${base}/health`);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${base} did not become healthy`);
}

/** The server under test: `{ base, dataDir, stop }`. With `own`, a server of the test's own
 * (never the one SOUNDROOM_URL names), started with `env` added to its settings; `dataDir` is
 * its data directory (null for a server the test did not start). */
export async function startServer({ own = false, env = {} } = {}) {
  if (process.env.SOUNDROOM_URL && !own) {
    const base = process.env.SOUNDROOM_URL.replace(/\/+$/, "");
    await waitHealthy(base);
    return { base, dataDir: null, stop: async () => {} };
  }
  const bin = process.env.SOUNDROOM_BIN ?? join(repo, "target", "debug", "soundroom");
  const dataDir = mkdtempSync(join(tmpdir(), "soundroom-browser-"));
  const port = await freePort();
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      HOST: "127.0.0.1",
      PORT: String(port),
      RUST_LOG: "warn",
      ACCESS_TOKEN_TTL_SECS: String(ACCESS_TOKEN_TTL_SECS),
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const base = `http://127.0.0.1:${port}`;
  await waitHealthy(base, child);
  return {
    base,
    dataDir,
    stop: async () => {
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r() : child.once("exit", r)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium, headless, with a fresh profile (Playwright makes one per launch). */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--no-first-run",
      "--disable-sync",
      "--autoplay-policy=no-user-gesture-required",
      // Two pages play side by side; neither may be throttled as a background page.
      "--disable-background-timer-throttling",
      "--disable-renderer-backgrounding",
      "--disable-backgrounding-occluded-windows",
    ],
  });
}

/** A mono 16-bit PCM WAV of a sine tone, `seconds` long. */
export function writeSineWav(path, { seconds, hz = 440, rate = 22_050 }) {
  const samples = seconds * rate;
  const data = Buffer.alloc(samples * 2);
  for (let i = 0; i < samples; i++) {
    data.writeInt16LE(Math.round(0.3 * 32767 * Math.sin((2 * Math.PI * hz * i) / rate)), i * 2);
  }
  const header = Buffer.alloc(44);
  header.write("RIFF", 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write("WAVE", 8);
  header.write("fmt ", 12);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write("data", 36);
  header.writeUInt32LE(data.length, 40);
  writeFileSync(path, Buffer.concat([header, data]));
  return path;
}

export function tempDir() {
  return mkdtempSync(join(tmpdir(), "soundroom-browser-files-"));
}

/** POSTs a GraphQL request; throws on errors. */
export async function gql(base, token, query, variables = {}) {
  const r = await fetch(`${base}/graphql`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

/** The signed-in page's current session (the client keeps it in localStorage). */
export async function sessionOf(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem("soundroom.session") ?? "null"));
}

export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
