// The pages mailed links open: verifying an address, resetting a forgotten password, and
// confirming an email change, each from the link of a mail the server really wrote. The server
// here is the test's own, without SMTP_URL: it writes every mail to DATA_DIR/outbox as a .eml
// file, which the test reads like a mailbox.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { gql, launchBrowser, startServer } from "./harness.mjs";

const PASSWORD = "correct horse battery staple";

let server;
let browser;

before(async () => {
  server = await startServer({ own: true });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

function uniqueEmail(name) {
  return `${name}-${Date.now()}${Math.floor(Math.random() * 1e6)}@example.com`;
}

/** Quoted-printable (RFC 2045) to text: soft line breaks dropped, `=XX` decoded. */
function unquote(body) {
  return body.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}

/** Waits for a mail to `to` whose subject contains `subject`; returns the link it carries to
 * `path` (e.g. `/verify-email`). */
async function mailedLink(to, subject, path) {
  const outbox = join(server.dataDir, "outbox");
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    let names = [];
    try {
      names = readdirSync(outbox).filter((n) => n.endsWith(".eml"));
    } catch {
      // no mail yet
    }
    for (const name of names) {
      const mail = unquote(readFileSync(join(outbox, name), "utf8"));
      if (!mail.includes(`To: ${to}`) || !/^Subject: .*$/m.exec(mail)?.[0].includes(subject)) continue;
      const link = new RegExp(`https?://[^\\s"<]+${path}#token=[A-Za-z0-9_-]+`).exec(mail);
      assert.ok(link, `the mail to ${to} has a ${path} link`);
      return link[0];
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no mail to ${to} about "${subject}"`);
}

async function register(name) {
  const email = uniqueEmail(name.toLowerCase());
  const data = await gql(
    server.base,
    null,
    "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
    { i: { email, username: name, password: PASSWORD } },
  );
  return { email, token: data.register.accessToken };
}

async function me(token) {
  return (await gql(server.base, token, "{ me { email emailVerified } }")).me;
}

async function loginFails(email, password) {
  const r = await fetch(`${server.base}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      query: "mutation($i: LoginInput!) { login(input: $i) { __typename } }",
      variables: { i: { email, password } },
    }),
  });
  const body = await r.json();
  return Boolean(body.errors);
}

test("the verification link verifies the address, once, and leaves no token in the address bar", async () => {
  const user = await register("Verifier");
  assert.equal((await me(user.token)).emailVerified, false);
  const link = await mailedLink(user.email, "Verify", "/verify-email");
  assert.ok(link.startsWith(server.base), `the link points at the server's own client: ${link}`);

  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await page.getByRole("status").filter({ hasText: "Your email address is verified" }).waitFor();
  assert.ok(!page.url().includes("token"), `the token left the URL: ${page.url()}`);
  assert.equal((await me(user.token)).emailVerified, true);

  // The same link again, opened from the mail in a new tab: the token is spent.
  const again = await context.newPage();
  await again.goto(link);
  await again.getByRole("alert").filter({ hasText: "link" }).waitFor();
  await context.close();
});

test("forgot password: the reset mail's link sets a new password and signs in", async () => {
  const user = await register("Forgetful");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/`);
  await page.getByRole("button", { name: "Forgot password?" }).click();
  await page.getByLabel("Email").fill(user.email);
  await page.getByRole("button", { name: "Send reset link" }).click();
  await page.getByRole("status").filter({ hasText: "reset link is on its way" }).waitFor();

  const link = await mailedLink(user.email, "Reset", "/reset-password");
  await page.goto(link);
  await page.getByLabel("New password").waitFor();
  assert.ok(!page.url().includes("token"), `the token left the URL: ${page.url()}`);
  const fresh = "a brand new passphrase";
  await page.getByLabel("New password").fill(fresh);
  await page.getByRole("button", { name: "Set password" }).click();
  await page.getByRole("heading", { name: "Rooms", exact: true }).waitFor();
  await page.getByText("Signed in as").getByText("Forgetful").waitFor();

  assert.equal(await loginFails(user.email, PASSWORD), true, "the old password is refused");
  assert.equal(await loginFails(user.email, fresh), false, "the new password signs in");
  await context.close();
});

test("the account page changes the email; the confirmation link moves the account", async () => {
  const user = await register("Mover");
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server.base}/`);
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(PASSWORD);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await page.getByRole("link", { name: "Account" }).click();
  await page.getByText(user.email).waitFor();

  const next = uniqueEmail("moved");
  const form = page.getByRole("form", { name: "Change email" });
  await form.getByLabel("New email").fill(next);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Change email" }).click();
  await form.getByRole("status").filter({ hasText: next }).waitFor();
  assert.equal((await me(user.token)).email, user.email, "nothing moves before the confirmation");

  const link = await mailedLink(next, "", "/confirm-email");
  await page.goto(link);
  await page.getByRole("status").filter({ hasText: next }).waitFor();
  const now = await me(user.token);
  assert.equal(now.email, next);
  assert.equal(now.emailVerified, true);
  await context.close();
});
