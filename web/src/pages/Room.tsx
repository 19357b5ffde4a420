// A listening room: its live state comes from `roomEvents`, whose first event (on every
// subscription, so also after each reconnect) is a RoomSnapshot that replaces what the page
// knew; the chat is re-read alongside it, since events sent while the socket was down are gone.

import { useCallback, useEffect, useState } from "react";
import { useClient, useMutation, useQuery } from "urql";
import {
  JOIN_ROOM,
  LEAVE_ROOM,
  ROOM_EVENTS,
  ROOM_MESSAGES,
  ROOM_QUERY,
  type ChatMessage,
  type Member,
  type Playback,
  type QueueItem,
  type Room,
  type User,
} from "../lib/documents";
import { errorCode, errorText } from "../lib/errors";
import { Link, navigate } from "../lib/router";
import { getSession } from "../lib/session";
import { RoomChat } from "./RoomChat";
import { RoomPlayer } from "./RoomPlayer";
import { RoomQueue } from "./RoomQueue";

type Live = { room: Room; playback: Playback; queue: QueueItem[]; members: Member[]; typing: User[] };

// The events as the subscription delivers them (only the fields this page reads).
type RoomEvent =
  | ({ __typename: "RoomSnapshot" } & Live)
  | { __typename: "MemberJoined"; member: Member }
  | { __typename: "MemberLeft"; user: User; kicked: boolean }
  | { __typename: "PresenceChanged"; user: User; isConnected: boolean }
  | { __typename: "PlaybackChanged"; playback: Playback }
  | { __typename: "QueueChanged"; queue: QueueItem[] }
  | { __typename: "ChatMessagePosted" | "ChatMessageEdited" | "ChatMessageDeleted"; message: ChatMessage }
  | { __typename: "TypingChanged"; user: User; isTyping: boolean }
  | { __typename: "HostChanged"; host: User }
  | { __typename: "MemberRoleChanged"; member: Member }
  | { __typename: "RoomUpdated"; room: Room }
  | { __typename: "RoomClosed" }
  | { __typename: "SkipVotesChanged" | "ReadMarkerUpdated" };

function reduce(prev: Live | null, ev: RoomEvent): Live | null {
  if (ev.__typename === "RoomSnapshot") {
    const { room, playback, queue, members, typing } = ev;
    return { room, playback, queue, members, typing };
  }
  if (!prev) return prev;
  switch (ev.__typename) {
    case "MemberJoined":
      return { ...prev, members: [...prev.members.filter((m) => m.user.id !== ev.member.user.id), ev.member] };
    case "MemberRoleChanged":
      return { ...prev, members: prev.members.map((m) => (m.user.id === ev.member.user.id ? ev.member : m)) };
    case "MemberLeft":
      return { ...prev, members: prev.members.filter((m) => m.user.id !== ev.user.id) };
    case "PresenceChanged":
      return {
        ...prev,
        members: prev.members.map((m) => (m.user.id === ev.user.id ? { ...m, isConnected: ev.isConnected } : m)),
      };
    case "PlaybackChanged":
      // An older state than the one shown is stale.
      return ev.playback.version > prev.playback.version ? { ...prev, playback: ev.playback } : prev;
    case "QueueChanged":
      return { ...prev, queue: ev.queue };
    case "TypingChanged": {
      const others = prev.typing.filter((u) => u.id !== ev.user.id);
      return { ...prev, typing: ev.isTyping ? [...others, ev.user] : others };
    }
    case "HostChanged":
      return { ...prev, room: { ...prev.room, host: ev.host } };
    case "RoomUpdated":
      return { ...prev, room: ev.room };
    default:
      return prev;
  }
}

