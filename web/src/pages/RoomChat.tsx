// The room's chat: a log of messages, who is typing, and a field to write in.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { useMutation } from "urql";
import { SEND_MESSAGE, SET_TYPING, type ChatMessage, type User } from "../lib/documents";
import { errorText } from "../lib/errors";

type Props = { roomId: string; messages: ChatMessage[]; typing: User[] };

/** How often "still typing" is repeated; the server forgets it after 3 s. */
const TYPING_REFRESH_MS = 2_000;

function typingText(users: User[]): string {
  if (users.length === 0) return "";
  if (users.length === 1) return `${users[0].username} is typing…`;
  if (users.length === 2) return `${users[0].username} and ${users[1].username} are typing…`;
  return `${users.length} people are typing…`;
}

export function RoomChat({ roomId, messages, typing }: Props) {
  const [body, setBody] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, send] = useMutation(SEND_MESSAGE);
  const [, setTyping] = useMutation(SET_TYPING);
  const lastTyping = useRef(0);
  const logRef = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const log = logRef.current;
    if (log) log.scrollTop = log.scrollHeight;
  }, [messages.length]);

  const change = (value: string) => {
    setBody(value);
    const now = Date.now();
    if (value.trim() && now - lastTyping.current > TYPING_REFRESH_MS) {
      lastTyping.current = now;
      void setTyping({ roomId, isTyping: true });
    } else if (!value.trim() && lastTyping.current) {
      lastTyping.current = 0;
      void setTyping({ roomId, isTyping: false });
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const text = body.trim();
    if (!text) return;
    setError(null);
    const r = await send({ roomId, body: text });
    if (r.error) return setError(errorText(r.error));
    // Sending ends the typing indicator on the server.
    lastTyping.current = 0;
    setBody("");
  };

  return (
    <section aria-labelledby="chat-h">
      <h2 id="chat-h">Chat</h2>
      <div role="log" aria-label="Chat" className="chat" ref={logRef}>
        {messages.length === 0 && <p className="muted">No messages yet.</p>}
        {messages.map((m) => (
          <p key={m.id}>
            <strong>{m.author.username}</strong>{" "}
            <time dateTime={m.createdAt} className="muted">
              {new Date(m.createdAt).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}
            </time>
            : {m.deleted ? <em>message deleted</em> : m.body}
          </p>
        ))}
      </div>
      <p className="typing" aria-live="polite">
        {typingText(typing)}
      </p>
      <form onSubmit={submit} className="chat-form">
        <label>
          Message
          <input
            value={body}
            maxLength={4096}
            autoComplete="off"
            onChange={(e) => change(e.target.value)}
          />
        </label>{" "}
        <button type="submit" disabled={sending.fetching}>
          Send
        </button>
      </form>
      {error && <p role="alert">{error}</p>}
    </section>
  );
}
