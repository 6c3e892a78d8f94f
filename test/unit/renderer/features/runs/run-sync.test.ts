/**
 * The run sync layer with a fake client: executeRun answers `{ runId }` once the run is under
 * way (its first events already out), and the page opens that run and follows it live; the run
 * counts as driven from here until it stops; the lock and the measured recovery arrive as
 * events (no polling, no re-read timers); a lost answer is said softly, a refusal that started
 * nothing is shown beside the Run button.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ConsoleClient } from '../../../../../renderer/src/api/console-client.ts';
import { startRunSync } from '../../../../../renderer/src/features/runs/run-sync.ts';
import { useRunsStore } from '../../../../../renderer/src/features/runs/runs-store.ts';
import { useWorkspaceStore } from '../../../../../renderer/src/app/workspace-store.ts';
import type { ConsoleEventName, ConsoleEventPayload, RunUnderWay } from '../../../../../shared/contract/index.ts';
import type { Result } from '../../../../../shared/result.ts';
import type { RunEvent } from '../../../../../shared/runs/run-event.ts';
import type { LockInfo } from '../../../../../shared/runs/run-summary.ts';
import { detail, plan } from './run-fixtures.ts';

const tick = (ms = 10) => new Promise((r) => setTimeout(r, ms));
const okv = <T>(value: T): Result<T> => ({ ok: true, value });

let connection: (c: { state: string }) => void = () => {};
const listeners = new Map<string, (p: unknown) => void>();
const emit = <E extends ConsoleEventName>(name: E, payload: ConsoleEventPayload<E>): void =>
  listeners.get(name)?.(payload);
const emitRun = (e: RunEvent): void => emit('run', e);
const calls: string[] = [];
/** What the fake host does on executeRun: emit the run's first events, then answer. */
let onExecute: () => Result<RunUnderWay> = () => okv({ runId: 'run-9' });
let finishResume: (r: Result<RunUnderWay>) => void = () => {};
/** Run status as the fake journal has it (default running). */
const journalStatus = new Map<string, 'running' | 'paused'>();
const freeLock: LockInfo = {
  env: 'lab',
  held: false,
  runId: null,
  holder: null,
  since: null,
  stale: false,
  staleReason: null,
};

const api = {
  listRunbooks: async () =>
    okv([{ name: 'failover', kind: 'failover', description: '', path: '/w/failover.yaml', stepCount: 3, error: null }]),
  listRuns: async () => {
    calls.push('listRuns');
    return okv([]);
  },
  getLock: async () => {
    calls.push('getLock');
    return okv(freeLock);
  },
  planRun: async () => okv(plan()),
  executeRun: async (args: { confirmation: string }) => {
    calls.push(`executeRun ${args.confirmation}`);
    return onExecute();
  },
  resumeRun: ({ runId }: { runId: string }) => {
    calls.push(`resumeRun ${runId}`);
    return new Promise<Result<RunUnderWay>>((resolve) => (finishResume = resolve));
  },
  getRun: async ({ runId }: { runId: string }) => {
    calls.push(`getRun ${runId}`);
    return okv(detail({ runId, createdAt: 100, status: journalStatus.get(runId) ?? 'running' }));
  },
};

const client = {
  transport: 'ws',
  api,
  on: (name: string, cb: (p: unknown) => void) => {
    listeners.set(name, cb);
    return () => listeners.delete(name);
  },
  onConnection: (cb: (c: { state: string }) => void) => {
    connection = cb;
    cb({ state: 'connected' });
    return () => {};
  },
  retryNow: () => {},
  close: () => {},
} as unknown as ConsoleClient;

const stop = startRunSync(client);
after(() => stop());

const threeSteps = [
  { id: 'a', kind: 'wait', title: 'A' },
  { id: 'b', kind: 'wait', title: 'B' },
  { id: 'c', kind: 'wait', title: 'C' },
];