function mergeMessages(prev: ChatMessage[], more: ChatMessage[]): ChatMessage[] {
  const byId = new Map(prev.map((m) => [m.id, m]));
  for (const m of more) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

export function RoomPage({ roomId }: { roomId: string }) {
  const client = useClient();
  const me = getSession()?.user;
  const [{ data, error, fetching }] = useQuery<{ room: Room | null }>({
    query: ROOM_QUERY,
    variables: { id: roomId },
  });
  const [joined, setJoined] = useState<Room | null>(null);
  const [join, runJoin] = useMutation(JOIN_ROOM);
  const [, runLeave] = useMutation(LEAVE_ROOM);
  const [live, setLive] = useState<Live | null>(null);
  const [viewer, setViewer] = useState<Room | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [snapshots, setSnapshots] = useState(0);
  const [ended, setEnded] = useState<string | null>(null);
  const [subError, setSubError] = useState<string | null>(null);

  const room = viewer ?? joined ?? data?.room ?? null;
  const isMember = !!(joined ?? data?.room)?.viewerRole;

  const loadMessages = useCallback(async () => {
    const r = await client.query(ROOM_MESSAGES, { roomId }).toPromise();
    const nodes = r.data?.roomMessages?.nodes as ChatMessage[] | undefined;
    if (nodes) setMessages((prev) => mergeMessages(prev, nodes));
  }, [client, roomId]);

  // What the viewer may do changes with the host, roles and settings: ask again.
  const reloadViewer = useCallback(async () => {
    const r = await client.query(ROOM_QUERY, { id: roomId }).toPromise();
    if (r.data?.room) setViewer(r.data.room as Room);
  }, [client, roomId]);

  useEffect(() => {
    if (!isMember) return;
    const sub = client.subscription(ROOM_EVENTS, { roomId }).subscribe((result) => {
      if (result.error) {
        setSubError(errorCode(result.error) === "FORBIDDEN" ? "You are not a member of this room." : errorText(result.error));
        return;
      }
      const ev = result.data?.roomEvents as RoomEvent | undefined;
      if (!ev) return;
      setSubError(null);
      switch (ev.__typename) {
        case "RoomSnapshot":
          setViewer(ev.room);
          setSnapshots((n) => n + 1);
          void loadMessages();
          break;
        case "ChatMessagePosted":
        case "ChatMessageEdited":
        case "ChatMessageDeleted":
          setMessages((prev) => mergeMessages(prev, [ev.message]));
          break;
        case "HostChanged":
        case "MemberRoleChanged":
        case "RoomUpdated":
          void reloadViewer();
          break;
        case "MemberLeft":
          if (ev.user.id === me?.id) setEnded(ev.kicked ? "You were removed from this room." : "You left this room.");
          break;
        case "RoomClosed":
          setEnded("This room is closed.");
          break;
      }
      setLive((prev) => reduce(prev, ev));
    });
    return () => sub.unsubscribe();
  }, [client, roomId, isMember, loadMessages, reloadViewer, me?.id]);

  if (fetching && !data) return <p>Loading the room…</p>;
  if (error) return <p role="alert">{errorText(error)}</p>;
  if (!room) {
    return (
      <section>
        <h1>Room not found</h1>
        <p>
          This room does not exist or you may not see it. <Link href="/">Back to the rooms</Link>
        </p>
      </section>
    );
  }

  if (!isMember) {
    return (
      <section>
        <h1>{room.name}</h1>
        <p>
          Hosted by {room.host.username}. {room.connectedCount ?? 0} listening now.
        </p>
        {join.error && <p role="alert">{errorText(join.error)}</p>}
        <button
          type="button"
          disabled={join.fetching}
          onClick={async () => {
            const r = await runJoin({ roomId });
            if (r.data?.joinRoom) setJoined(r.data.joinRoom as Room);
          }}
        >
          Join room
        </button>
      </section>
    );
  }

  const canControl = room.viewerCanControl;
  return (
    <>
      <h1>{room.name}</h1>
      <p className="muted">
        Hosted by {(live?.room ?? room).host.username} · {room.visibility.toLowerCase()} room{" "}
        <button
          type="button"
          onClick={async () => {
            await runLeave({ roomId });
            navigate("/");
          }}
        >
          Leave room
        </button>
      </p>
      {ended && <p role="alert">{ended}</p>}
      {subError && <p role="alert">{subError}</p>}
      {!live && !subError && <p>Connecting…</p>}
      <div className="room">
        <div className="room-main">
          <RoomPlayer
            roomId={roomId}
            playback={live?.playback ?? null}
            canControl={canControl}
            snapshots={snapshots}
          />
          <RoomQueue roomId={roomId} queue={live?.queue ?? []} canControl={canControl} meId={me?.id} />
        </div>
        <div className="room-side">
          <section aria-labelledby="members-h">
            <h2 id="members-h">Members</h2>
            <ul aria-label="Members">
              {(live?.members ?? []).map((m) => (
                <li key={m.user.id} className={m.isConnected ? "connected" : "away"}>
                  {m.user.username} <span className="muted">({m.user.tag})</span>
                  {m.role !== "LISTENER" && <span className="badge">{m.role === "HOST" ? "host" : "DJ"}</span>}{" "}
                  <span className="muted">{m.isConnected ? "connected" : "not connected"}</span>
                </li>
              ))}
            </ul>
          </section>
          <RoomChat roomId={roomId} messages={messages} typing={(live?.typing ?? []).filter((u) => u.id !== me?.id)} />
        </div>
      </div>
    </>
  );
}
