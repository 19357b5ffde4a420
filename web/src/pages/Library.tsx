// Your library: upload a track (GraphQL multipart request, with progress), browse the catalog,
// keep favorites and playlists.

import { useState, type FormEvent } from "react";
import { gql, useClient, useMutation, useQuery } from "urql";
import { fetchWithProgress } from "../lib/client";
import { SEARCH_TRACKS, TRACK, type Playlist, type Track } from "../lib/documents";
import { errorText, formatTime } from "../lib/errors";
import { Playlists, useFavorites, usePlaylists } from "./Playlists";

const FIND_ARTIST = gql`
  query FindArtist($search: String!) {
    artists(search: $search, first: 20) {
      nodes {
        id
        name
      }
    }
  }
`;

const CREATE_ARTIST = gql`
  mutation CreateArtist($input: CreateArtistInput!) {
    createArtist(input: $input) {
      id
    }
  }
`;

const UPLOAD_TRACK = gql`
  mutation UploadTrack($input: UploadTrackInput!, $file: Upload!) {
    uploadTrack(input: $input, file: $file) {
      ...TrackBits
    }
  }
  ${TRACK}
`;

const ADD_FAVORITE = gql`
  mutation AddFavorite($trackId: UUID!) {
    addFavorite(trackId: $trackId) {
      id
      isFavorite
    }
  }
`;

const REMOVE_FAVORITE = gql`
  mutation RemoveFavorite($trackId: UUID!) {
    removeFavorite(trackId: $trackId) {
      id
      isFavorite
    }
  }
`;

const ADD_TO_PLAYLIST = gql`
  mutation AddToPlaylist($playlistId: UUID!, $trackId: UUID!) {
    addTrackToPlaylist(playlistId: $playlistId, trackId: $trackId) {
      id
      trackCount
    }
  }
`;

function Upload({ onUploaded }: { onUploaded: () => void }) {
  const client = useClient();
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [artist, setArtist] = useState("");
  const [genre, setGenre] = useState("");
  const [progress, setProgress] = useState<number | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setMessage(null);
    const artistName = artist.trim();
    // The artist by that exact name, or a new one.
    const found = await client.query(FIND_ARTIST, { search: artistName }).toPromise();
    if (found.error) return setError(errorText(found.error));
    const nodes = (found.data?.artists.nodes ?? []) as { id: string; name: string }[];
    let artistId = nodes.find((a) => a.name.toLowerCase() === artistName.toLowerCase())?.id;
    if (!artistId) {
      const made = await client.mutation(CREATE_ARTIST, { input: { name: artistName } }).toPromise();
      if (!made.data?.createArtist) return setError(errorText(made.error));
      artistId = made.data.createArtist.id as string;
    }
    setProgress(0);
    const input = { artistId, name: name.trim() || null, genre: genre.trim() || null };
    const r = await client
      .mutation(UPLOAD_TRACK, { input, file }, {
        fetch: fetchWithProgress((loaded, total) => setProgress(total ? loaded / total : 0)),
      })
      .toPromise();
    setProgress(null);
    if (!r.data?.uploadTrack) return setError(errorText(r.error));
    const track = r.data.uploadTrack as Track;
    setMessage(`Uploaded “${track.name}” (${formatTime(track.durationMs)}).`);
    setFile(null);
    setName("");
    (e.target as HTMLFormElement).reset();
    onUploaded();
  };

  return (
    <section aria-labelledby="upload-h">
      <h2 id="upload-h">Upload a track</h2>
      <form onSubmit={submit}>
        <label>
          Audio file
          <input type="file" accept="audio/*" required onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </label>
        <label>
          Title <span className="muted">(optional: the file's title tag otherwise)</span>
          <input value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <label>
          Artist
          <input required value={artist} onChange={(e) => setArtist(e.target.value)} />
        </label>
        <label>
          Genre <span className="muted">(optional)</span>
          <input value={genre} onChange={(e) => setGenre(e.target.value)} />
        </label>
        <button type="submit" disabled={!file || progress !== null}>
          Upload
        </button>{" "}
        {progress !== null && (
          <progress aria-label="Upload progress" max={1} value={progress}>
            {Math.round(progress * 100)} %
          </progress>
        )}
      </form>
      {message && <p role="status">{message}</p>}
      {error && <p role="alert">{error}</p>}
    </section>
  );
}

function TrackRow({ track, playlists, onChange }: { track: Track; playlists: Playlist[]; onChange: () => void }) {
  const [, add] = useMutation(ADD_FAVORITE);
  const [, remove] = useMutation(REMOVE_FAVORITE);
  const [, addTo] = useMutation(ADD_TO_PLAYLIST);
  const [note, setNote] = useState<string | null>(null);
  return (
    <li>
      {track.name} <span className="muted">by {track.artist.name}</span> · {formatTime(track.durationMs)}{" "}
      <button
        type="button"
        aria-pressed={track.isFavorite}
        aria-label={`Favorite ${track.name}`}
        onClick={async () => {
          const r = await (track.isFavorite ? remove : add)({ trackId: track.id });
          setNote(r.error ? errorText(r.error) : null);
          onChange();
        }}
      >
        {track.isFavorite ? "★ Favorite" : "☆ Favorite"}
      </button>{" "}
      {playlists.length > 0 && (
        <label>
          Add {track.name} to a playlist
          <select
            value=""
            onChange={async (e) => {
              const playlistId = e.target.value;
              if (!playlistId) return;
              const r = await addTo({ playlistId, trackId: track.id });
              setNote(r.error ? errorText(r.error) : "Added.");
              onChange();
            }}
          >
            <option value="">Choose…</option>
            {playlists.map((p) => (
              <option key={p.id} value={p.id}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
      )}
      {note && <span role="status"> {note}</span>}
    </li>
  );
}

export function Library() {
  const [search, setSearch] = useState("");
  const [term, setTerm] = useState<string | null>(null);
  const [tracks, refetchTracks] = useQuery<{ tracks: { nodes: Track[]; totalCount: number } }>({
    query: SEARCH_TRACKS,
    variables: { search: term, first: 50 },
  });
  const playlists = usePlaylists();
  const favorites = useFavorites();
  const refresh = () => {
    refetchTracks({ requestPolicy: "network-only" });
    playlists.refetch();
    favorites.refetch();
  };

  return (
    <>
      <h1>Library</h1>
      <Upload onUploaded={refresh} />
      <section aria-labelledby="catalog-h">
        <h2 id="catalog-h">Catalog</h2>
        <form
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            setTerm(search.trim() || null);
          }}
        >
          <label>
            Search tracks
            <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
          </label>{" "}
          <button type="submit">Search</button>
        </form>
        {tracks.error && <p role="alert">{errorText(tracks.error)}</p>}
        {tracks.data && (
          <>
            <p className="muted">{tracks.data.tracks.totalCount} tracks</p>
            <ul aria-label="Tracks">
              {tracks.data.tracks.nodes.map((t) => (
                <TrackRow key={t.id} track={t} playlists={playlists.items} onChange={refresh} />
              ))}
            </ul>
          </>
        )}
      </section>
      <Playlists playlists={playlists} favorites={favorites} onChange={refresh} />
    </>
  );
}
