/**
 * The core's API slices: each capability builds its part of ConsoleApi from its own services,
 * and an environment the workspace does not have is `not-found` naming the ones it has.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMonitorApi } from '../../../electron/core/monitor/monitor-api.ts';
import { createRunsApi } from '../../../electron/core/runbooks/runs-api.ts';
import { RunService } from '../../../electron/core/runbooks/run-service.ts';
import { openStore } from '../../../electron/core/store/open-store.ts';
import type { Workspace } from '../../../electron/core/config/workspace-schema.ts';
import { labEnvironment, labSnapshot } from '../runbooks/fakes.ts';

test('the monitor slice: the workspace as the UI sees it, the latest snapshot, series with the default bound', async () => {
  const env = labEnvironment();
  const seriesCalls: unknown[][] = [];
  const api = createMonitorApi({
    workspacePath: '/w/workspace.yaml',
    workspace: { environments: [env] } as unknown as Workspace,
    monitors: new Map([['lab', { latest: () => labSnapshot() }]]),
    store: { series: (...a: unknown[]) => (seriesCalls.push(a), [{ t: 1, v: 2 }]) } as never,
  });
  const ws = await api.getWorkspace({});
  assert.ok(ws.ok);
  assert.equal(ws.value.path, '/w/workspace.yaml');
  assert.deepEqual(ws.value.environments[0]?.objectives, env.objectives);
  assert.equal(ws.value.environments[0]?.sites.length, env.sites.length);
  const snap = await api.getSnapshot({ env: 'lab' });
  assert.ok(snap.ok && snap.value.environment === 'lab');
  const missing = await api.getSnapshot({ env: 'prod' });
  assert.ok(!missing.ok && missing.error.kind === 'not-found' && /use one of: lab/.test(missing.error.hint ?? ''));
  const series = await api.getSeries({ env: 'lab', metric: 'replication-lag-bytes', key: 'pg-replica', sinceMs: 5 });
  assert.ok(series.ok && series.value.points.length === 1);
  assert.deepEqual(seriesCalls[0], ['lab', 'replication-lag-bytes', 'pg-replica', 5, 600]);
});

test('the runs slice: unknown environments and plans are refused as data; the lock is read', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-runs-api-'));
  const db = openStore(join(dir, 'standby.sqlite'));
  const runs = new RunService({
    workspace: {
      environments: [labEnvironment()],
      store: { path: join(dir, 'standby.sqlite') },
    } as unknown as Workspace,
    runbooksDir: dir,
    db,
    services: () => undefined,
    snapshot: async () => null,
    latestSnapshot: () => null,
    onEvent: () => {},
  });
  try {
    const api = createRunsApi(runs, ['lab']);
    const listed = await api.listRunbooks({ env: 'lab' });
    assert.ok(listed.ok && listed.value.length === 0);
    for (const r of [
      await api.listRunbooks({ env: 'prod' }),
      await api.listRuns({ env: 'prod' }),
      await api.getLock({ env: 'prod' }),
      await api.breakLock({ env: 'prod', reason: 'a long enough reason' }),
    ]) {
      assert.ok(!r.ok && r.error.kind === 'not-found' && r.error.where === 'env', JSON.stringify(r));
    }
    const lock = await api.getLock({ env: 'lab' });
    assert.deepEqual(lock, {
      ok: true,
      value: { env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null },
    });
    const exec = await api.executeRun({ planId: 'nope', confirmation: 'lab' });
    assert.ok(!exec.ok && exec.error.kind === 'not-found', 'an unknown plan starts nothing');
    const resume = await api.resumeRun({ runId: 'nope' });
    assert.ok(!resume.ok && resume.error.kind === 'not-found');
  } finally {
    await runs.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
