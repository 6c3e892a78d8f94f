import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  currentStep,
  mergeLogs,
  mergeRunDetail,
  reduceRunEvent,
  runElapsedMs,
  stepElapsedMs,
  timelineFromPlan,
  type RunTimeline,
} from '../../../../../renderer/src/features/runs/run-timeline.ts';
import type { RunEvent } from '../../../../../shared/runs/run-event.ts';
import { detail, plan, stepDetail } from './run-fixtures.ts';

const steps = [
  { id: 'a', kind: 'wait', title: 'A' },
  { id: 'b', kind: 'approval', title: 'B' },
  { id: 'c', kind: 'dns.set-records', title: 'C' },
];

/** Reduce events, each received 5 ms (page clock) after its host time + 1,000,000 skew. */
function run(events: RunEvent[], start?: RunTimeline): RunTimeline {
  let tl = start;
  for (const e of events) tl = reduceRunEvent(tl, e, e.at + 1_000_000 + 5);
  return tl!;
}

const started: RunEvent = {
  type: 'run-started',
  runId: 'r1',
  env: 'lab',
  runbook: 'failover',
  at: 100,
  resumed: false,
  phase: 'run',
  steps,
};

test('a run reduces to a timeline: started → acting → verified, logs and progress per step', () => {
  const tl = run([
    started,
    { type: 'step-started', runId: 'r1', phase: 'run', stepId: 'a', index: 0, at: 110, verdicts: [] },
    { type: 'step-log', runId: 'r1', phase: 'run', stepId: 'a', at: 111, level: 'info', message: 'acting (attempt 1)' },
    {
      type: 'step-progress',
      runId: 'r1',
      phase: 'run',
      stepId: 'a',
      at: 112,
      progress: { message: 'old TTL drains in 23 s', remainingMs: 23_000, fraction: 0.2 },
    },
  ]);
  assert.equal(tl.status, 'running');
  assert.equal(tl.createdAt, 100);
  assert.deepEqual(
    tl.steps.map((s) => s.state),
    ['acting', 'pending', 'pending'],
  );
  assert.equal(tl.steps[0]!.logs.length, 1);
  assert.equal(tl.steps[0]!.progress?.remainingMs, 23_000);
  assert.equal(tl.clockOffsetMs, 1_000_005);
  assert.equal(currentStep(tl)?.id, 'a');

  const done = run(
    [
      {
        type: 'step-finished',
        runId: 'r1',
        phase: 'run',
        stepId: 'a',
        at: 150,
        state: 'verified',
        durationMs: 40,
        evidence: 'ok',
        error: null,
        attempts: 1,
      },
    ],
    tl,
  );
  assert.equal(done.steps[0]!.state, 'verified');
  assert.equal(done.steps[0]!.durationMs, 40);
  assert.equal(done.steps[0]!.progress, null, 'a finished wait shows no countdown');
});

test('an approval pause marks the step awaiting approval; run-finished ends the run with its rollbacks', () => {
  const tl = run([
    started,
    {
      type: 'step-finished',
      runId: 'r1',
      phase: 'run',
      stepId: 'a',
      at: 120,
      state: 'skipped',
      durationMs: 3,
      evidence: 'already done: x',
      error: null,
      attempts: 0,
    },
    {
      type: 'run-paused',
      runId: 'r1',
      at: 130,
      reason: 'approval',
      stepId: 'b',
      detail: 'waiting for an approval of step b',
      verdicts: [],
    },
  ]);
  assert.equal(tl.status, 'paused');
  assert.equal(tl.pause?.reason, 'approval');
  assert.equal(tl.steps[1]!.state, 'awaiting-approval');
  assert.equal(currentStep(tl)?.id, 'b');

  const aborted = run(
    [
      {
        type: 'run-finished',
        runId: 'r1',
        at: 200,
        status: 'aborted',
        durationMs: 100,
        detail: 'aborted by alice',
        rollbacksOffered: ['a'],
      },
    ],
    { ...tl, abortRequested: true },
  );
  assert.equal(aborted.status, 'aborted');
  assert.equal(aborted.pause, null);
  assert.equal(aborted.abortRequested, false);
  assert.deepEqual(aborted.rollbacksOffered, ['a']);
  assert.equal(aborted.durationMs, 100);
});

