// The server clock, estimated NTP-style from `serverTime`:
//   offset = serverTime − (sent + received) / 2
// with sent and received taken from the request's Resource Timing where the browser has it.
// The sample with the shortest round trip has the least room for asymmetry, so the estimate
// is the offset of the best of the recent samples. Times are taken from the monotonic clock
// (performance.now), anchored to epoch ms once, so a jump of the system clock does not move
// the estimate until it is measured again.

import type { Client } from "@urql/core";
import { gql } from "@urql/core";

const SERVER_TIME = gql`
  query ServerTime {
    serverTime
  }
`;

type Sample = { offsetMs: number; rttMs: number; at: number };

/** The Resource Timing of the last `serverTime` request made between `after` and `before`. */
function networkTiming(after: number, before: number): { sent: number; received: number } | null {
  if (typeof performance.getEntriesByType !== "function") return null;
  const entries = performance.getEntriesByType("resource") as PerformanceResourceTiming[];
  for (let i = entries.length - 1; i >= 0; i--) {
    const e = entries[i];
    if (!e.name.includes("/graphql?") || !e.name.includes("ServerTime")) continue;
    const sent = performance.timeOrigin + e.requestStart;
    const received = performance.timeOrigin + e.responseStart;
    if (e.requestStart > 0 && e.responseStart >= e.requestStart && sent >= after && received <= before) {
      return { sent, received };
    }
    break;
  }
  return null;
}

// Keep room for the entries (audio ranges add some too); when full, start over.
if (typeof performance.setResourceTimingBufferSize === "function") {
  performance.setResourceTimingBufferSize(500);
  performance.addEventListener?.("resourcetimingbufferfull", () => performance.clearResourceTimings());
}

/** Local epoch ms from the monotonic clock. */
export function localNow(): number {
  return performance.timeOrigin + performance.now();
}

export class ServerClock {
  private samples: Sample[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private client: Client) {}

  /** The estimated offset of the server clock from ours (ms). */
  get offsetMs(): number {
    return this.best()?.offsetMs ?? 0;
  }

  /** The round trip of the best sample (ms). */
  get rttMs(): number {
    return this.best()?.rttMs ?? 0;
  }

  /** The highest round trip among the recent samples: what the room's start lead should cover. */
  get worstRecentRttMs(): number {
    return this.samples.reduce((m, s) => Math.max(m, s.rttMs), 0);
  }

  get synced(): boolean {
    return this.samples.length > 0;
  }

  /** Server epoch ms now. */
  now(): number {
    return localNow() + this.offsetMs;
  }

  /** Our epoch ms at server instant `serverMs`. */
  toLocal(serverMs: number): number {
    return serverMs - this.offsetMs;
  }

  /** Takes `count` samples one after another. */
  async measure(count = 6): Promise<void> {
    for (let i = 0; i < count; i++) {
      await this.sample();
    }
  }

  /** Samples again every `everyMs` (a few at a time), keeping the last few minutes. */
  start(everyMs = 20_000): void {
    this.stop();
    this.timer = setInterval(() => void this.measure(3).catch(() => undefined), everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    const sent = localNow();
    // A GET, so that the request's Resource Timing entry can be told apart by its URL.
    const result = await this.client
      .query(SERVER_TIME, {}, { requestPolicy: "network-only", preferGetMethod: "force" })
      .toPromise();
    const received = localNow();
    const serverTime = result.data?.serverTime as number | undefined;
    if (typeof serverTime !== "number") return;
    // The network's own timestamps (request sent, first byte back) leave out the time spent
    // in this page before and after: scheduling, the client's exchanges, parsing.
    const timing = networkTiming(sent, received);
    const from = timing?.sent ?? sent;
    const to = timing?.received ?? received;
    this.samples.push({ offsetMs: serverTime - (from + to) / 2, rttMs: to - from, at: received });
    const horizon = received - 5 * 60_000;
    this.samples = this.samples.filter((s) => s.at >= horizon).slice(-30);
  }

  private best(): Sample | undefined {
    let best: Sample | undefined;
    for (const s of this.samples) if (!best || s.rttMs < best.rttMs) best = s;
    return best;
  }
}
