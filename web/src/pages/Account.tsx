// The signed-in user's account: the email address and whether it is verified (with a new
// verification mail on request), a password change (other sessions end) and an email change
// (confirmed from a mail sent to the new address).

import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { ACCOUNT, CHANGE_EMAIL, CHANGE_PASSWORD, RESEND_VERIFICATION } from "../lib/documents";
import { errorText } from "../lib/errors";

export function Account() {
  const [{ data, error }] = useQuery({ query: ACCOUNT });
  const me = data?.me as { email: string | null; emailVerified: boolean } | undefined;
  return (
    <section className="narrow">
      <h1>Account</h1>
      {error && <p role="alert">{errorText(error)}</p>}
      {me && <EmailStatus email={me.email} verified={me.emailVerified} />}
      <ChangePassword />
      <ChangeEmail />
    </section>
  );
}

function EmailStatus({ email, verified }: { email: string | null; verified: boolean }) {
  const [resend, runResend] = useMutation(RESEND_VERIFICATION);
  const [note, setNote] = useState<string | null>(null);
  if (!email) return <p>This account has no email address.</p>;
  return (
    <p>
      Email: <strong>{email}</strong> {verified ? "(verified)" : "(not verified)"}{" "}
      {!verified && (
        <button
          type="button"
          disabled={resend.fetching}
          onClick={() => {
            void runResend({}).then((r) =>
              setNote(r.error ? errorText(r.error) : "A new verification link is on its way."),
            );
          }}
        >
          Send verification link
        </button>
      )}
      {note && <span role="status"> {note}</span>}
    </p>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [state, run] = useMutation(CHANGE_PASSWORD);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await run({ currentPassword: current, newPassword: next });
    if (r.data?.changePassword) {
      setCurrent("");
      setNext("");
      setNote({ ok: true, text: "Password changed. Your other sessions were signed out." });
    } else setNote({ ok: false, text: errorText(r.error) });
  };
  return (
    <form onSubmit={submit} aria-label="Change password">
      <h2>Change password</h2>
      <label>
        Current password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
      </label>
      <label>
        New password
        <input
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
      </label>
      {note && <p role={note.ok ? "status" : "alert"}>{note.text}</p>}
      <button type="submit" disabled={state.fetching}>
        Change password
      </button>
    </form>
  );
}

function ChangeEmail() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [state, run] = useMutation(CHANGE_EMAIL);
  const [note, setNote] = useState<{ ok: boolean; text: string } | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const r = await run({ newEmail: email.trim(), password });
    if (r.data?.changeEmail) {
      setPassword("");
      setNote({ ok: true, text: `A confirmation link was mailed to ${email.trim()}.` });
    } else setNote({ ok: false, text: errorText(r.error) });
  };
  return (
    <form onSubmit={submit} aria-label="Change email">
      <h2>Change email</h2>
      <label>
        New email
        <input type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
      </label>
      <label>
        Password
        <input
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
      </label>
      {note && <p role={note.ok ? "status" : "alert"}>{note.text}</p>}
      <button type="submit" disabled={state.fetching}>
        Change email
      </button>
    </form>
  );
}
