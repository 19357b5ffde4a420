// The GraphQL client: urql over HTTP (queries, mutations, multipart uploads) with the bearer
// token added and refreshed by its auth exchange, and graphql-ws for subscriptions.
//
// The WebSocket authenticates once, at connection_init; the server closes it with 4403 when
// that access token expires. graphql-ws retries 4403 and calls `connectionParams` again, which
// hands it the (by then refreshed) token, and resubscribes every subscription: a room receives
// a fresh RoomSnapshot as the first event of its new subscription and re-reads its state.

import { Client, fetchExchange, subscriptionExchange, type Operation } from "@urql/core";
import { authExchange } from "@urql/exchange-auth";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { freshAccessToken, getSession, needsRefresh, refresh } from "./session";

export type Connection = { client: Client; ws: WsClient; dispose: () => void };

/** Counters the browser tests read (and a curious user may, from the console). */
export const connectionStats = { connects: 0, reconnects: 0, lastCloseCode: 0 };

function wsUrl(): string {
  const u = new URL("/graphql", window.location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
}

function hasBearer(operation: Operation): boolean {
  const opts = operation.context.fetchOptions;
  const headers = (typeof opts === "function" ? opts() : opts)?.headers as
    | Record<string, string>
    | undefined;
  return !!headers && Object.keys(headers).some((k) => k.toLowerCase() === "authorization");
}

/** A client for whoever is signed in now; made anew when the user changes. */
export function connect(): Connection {
  const ws = createWsClient({
    url: wsUrl(),
    lazy: true,
    // Closes the socket a moment after the last subscription ends.
    lazyCloseTimeout: 3_000,
    retryAttempts: Infinity,
    // 4403 (token expired) and dropped connections are worth retrying; the fatal protocol
    // codes are never retried by graphql-ws whatever this says.
    shouldRetry: () => true,
    retryWait: async (retries) => {
      // The first retry at once (a token expiry), then back off up to 10 s.
      const ms = retries === 0 ? 50 : Math.min(10_000, 500 * 2 ** retries) + Math.random() * 500;
      await new Promise((r) => setTimeout(r, ms));
    },
    connectionParams: async () => {
      const token = await freshAccessToken();
      return token ? { authorization: `Bearer ${token}` } : {};
    },
    on: {
      connected: (_socket, _payload, wasRetry) => {
        connectionStats.connects += 1;
        if (wasRetry) connectionStats.reconnects += 1;
      },
      closed: (event) => {
        connectionStats.lastCloseCode = (event as CloseEvent | undefined)?.code ?? 0;
      },
    },
  });

  const client = new Client({
    url: "/graphql",
    requestPolicy: "network-only",
    preferGetMethod: false,
    exchanges: [
      authExchange(async (utils) => ({
        addAuthToOperation(operation) {
          const token = getSession()?.accessToken;
          return token ? utils.appendHeaders(operation, { Authorization: `Bearer ${token}` }) : operation;
        },
        willAuthError: () => needsRefresh(),
        // Only a request that carried a token can be fixed by refreshing it (a wrong password
        // is UNAUTHENTICATED too).
        didAuthError: (error, operation) =>
          hasBearer(operation) &&
          (error.response?.status === 401 ||
            error.graphQLErrors.some((e) => e.extensions?.code === "UNAUTHENTICATED")),
        refreshAuth: async () => {
          await refresh(!needsRefresh()).catch(() => undefined);
        },
      })),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? "" };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });

  return { client, ws, dispose: () => void ws.dispose() };
}

/** A `fetch` that reports upload progress (fetch cannot): an XMLHttpRequest answering with a
 * real Response, for urql's `fetch` context option. */
export function fetchWithProgress(onProgress: (loaded: number, total: number) => void): typeof fetch {
  return (input, init) =>
    new Promise<Response>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(init?.method ?? "POST", typeof input === "string" ? input : input.toString());
      new Headers(init?.headers).forEach((value, key) => xhr.setRequestHeader(key, value));
      xhr.responseType = "text";
      xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
      xhr.onload = () => {
        const headers = new Headers();
        for (const line of xhr.getAllResponseHeaders().trim().split(/[\r\n]+/)) {
          const i = line.indexOf(":");
          if (i > 0) headers.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
        }
        resolve(new Response(xhr.responseText, { status: xhr.status, statusText: xhr.statusText, headers }));
      };
      xhr.onerror = () => reject(new TypeError("Network request failed"));
      xhr.onabort = () => reject(new DOMException("Aborted", "AbortError"));
      init?.signal?.addEventListener("abort", () => xhr.abort());
      xhr.send(init?.body as XMLHttpRequestBodyInit | null | undefined);
    });
}
