// Where the link of a password-reset mail lands: /reset-password#token=…. The new password
// signs the browser in (the server ends every other session). An account with two-factor
// sign-in also needs a current code or a recovery code; the server says so on `code`.

import { useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { RESET_PASSWORD } from "../lib/documents";
import { errorField, errorText, takeFragmentToken } from "../lib/errors";
import { navigate } from "../lib/router";
import { signIn, type AuthPayload } from "../lib/session";

export function ResetPassword() {
  const [token] = useState(takeFragmentToken);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [needsCode, setNeedsCode] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [reset, runReset] = useMutation(RESET_PASSWORD);

  if (!token) {
    return (
      <section className="narrow">
        <h1>Choose a new password</h1>
        <p role="alert">This link has no token. Open the link from the mail again, or ask for a new one.</p>
      </section>
    );
  }

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const r = await runReset({ token, newPassword: password, code: needsCode ? code.trim() : null });
    const payload = r.data?.resetPassword;
    if (payload) {
      signIn(payload as AuthPayload);
      navigate("/", true);
      return;
    }
    if (errorField(r.error) === "code") setNeedsCode(true);
    setError(errorText(r.error));
  };

  return (
    <section className="narrow">
      <h1>Choose a new password</h1>
      <form onSubmit={submit}>
        <label>
          New password
          <input
            type="password"
            name="new-password"
            autoComplete="new-password"
            required
            minLength={8}
            autoFocus
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {needsCode && (
          <label>
            Authentication code
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              required
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
        )}
        {error && <p role="alert">{error}</p>}
        <button type="submit" disabled={reset.fetching}>
          Set password
        </button>
      </form>
    </section>
  );
}
