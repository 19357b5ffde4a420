// GraphiQL at /graphiql comes from the server itself: it renders, runs `{ serverTime }` typed
// into its editor, and makes no request that fails or leaves the server's origin. Signed in to
// the web client, its headers start with the session's token and a subscription runs over
// graphql-transport-ws with it.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { launchBrowser, startServer } from "./harness.mjs";

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

/** Every request the page makes, and those that failed (network errors or HTTP ≥ 400). */
function watch(page) {
  const requests = [];
  const failures = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("requestfailed", (r) => failures.push(`${r.url()}: ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (r.status() >= 400) failures.push(`${r.url()}: HTTP ${r.status()}`);
  });
  page.on("pageerror", (e) => failures.push(`page error: ${e.message}`));
  return { requests, failures };
}

async function responseText(page) {
  return page.evaluate(() => document.querySelector(".graphiql-response")?.textContent ?? "");
}

test("GraphiQL renders from local assets and runs { serverTime }", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(`${server.base}/graphiql`);
  const editor = page.locator(".graphiql-query-editor .monaco-editor").first();
  await editor.waitFor();
  await editor.click();
  await page.keyboard.press("ControlOrMeta+A");
  await page.keyboard.press("Delete");
  await page.keyboard.type("{ serverTime }");
  const before = Date.now();
  await page.getByRole("button", { name: /Execute query/ }).click();
  await page.waitForFunction(
    () => /"serverTime":\s*\d/.test(document.querySelector(".graphiql-response")?.textContent ?? ""),
    null,
    { timeout: 15_000 },
  );
  const text = await responseText(page);
  const serverTime = Number(/"serverTime":\s*([\d.]+)/.exec(text)?.[1]);
  assert.ok(Math.abs(serverTime - before) < 60_000, `a current server time: ${text}`);
  // Let late requests (schema, workers, fonts) finish before judging.
  await page.waitForLoadState("networkidle");
  assert.deepEqual(seen.failures, [], "no failed requests");
  const foreign = seen.requests.filter((u) => !u.startsWith(`${server.base}/`) && !u.startsWith("blob:") && !u.startsWith("data:"));
  assert.deepEqual(foreign, [], "every request goes to the server itself");
  assert.ok(seen.requests.some((u) => u.includes("/assets/")), "assets are served locally");
  await context.close();
});

test("GraphiQL takes the web client's session and subscribes over WebSocket", async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(`${server.base}/`);
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Email").fill(`graphiql-${Date.now()}@example.com`);
  await page.getByLabel("Username").fill("Explorer");
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.getByLabel("Room name").fill("GraphiQL room");
  await page.getByRole("button", { name: "Create room" }).click();
  await page.waitForURL(/\/rooms\/[0-9a-f-]{36}$/);
  const roomId = page.url().split("/").pop();

  // What goes over the socket: connection_init with the headers editor's authorization, then
  // the subscription's events, the first of which is the room's snapshot.
  const sockets = [];
  page.on("websocket", (ws) => {
    const frames = { url: ws.url(), sent: [], received: [] };
    sockets.push(frames);
    ws.on("framesent", (f) => frames.sent.push(String(f.payload)));
    ws.on("framereceived", (f) => frames.received.push(String(f.payload)));
  });
  const query = `subscription { roomEvents(roomId: "${roomId}") { __typename ... on RoomSnapshot { room { name } } } }`;
  await page.goto(`${server.base}/graphiql?query=${encodeURIComponent(query)}`);
  await page.locator(".graphiql-query-editor .monaco-editor").first().waitFor();
  await page.getByRole("button", { name: /Execute query/ }).click();
  await page.waitForFunction(
    () => (document.querySelector(".graphiql-response")?.textContent ?? "").includes("roomEvents"),
    null,
    { timeout: 15_000 },
  );
  const socket = sockets.find((s) => s.url === `${server.base.replace(/^http/, "ws")}/graphql`);
  assert.ok(socket, `a WebSocket to /graphql: ${sockets.map((s) => s.url)}`);
  const init = JSON.parse(socket.sent[0]);
  assert.equal(init.type, "connection_init");
  assert.match(init.payload.authorization, /^Bearer ey/);
  assert.ok(
    socket.received.some((f) => f.includes("RoomSnapshot") && f.includes("GraphiQL room")),
    `the snapshot arrived: ${socket.received.join("\n")}`,
  );
  assert.deepEqual(seen.failures.filter((f) => !f.includes("ERR_ABORTED")), [], "no failed requests");
  await context.close();
});
