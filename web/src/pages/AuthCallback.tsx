// Where Google sign-in lands: /auth/callback#accessToken=…&refreshToken=…&expiresIn=…
// (or #error=…). The tokens are read from the fragment and the URL is replaced at once, so they
// stay out of the history and of anything the page shares later.

import { useEffect, useRef, useState } from "react";
import { navigate } from "../lib/router";
import { signIn, type SessionUser } from "../lib/session";

const ME = "query Me { me { id username tag } }";

export function AuthCallback() {
  const [error, setError] = useState<string | null>(null);
  const handled = useRef(false);

  useEffect(() => {
    if (handled.current) return;
    handled.current = true;
    const params = new URLSearchParams(window.location.hash.replace(/^#/, ""));
    history.replaceState(null, "", "/auth/callback");
    const accessToken = params.get("accessToken");
    const refreshToken = params.get("refreshToken");
    const expiresIn = Number(params.get("expiresIn"));
    if (!accessToken || !refreshToken || !Number.isFinite(expiresIn) || expiresIn <= 0) {
      setError(params.get("error") ?? "The sign-in did not complete.");
      return;
    }
    // The fragment has no user: ask who this is with the new token.
    fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ query: ME }),
    })
      .then((r) => r.json())
      .then((body: { data?: { me?: SessionUser | null } }) => {
        const user = body.data?.me;
        if (!user) throw new Error("no user");
        signIn({ accessToken, refreshToken, expiresIn, user });
        navigate("/", true);
      })
      .catch(() => setError("The sign-in did not complete."));
  }, []);

  return (
    <main>
      <section className="narrow">
        <h1>Signing in…</h1>
        {error && (
          <>
            <p role="alert">Google sign-in failed: {error}</p>
            <p>
              <a href="/">Back to Soundroom</a>
            </p>
          </>
        )}
      </section>
    </main>
  );
}
