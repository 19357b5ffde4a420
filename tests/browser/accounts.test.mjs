// Signing in and out of the web client: password sign-in with the two-factor step, the landing
// page of Google sign-in (tokens in the fragment), and signing out (the refresh token dies).

import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { gql, launchBrowser, sessionOf, startServer } from "./harness.mjs";

const PASSWORD = "correct horse battery staple";
const AUTH = "accessToken refreshToken expiresIn user { id username tag }";

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

async function register(name) {
  const email = `${name.toLowerCase()}-${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`;
  const data = await gql(server.base, null, `mutation($i: RegisterInput!) { register(input: $i) { ${AUTH} } }`, {
    i: { email, username: name, password: PASSWORD },
  });
  return { email, ...data.register };
}

test("sign in with a two-factor recovery code, then sign out", async () => {
  const user = await register("Twofa");
  const setup = await gql(server.base, user.accessToken, "mutation { beginTwoFactorSetup { secret } }");
  // The current TOTP code for the secret (RFC 6238: SHA-1, 6 digits, 30 s).
  const { createHmac } = await import("node:crypto");
  const key = base32(setup.beginTwoFactorSetup.secret);
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)));
  const mac = createHmac("sha1", key).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
  const enabled = await gql(server.base, user.accessToken, "mutation($c: String!) { enableTwoFactor(code: $c) { recoveryCodes } }", { c: code });
  const recovery = enabled.enableTwoFactor.recoveryCodes[0];

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/`);
  // No Google sign-in on a server without it.
  assert.equal(await page.getByRole("link", { name: "Sign in with Google" }).count(), 0);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByLabel("Authentication code").fill(recovery);
  await page.getByRole("button", { name: "Verify" }).click();
  await page.getByRole("heading", { name: "Rooms", exact: true }).waitFor();
  await page.getByText("Signed in as").getByText("Twofa").waitFor();

  const { refreshToken } = await sessionOf(page);
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("button", { name: "Sign in", exact: true }).waitFor();
  assert.equal(await sessionOf(page), null);
  // logout(refreshToken) ended the session on the server.
  await assert.rejects(
    gql(server.base, null, `mutation($t: String!) { refreshTokens(refreshToken: $t) { accessToken } }`, { t: refreshToken }),
    /UNAUTHENTICATED/,
  );
  await context.close();
});

test("the Google sign-in landing page takes the tokens from the fragment and drops them from the URL", async () => {
  const user = await register("Googler");
  const context = await browser.newContext();
  const page = await context.newPage();
  const fragment = new URLSearchParams({
    accessToken: user.accessToken,
    refreshToken: user.refreshToken,
    expiresIn: String(user.expiresIn),
  });
  await page.goto(`${server.base}/auth/callback#${fragment}`);
  await page.getByRole("heading", { name: "Rooms", exact: true }).waitFor();
  await page.getByText("Signed in as").getByText("Googler").waitFor();
  assert.equal(page.url(), `${server.base}/`, "the tokens left the address bar");
  assert.equal((await sessionOf(page)).user.id, user.user.id);

  // A provider-side refusal shows as an error, with no session.
  const other = await context.newPage();
  await other.goto(`${server.base}/auth/callback#error=access_denied`);
  await other.getByRole("alert").getByText("access_denied").waitFor();
  await context.close();
});

function base32(text) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const ch of text.replace(/=+$/, "").toUpperCase()) bits += alphabet.indexOf(ch).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}
