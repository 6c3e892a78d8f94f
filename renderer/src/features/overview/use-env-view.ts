/**
 * What every panel of the overview needs about the selected environment: its snapshot entry,
 * "now" on the host's clock, and the poll interval staleness is measured against.
 */
import { estimatePollIntervalMs } from '../../ui/age.ts';
import { hostNow, type SnapshotEntry } from './snapshot-history.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useSnapshotStore } from './snapshot-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';

export interface EnvView {
  env: string | null;
  entry: SnapshotEntry | undefined;
  /** Page clock, epoch ms (ticks every second). */
  now: number;
  /** Host clock "now", epoch ms; equals `now` before the first snapshot. */
  hostNow: number;
  pollIntervalMs: number;
}

export function useEnvView(): EnvView {
  const env = useWorkspaceStore((s) => s.selectedEnv);
  const entry = useSnapshotStore((s) => (env === null ? undefined : s.byEnv[env]));
  const now = useClockStore((s) => s.now);
  // the configured intervals when the workspace says them; the snapshot cadence otherwise
  // (snapshots are also pushed on every verdict change, so the cadence alone underestimates)
  const summary = useWorkspaceStore((s) => s.workspace?.environments.find((e) => e.name === env));
  return {
    env,
    entry,
    now,
    hostNow: entry ? hostNow(entry, now) : now,
    pollIntervalMs: summary
      ? Math.max(summary.probeIntervalMs, summary.pollIntervalMs)
      : estimatePollIntervalMs(entry?.recentGeneratedAt ?? []),
  };
}
