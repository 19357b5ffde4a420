// Playlists and favorites, part of the library page.

import { useState, type FormEvent } from "react";
import { gql, useMutation, useQuery } from "urql";
import { TRACK, type Playlist, type Track } from "../lib/documents";
import { errorText, formatTime } from "../lib/errors";

const MY_PLAYLISTS = gql`
  query MyPlaylists {
    myPlaylists(first: 50) {
      nodes {
        id
        name
        isPublic
        trackCount
      }
    }
  }
`;

const PLAYLIST_TRACKS = gql`
  query PlaylistTracks($id: UUID!) {
    playlist(id: $id) {
      id
      tracks(first: 100) {
        nodes {
          ...TrackBits
        }
      }
    }
  }
  ${TRACK}
`;

const CREATE_PLAYLIST = gql`
  mutation CreatePlaylist($input: CreatePlaylistInput!) {
    createPlaylist(input: $input) {
      id
    }
  }
`;

const REMOVE_FROM_PLAYLIST = gql`
  mutation RemoveFromPlaylist($playlistId: UUID!, $trackId: UUID!) {
    removeTrackFromPlaylist(playlistId: $playlistId, trackId: $trackId) {
      id
      trackCount
    }
  }
`;

const DELETE_PLAYLIST = gql`
  mutation DeletePlaylist($id: UUID!) {
    deletePlaylist(id: $id)
  }
`;

const FAVORITES = gql`
  query Favorites {
    favorites(first: 100) {
      nodes {
        ...TrackBits
      }
    }
  }
  ${TRACK}
`;

const REMOVE_FAVORITE = gql`
  mutation Unfavorite($trackId: UUID!) {
    removeFavorite(trackId: $trackId) {
      id
    }
  }
`;

export type PlaylistsState = { items: Playlist[]; refetch: () => void; error?: string };
export type FavoritesState = { items: Track[]; refetch: () => void; error?: string };

export function usePlaylists(): PlaylistsState {
  const [{ data, error }, refetch] = useQuery<{ myPlaylists: { nodes: Playlist[] } }>({ query: MY_PLAYLISTS });
  return {
    items: data?.myPlaylists.nodes ?? [],
    refetch: () => refetch({ requestPolicy: "network-only" }),
    error: error ? errorText(error) : undefined,
  };
}

export function useFavorites(): FavoritesState {
  const [{ data, error }, refetch] = useQuery<{ favorites: { nodes: Track[] } }>({ query: FAVORITES });
  return {
    items: data?.favorites.nodes ?? [],
    refetch: () => refetch({ requestPolicy: "network-only" }),
    error: error ? errorText(error) : undefined,
  };
}

function PlaylistTracks({ playlist, onChange }: { playlist: Playlist; onChange: () => void }) {
  const [{ data, error }, refetch] = useQuery<{ playlist: { tracks: { nodes: Track[] } } | null }>({
    query: PLAYLIST_TRACKS,
    variables: { id: playlist.id },
  });
  const [, remove] = useMutation(REMOVE_FROM_PLAYLIST);
  if (error) return <p role="alert">{errorText(error)}</p>;
  const tracks = data?.playlist?.tracks.nodes ?? [];
  if (data && tracks.length === 0) return <p className="muted">No tracks yet: add some from the catalog.</p>;
  return (
    <ol aria-label={`Tracks of ${playlist.name}`}>
      {tracks.map((t) => (
        <li key={t.id}>
          {t.name} <span className="muted">by {t.artist.name}</span> · {formatTime(t.durationMs)}{" "}
          <button
            type="button"
            aria-label={`Remove ${t.name} from ${playlist.name}`}
            onClick={async () => {
              await remove({ playlistId: playlist.id, trackId: t.id });
              refetch({ requestPolicy: "network-only" });
              onChange();
            }}
          >
            Remove
          </button>
        </li>
      ))}
    </ol>
  );
}

type Props = { playlists: PlaylistsState; favorites: FavoritesState; onChange: () => void };

export function Playlists({ playlists, favorites, onChange }: Props) {
  const [name, setName] = useState("");
  const [isPublic, setIsPublic] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [, create] = useMutation(CREATE_PLAYLIST);
  const [, destroy] = useMutation(DELETE_PLAYLIST);
  const [, unfavorite] = useMutation(REMOVE_FAVORITE);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const r = await create({ input: { name: name.trim(), isPublic } });
    if (r.error) return setError(errorText(r.error));
    setName("");
    onChange();
  };

  return (
    <>
      <section aria-labelledby="playlists-h">
        <h2 id="playlists-h">Playlists</h2>
        {playlists.error && <p role="alert">{playlists.error}</p>}
        {playlists.items.length === 0 && <p className="muted">You have no playlists yet.</p>}
        <ul aria-label="Playlists">
          {playlists.items.map((p) => (
            <li key={p.id}>
              <details>
                <summary>
                  {p.name} <span className="muted">· {p.trackCount} tracks · {p.isPublic ? "public" : "private"}</span>
                </summary>
                <PlaylistTracks key={`${p.id}:${p.trackCount}`} playlist={p} onChange={onChange} />
                <button
                  type="button"
                  aria-label={`Delete playlist ${p.name}`}
                  onClick={async () => {
                    await destroy({ id: p.id });
                    onChange();
                  }}
                >
                  Delete playlist
                </button>
              </details>
            </li>
          ))}
        </ul>
        <form onSubmit={submit}>
          <label>
            Playlist name
            <input required value={name} onChange={(e) => setName(e.target.value)} />
          </label>{" "}
          <label className="inline">
            <input type="checkbox" checked={isPublic} onChange={(e) => setIsPublic(e.target.checked)} /> Public
          </label>{" "}
          <button type="submit">Create playlist</button>
        </form>
        {error && <p role="alert">{error}</p>}
      </section>
      <section aria-labelledby="favorites-h">
        <h2 id="favorites-h">Favorites</h2>
        {favorites.error && <p role="alert">{favorites.error}</p>}
        {favorites.items.length === 0 && <p className="muted">No favorites yet.</p>}
        <ul aria-label="Favorites">
          {favorites.items.map((t) => (
            <li key={t.id}>
              {t.name} <span className="muted">by {t.artist.name}</span>{" "}
              <button
                type="button"
                aria-label={`Remove ${t.name} from favorites`}
                onClick={async () => {
                  await unfavorite({ trackId: t.id });
                  onChange();
                }}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
