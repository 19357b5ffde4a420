import { useEffect, useRef, useState, type ReactNode } from "react";
import { Provider } from "urql";
import { connect, type Connection } from "./lib/client";
import { Link, navigate, usePath } from "./lib/router";
import { getSession, onSession, signOut, type Session } from "./lib/session";
import { Account } from "./pages/Account";
import { AuthCallback } from "./pages/AuthCallback";
import { EmailLink } from "./pages/EmailLink";
import { Friends } from "./pages/Friends";
import { Library } from "./pages/Library";
import { ResetPassword } from "./pages/ResetPassword";
import { RoomPage } from "./pages/Room";
import { Rooms } from "./pages/Rooms";
import { SignIn } from "./pages/SignIn";

export function App() {
  const [session, setSession] = useState<Session | null>(getSession);
  const path = usePath();
  const userId = session?.user.id ?? null;
  const [connection, setConnection] = useState<Connection | null>(null);

  useEffect(() => onSession(setSession), []);

  // One client (and WebSocket) per signed-in user: signing in or out starts afresh.
  useEffect(() => {
    const c = connect();
    setConnection(c);
    return () => c.dispose();
  }, [userId]);

  if (path === "/auth/callback") return <AuthCallback />;
  if (!connection) return null;

  return (
    <Provider value={connection.client}>
      <header>
        <nav aria-label="Main">
          <Link href="/" className="brand">
            Soundroom
          </Link>
          {session && (
            <>
              <Link href="/">Rooms</Link>
              <Link href="/library">Library</Link>
              <Link href="/friends">Friends</Link>
              <Link href="/account">Account</Link>
            </>
          )}
          <a href="/graphiql">GraphiQL</a>
          {session && (
            <span className="who">
              Signed in as <strong>{session.user.username}</strong> ({session.user.tag}){" "}
              <button
                type="button"
                onClick={() => {
                  void signOut().finally(() => navigate("/"));
                }}
              >
                Sign out
              </button>
            </span>
          )}
        </nav>
      </header>
      <main>
        <Page key={path}>{mailedLink(path) ?? (session ? route(path) : <SignIn />)}</Page>
      </main>
    </Provider>
  );
}

/** The pages mailed links open: they work signed in or not. */
function mailedLink(path: string): ReactNode | null {
  switch (path.replace(/\/+$/, "")) {
    case "/verify-email":
      return <EmailLink kind="verify" />;
    case "/confirm-email":
      return <EmailLink kind="confirm" />;
    case "/reset-password":
      return <ResetPassword />;
    default:
      return null;
  }
}

function route(path: string): ReactNode {
  const room = /^\/rooms\/([0-9a-fA-F-]{36})\/?$/.exec(path);
  if (room) return <RoomPage roomId={room[1].toLowerCase()} />;
  switch (path.replace(/\/+$/, "") || "/") {
    case "/":
    case "/rooms":
      return <Rooms />;
    case "/library":
      return <Library />;
    case "/friends":
      return <Friends />;
    case "/account":
      return <Account />;
    default:
      return (
        <section>
          <h1>Not found</h1>
          <p>
            There is no page at <code>{path}</code>. <Link href="/">Go to the rooms</Link>.
          </p>
        </section>
      );
  }
}

/** Moves focus to the new page's heading after a navigation, as a page load would. */
function Page({ children }: { children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const h1 = ref.current?.querySelector("h1");
    if (h1 && document.activeElement === document.body) {
      h1.setAttribute("tabindex", "-1");
      h1.focus({ preventScroll: true });
    }
  }, []);
  return <div ref={ref}>{children}</div>;
}
