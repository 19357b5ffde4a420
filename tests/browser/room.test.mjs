// Two listeners in one room, each in their own browser context: the host uploads a generated
// WAV through the library page, makes a public room, queues the track and plays it; the guest
// joins. Both <audio> elements are sampled for 30 s and compared with each other and with the
// server's position; then a pause, a seek and a chat message must reach the other page.
//
// SYNC_REPORT=file writes the figures as JSON; SCREENSHOT=file.png saves the host's room page.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gql, launchBrowser, percentile, sessionOf, startServer, tempDir, writeSineWav } from "./harness.mjs";

const SAMPLE_SECONDS = Number(process.env.SYNC_SECONDS ?? 30);
const TOLERANCE_MS = 50;
/** Measurement windows allowed before giving up. Headless Chromium without a sound card plays
 * to a timer-driven fake output that loses the time it is starved of CPU, so a busy machine
 * (other builds sharing its cores) can put both pages 100 ms behind for a moment; one more
 * window tells that apart from pages that do not keep in step. Every window is reported. */
const WINDOWS = 2;

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function signUp(page, name) {
  const stamp = `${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  await page.goto(`${server.base}/`);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Email").fill(`${name.toLowerCase()}-${stamp}@example.com`);
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { name: "Rooms", exact: true }).waitFor();
}

/** Where the page's <audio> is, stamped with the page's wall clock (the same machine as the
 * server, so the same clock). */
function audioNow(page) {
  return page.evaluate(() => {
    const a = document.querySelector("audio");
    return {
      t: performance.timeOrigin + performance.now(),
      pos: a ? a.currentTime * 1000 : NaN,
      paused: a ? a.paused : true,
      rate: a ? a.playbackRate : 1,
    };
  });
}

async function roomPlayback(page, roomId) {
  const { accessToken } = await sessionOf(page);
  const data = await gql(
    server.base,
    accessToken,
    "query($id: UUID!) { room(id: $id) { playback { isPlaying positionMs anchorTimeMs version track { id } } } }",
    { id: roomId },
  );
  return data.room.playback;
}

function serverPositionAt(p, t) {
  return p.isPlaying ? Math.max(p.positionMs, p.positionMs + (t - p.anchorTimeMs)) : p.positionMs;
}

async function waitFor(what, fn, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Samples both pages every 250 ms for `seconds`: the difference between them and each
 * one's offset from the server, at the same instant (each sample projected with its own
 * timestamp onto the server's timeline). */
async function measure(host, guest, roomId, seconds) {
  const playback = await roomPlayback(host, roomId);
  const between = [];
  const vsServer = [];
  const trace = [];
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const [a, b] = await Promise.all([audioNow(host), audioNow(guest)]);
    assert.ok(!a.paused && !b.paused, "both pages keep playing");
    const offA = a.pos - serverPositionAt(playback, a.t);
    const offB = b.pos - serverPositionAt(playback, b.t);
    trace.push({ t: Math.round(a.t), offA: +offA.toFixed(1), offB: +offB.toFixed(1), rateA: a.rate, rateB: b.rate });
    between.push(Math.abs(offA - offB));
    vsServer.push(Math.abs(offA), Math.abs(offB));
    await new Promise((r) => setTimeout(r, 250));
  }
  const after = await roomPlayback(host, roomId);
  assert.equal(after.version, playback.version, "nothing changed the room while measuring");
  const figures = (xs) => ({
    p50: +percentile(xs, 50).toFixed(1),
    p95: +percentile(xs, 95).toFixed(1),
    max: +Math.max(...xs).toFixed(1),
    samples: xs.length,
  });
  if (process.env.SYNC_TRACE) writeFileSync(`${process.env.SYNC_TRACE}.${seconds}s.json`, JSON.stringify(trace, null, 1));
  return { seconds, betweenPages: figures(between), vsServer: figures(vsServer) };
}

function inStep(m) {
  return m.betweenPages.max <= TOLERANCE_MS && m.vsServer.max <= TOLERANCE_MS;
}

/** Measures up to WINDOWS times, until a window is in step; returns every window. */
async function measureInStep(host, guest, roomId, seconds) {
  const windows = [];
  while (windows.length < WINDOWS) {
    windows.push(await measure(host, guest, roomId, seconds));
    if (inStep(windows.at(-1))) break;
  }
  return windows;
}

test("two pages play a room in step, and pause, seek and chat reach the other page", async (t) => {
  const files = tempDir();
  const wav = writeSineWav(join(files, "sine-440.wav"), { seconds: 120 });
  const hostContext = await browser.newContext();
  const guestContext = await browser.newContext();
  const host = await hostContext.newPage();
  const guest = await guestContext.newPage();
  for (const [who, page] of [["host", host], ["guest", guest]]) {
    page.on("pageerror", (e) => t.diagnostic(`${who} page error: ${e.message}`));
  }

  await signUp(host, "Hosta");
  await signUp(guest, "Guesto");

  // The host uploads the track through the library page.
  await host.getByRole("link", { name: "Library" }).click();
  await host.getByLabel("Audio file").setInputFiles(wav);
  await host.getByLabel(/^Title/).fill("Sine 440");
  await host.getByLabel("Artist").fill("Test Tones");
  await host.getByRole("button", { name: "Upload" }).click();
  await host.getByRole("status").filter({ hasText: "Uploaded" }).waitFor();

  // A public room; the guest opens its address and joins.
  await host.getByRole("link", { name: "Rooms", exact: true }).click();
  await host.getByLabel("Room name").fill("Listening test");
  await host.getByRole("button", { name: "Create room" }).click();
  await host.waitForURL(/\/rooms\/[0-9a-f-]{36}$/);
  const roomId = host.url().split("/").pop();
  await guest.goto(`${server.base}/rooms/${roomId}`);
  await guest.getByRole("button", { name: "Join room" }).click();
  for (const page of [host, guest]) {
    const members = page.getByRole("list", { name: "Members" });
    await members.getByText("Hosta").waitFor();
    await members.getByText("Guesto").waitFor();
  }
  await waitFor("both members connected", async () => {
    const text = await host.getByRole("list", { name: "Members" }).innerText();
    return !text.includes("not connected");
  });

  // Queue it from the catalog and play.
  await host.getByLabel("Search the catalog").fill("Sine");
  await host.getByRole("button", { name: "Search", exact: true }).click();
  await host.getByRole("button", { name: "Add Sine 440 to the queue" }).click();
  await guest.getByRole("list", { name: "Queue" }).getByText("added by Hosta").waitFor();
  await host.getByRole("button", { name: "Play", exact: true }).click();
  for (const page of [host, guest]) {
    await waitFor("playback on both pages", async () => {
      const s = await audioNow(page);
      return !s.paused && s.pos > 500;
    });
  }
  // Let the first corrections settle.
  await new Promise((r) => setTimeout(r, 3_000));

  const windows = await measureInStep(host, guest, roomId, SAMPLE_SECONDS);
  const reconnects = await Promise.all(
    [host, guest].map((p) => p.evaluate(() => window.soundroom?.connection.reconnects ?? 0)),
  );
  const lifetimeMs = (await sessionOf(host)).lifetimeMs;
  const report = { windows, accessTokenLifetimeMs: lifetimeMs, websocketReconnects: reconnects };
  for (const w of windows) t.diagnostic(`sync: ${JSON.stringify(w)}`);
  t.diagnostic(`websocket reconnects: ${reconnects} (access tokens live ${lifetimeMs} ms)`);
  if (process.env.SYNC_REPORT) writeFileSync(process.env.SYNC_REPORT, JSON.stringify(report, null, 2));
  assert.ok(
    inStep(windows.at(-1)),
    `pages agree with each other and with the server within ${TOLERANCE_MS} ms: ${JSON.stringify(windows)}`,
  );
  if (lifetimeMs <= (SAMPLE_SECONDS - 5) * 1000) {
    // The tokens expired while measuring: each socket was closed with 4403 and came back.
    assert.ok(reconnects.every((n) => n >= 1), `both sockets reconnected: ${reconnects}`);
  }

  // Pause: the guest stops where the server says.
  await host.getByRole("button", { name: "Pause", exact: true }).click();
  const paused = await waitFor("the room paused", async () => {
    const p = await roomPlayback(host, roomId);
    return p.isPlaying ? null : p;
  });
  await waitFor("the guest paused at the room's position", async () => {
    const s = await audioNow(guest);
    return s.paused && Math.abs(s.pos - paused.positionMs) <= TOLERANCE_MS;
  });

  // Seek while paused, then play on from there.
  await host.getByLabel("Position").fill("40");
  await waitFor("the room at 40 s", async () => (await roomPlayback(host, roomId)).positionMs === 40_000);
  await waitFor("the guest at 40 s", async () => {
    const s = await audioNow(guest);
    return s.paused && Math.abs(s.pos - 40_000) <= TOLERANCE_MS;
  });
  await host.getByRole("button", { name: "Play", exact: true }).click();
  await waitFor("the guest playing from 40 s", async () => {
    const s = await audioNow(guest);
    return !s.paused && s.pos > 40_200;
  });
  await new Promise((r) => setTimeout(r, 3_000));
  const afterSeek = await measureInStep(host, guest, roomId, 5);
  for (const w of afterSeek) t.diagnostic(`after the seek: ${JSON.stringify(w)}`);
  assert.ok(inStep(afterSeek.at(-1)), `in step after the seek: ${JSON.stringify(afterSeek)}`);

  // Chat: the host sees the guest typing, then the message.
  await guest.getByLabel("Message").fill("hello from the guest");
  await host.getByText("Guesto is typing…").waitFor();
  await guest.getByRole("button", { name: "Send", exact: true }).click();
  await host.getByRole("log", { name: "Chat" }).getByText("hello from the guest").waitFor();
  await host.getByRole("log", { name: "Chat" }).getByText("Guesto").waitFor();

  if (process.env.SCREENSHOT) {
    await host.setViewportSize({ width: 1280, height: 860 });
    // The shot shows a queued track (with who added it) and the sync figures.
    await host.getByRole("button", { name: "Add Sine 440 to the queue" }).click();
    await host.getByRole("list", { name: "Queue" }).getByText("added by Hosta").waitFor();
    await host.getByText("Sync details").click();
    await new Promise((r) => setTimeout(r, 600));
    await host.screenshot({ path: process.env.SCREENSHOT, fullPage: true });
  }
  await hostContext.close();
  await guestContext.close();
});
