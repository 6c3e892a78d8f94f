/**
 * Bounded, time-windowed series buffers for live charts. The dashboard keeps one buffer per
 * (environment, metric, key); samples arrive once per poll for hours, so every buffer must stay
 * bounded in both time (window) and count (compaction), or memory grows all day
 * (Lens users' top complaint).
 */
import type { SeriesPoint } from '../../../../shared/status.ts';
import { downsampleMinMax } from './downsample.ts';

export interface SeriesBufferLimits {
  /** Keep points newer than `now - windowMs`, ms. */
  windowMs: number;
  /** Hard bound on the buffer length; exceeding it compacts to `compactTo` points. */
  maxPoints: number;
  /** Length after compaction (min/max downsampling); below maxPoints so compaction is rare. */
  compactTo: number;
}

/** One hour, at most 2 000 points (compacted to 1 500): about 1 sample/s with room to spare. */
export const defaultSeriesLimits: SeriesBufferLimits = { windowMs: 60 * 60 * 1000, maxPoints: 2000, compactTo: 1500 };

/**
 * Append `incoming` points to `buffer` and enforce the limits.
 *
 * - Points may arrive out of order or overlap the buffer (a re-fetch after reconnect): the
 *   result is sorted by `t` and a point with the same `t` replaces the buffered one.
 * - Points older than `now - windowMs` are dropped.
 * - When longer than `maxPoints`, the buffer is min/max-downsampled to `compactTo` points.
 *
 * Pure: returns a new array (or `buffer` itself when nothing changed).
 *
 * @param now epoch ms used for the window (pass the newest sample time or the clock)
 */
export function appendPoints(
  buffer: readonly SeriesPoint[],
  incoming: readonly SeriesPoint[],
  now: number,
  limits: SeriesBufferLimits = defaultSeriesLimits,
): SeriesPoint[] {
  const cutoff = now - limits.windowMs;
  const fresh = incoming.filter((p) => Number.isFinite(p.t) && p.t >= cutoff);
  const last = buffer[buffer.length - 1];
  let merged: SeriesPoint[];
  if (fresh.length === 0) {
    merged = buffer.slice();
  } else if (isSorted(fresh) && (last === undefined || fresh[0]!.t > last.t)) {
    // The common case: live samples strictly after the buffer.
    merged = buffer.concat(fresh);
  } else {
    const byTime = new Map<number, SeriesPoint>();
    for (const p of buffer) byTime.set(p.t, p);
    for (const p of fresh) byTime.set(p.t, p);
    merged = [...byTime.values()].sort((a, b) => a.t - b.t);
  }
  let start = 0;
  while (start < merged.length && merged[start]!.t < cutoff) start++;
  if (start > 0) merged = merged.slice(start);
  if (merged.length > limits.maxPoints) merged = downsampleMinMax(merged, limits.compactTo);
  if (merged.length === buffer.length && merged.every((p, i) => p === buffer[i])) return buffer as SeriesPoint[];
  return merged;
}

function isSorted(points: readonly SeriesPoint[]): boolean {
  for (let i = 1; i < points.length; i++) if (points[i]!.t <= points[i - 1]!.t) return false;
  return true;
}

/** Key of one buffer in the series store: `${env}|${metric}|${key}`. */
export const seriesBufferKey = (env: string, metric: string, key: string): string => `${env}|${metric}|${key}`;

/**
 * Replace a buffer with a freshly fetched window (`getSeries`, already downsampled by the
 * host) while keeping the live points that arrived after the fetch's newest point (samples
 * can land between the request and its answer).
 */
export function mergeFetched(
  buffer: readonly SeriesPoint[],
  fetched: readonly SeriesPoint[],
  now: number,
  limits: SeriesBufferLimits = defaultSeriesLimits,
): SeriesPoint[] {
  const sorted = [...fetched].sort((a, b) => a.t - b.t);
  const lastFetched = sorted[sorted.length - 1]?.t ?? -Infinity;
  const live = buffer.filter((p) => p.t > lastFetched);
  return appendPoints(appendPoints([], sorted, now, limits), live, now, limits);
}
