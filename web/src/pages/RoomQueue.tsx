// The room's queue (who added what) and adding to it from the catalog.

import { useState, type FormEvent } from "react";
import { useClient, useMutation } from "urql";
import { ENQUEUE, REMOVE_QUEUE_ITEM, SEARCH_TRACKS, type QueueItem, type Track } from "../lib/documents";
import { errorText, formatTime } from "../lib/errors";

type Props = { roomId: string; queue: QueueItem[]; canControl: boolean; meId?: string };

export function RoomQueue({ roomId, queue, canControl, meId }: Props) {
  const client = useClient();
  const [search, setSearch] = useState("");
  const [results, setResults] = useState<Track[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, enqueue] = useMutation(ENQUEUE);
  const [, remove] = useMutation(REMOVE_QUEUE_ITEM);

  const find = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const r = await client.query(SEARCH_TRACKS, { search: search.trim() || null, first: 20 }).toPromise();
    if (r.error) return setError(errorText(r.error));
    setResults((r.data?.tracks.nodes ?? []) as Track[]);
  };

  const act = async (p: Promise<{ error?: Parameters<typeof errorText>[0] }>) => {
    setError(null);
    const r = await p;
    if (r.error) setError(errorText(r.error));
  };

  return (
    <section aria-labelledby="queue-h">
      <h2 id="queue-h">Queue</h2>
      {queue.length === 0 && <p className="muted">The queue is empty.</p>}
      <ol aria-label="Queue">
        {queue.map((item) => (
          <li key={item.id}>
            {item.track.name} <span className="muted">by {item.track.artist.name}</span> ·{" "}
            {formatTime(item.track.durationMs)} · added by {item.addedBy.username}{" "}
            {(canControl || item.addedBy.id === meId) && (
              <button
                type="button"
                aria-label={`Remove ${item.track.name} from the queue`}
                onClick={() => void act(remove({ roomId, itemId: item.id }))}
              >
                Remove
              </button>
            )}
          </li>
        ))}
      </ol>
      <form role="search" aria-label="Add from the catalog" onSubmit={find}>
        <label>
          Search the catalog
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>{" "}
        <button type="submit">Search</button>
      </form>
      {error && <p role="alert">{error}</p>}
      {results && (
        <ul aria-label="Catalog results">
          {results.length === 0 && <li>No tracks found.</li>}
          {results.map((t) => (
            <li key={t.id}>
              {t.name} <span className="muted">by {t.artist.name}</span> · {formatTime(t.durationMs)}{" "}
              <button
                type="button"
                aria-label={`Add ${t.name} to the queue`}
                onClick={() => void act(enqueue({ roomId, trackId: t.id }))}
              >
                Add to queue
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
