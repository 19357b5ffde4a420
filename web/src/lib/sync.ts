// Keeps one <audio> element at the room's position on the server clock.
//
// The room's state is (track, isPlaying, positionMs, anchorTimeMs, version); the position at
// server instant t is positionMs + (t − anchorTimeMs) while playing (never below positionMs),
// positionMs while paused. Starts are scheduled: anchorTimeMs may lie ahead, and the element
// waits at positionMs until then. While playing, a tick compares the element's position with
// the room's: a small drift (over 10 ms) is taken out by nudging playbackRate by up to 5 %
// (inaudible with pitch preserved), a large one (over 300 ms) by seeking; the time a seek takes
// is learned and seeks aim that far ahead.

import type { ServerClock } from "./clock";
import { localNow } from "./clock";

export type SyncTrack = { id: string; streamUrl: string; durationMs: number };

export type SyncPlayback = {
  track: SyncTrack | null;
  isPlaying: boolean;
  positionMs: number;
  anchorTimeMs: number;
  version: number;
};

export type PlaybackStatus = "READY" | "BUFFERING";

export type SyncStats = {
  driftMs: number;
  rate: number;
  seeks: number;
  seekLeadMs: number;
  blocked: boolean;
};

const TICK_MS = 200;
const SEEK_ABOVE_MS = 300;
const NUDGE_ABOVE_MS = 10;
const SETTLED_BELOW_MS = 2;
const MAX_NUDGE = 0.05;

/** The room's position (ms) at server instant `serverNow`. */
export function positionAt(p: SyncPlayback, serverNow: number): number {
  if (!p.isPlaying) return p.positionMs;
  return Math.max(p.positionMs, p.positionMs + (serverNow - p.anchorTimeMs));
}

export class AudioSync {
  readonly stats: SyncStats = { driftMs: 0, rate: 1, seeks: 0, seekLeadMs: 0, blocked: false };
  private playback: SyncPlayback | null = null;
  private trackId: string | null = null;
  private tick: ReturnType<typeof setInterval> | undefined;
  private startTimer: ReturnType<typeof setTimeout> | undefined;
  private nudging = false;
  private measureAfterSeek = false;
  private reported: { trackId: string; status: PlaybackStatus } | null = null;
  private seekLeadMs = 0;
  private listeners: Array<[string, () => void]> = [];

  constructor(
    private audio: HTMLAudioElement,
    private clock: ServerClock,
    private report: (trackId: string, status: PlaybackStatus) => void,
    private onChange: () => void,
  ) {
    audio.preload = "auto";
    const on = (event: string, fn: () => void) => {
      audio.addEventListener(event, fn);
      this.listeners.push([event, fn]);
    };
    on("canplay", () => {
      this.reportStatus("READY");
      this.apply();
    });
    on("playing", () => this.reportStatus("READY"));
    on("waiting", () => {
      if (this.playback?.isPlaying) this.reportStatus("BUFFERING");
    });
    on("loadedmetadata", () => this.apply());
    this.tick = setInterval(() => this.apply(), TICK_MS);
  }

  dispose(): void {
    clearInterval(this.tick);
    clearTimeout(this.startTimer);
    for (const [event, fn] of this.listeners) this.audio.removeEventListener(event, fn);
    this.audio.pause();
  }

  /** A new state from the server (events with an older version are the caller's to drop). */
  set(playback: SyncPlayback | null): void {
    this.playback = playback;
    const track = playback?.track ?? null;
    if (!track) {
      this.trackId = null;
      this.audio.pause();
      this.audio.removeAttribute("src");
      this.audio.load();
      return;
    }
    if (track.id !== this.trackId) {
      // A new track: load it. The stream URL's token differs in every answer, so the element
      // is only pointed elsewhere when the track itself changes.
      this.trackId = track.id;
      this.reported = null;
      this.audio.src = track.streamUrl;
      this.audio.load();
    }
    clearTimeout(this.startTimer);
    this.startTimer = undefined;
    this.apply();
  }

  /** The user allowed audio (a click): start if the room plays. */
  unblock(): void {
    this.stats.blocked = false;
    this.audio.play().catch(() => undefined);
    this.apply();
  }

