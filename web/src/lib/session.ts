// The signed-in session: tokens kept in localStorage (shared by the tabs of one browser), the
// access token refreshed before it expires, and one refresh at a time across tabs.
//
// Refresh tokens rotate: presenting one that was already used revokes the whole session. Two
// tabs refreshing with the same token at once would do exactly that, so a refresh runs under a
// Web Lock and first re-reads the stored session: when another tab already rotated it, that
// result is adopted instead of refreshing again.

import { Client, fetchExchange, gql } from "@urql/core";

export type SessionUser = { id: string; username: string; tag: string };

export type Session = {
  accessToken: string;
  refreshToken: string;
  /** Epoch ms at which the access token expires (by this browser's clock). */
  expiresAt: number;
  /** The access token's lifetime, ms. */
  lifetimeMs: number;
  user: SessionUser;
};

export type AuthPayload = {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: SessionUser;
};

// GraphiQL (src/graphiql/main.tsx) reads the access token under this key too.
const KEY = "soundroom.session";

const REFRESH = gql`
  mutation Refresh($refreshToken: String!) {
    refreshTokens(refreshToken: $refreshToken) {
      accessToken
      refreshToken
      expiresIn
      user {
        id
        username
        tag
      }
    }
  }
`;

const LOGOUT = gql`
  mutation Logout($refreshToken: String!) {
    logout(refreshToken: $refreshToken)
  }
`;

// Sign-in, refresh and sign-out never carry an access token (an expired one would make the
// server refuse the request).
const anonymous = new Client({
  url: "/graphql",
  exchanges: [fetchExchange],
  requestPolicy: "network-only",
  preferGetMethod: false,
});

type Listener = (session: Session | null) => void;
const listeners = new Set<Listener>();
let current: Session | null = read();
let inflight: Promise<Session | null> | null = null;
let timer: ReturnType<typeof setTimeout> | undefined;

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return s && typeof s.accessToken === "string" && typeof s.refreshToken === "string" ? s : null;
  } catch {
    return null;
  }
}

function publish(next: Session | null, store: boolean) {
  current = next;
  if (store) {
    if (next) localStorage.setItem(KEY, JSON.stringify(next));
    else localStorage.removeItem(KEY);
  }
  schedule();
  for (const l of listeners) l(next);
}

/** When the access token should be replaced: a minute before it expires, or at three quarters
 * of its life when it lives less than four minutes. */
function refreshDueAt(s: Session): number {
  return s.expiresAt - Math.min(60_000, s.lifetimeMs / 4);
}

function schedule() {
  clearTimeout(timer);
  if (!current) return;
  const wait = Math.max(0, refreshDueAt(current) - Date.now());
  timer = setTimeout(() => void refresh().catch(() => undefined), Math.min(wait, 2 ** 31 - 1));
}

export function sessionFromPayload(p: AuthPayload): Session {
  const lifetimeMs = p.expiresIn * 1000;
  return {
    accessToken: p.accessToken,
    refreshToken: p.refreshToken,
    expiresAt: Date.now() + lifetimeMs,
    lifetimeMs,
    user: p.user,
  };
}

export function getSession(): Session | null {
  return current;
}

export function onSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function signIn(payload: AuthPayload) {
  publish(sessionFromPayload(payload), true);
}

/** The session changed in another tab. */
window.addEventListener("storage", (e) => {
  if (e.key === KEY || e.key === null) publish(read(), false);
});

export function needsRefresh(): boolean {
  return current !== null && Date.now() >= refreshDueAt(current);
}

/** The current access token, refreshed first when it is due. `null` when signed out. */
export async function freshAccessToken(): Promise<string | null> {
  if (current && needsRefresh()) await refresh().catch(() => undefined);
  return current?.accessToken ?? null;
}

/** Rotates the tokens (once at a time, across tabs) when they are due, or now with `force`
 * (the server refused the access token). Signs out when the server refuses the refresh token;
 * keeps the session on network errors (the timer tries again). */
export function refresh(force = false): Promise<Session | null> {
  if (inflight) return inflight;
  const run = async (): Promise<Session | null> => {
    const stored = read();
    if (!stored) {
      publish(null, false);
      return null;
    }
    if (stored.refreshToken !== current?.refreshToken) {
      // Another tab already rotated it.
      publish(stored, false);
      if (!isDue(stored)) return stored;
    } else if (!force && !isDue(stored)) {
      return stored;
    }
    const result = await anonymous
      .mutation(REFRESH, { refreshToken: stored.refreshToken })
      .toPromise();
    const payload = result.data?.refreshTokens as AuthPayload | undefined;
    if (payload) {
      const next = sessionFromPayload(payload);
      publish(next, true);
      return next;
    }
    const refused = result.error?.graphQLErrors.some(
      (e) => e.extensions?.code === "UNAUTHENTICATED",
    );
    if (refused) {
      publish(null, true);
      return null;
    }
    // Offline or the server is restarting: try again shortly.
    clearTimeout(timer);
    timer = setTimeout(() => void refresh().catch(() => undefined), 5_000);
    throw result.error ?? new Error("refresh failed");
  };
  const locked: Promise<Session | null> =
    typeof navigator !== "undefined" && navigator.locks
      ? (navigator.locks.request("soundroom-refresh", run) as unknown as Promise<Session | null>)
      : run();
  const done = locked.finally(() => {
    inflight = null;
  });
  inflight = done;
  return done;
}

function isDue(s: Session): boolean {
  return Date.now() >= refreshDueAt(s);
}

/** Ends the session on the server (`logout`) and forgets it here. */
export async function signOut(): Promise<void> {
  const s = current;
  publish(null, true);
  if (s) await anonymous.mutation(LOGOUT, { refreshToken: s.refreshToken }).toPromise();
}

schedule();
