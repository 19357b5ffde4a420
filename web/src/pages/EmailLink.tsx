// Where the links of verification and email-change mails land:
// /verify-email#token=… and /confirm-email#token=…. Neither needs a sign-in (the mail may be
// opened on another device); the token is spent once, on arrival.

import { useEffect, useRef, useState } from "react";
import { useMutation } from "urql";
import { CONFIRM_EMAIL_CHANGE, VERIFY_EMAIL } from "../lib/documents";
import { errorText, takeFragmentToken } from "../lib/errors";
import { Link } from "../lib/router";

type Outcome = { ok: true; email: string } | { ok: false; message: string };

export function EmailLink({ kind }: { kind: "verify" | "confirm" }) {
  const [, verify] = useMutation(VERIFY_EMAIL);
  const [, confirm] = useMutation(CONFIRM_EMAIL_CHANGE);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const started = useRef(false);

  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const token = takeFragmentToken();
    if (!token) {
      setOutcome({ ok: false, message: "This link has no token. Open the link from the mail again." });
      return;
    }
    const run = kind === "verify" ? verify({ token }) : confirm({ token });
    void run.then((r) => {
      const user = kind === "verify" ? r.data?.verifyEmail : r.data?.confirmEmailChange;
      if (user) setOutcome({ ok: true, email: user.email ?? "" });
      else setOutcome({ ok: false, message: errorText(r.error) });
    });
  }, [kind, verify, confirm]);

  const title = kind === "verify" ? "Verify your email" : "Confirm your new email";
  return (
    <section className="narrow">
      <h1>{title}</h1>
      {!outcome && <p>Checking the link…</p>}
      {outcome?.ok && (
        <p role="status">
          {kind === "verify" ? "Your email address is verified" : "Your email address is now"}
          {outcome.email ? (
            <>
              {kind === "verify" ? ": " : " "}
              <strong>{outcome.email}</strong>
            </>
          ) : null}
          .
        </p>
      )}
      {outcome && !outcome.ok && <p role="alert">{outcome.message}</p>}
      {outcome && (
        <p>
          <Link href="/">Go to Soundroom</Link>
        </p>
      )}
    </section>
  );
}
