import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { CREATE_ROOM, ROOMS, type Room } from "../lib/documents";
import { errorText } from "../lib/errors";
import { Link, navigate } from "../lib/router";

const VISIBILITY: Record<Room["visibility"], string> = {
  PUBLIC: "Public",
  FRIENDS: "Friends",
  PRIVATE: "Private",
};

export function Rooms() {
  const [{ data, error, fetching }, refetch] = useQuery<{ rooms: { nodes: Room[] } }>({ query: ROOMS });
  const [name, setName] = useState("");
  const [visibility, setVisibility] = useState<Room["visibility"]>("PUBLIC");
  const [created, create] = useMutation(CREATE_ROOM);
  const [createError, setCreateError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setCreateError(null);
    const r = await create({ input: { name: name.trim(), visibility } });
    const id = r.data?.createRoom?.id as string | undefined;
    if (!id) return setCreateError(errorText(r.error));
    navigate(`/rooms/${id}`);
  };

  const rooms = data?.rooms.nodes ?? [];
  return (
    <>
      <h1>Rooms</h1>
      <section aria-labelledby="rooms-list">
        <h2 id="rooms-list">Rooms you can join</h2>
        {error && <p role="alert">{errorText(error)}</p>}
        {fetching && !data && <p>Loading…</p>}
        {data && rooms.length === 0 && <p>No rooms yet: create one below.</p>}
        <ul aria-label="Rooms" className="cards">
          {rooms.map((room) => (
            <li key={room.id}>
              <Link href={`/rooms/${room.id}`}>{room.name}</Link>{" "}
              <span className="muted">
                {VISIBILITY[room.visibility]} · host {room.host.username} · {room.connectedCount ?? 0} of{" "}
                {room.memberCount ?? 0} listening{room.viewerRole ? " · you are a member" : ""}
              </span>
            </li>
          ))}
        </ul>
        <button type="button" onClick={() => refetch({ requestPolicy: "network-only" })}>
          Refresh
        </button>
      </section>
      <section aria-labelledby="new-room">
        <h2 id="new-room">New room</h2>
        <form onSubmit={submit}>
          <label>
            Room name
            <input required maxLength={80} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Visibility
            <select value={visibility} onChange={(e) => setVisibility(e.target.value as Room["visibility"])}>
              <option value="PUBLIC">Public: anyone may join</option>
              <option value="FRIENDS">Friends: your friends may join</option>
              <option value="PRIVATE">Private: people you invite</option>
            </select>
          </label>
          {createError && <p role="alert">{createError}</p>}
          <button type="submit" disabled={created.fetching}>
            Create room
          </button>
        </form>
      </section>
    </>
  );
}
