// The room's <audio> element, kept in step with the server clock by AudioSync, and the
// controls for those who may control playback.

import { useEffect, useReducer, useRef, useState } from "react";
import { useClient, useMutation } from "urql";
import { connectionStats } from "../lib/client";
import { localNow, ServerClock } from "../lib/clock";
import {
  REPORT_LATENCY,
  REPORT_STATUS,
  ROOM_PAUSE,
  ROOM_PLAY,
  ROOM_SEEK,
  ROOM_SKIP,
  type Playback,
} from "../lib/documents";
import { errorText, formatTime } from "../lib/errors";
import { AudioSync, positionAt } from "../lib/sync";

type Props = {
  roomId: string;
  playback: Playback | null;
  canControl: boolean;
  /** Counts the RoomSnapshots received: a new subscription (the round trip is reported again). */
  snapshots: number;
};

declare global {
  interface Window {
    soundroom?: { sync: () => Record<string, unknown>; connection: typeof connectionStats };
  }
}

export function RoomPlayer({ roomId, playback, canControl, snapshots }: Props) {
  const client = useClient();
  const audioRef = useRef<HTMLAudioElement>(null);
  const syncRef = useRef<AudioSync | null>(null);
  const clockRef = useRef<ServerClock | null>(null);
  const playbackRef = useRef(playback);
  playbackRef.current = playback;
  const [blocked, setBlocked] = useState(false);
  const [volume, setVolume] = useState(1);
  const [, redraw] = useReducer((n: number) => n + 1, 0);
  const [dragMs, setDragMs] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [, play] = useMutation(ROOM_PLAY);
  const [, pause] = useMutation(ROOM_PAUSE);
  const [, seek] = useMutation(ROOM_SEEK);
  const [, skip] = useMutation(ROOM_SKIP);
  const rangeRef = useRef<HTMLInputElement>(null);

  const reportLatency = () => {
    const clock = clockRef.current;
    if (!clock?.synced) return;
    const rttMs = Math.max(1, Math.ceil(clock.worstRecentRttMs));
    void client.mutation(REPORT_LATENCY, { roomId, rttMs }).toPromise();
  };
  const reportLatencyRef = useRef(reportLatency);
  reportLatencyRef.current = reportLatency;

  useEffect(() => {
    const audio = audioRef.current;
    if (!audio) return;
    const clock = new ServerClock(client);
    const sync = new AudioSync(
      audio,
      clock,
      (trackId, status) => void client.mutation(REPORT_STATUS, { roomId, trackId, status }).toPromise(),
      () => setBlocked(sync.stats.blocked),
    );
    clockRef.current = clock;
    syncRef.current = sync;
    sync.set(playbackRef.current);
    let live = true;
    void clock.measure(6).then(() => {
      if (!live) return;
      reportLatencyRef.current();
      clock.start(20_000);
    });
    window.soundroom = {
      sync: () => ({
        ...sync.stats,
        offsetMs: clock.offsetMs,
        rttMs: clock.rttMs,
        roomPositionMs: sync.roomPositionMs(),
        audioMs: audio.currentTime * 1000,
        at: localNow(),
      }),
      connection: connectionStats,
    };
    const timer = setInterval(redraw, 500);
    return () => {
      live = false;
      clearInterval(timer);
      clock.stop();
      sync.dispose();
      clockRef.current = null;
      syncRef.current = null;
      delete window.soundroom;
    };
  }, [client, roomId]);

  useEffect(() => {
    syncRef.current?.set(playback);
  }, [playback]);

  // The round trip counts while subscribed: report it on every (re)subscription.
  useEffect(() => {
    if (snapshots > 0) reportLatencyRef.current();
  }, [snapshots]);

  useEffect(() => {
    if (audioRef.current) audioRef.current.volume = volume;
  }, [volume]);

  // Seek when the slider is let go (the native change event), not on every step of a drag.
  useEffect(() => {
    const el = rangeRef.current;
    if (!el) return;
    const commit = () => {
      const ms = Math.round(Number(el.value) * 1000);
      setDragMs(null);
      void run(seek({ roomId, positionMs: ms }));
    };
    el.addEventListener("change", commit);
    return () => el.removeEventListener("change", commit);
  });

  const run = async (p: Promise<{ error?: Parameters<typeof errorText>[0] }>) => {
    setError(null);
    const r = await p;
    if (r.error) setError(errorText(r.error));
  };

  const clock = clockRef.current;
  const track = playback?.track ?? null;
  const nowMs = playback && clock ? positionAt(playback, clock.now()) : 0;
  const shownMs = Math.min(dragMs ?? nowMs, track?.durationMs ?? 0);
  const stats = syncRef.current?.stats;
  const waiting = playback?.waitingFor ?? [];

  return (
    <section aria-labelledby="player-h">
      <h2 id="player-h">Now playing</h2>
      <audio ref={audioRef} preload="auto" />
      {track ? (
        <p>
          <strong>{track.name}</strong> by {track.artist.name} ·{" "}
          <span aria-live="off">
            {formatTime(shownMs)} / {formatTime(track.durationMs)}
          </span>{" "}
          · {playback?.isPlaying ? "playing" : "paused"}
        </p>
      ) : (
        <p>Nothing is playing. Add tracks to the queue{canControl ? " and press Play" : ""}.</p>
      )}
      {waiting.length > 0 && <p>Waiting for {waiting.map((u) => u.username).join(", ")} to be ready…</p>}
      {blocked && (
        <p role="alert">
          Your browser blocked the sound.{" "}
          <button type="button" onClick={() => syncRef.current?.unblock()}>
            Start audio
          </button>
        </p>
      )}
      {canControl ? (
        <div role="group" aria-label="Playback controls" className="controls">
          <button type="button" onClick={() => void run(play({ roomId }))}>
            Play
          </button>
          <button type="button" onClick={() => void run(pause({ roomId }))}>
            Pause
          </button>
          <button type="button" onClick={() => void run(skip({ roomId }))}>
            Skip
          </button>
          <label>
            Position
            <input
              ref={rangeRef}
              type="range"
              min={0}
              max={Math.max(1, Math.floor((track?.durationMs ?? 0) / 1000))}
              step={1}
              disabled={!track}
              value={Math.floor(shownMs / 1000)}
              onChange={(e) => setDragMs(Number(e.target.value) * 1000)}
            />
          </label>
        </div>
      ) : (
        <p className="muted">The host decides what plays.</p>
      )}
      <label>
        Volume
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={volume}
          onChange={(e) => setVolume(Number(e.target.value))}
        />
      </label>
      {error && <p role="alert">{error}</p>}
      <details>
        <summary>Sync details</summary>
        <dl className="stats">
          <dt>Clock offset</dt>
          <dd>{clock ? `${clock.offsetMs.toFixed(1)} ms` : "…"}</dd>
          <dt>Round trip</dt>
          <dd>{clock ? `${clock.rttMs.toFixed(1)} ms` : "…"}</dd>
          <dt>Drift</dt>
          <dd>{stats ? `${stats.driftMs.toFixed(1)} ms` : "…"}</dd>
          <dt>Playback rate</dt>
          <dd>{stats ? stats.rate.toFixed(3) : "…"}</dd>
          <dt>Corrective seeks</dt>
          <dd>{stats?.seeks ?? 0}</dd>
        </dl>
      </details>
    </section>
  );
}