test('a resumed run keeps the states of its completed steps; rollback steps are a separate phase', () => {
  const tl = run([
    started,
    {
      type: 'step-finished',
      runId: 'r1',
      phase: 'run',
      stepId: 'a',
      at: 120,
      state: 'verified',
      durationMs: 10,
      evidence: 'ok',
      error: null,
      attempts: 1,
    },
  ]);
  const resumed = run([{ ...started, at: 500, resumed: true } as RunEvent], tl);
  assert.equal(resumed.steps[0]!.state, 'verified');
  assert.equal(resumed.createdAt, 100, 'a resume does not move the run start');

  const rb = run(
    [
      {
        type: 'run-started',
        runId: 'r1',
        env: 'lab',
        runbook: 'failover',
        at: 600,
        resumed: true,
        phase: 'rollback',
        steps: [{ id: 'a', kind: 'wait', title: 'undo a' }],
      },
      { type: 'step-started', runId: 'r1', phase: 'rollback', stepId: 'a', index: 0, at: 601, verdicts: [] },
    ],
    resumed,
  );
  assert.equal(rb.status, 'rolling-back');
  assert.equal(rb.steps[0]!.state, 'verified', 'the run phase is untouched');
  assert.equal(rb.rollbackSteps[0]!.state, 'acting');
  assert.equal(rb.rollbackSteps[0]!.title, 'undo a');
});

test('events of a run first seen mid-way create the steps they name', () => {
  const tl = run([
    {
      type: 'step-progress',
      runId: 'r9',
      phase: 'run',
      stepId: 'wait-lag',
      at: 50,
      progress: { message: 'lag 1200 bytes', value: 1200, unit: 'bytes' },
    },
  ]);
  assert.equal(tl.runId, 'r9');
  assert.equal(tl.steps[0]!.id, 'wait-lag');
  assert.equal(tl.steps[0]!.state, 'acting');
});

test('a getRun detail fills what the page missed, but never rewinds a step the events moved on', () => {
  const live = run([
    started,
    { type: 'step-started', runId: 'r1', phase: 'run', stepId: 'a', index: 0, at: 20_000, verdicts: [] },
  ]);
  // detail fetched earlier (journal says a is still pending): live wins for a
  const stale = detail({
    createdAt: 100,
    steps: [stepDetail('a', 0, { state: 'pending' }), stepDetail('b', 1), stepDetail('c', 2)],
  });
  const m1 = mergeRunDetail(live, stale);
  assert.equal(m1.steps[0]!.state, 'acting');
  assert.equal(m1.status, 'running');
  assert.equal(m1.rtoObjectiveSeconds, 60, 'summary facts always come from the journal');
  assert.ok(m1.plan);

  // newer detail: a verified with logs the page never saw; the run succeeded
  const fresh = detail({
    createdAt: 100,
    status: 'succeeded',
    finishedAt: 30_000,
    durationMs: 29_900,
    recoveryMs: 4_200,
    steps: [
      stepDetail('a', 0, {
        state: 'verified',
        startedAt: 20_000,
        finishedAt: 21_000,
        durationMs: 1000,
        logs: [{ at: 20_500, level: 'info', message: 'x' }],
      }),
      stepDetail('b', 1, { state: 'verified', finishedAt: 22_000 }),
      stepDetail('c', 2, { state: 'skipped', finishedAt: 23_000 }),
    ],
  });
  const m2 = mergeRunDetail(m1, fresh);
  assert.deepEqual(
    m2.steps.map((s) => s.state),
    ['verified', 'verified', 'skipped'],
  );
  assert.equal(m2.status, 'succeeded');
  assert.equal(m2.recoveryMs, 4_200);
  assert.equal(m2.steps[0]!.logs.length, 1);
});

