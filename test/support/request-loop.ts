/**
 * A bounded HTTP request loop for "0 failed requests while X happens" tests: sequential GETs
 * of one loopback URL, each on a NEW connection, until stopped, `maxRequests` or `maxMs`.
 */
import { httpGet, sleep } from './outside-checks.ts';

/** What the loop saw. Times epoch ms. */
export interface RequestLoopResult {
  requests: number;
  ok: number;
  /** Requests without an HTTP 200 answer (first 20 kept in `failures`). */
  failed: number;
  failures: { at: number; status: number; error: string | null; body: string }[];
  /** `slot` field of the JSON answers, in order of change: e.g. ['blue', 'green']. */
  slotChanges: { at: number; slot: string }[];
  slotCounts: Record<string, number>;
  startedAt: number;
  endedAt: number;
  maxLatencyMs: number;
  stoppedBy: string;
}

/**
 * Starts the loop at once. `stop()` ends it after `tailRequests` more requests (so the loop
 * also covers the moments right after the change).
 */
export function startRequestLoop(
  url: string,
  opts: { maxRequests: number; maxMs: number; pauseMs?: number; tailRequests?: number; timeoutMs?: number },
): { stop: () => void; done: Promise<RequestLoopResult> } {
  let stopAt = Infinity;
  let count = 0;
  const done = (async (): Promise<RequestLoopResult> => {
    const r: RequestLoopResult = {
      requests: 0,
      ok: 0,
      failed: 0,
      failures: [],
      slotChanges: [],
      slotCounts: {},
      startedAt: Date.now(),
      endedAt: 0,
      maxLatencyMs: 0,
      stoppedBy: '',
    };
    const deadline = r.startedAt + opts.maxMs;
    for (;;) {
      if (r.requests >= opts.maxRequests) {
        r.stoppedBy = `${opts.maxRequests} requests bound`;
        break;
      }
      if (Date.now() > deadline) {
        r.stoppedBy = `${opts.maxMs} ms bound`;
        break;
      }
      if (count >= stopAt) {
        r.stoppedBy = 'stop()';
        break;
      }
      const a = await httpGet(url, { timeoutMs: opts.timeoutMs ?? 2000 });
      r.requests++;
      count++;
      r.maxLatencyMs = Math.max(r.maxLatencyMs, a.ms);
      if (a.status === 200) r.ok++;
      else {
        r.failed++;
        if (r.failures.length < 20)
          r.failures.push({ at: Date.now(), status: a.status, error: a.error, body: a.body.slice(0, 200) });
      }
      const slot = typeof a.json?.slot === 'string' ? a.json.slot : null;
      if (slot) {
        r.slotCounts[slot] = (r.slotCounts[slot] ?? 0) + 1;
        if (r.slotChanges.at(-1)?.slot !== slot) r.slotChanges.push({ at: Date.now(), slot });
      }
      if (opts.pauseMs) await sleep(opts.pauseMs);
    }
    r.endedAt = Date.now();
    return r;
  })();
  return {
    stop: () => {
      stopAt = count + (opts.tailRequests ?? 0);
    },
    done,
  };
}
