/**
 * Ages, staleness and the "unknown — reason (last good …)" wording. Invariant 6 of the
 * architecture: unknown is never green, and stale data is marked stale with its age.
 */

/** Data older than this many poll intervals is stale. */
export const staleFactor = 3;

/** Poll interval assumed until snapshots tell us better, ms (the workspace default). */
export const defaultPollIntervalMs = 1000;

/**
 * A duration as an operator reads it: `0 s`, `14 s`, `4 min 05 s`, `2 h 10 min`, `3 d 4 h`.
 * Negative input (clock skew between host and page) is shown as `0 s`.
 *
 * @param ms duration, ms
 */
export function formatAge(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return m < 10 ? `${m} min ${String(s % 60).padStart(2, '0')} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return `${d} d ${h % 24} h`;
}

export type Freshness =
  | { kind: 'fresh'; ageMs: number; label: string }
  | { kind: 'stale'; ageMs: number; label: string }
  | { kind: 'never'; ageMs: null; label: string };

/**
 * How fresh an observation is.
 *
 * @param observedAt epoch ms of the observation, null when never observed
 * @param now epoch ms
 * @param pollIntervalMs the interval the data should be refreshed at, ms
 * @returns `fresh` (label `2 s ago`), `stale` once older than `staleFactor` × interval
 *   (label `stale 12 s`), or `never` (label `never observed`)
 */
export function freshness(observedAt: number | null, now: number, pollIntervalMs: number): Freshness {
  if (observedAt === null || !Number.isFinite(observedAt))
    return { kind: 'never', ageMs: null, label: 'never observed' };
  const ageMs = Math.max(0, now - observedAt);
  if (ageMs > staleFactor * pollIntervalMs) return { kind: 'stale', ageMs, label: `stale ${formatAge(ageMs)}` };
  return { kind: 'fresh', ageMs, label: `${formatAge(ageMs)} ago` };
}

/** True when `observedAt` is older than `staleFactor` poll intervals (or was never set). */
export const isStale = (observedAt: number | null, now: number, pollIntervalMs: number): boolean =>
  freshness(observedAt, now, pollIntervalMs).kind !== 'fresh';

/**
 * `unknown — <reason> (last good 14 s ago)`; `(never good)` when there never was a good sample.
 *
 * @param reason why the value is unknown (from the core); a generic text when missing
 * @param lastGoodAt epoch ms of the last good sample, or null
 */
export function describeUnknown(reason: string | undefined, lastGoodAt: number | null, now: number): string {
  const why = reason && reason.trim() !== '' ? reason.trim() : 'no reason given';
  const last = lastGoodAt === null ? 'never good' : `last good ${formatAge(now - lastGoodAt)} ago`;
  return `unknown — ${why} (${last})`;
}

/**
 * Estimate the host's poll interval from the `generatedAt` times of consecutive snapshots:
 * the median gap, never below 250 ms. The contract does not carry the interval (yet), and a
 * fixed guess would flag a 5 s poller as permanently stale.
 *
 * @param generatedAts epoch ms, oldest first (a few recent snapshots are enough)
 * @param fallback interval used while fewer than 3 gaps are known, ms
 */
export function estimatePollIntervalMs(generatedAts: readonly number[], fallback = defaultPollIntervalMs): number {
  const gaps: number[] = [];
  for (let i = 1; i < generatedAts.length; i++) {
    const gap = generatedAts[i]! - generatedAts[i - 1]!;
    if (gap > 0 && Number.isFinite(gap)) gaps.push(gap);
  }
  if (gaps.length < 3) return fallback;
  gaps.sort((a, b) => a - b);
  const mid = Math.floor(gaps.length / 2);
  const median = gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return Math.max(250, Math.round(median));
}

/**
 * Everything a panel needs to judge freshness: host-clock "now", when the snapshot being shown
 * was generated, the poll interval, and whether the snapshot itself is stale.
 */
export interface ViewClock {
  /** "Now" on the host's clock, epoch ms. */
  hostNow: number;
  /** `generatedAt` of the snapshot being shown, epoch ms (host clock). */
  generatedAt: number;
  pollIntervalMs: number;
  /** The snapshot itself stopped arriving (shown once, in a banner and the header). */
  snapshotStale: boolean;
}

/**
 * Freshness of one observation inside a snapshot.
 *
 * - `stale`: the value may no longer be true — it was already old when the snapshot was made
 *   (the poller is not refreshing it) or the snapshot itself is stale. Good states lose their
 *   green on this.
 * - `tag`: what to print beside the value — only when the observation itself lags behind its
 *   snapshot (a frozen snapshot is announced once, not on every row), with its current age.
 */
export function observationFreshness(
  observedAt: number | null,
  clock: ViewClock,
): { stale: boolean; tag: Freshness | null } {
  const itemStale = freshness(observedAt, clock.generatedAt, clock.pollIntervalMs).kind !== 'fresh';
  return {
    stale: itemStale || clock.snapshotStale,
    tag: itemStale ? freshness(observedAt, clock.hostNow, clock.pollIntervalMs) : null,
  };
}