  /** Position (ms) the room has now. */
  roomPositionMs(): number | null {
    return this.playback ? positionAt(this.playback, this.clock.now()) : null;
  }

  private reportStatus(status: PlaybackStatus): void {
    const id = this.trackId;
    if (!id || (this.reported?.trackId === id && this.reported.status === status)) return;
    this.reported = { trackId: id, status };
    this.report(id, status);
  }

  private setRate(rate: number): void {
    if (Math.abs(this.audio.playbackRate - rate) > 1e-4) this.audio.playbackRate = rate;
    this.stats.rate = rate;
  }

  private seek(ms: number): void {
    this.audio.currentTime = Math.max(0, ms) / 1000;
  }

  private startPlaying(): void {
    this.audio.play().then(
      () => {
        if (this.stats.blocked) {
          this.stats.blocked = false;
          this.onChange();
        }
      },
      (err: unknown) => {
        if (err instanceof DOMException && err.name === "NotAllowedError" && !this.stats.blocked) {
          this.stats.blocked = true;
          this.onChange();
        }
      },
    );
  }

  private apply(): void {
    const p = this.playback;
    const audio = this.audio;
    if (!p?.track || !this.clock.synced) return;
    const now = this.clock.now();
    const durationMs = Number.isFinite(audio.duration) ? audio.duration * 1000 : p.track.durationMs;
    const haveMetadata = audio.readyState >= HTMLMediaElement.HAVE_METADATA;

    if (!p.isPlaying || now < p.anchorTimeMs) {
      // Paused, or waiting for a scheduled start: hold at positionMs.
      if (!audio.paused) audio.pause();
      this.setRate(1);
      this.nudging = false;
      if (haveMetadata && !audio.seeking && Math.abs(audio.currentTime * 1000 - p.positionMs) > 30) {
        this.seek(p.positionMs);
      }
      if (p.isPlaying && this.startTimer === undefined) {
        const wait = this.clock.toLocal(p.anchorTimeMs) - localNow();
        this.startTimer = setTimeout(() => {
          this.startTimer = undefined;
          this.apply();
        }, Math.max(0, wait));
      }
      this.stats.driftMs = haveMetadata ? audio.currentTime * 1000 - p.positionMs : 0;
      return;
    }

    const target = positionAt(p, now);
    if (target >= durationMs) {
      // Over: the server moves the room on.
      if (!audio.paused && audio.ended) audio.pause();
      return;
    }
    if (!haveMetadata) return;
    if (audio.paused) {
      if (!this.stats.blocked) {
        // A scheduled start finds the element waiting at the right place already.
        if (Math.abs(audio.currentTime * 1000 - target) > 30) {
          this.seek(target + this.seekLeadMs);
          this.measureAfterSeek = true;
        }
        this.startPlaying();
      }
      return;
    }
    if (audio.seeking || audio.readyState < HTMLMediaElement.HAVE_FUTURE_DATA) return;

    const drift = audio.currentTime * 1000 - target;
    this.stats.driftMs = drift;
    if (this.measureAfterSeek) {
      // What the last seek (or start) cost: aim that much further ahead next time.
      this.measureAfterSeek = false;
      if (Math.abs(drift) < SEEK_ABOVE_MS * 2) {
        this.seekLeadMs = Math.min(1000, Math.max(0, this.seekLeadMs - drift * 0.8));
        this.stats.seekLeadMs = this.seekLeadMs;
      }
    }
    if (Math.abs(drift) > SEEK_ABOVE_MS) {
      this.setRate(1);
      this.nudging = false;
      this.stats.seeks += 1;
      this.seek(target + this.seekLeadMs);
      this.measureAfterSeek = true;
      return;
    }
    if (Math.abs(drift) > NUDGE_ABOVE_MS || (this.nudging && Math.abs(drift) > SETTLED_BELOW_MS)) {
      // Take the drift out over about a second (at most 5 % faster or slower).
      this.nudging = true;
      this.setRate(1 + Math.max(-MAX_NUDGE, Math.min(MAX_NUDGE, -drift / 1000)));
    } else {
      this.nudging = false;
      this.setRate(1);
    }
  }
}
