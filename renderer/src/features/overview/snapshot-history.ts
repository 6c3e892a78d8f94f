/**
 * Accepting snapshots: a late or duplicated snapshot (events and a re-fetch race after a
 * reconnect) must never replace a newer one, or the dashboard would briefly show the past.
 */
import type { EnvironmentSnapshot } from '../../../../shared/status.ts';

export interface SnapshotEntry {
  snapshot: EnvironmentSnapshot;
  /** When the page received it, epoch ms (page clock). */
  receivedAt: number;
  /** `generatedAt` of the last few accepted snapshots, oldest first (poll cadence estimate). */
  recentGeneratedAt: number[];
}

/** How many `generatedAt` values are kept for the cadence estimate. */
export const cadenceWindow = 9;

/**
 * The entry after receiving `snapshot`: unchanged (same object) when it is not newer than the
 * current one, else the new snapshot with the cadence history appended (bounded).
 */
export function acceptSnapshot(
  current: SnapshotEntry | undefined,
  snapshot: EnvironmentSnapshot,
  receivedAt: number,
): SnapshotEntry {
  if (current && snapshot.generatedAt <= current.snapshot.generatedAt) return current;
  const recent = [...(current?.recentGeneratedAt ?? []), snapshot.generatedAt].slice(-cadenceWindow);
  return { snapshot, receivedAt, recentGeneratedAt: recent };
}

/**
 * "Now" on the host's clock: the snapshot's `generatedAt` plus the time elapsed on the page
 * since it arrived. Ages of observations (their times come from the host) are measured against
 * this, so a skewed clock between host and page neither hides nor invents staleness.
 *
 * @param now page clock, epoch ms
 */
export const hostNow = (entry: Pick<SnapshotEntry, 'snapshot' | 'receivedAt'>, now: number): number =>
  entry.snapshot.generatedAt + Math.max(0, now - entry.receivedAt);
