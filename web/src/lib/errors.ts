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
