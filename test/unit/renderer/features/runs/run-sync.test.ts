/**
 * The run sync layer with a fake client: the page adopts the run its executeRun started (from
 * the `run-started` event), follows it live, treats a lost answer as "still running" rather than
 * a failure, and shows a refusal that started nothing beside the Run button.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleClient } from '../../../../../renderer/src/api/console-client.ts';
import { startRunSync } from '../../../../../renderer/src/features/runs/run-sync.ts';
import { useRunsStore } from '../../../../../renderer/src/features/runs/runs-store.ts';
import { useWorkspaceStore } from '../../../../../renderer/src/app/workspace-store.ts';
import type { Result } from '../../../../../shared/result.ts';
import type { RunEvent, RunOutcome } from '../../../../../shared/runs/run-event.ts';
import { detail, plan } from './run-fixtures.ts';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));
const okv = <T>(value: T): Result<T> => ({ ok: true, value });

let emitRun: (e: RunEvent) => void = () => {};
let finishExecute: (r: Result<RunOutcome>) => void = () => {};
const calls: string[] = [];
let executeResult: 'pending' | 'refuse' = 'pending';

const api = {
  listRunbooks: async () => okv([{ name: 'failover', kind: 'failover', description: '', path: '/w/failover.yaml', stepCount: 3, error: null }]),
  listRuns: async () => okv([]),
  getLock: async () => okv({ env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null }),
  planRun: async () => okv(plan()),
  executeRun: (args: { confirmation: string }) => {
    calls.push(`executeRun ${args.confirmation}`);
    if (executeResult === 'refuse') return Promise.resolve({ ok: false, error: { kind: 'unsafe-plan', message: 'the plan is refused' } });
    return new Promise<Result<RunOutcome>>((resolve) => (finishExecute = resolve));
  },
  getRun: async ({ runId }: { runId: string }) => {
    calls.push(`getRun ${runId}`);
    return okv(detail({ runId, createdAt: 100 }));
  },
};

const client = {
  transport: 'ws',
  api,
  on: (name: string, cb: (p: RunEvent) => void) => {
    if (name === 'run') emitRun = cb;
    return () => {};
  },
  onConnection: () => () => {},
  retryNow: () => {},
  close: () => {},
} as unknown as ConsoleClient;

const stop = startRunSync(client);
after(() => stop());

test('loads the environment, plans, adopts the started run and follows it; a lost answer is not a failure', async () => {
  useWorkspaceStore.getState().setWorkspace({ path: '/w/workspace.yaml', environments: [{ name: 'lab', sites: [], objectives: { rtoSeconds: 60, rpoSeconds: 5 }, probeIntervalMs: 1000, pollIntervalMs: 1000 }] });
  await tick();
  const s = useRunsStore.getState;
  assert.equal(s().env, 'lab');
  assert.equal(s().selectedRunbook, 'failover');
  assert.deepEqual(s().history, []);

  await s().actions.plan();
  assert.equal(s().plan?.planId, 'plan-1');
  s().setConfirmText('lab');

  const running = s().actions.execute();
  await tick();
  assert.equal(s().executing, true);
  emitRun({ type: 'run-started', runId: 'run-9', env: 'lab', runbook: 'failover', at: 100, resumed: false, phase: 'run', steps: [{ id: 'a', kind: 'wait', title: 'A' }, { id: 'b', kind: 'wait', title: 'B' }, { id: 'c', kind: 'wait', title: 'C' }] });
  assert.equal(s().openRunId, 'run-9', 'the run its executeRun started is shown');
  assert.ok(s().timelines['run-9']?.plan, 'with the confirmed plan');
  emitRun({ type: 'step-started', runId: 'run-9', phase: 'run', stepId: 'a', index: 0, at: 110, verdicts: [] });
  assert.equal(s().timelines['run-9']?.steps[0]?.state, 'acting');

  // the WebSocket call times out while the run goes on
  finishExecute({ ok: false, error: { kind: 'timeout', message: 'executeRun got no answer within 15 s.' } });
  await running;
  assert.equal(s().executing, false);
  assert.equal(s().executeError, null, 'not shown as "not started"');
  assert.equal(s().runErrors['run-9'], undefined, 'not shown as an error');
  assert.ok(s().runNotices['run-9'], 'said softly');
  assert.equal(s().plan, null, 'the plan ran: it cannot be run again');
  assert.ok(calls.includes('getRun run-9'), 're-read from the journal');

  emitRun({ type: 'run-finished', runId: 'run-9', at: 500, status: 'succeeded', durationMs: 400, detail: null, rollbacksOffered: [] });
  assert.equal(s().timelines['run-9']?.status, 'succeeded');
  assert.equal(s().runNotices['run-9'], undefined, 'the notice ends with the run');
});

test('a refusal that started nothing is shown beside the Run button, and no run is adopted', async () => {
  const s = useRunsStore.getState;
  s().closeRun();
  await s().actions.plan();
  s().setConfirmText('lab');
  executeResult = 'refuse';
  await s().actions.execute();
  assert.equal(s().executeError?.kind, 'unsafe-plan');
  assert.equal(s().openRunId, null);
  assert.ok(s().plan, 'the plan stays for another try');
  // a run started elsewhere later is not adopted as ours
  emitRun({ type: 'run-started', runId: 'run-other', env: 'lab', runbook: 'failover', at: 900, resumed: false, phase: 'run', steps: [] });
  assert.equal(s().openRunId, null);
});