test('executeRun answers the run id: the page shows that run with its plan, follows it live and drives it until it ends', async () => {
  useWorkspaceStore.getState().setWorkspace({
    path: '/w/workspace.yaml',
    environments: [
      {
        name: 'lab',
        sites: [],
        objectives: { rtoSeconds: 60, rpoSeconds: 5 },
        probeIntervalMs: 1000,
        pollIntervalMs: 1000,
      },
    ],
  });
  await tick();
  const s = useRunsStore.getState;
  assert.equal(s().env, 'lab');
  assert.equal(s().selectedRunbook, 'failover');
  assert.deepEqual(s().history, []);

  await s().actions.plan();
  assert.equal(s().plan?.planId, 'plan-1');
  s().setConfirmText('lab');

  onExecute = () => {
    // as the core does: the run's first event is out before the call answers
    emitRun({
      type: 'run-started',
      runId: 'run-9',
      env: 'lab',
      runbook: 'failover',
      at: 100,
      resumed: false,
      phase: 'run',
      steps: threeSteps,
    });
    return okv({ runId: 'run-9' });
  };
  await s().actions.execute();
  assert.ok(calls.includes('executeRun lab'));
  assert.equal(s().executing, false);
  assert.equal(s().executeError, null);
  assert.equal(s().openRunId, 'run-9', 'the run its executeRun started is shown');
  assert.ok(s().timelines['run-9']?.plan, 'with the confirmed plan');
  assert.equal(s().inFlight['run-9'], 'execute', 'driven from this page while it runs');
  assert.equal(s().plan, null, 'the plan ran: it cannot be run again');
  assert.ok(calls.includes('getRun run-9'), 're-read from the journal');

  emitRun({ type: 'step-started', runId: 'run-9', phase: 'run', stepId: 'a', index: 0, at: 110, verdicts: [] });
  assert.equal(s().timelines['run-9']?.steps[0]?.state, 'acting');

  emitRun({
    type: 'run-finished',
    runId: 'run-9',
    at: 500,
    status: 'succeeded',
    durationMs: 400,
    detail: null,
    rollbacksOffered: [],
  });
  assert.equal(s().timelines['run-9']?.status, 'succeeded');
  assert.equal(s().inFlight['run-9'], undefined, 'no longer driven once it ended');
  assert.ok(s().endedReceivedAt['run-9'] !== undefined, 'the recovery wait counts from here');
});

test('the measured recovery arrives as an event and shows on the run (no re-read timers)', async () => {
  const s = useRunsStore.getState;
  await tick(400); // the re-read after the end and the debounced history refresh
  calls.length = 0;
  emit('run-recovery-measured', {
    runId: 'run-9',
    env: 'lab',
    recovery: { ms: 4200, from: 'first-failed-probe', startedAt: 50, rtoObjectiveSeconds: 60 },
  });
  const tl = s().timelines['run-9'];
  assert.equal(tl?.recoveryMs, 4200);
  assert.equal(tl?.recoveryFrom, 'first-failed-probe');
  assert.equal(tl?.recoveryStartedAt, 50);
  assert.equal(tl?.rtoObjectiveSeconds, 60);
  await tick(450);
  assert.ok(calls.includes('listRuns'), 'the history (its recovery column) is re-read once');
  assert.ok(!calls.some((c) => c.startsWith('getRun')), 'the run itself is not re-read for it');
});

test('lock changes arrive as events: the lock of the shown environment is replaced at once, others ignored, nothing polled', async () => {
  const s = useRunsStore.getState;
  const held: LockInfo = {
    env: 'lab',
    held: true,
    runId: 'run-cli',
    holder: '4242@ops-laptop',
    since: 1000,
    stale: false,
    staleReason: null,
  };
  emit('lock-changed', { env: 'lab', lock: held });
  assert.deepEqual(s().lock, held);
  emit('lock-changed', { env: 'staging', lock: { ...freeLock, env: 'staging' } });
  assert.deepEqual(s().lock, held, 'another environment’s lock is not shown');
  await tick(450);
  calls.length = 0;
  await tick(600);
  assert.deepEqual(calls, [], 'no timers re-read the lock or the history');
});

