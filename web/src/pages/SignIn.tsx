import { useEffect, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { LOGIN, REGISTER, REQUEST_PASSWORD_RESET, VERIFY_TWO_FACTOR } from "../lib/documents";
import { signIn, type AuthPayload } from "../lib/session";
import { errorText } from "../lib/errors";

type Mode = "signin" | "register" | "twofactor" | "forgot";

/** Whether the server offers Google sign-in (`GET /auth/providers`). */
function useGoogleSignIn(): boolean {
  const [google, setGoogle] = useState(false);
  useEffect(() => {
    let live = true;
    fetch("/auth/providers", { headers: { accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : { google: false }))
      .then((p: { google?: boolean }) => live && setGoogle(p.google === true))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return google;
}

export function SignIn() {
  const [mode, setMode] = useState<Mode>("signin");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [username, setUsername] = useState("");
  const [code, setCode] = useState("");
  const [challenge, setChallenge] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const google = useGoogleSignIn();
  const [login, runLogin] = useMutation(LOGIN);
  const [register, runRegister] = useMutation(REGISTER);
  const [verify, runVerify] = useMutation(VERIFY_TWO_FACTOR);
  const [reset, runReset] = useMutation(REQUEST_PASSWORD_RESET);
  const [resetSent, setResetSent] = useState(false);
  const busy = login.fetching || register.fetching || verify.fetching || reset.fetching;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (mode === "signin") {
      const r = await runLogin({ input: { email, password } });
      const result = r.data?.login;
      if (!result) return setError(errorText(r.error));
      if (result.__typename === "TwoFactorChallenge") {
        setChallenge(result.challengeToken as string);
        setMode("twofactor");
        return;
      }
      signIn(result as AuthPayload);
    } else if (mode === "forgot") {
      const r = await runReset({ email: email.trim() });
      if (!r.data?.requestPasswordReset) return setError(errorText(r.error));
      setResetSent(true);
    } else if (mode === "register") {
      const r = await runRegister({ input: { email, password, username } });
      if (!r.data?.register) return setError(errorText(r.error));
      signIn(r.data.register as AuthPayload);
    } else {
      const r = await runVerify({ challengeToken: challenge, code: code.trim() });
      if (!r.data?.verifyTwoFactor) return setError(errorText(r.error));
      signIn(r.data.verifyTwoFactor as AuthPayload);
    }
  };

  if (mode === "twofactor") {
    return (
      <section className="narrow">
        <h1>Two-factor sign-in</h1>
        <form onSubmit={submit}>
          <p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>
          <label>
            Authentication code
            <input
              name="code"
              autoComplete="one-time-code"
              inputMode="numeric"
              required
              autoFocus
              value={code}
              onChange={(e) => setCode(e.target.value)}
            />
          </label>
          {error && <p role="alert">{error}</p>}
          <button type="submit" disabled={busy}>
            Verify
          </button>{" "}
          <button
            type="button"
            onClick={() => {
              setMode("signin");
              setCode("");
              setError(null);
            }}
          >
            Start over
          </button>
        </form>
      </section>
    );
  }

  if (mode === "forgot") {
    return (
      <section className="narrow">
        <h1>Reset your password</h1>
        <form onSubmit={submit}>
          <p>Enter your account's email: a link to choose a new password is mailed to it.</p>
          <label>
            Email
            <input
              type="email"
              name="email"
              autoComplete="email"
              required
              autoFocus
              value={email}
              onChange={(e) => setEmail(e.target.value)}
            />
          </label>
          {error && <p role="alert">{error}</p>}
          {resetSent && (
            <p role="status">If an account uses that address, a reset link is on its way. It works for one hour.</p>
          )}
          <button type="submit" disabled={busy}>
            Send reset link
          </button>{" "}
          <button
            type="button"
            onClick={() => {
              setMode("signin");
              setResetSent(false);
              setError(null);
            }}
          >
            Back to sign in
          </button>
        </form>
      </section>
    );
  }

  const registering = mode === "register";
  return (
    <section className="narrow">
      <h1>{registering ? "Create your account" : "Sign in to Soundroom"}</h1>
      <form onSubmit={submit}>
        <label>
          Email
          <input
            type="email"
            name="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
          />
        </label>
        {registering && (
          <label>
            Username
            <input
              name="username"
              autoComplete="nickname"
              required
              minLength={3}
              maxLength={32}
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
          </label>
        )}
        <label>
          Password
          <input
            type="password"
            name="password"
            autoComplete={registering ? "new-password" : "current-password"}
            required
            minLength={registering ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </label>
        {error && <p role="alert">{error}</p>}
        {registering ? (
          <>
            <button type="submit" disabled={busy}>
              Create account
            </button>{" "}
            <button type="button" onClick={() => setMode("signin")}>
              I already have an account
            </button>
          </>
        ) : (
          <>
            <button type="submit" disabled={busy}>
              Sign in
            </button>{" "}
            <button type="button" onClick={() => setMode("register")}>
              Create account
            </button>{" "}
            <button
              type="button"
              onClick={() => {
                setMode("forgot");
                setError(null);
              }}
            >
              Forgot password?
            </button>
          </>
        )}
      </form>
      {google && (
        <p>
          <a href="/auth/google">Sign in with Google</a>
        </p>
      )}
    </section>
  );
}
