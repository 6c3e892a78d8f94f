/**
 * Wires a ConsoleClient to the overview's stores: snapshot and sample events → stores, and
 * (re)loading the selected environment's snapshot and charts after every (re)connect (a new
 * workspace object) and environment switch.
 */
import type { SeriesMetric } from '../../../../shared/status.ts';
import type { ConsoleClient } from '../../api/console-client.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import { useSeriesStore } from './series-store.ts';
import { useSnapshotStore } from './snapshot-store.ts';

/** Metrics the dashboard charts; samples of other metrics are not kept. */
export const chartedMetrics: readonly SeriesMetric[] = ['replication-lag-bytes', 'replication-lag-seconds'];

/** Chart window, ms, and how many points to ask the host for on load. */
export const chartWindowMs = 60 * 60 * 1000;
export const chartFetchPoints = 600;

/** Start syncing the overview; returns a function that stops listening (the client is closed by its owner). */
export function startOverviewSync(client: ConsoleClient): () => void {
  const offs: (() => void)[] = [];
  let generation = 0;

  offs.push(
    client.on('snapshot', ({ env, snapshot }) => {
      useSnapshotStore.getState().apply(env, snapshot, Date.now());
    }),
  );

  offs.push(
    client.on('samples', ({ env, metric, key, points }) => {
      if (env !== useWorkspaceStore.getState().selectedEnv || !chartedMetrics.includes(metric)) return;
      const newest = points.reduce((m, p) => Math.max(m, p.t), 0);
      useSeriesStore.getState().append(env, metric, key, points, Math.max(Date.now(), newest));
    }),
  );

  offs.push(
    useWorkspaceStore.subscribe((s, prev) => {
      // A new workspace object arrives after every (re)connect: re-read the environment then too.
      if (
        s.selectedEnv !== null &&
        (s.selectedEnv !== prev.selectedEnv || (s.workspace !== null && s.workspace !== prev.workspace))
      )
        void loadEnvironment(s.selectedEnv);
    }),
  );

  async function loadEnvironment(env: string): Promise<void> {
    const mine = ++generation;
    useSeriesStore.getState().keepOnly(env);
    const snap = await client.api.getSnapshot({ env });
    if (mine !== generation) return;
    if (!snap.ok) {
      useSnapshotStore.getState().setError(env, snap.error);
      return;
    }
    useSnapshotStore.getState().apply(env, snap.value, Date.now());
    const sinceMs = Math.max(0, Date.now() - chartWindowMs);
    const requests = snap.value.databases.flatMap((db) =>
      chartedMetrics.map(async (metric) => {
        const r = await client.api.getSeries({ env, metric, key: db.name, sinceMs, maxPoints: chartFetchPoints });
        if (mine !== generation || !r.ok) return;
        useSeriesStore.getState().load(env, metric, db.name, r.value.points, Date.now());
      }),
    );
    await Promise.all(requests);
  }

  return () => {
    for (const off of offs.splice(0)) off();
  };
}
