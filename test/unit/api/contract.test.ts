/**
 * The contract as merged slices: every method and event comes from exactly one capability file,
 * and every event payload has a real schema (a malformed payload is refused, a real one kept).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  consoleApi,
  consoleEventNames,
  consoleEvents,
  consoleMethodNames,
  ipcChannel,
} from '../../../shared/contract/index.ts';
import { monitorEvents, monitorMethods } from '../../../shared/contract/monitor.ts';
import { runsEvents, runsMethods } from '../../../shared/contract/runs.ts';
import { runOutcomeOf } from '../../../shared/runs/run-summary.ts';
import { labSnapshot } from '../runbooks/fakes.ts';
import { detail, stepDetail } from '../renderer/features/runs/run-fixtures.ts';

test('the index is the union of the slices, without a name in two slices', () => {
  const methods = [...Object.keys(monitorMethods), ...Object.keys(runsMethods)];
  assert.equal(new Set(methods).size, methods.length, 'no method in two slices');
  assert.deepEqual([...consoleMethodNames].sort(), methods.sort());
  const events = [...Object.keys(monitorEvents), ...Object.keys(runsEvents)];
  assert.equal(new Set(events).size, events.length, 'no event in two slices');
  assert.deepEqual([...consoleEventNames].sort(), events.sort());
  assert.ok(consoleEventNames.includes('run-recovery-measured') && consoleEventNames.includes('lock-changed'));
  assert.equal(ipcChannel('lock-changed'), 'standby:lock-changed');
  assert.equal(consoleApi.executeRun, runsMethods.executeRun);
});

test('every event refuses a payload that is not its shape', () => {
  for (const name of consoleEventNames) assert.equal(consoleEvents[name].safeParse({}).success, false, name);
  assert.equal(
    consoleEvents.run.safeParse({ type: 'run-exploded', runId: 'r', at: 1 }).success,
    false,
    'unknown run event type',
  );
  assert.equal(
    consoleEvents.run.safeParse({
      type: 'run-finished',
      runId: 'r',
      at: 1,
      status: 'done',
      durationMs: 1,
      detail: null,
      rollbacksOffered: [],
    }).success,
    false,
    'unknown status',
  );
});

test('a snapshot is checked field by field: a real one passes whole, one odd field drops it', () => {
  const snap = labSnapshot({ primary: { state: 'unhealthy' } });
  const parsed = consoleEvents.snapshot.safeParse({ env: 'lab', snapshot: snap });
  assert.ok(parsed.success, JSON.stringify(parsed.error?.issues));
  assert.deepEqual(parsed.data.snapshot, snap, 'nothing lost on the way');
  const odd = structuredClone(snap);
  (odd.sites[0]!.entry as { state: string }).state = 'green';
  const refused = consoleEvents.snapshot.safeParse({ env: 'lab', snapshot: odd });
  assert.equal(refused.success, false);
  assert.deepEqual(refused.error?.issues[0]?.path, ['snapshot', 'sites', 0, 'entry', 'state']);
});

test('run events, recovery and lock payloads of the real shapes pass', () => {
  const events = [
    {
      type: 'run-started',
      runId: 'r',
      env: 'lab',
      runbook: 'failover',
      at: 1,
      resumed: false,
      phase: 'run',
      steps: [{ id: 'a', kind: 'wait', title: 'A' }],
    },
    {
      type: 'step-progress',
      runId: 'r',
      phase: 'run',
      stepId: 'a',
      at: 2,
      progress: { message: 'old TTL drains in 23 s', remainingMs: 23_000, fraction: 0.2 },
    },
    {
      type: 'step-finished',
      runId: 'r',
      phase: 'run',
      stepId: 'a',
      at: 3,
      state: 'failed',
      durationMs: 5,
      evidence: null,
      error: { kind: 'unreachable', message: 'ECONNREFUSED', hint: 'start it' },
      attempts: 2,
    },
    {
      type: 'run-paused',
      runId: 'r',
      at: 4,
      reason: 'safety',
      stepId: 'a',
      detail: 'refused',
      verdicts: [{ rule: 'lag-within-rpo', stepId: 'a', verdict: 'refuse', evidence: 'lag 9 s', overridable: true }],
    },
  ];
  for (const e of events) assert.ok(consoleEvents.run.safeParse(e).success, e.type);
  assert.ok(
    consoleEvents['run-recovery-measured'].safeParse({
      runId: 'r',
      env: 'lab',
      recovery: { ms: 4200, from: 'first-failed-probe', startedAt: 1, rtoObjectiveSeconds: 60 },
    }).success,
  );
  assert.ok(
    consoleEvents['lock-changed'].safeParse({
      env: 'lab',
      lock: { env: 'lab', held: true, runId: 'r', holder: 'paused@ops', since: 1, stale: false, staleReason: null },
    }).success,
  );
});

test('runOutcomeOf reads a run back as the engine hands it over: pause reason only while paused, duration only once ended', () => {
  const paused = runOutcomeOf(
    detail({
      runId: 'r',
      status: 'paused',
      pauseReason: 'approval',
      durationMs: 5,
      steps: [stepDetail('a', 0, { state: 'awaiting-approval' })],
    }),
  );
  assert.deepEqual(paused, {
    runId: 'r',
    status: 'paused',
    pauseReason: 'approval',
    detail: null,
    steps: [{ id: 'a', phase: 'run', state: 'awaiting-approval', durationMs: null, evidence: null, error: null }],
    rollbacksOffered: [],
    durationMs: null,
  });
  const ended = runOutcomeOf(
    detail({ runId: 'r', status: 'failed', pauseReason: 'step-failed', durationMs: 900, rollbacksOffered: ['a'] }),
  );
  assert.equal(ended.pauseReason, null);
  assert.equal(ended.durationMs, 900);
  assert.deepEqual(ended.rollbacksOffered, ['a']);
});
