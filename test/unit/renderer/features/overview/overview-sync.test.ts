/**
 * The overview sync layer with a fake client: the selected environment's snapshot and charts
 * are (re)loaded on an environment switch and after every reconnect (a new workspace object for
 * the same environment), not on a workspace error; events reach the stores.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleClient } from '../../../../../renderer/src/api/console-client.ts';
import { useWorkspaceStore } from '../../../../../renderer/src/app/workspace-store.ts';
import { chartedMetrics, startOverviewSync } from '../../../../../renderer/src/features/overview/overview-sync.ts';
import { useSeriesStore } from '../../../../../renderer/src/features/overview/series-store.ts';
import { useSnapshotStore } from '../../../../../renderer/src/features/overview/snapshot-store.ts';
import type { Result } from '../../../../../shared/result.ts';
import type { EnvironmentSnapshot, WorkspaceInfo } from '../../../../../shared/status.ts';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));
const okv = <T>(value: T): Result<T> => ({ ok: true, value });

// Only what the sync layer and the snapshot store read.
const snapshot = (env: string, generatedAt: number) =>
  ({ env, generatedAt, databases: [{ name: `${env}-db` }] }) as unknown as EnvironmentSnapshot;
const environment = (name: string) => ({
  name,
  sites: [],
  objectives: { rtoSeconds: 60, rpoSeconds: 5 },
  probeIntervalMs: 1000,
  pollIntervalMs: 1000,
});
const workspace = (): WorkspaceInfo => ({
  path: '/w/workspace.yaml',
  environments: [environment('lab'), environment('prod')],
});

const calls: string[] = [];
let generatedAt = 1_000;
const listeners = new Map<string, (payload: unknown) => void>();

const client = {
  transport: 'ws',
  api: {
    getSnapshot: async ({ env }: { env: string }) => {
      calls.push(`getSnapshot ${env}`);
      return okv(snapshot(env, ++generatedAt));
    },
    getSeries: async ({ env, metric, key }: { env: string; metric: string; key: string }) => {
      calls.push(`getSeries ${env} ${metric} ${key}`);
      return okv({ points: [{ t: Date.now(), v: 1 }] });
    },
  },
  on: (name: string, cb: (payload: unknown) => void) => {
    listeners.set(name, cb);
    return () => listeners.delete(name);
  },
  onConnection: () => () => {},
  retryNow: () => {},
  close: () => {},
} as unknown as ConsoleClient;

const stop = startOverviewSync(client);
after(() => stop());

const snapshotLoads = () => calls.filter((c) => c.startsWith('getSnapshot'));

test('loads the selected environment and its charts once the workspace arrives', async () => {
  useWorkspaceStore.getState().setWorkspace(workspace());
  await tick();
  const env = useWorkspaceStore.getState().selectedEnv;
  assert.ok(env !== null);
  assert.deepEqual(snapshotLoads(), [`getSnapshot ${env}`]);
  assert.deepEqual(
    calls.filter((c) => c.startsWith('getSeries')),
    chartedMetrics.map((m) => `getSeries ${env} ${m} ${env}-db`),
  );
  assert.equal(useSnapshotStore.getState().byEnv[env]?.snapshot.databases[0]?.name, `${env}-db`);
  assert.equal(useSeriesStore.getState().buffers[`${env}|${chartedMetrics[0]}|${env}-db`]?.length, 1);
});

test('an environment switch and a reconnect (new workspace, same environment) reload; a workspace error does not', async () => {
  calls.length = 0;
  useWorkspaceStore.getState().selectEnv('prod');
  await tick();
  assert.deepEqual(snapshotLoads(), ['getSnapshot prod']);

  calls.length = 0;
  useWorkspaceStore.getState().setWorkspace(workspace());
  await tick();
  assert.deepEqual(snapshotLoads(), ['getSnapshot prod'], 'after a reconnect the environment is read again');

  calls.length = 0;
  useWorkspaceStore.getState().setError({ kind: 'unreachable', message: 'host gone' });
  await tick();
  assert.deepEqual(calls, []);
});

test('snapshot events reach the snapshot store; samples of the selected environment reach the series store', () => {
  listeners.get('snapshot')?.({ env: 'prod', snapshot: snapshot('prod', 9_000_000) });
  assert.equal(useSnapshotStore.getState().byEnv.prod?.snapshot.generatedAt, 9_000_000);

  const metric = chartedMetrics[0]!;
  const buffers = () => useSeriesStore.getState().buffers;
  const before = buffers()[`prod|${metric}|prod-db`]?.length ?? 0;
  listeners.get('samples')?.({ env: 'lab', metric, key: 'lab-db', points: [{ t: Date.now() + 1, v: 2 }] });
  assert.equal(buffers()[`lab|${metric}|lab-db`], undefined, 'samples of another environment are dropped');
  listeners.get('samples')?.({ env: 'prod', metric, key: 'prod-db', points: [{ t: Date.now() + 1, v: 2 }] });
  assert.equal(buffers()[`prod|${metric}|prod-db`]?.length, before + 1);
});
