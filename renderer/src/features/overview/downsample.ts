/**
 * Min/max bucket downsampling for time series, so a chart draws at most a few hundred points
 * per line whatever the buffer holds, without flattening spikes (a plain average would hide
 * the one lag spike an on-call engineer is looking for).
 */
import type { SeriesPoint } from '../../../../shared/status.ts';

/**
 * Downsample `points` (sorted by `t`, epoch ms) to at most `maxPoints` points.
 *
 * Time is cut into equal buckets aligned to the epoch (bucket `floor(t / width)`, width from
 * the range `[from, to]`, default first and last `t`), so a live chart whose window slides by
 * a second keeps the same buckets and its line does not shimmer. Each bucket keeps its minimum
 * and its maximum point, in time order. A bucket that holds a gap
 * (`v === null`) also keeps one null point so the line still breaks there; in that case the
 * bucket count is reduced so the result stays within `maxPoints`. Points outside the range are
 * dropped. Input shorter than the bound is returned as a copy (filtered to the range).
 *
 * @param points series, oldest first
 * @param maxPoints upper bound on the result length (>= 2; smaller values are raised to 2)
 * @param range optional window, epoch ms
 * @returns a new array, oldest first, length <= max(2, maxPoints)
 */
export function downsampleMinMax(
  points: readonly SeriesPoint[],
  maxPoints: number,
  range?: { from: number; to: number },
): SeriesPoint[] {
  const bound = Math.max(2, Math.floor(maxPoints));
  const from = range?.from ?? points[0]?.t ?? 0;
  const to = range?.to ?? points[points.length - 1]?.t ?? 0;
  const inRange = range ? points.filter((p) => p.t >= from && p.t <= to) : points.slice();
  if (inRange.length <= bound) return inRange;

  const hasGap = inRange.some((p) => p.v === null);
  const bucketCount = Math.max(1, Math.floor(bound / (hasGap ? 3 : 2)));
  // (bucketCount - 1) widths cover the range, so it touches at most bucketCount aligned buckets.
  const width = bucketCount > 1 ? Math.max(1, to - from) / (bucketCount - 1) : Infinity;
  const out: SeriesPoint[] = [];

  interface Bucket {
    min: (SeriesPoint & { v: number }) | null;
    max: (SeriesPoint & { v: number }) | null;
    gap: SeriesPoint | null;
  }
  const flush = (b: Bucket): void => {
    const kept: SeriesPoint[] = [];
    if (b.min) kept.push(b.min);
    if (b.max && b.max !== b.min) kept.push(b.max);
    if (b.gap) kept.push(b.gap);
    kept.sort((x, y) => x.t - y.t);
    out.push(...kept);
  };

  let index = -1;
  let cur: Bucket = { min: null, max: null, gap: null };
  for (const p of inRange) {
    const b = width === Infinity ? 0 : Math.floor(p.t / width);
    if (b !== index) {
      flush(cur);
      cur = { min: null, max: null, gap: null };
      index = b;
    }
    if (p.v === null) {
      cur.gap ??= p;
      continue;
    }
    const q = p as SeriesPoint & { v: number };
    if (cur.min === null || q.v < cur.min.v) cur.min = q;
    if (cur.max === null || q.v > cur.max.v) cur.max = q;
  }
  flush(cur);
  return out;
}
