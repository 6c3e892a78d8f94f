/**
 * Wires a ConsoleClient to the stores: events → stores, and (re)loading what the current
 * environment needs after every (re)connect and environment switch. The only place that
 * knows both the client and the stores.
 */
import type { SeriesMetric } from '../../../../shared/status.ts';
import { useConnectionStore } from '../../app/connection-store.ts';
import { useSeriesStore } from './series-store.ts';
import { useSnapshotStore } from './snapshot-store.ts';
import { useWorkspaceStore } from '../../app/workspace-store.ts';
import type { ConsoleClient } from '../../api/console-client.ts';
import { startRunSync } from '../runs/run-sync.ts';

/** Metrics the dashboard charts; samples of other metrics are not kept. */
export const chartedMetrics: readonly SeriesMetric[] = ['replication-lag-bytes', 'replication-lag-seconds'];

/** Chart window, ms, and how many points to ask the host for on load. */
export const chartWindowMs = 60 * 60 * 1000;
export const chartFetchPoints = 600;

/** Start syncing; returns a function that stops listening (the client is closed by its owner). */
export function startSync(client: ConsoleClient): () => void {
  const offs: (() => void)[] = [];
  let generation = 0;

  useConnectionStore.getState().bindRetry(() => client.retryNow());
  // Runs (runbooks, plans, timelines, history, lock) follow the same workspace and connection.
  offs.push(startRunSync(client));

  offs.push(
    client.onConnection((status) => {
      const before = useConnectionStore.getState().status?.state;
      useConnectionStore.getState().setStatus(status);
      if (status.state === 'connected' && before !== 'connected') void loadWorkspace();
    }),
  );

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
      if (s.selectedEnv !== prev.selectedEnv && s.selectedEnv !== null) void loadEnvironment(s.selectedEnv);
    }),
  );

  async function loadWorkspace(): Promise<void> {
    const r = await client.api.getWorkspace({});
    if (!r.ok) {
      useWorkspaceStore.getState().setError(r.error);
      return;
    }
    const before = useWorkspaceStore.getState().selectedEnv;
    useWorkspaceStore.getState().setWorkspace(r.value);
    const env = useWorkspaceStore.getState().selectedEnv;
    // A changed selection triggers loadEnvironment through the subscription above.
    if (env !== null && env === before) await loadEnvironment(env);
  }

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
