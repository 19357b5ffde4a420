import type { CombinedError } from "@urql/core";

/** What to tell the user about a failed operation. */
export function errorText(error: CombinedError | undefined | null): string {
  if (!error) return "Something went wrong.";
  const gql = error.graphQLErrors[0];
  if (gql) return gql.message;
  if (error.networkError) return "The server could not be reached. Try again.";
  return error.message.replace(/^\[\w+\]\s*/, "");
}

/** The `extensions.code` of the first GraphQL error, if any. */
export function errorCode(error: CombinedError | undefined | null): string | undefined {
  const code = error?.graphQLErrors[0]?.extensions?.code;
  return typeof code === "string" ? code : undefined;
}

export function formatTime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** The `extensions.field` of the first GraphQL error: which input it is about, if any. */
export function errorField(error: CombinedError | undefined | null): string | undefined {
  const field = error?.graphQLErrors[0]?.extensions?.field;
  return typeof field === "string" ? field : undefined;
}

let taken: { path: string; token: string | null } | null = null;

/** The `token` in the URL's fragment (mailed links carry it there, out of server logs), taken
 * once: the fragment is then dropped from the address bar and the history. Asking again on the
 * same page (React may render a component twice) answers the same token. */
export function takeFragmentToken(): string | null {
  const path = window.location.pathname;
  if (!window.location.hash && taken?.path === path) return taken.token;
  const raw = new URLSearchParams(window.location.hash.replace(/^#/, "")).get("token");
  const token = raw && raw.trim() ? raw.trim() : null;
  taken = { path, token };
  if (window.location.hash) history.replaceState(null, "", path);
  return token;
}
