// GraphiQL, built from the npm packages and served by Soundroom itself (no CDN): queries and
// mutations go to /graphql over HTTP with the headers from the headers editor, subscriptions
// over graphql-transport-ws with that `authorization` header as the connection_init payload.

import "graphiql/setup-workers/vite";
import "graphiql/style.css";
import { GraphiQL, type GraphiQLProps } from "graphiql";
import { getOperationAST, parse } from "graphql";
import { createClient, type Client } from "graphql-ws";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

type Fetcher = GraphiQLProps["fetcher"];

// The page names its endpoint (HTTP and WebSocket alike).
const endpoint =
  document.querySelector<HTMLMetaElement>('meta[name="graphql-endpoint"]')?.content || "/graphql";

const wsUrl = (() => {
  const u = new URL(endpoint, window.location.href);
  u.protocol = u.protocol === "https:" ? "wss:" : "ws:";
  return u.toString();
})();

// One socket per authorization value, so that changing the header signs the socket in anew.
const sockets = new Map<string, Client>();
function socketFor(authorization: string | undefined): Client {
  const key = authorization ?? "";
  let client = sockets.get(key);
  if (!client) {
    client = createClient({
      url: wsUrl,
      lazy: true,
      connectionParams: authorization ? { authorization } : {},
    });
    sockets.set(key, client);
  }
  return client;
}

function isSubscription(query: string, operationName?: string | null): boolean {
  try {
    return getOperationAST(parse(query), operationName ?? undefined)?.operation === "subscription";
  } catch {
    return false;
  }
}

const fetcher: Fetcher = async (params, opts) => {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts?.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (isSubscription(params.query, params.operationName)) {
    return socketFor(headers.authorization).iterate({
      query: params.query,
      operationName: params.operationName ?? undefined,
      variables: params.variables ?? undefined,
    });
  }
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/graphql-response+json, application/json;q=0.9",
      ...headers,
    },
    body: JSON.stringify(params),
  });
  return response.json();
};

// Signed in to the web client in this browser: start with that session's access token (read
// from the client's storage directly, so that this page shares no code with the client but
// React, and a change to the client leaves GraphiQL's files as they are).
const session = (() => {
  try {
    const s = JSON.parse(localStorage.getItem("soundroom.session") ?? "null") as { accessToken?: unknown } | null;
    return typeof s?.accessToken === "string" ? { accessToken: s.accessToken } : null;
  } catch {
    return null;
  }
})();
const defaultHeaders = session
  ? JSON.stringify({ authorization: `Bearer ${session.accessToken}` }, null, 2)
  : undefined;

const defaultQuery = `# Headers: {"authorization": "Bearer <accessToken>"}
{
  serverTime
}
`;

// A link may carry the operation: /graphiql?query=…&variables=…
const params = new URLSearchParams(window.location.search);

const root = document.getElementById("graphiql");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <GraphiQL
        fetcher={fetcher}
        defaultQuery={defaultQuery}
        initialQuery={params.get("query") ?? undefined}
        initialVariables={params.get("variables") ?? undefined}
        defaultHeaders={defaultHeaders}
        isHeadersEditorEnabled
        defaultEditorToolsVisibility={session ? "headers" : undefined}
      />
    </StrictMode>,
  );
}