test('a run that pauses before the answer arrives is not left "in flight" (its Approve button stays usable)', async () => {
  const s = useRunsStore.getState;
  await s().actions.plan();
  s().setConfirmText('lab');
  onExecute = () => {
    emitRun({
      type: 'run-started',
      runId: 'run-10',
      env: 'lab',
      runbook: 'failover',
      at: 600,
      resumed: false,
      phase: 'run',
      steps: threeSteps,
    });
    emitRun({
      type: 'run-paused',
      runId: 'run-10',
      at: 601,
      reason: 'approval',
      stepId: 'a',
      detail: 'waiting for an approval of step a',
      verdicts: [],
    });
    journalStatus.set('run-10', 'paused');
    return okv({ runId: 'run-10' });
  };
  await s().actions.execute();
  assert.equal(s().openRunId, 'run-10');
  assert.equal(s().timelines['run-10']?.status, 'paused');
  assert.equal(s().inFlight['run-10'], undefined);
});

test('a lost answer to a run call is not a failure: said softly, the run re-read, the notice gone when the run stops', async () => {
  const s = useRunsStore.getState;
  calls.length = 0;
  const resuming = s().actions.resume('run-10');
  await tick();
  assert.equal(s().inFlight['run-10'], 'resume');
  emitRun({
    type: 'run-started',
    runId: 'run-10',
    env: 'lab',
    runbook: 'failover',
    at: 700,
    resumed: true,
    phase: 'run',
    steps: threeSteps,
  });
  journalStatus.set('run-10', 'running');
  finishResume({ ok: false, error: { kind: 'timeout', message: 'resumeRun got no answer within 15 s.' } });
  await resuming;
  assert.equal(s().runErrors['run-10'], undefined, 'not shown as an error');
  assert.ok(s().runNotices['run-10'], 'said softly');
  assert.ok(calls.includes('getRun run-10'), 're-read from the journal');
  emitRun({
    type: 'run-finished',
    runId: 'run-10',
    at: 900,
    status: 'succeeded',
    durationMs: 300,
    detail: null,
    rollbacksOffered: [],
  });
  assert.equal(s().runNotices['run-10'], undefined, 'the notice ends with the run');
});

test('a dropped connection ends "driven from here" (the stop event may be lost); the run is followed up after the reconnect', async () => {
  const s = useRunsStore.getState;
  s().setInFlight('run-10', 'resume');
  connection({ state: 'reconnecting' });
  assert.deepEqual(s().inFlight, {});
  connection({ state: 'connected' });
});

test('a refusal that started nothing is shown beside the Run button, and no run is adopted', async () => {
  const s = useRunsStore.getState;
  s().closeRun();
  await s().actions.plan();
  s().setConfirmText('lab');
  onExecute = () => ({ ok: false, error: { kind: 'unsafe-plan', message: 'the plan is refused' } });
  await s().actions.execute();
  assert.equal(s().executeError?.kind, 'unsafe-plan');
  assert.equal(s().openRunId, null);
  assert.ok(s().plan, 'the plan stays for another try');
  // a run started elsewhere later is not adopted as ours
  emitRun({
    type: 'run-started',
    runId: 'run-other',
    env: 'lab',
    runbook: 'failover',
    at: 900,
    resumed: false,
    phase: 'run',
    steps: [],
  });
  assert.equal(s().openRunId, null);
  assert.equal(s().inFlight['run-other'], undefined);
});

test('a lost answer to executeRun says the run may have started and where to look', async () => {
  const s = useRunsStore.getState;
  onExecute = () => ({
    ok: false,
    error: { kind: 'unreachable', message: 'Lost the connection to the Standby host (close code 1006).' },
  });
  await s().actions.execute();
  assert.equal(s().executeError?.kind, 'unreachable');
  assert.match(s().executeError?.hint ?? '', /run history/);
  assert.equal(s().openRunId, null);
});