test('detail-only timeline: plan steps without journal rows show pending; a paused approval names its step', () => {
  const d = detail({
    status: 'paused',
    pauseReason: 'approval',
    detail: 'waiting for an approval of step b',
    steps: [
      stepDetail('a', 0, { state: 'verified', finishedAt: 11_000 }),
      stepDetail('b', 1, { state: 'awaiting-approval' }),
    ],
  });
  const tl = mergeRunDetail(undefined, d);
  assert.deepEqual(
    tl.steps.map((s) => `${s.id}:${s.state}`),
    ['a:verified', 'b:awaiting-approval', 'c:pending'],
  );
  assert.equal(tl.pause?.reason, 'approval');
  assert.equal(tl.pause?.stepId, 'b');
});

test('mergeLogs de-duplicates the same line from events and the journal', () => {
  const a = [
    { at: 1, level: 'info' as const, message: 'x' },
    { at: 3, level: 'info' as const, message: 'z' },
  ];
  const b = [
    { at: 1, level: 'info' as const, message: 'x' },
    { at: 2, level: 'warn' as const, message: 'y' },
  ];
  assert.deepEqual(
    mergeLogs(a, b).map((l) => l.message),
    ['x', 'y', 'z'],
  );
});

test('elapsed time: final duration, else live from the page clock, else host times shifted by the offset', () => {
  const tl = run([
    started,
    { type: 'step-started', runId: 'r1', phase: 'run', stepId: 'a', index: 0, at: 110, verdicts: [] },
  ]);
  const s = tl.steps[0]!;
  const receivedAt = 110 + 1_000_005;
  assert.equal(stepElapsedMs(s, receivedAt + 2_500, tl.clockOffsetMs), 2_500);
  assert.equal(stepElapsedMs({ ...s, startedReceivedAt: null }, receivedAt + 2_500, tl.clockOffsetMs), 2_500);
  assert.equal(stepElapsedMs({ ...s, durationMs: 42, state: 'verified' }, 0, 0), 42);
  assert.equal(stepElapsedMs(tl.steps[1]!, receivedAt, 0), null, 'a pending step has no duration');
  assert.equal(runElapsedMs(tl, 100 + 1_000_005 + 3_000), 3_000);
});

test('a detail asked for after the last event is the journal’s truth: rollbacks offered on a pause', () => {
  const tl = run([
    started,
    {
      type: 'step-finished',
      runId: 'r1',
      phase: 'run',
      stepId: 'a',
      at: 20_000,
      state: 'verified',
      durationMs: 10,
      evidence: 'ok',
      error: null,
      attempts: 1,
    },
    {
      type: 'step-finished',
      runId: 'r1',
      phase: 'run',
      stepId: 'b',
      at: 21_000,
      state: 'failed',
      durationMs: 10,
      evidence: null,
      error: { kind: 'timeout', message: 'x' },
      attempts: 3,
    },
    {
      type: 'run-paused',
      runId: 'r1',
      at: 21_001,
      reason: 'step-failed',
      stepId: 'b',
      detail: 'step b failed',
      verdicts: [],
    },
  ]);
  const d = detail({
    createdAt: 100,
    status: 'paused',
    pauseReason: 'step-failed',
    detail: 'step b failed',
    rollbacksOffered: ['a'],
    steps: [
      stepDetail('a', 0, { state: 'verified', startedAt: 19_990, finishedAt: 20_000 }),
      stepDetail('b', 1, { state: 'failed', startedAt: 20_990, finishedAt: 21_000 }),
      stepDetail('c', 2),
    ],
  });
  // asked before the pause event arrived → timestamps decide: the run-level facts stay live
  assert.deepEqual(mergeRunDetail(tl, d, tl.eventCount - 1).rollbacksOffered, []);
  // asked after it → the journal is authoritative
  const m = mergeRunDetail(tl, d, tl.eventCount);
  assert.deepEqual(m.rollbacksOffered, ['a']);
  assert.equal(m.status, 'paused');
  assert.equal(m.pause?.stepId, 'b', 'the live pause keeps the step it named');
});

test('a run this page starts is seeded from its plan: every step pending, in plan order, before any event', () => {
  const p = plan();
  const tl = timelineFromPlan('r1', p);
  assert.equal(tl.runId, 'r1');
  assert.equal(tl.plan, p);
  assert.deepEqual(
    tl.steps.map((s) => [s.id, s.state]),
    p.steps.map((s) => [s.id, 'pending']),
  );
  assert.deepEqual(tl.rollbackSteps, []);
});
