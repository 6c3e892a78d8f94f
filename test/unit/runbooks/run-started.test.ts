/**
 * The engine's `start…` methods answer once a run is under way (what the contract's run calls
 * answer with), and the lock tells every change this process makes to it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunPlan } from '../../../electron/core/runbooks/run-plan.ts';
import { fakeRunbook, makeHarness, parseParams, type Harness } from './fakes.ts';

async function plan(h: Harness, rb = fakeRunbook([{}])): Promise<RunPlan> {
  const r = await h.engine.planRun(parseParams(rb, h.registry), 'lab');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

test('startRun answers with the run id while the run still acts; `stopped` tells where it stopped', async () => {
  const h = makeHarness();
  try {
    const started = await h.engine.startRun(
      await plan(h, fakeRunbook([{ params: { key: 'k0', value: 'v', actMs: 300 } }, {}])),
      { confirmedEnvName: 'lab' },
    );
    assert.ok(started.ok, started.ok ? '' : started.error.message);
    const { runId, stopped } = started.value;
    assert.equal(h.journal.getRun(runId)?.status, 'running', 'answered while the run is under way');
    assert.ok(
      h.events.some((e) => e.type === 'run-started' && e.runId === runId),
      'its run-started event is already out',
    );
    assert.ok(!h.events.some((e) => e.type === 'run-finished'));
    const out = await stopped;
    assert.ok(out.ok && out.value.status === 'succeeded', JSON.stringify(out));
    assert.equal(h.events.at(-1)?.type, 'run-finished');
  } finally {
    h.close();
  }
});

test('refusals come back from startRun itself, with nothing started', async () => {
  const h = makeHarness();
  try {
    const p = await plan(h);
    const wrong = await h.engine.startRun(p, { confirmedEnvName: 'Lab' });
    assert.ok(!wrong.ok && wrong.error.kind === 'invalid-input');
    const unknown = await h.engine.startRun({ planId: 'nope' }, { confirmedEnvName: 'lab' });
    assert.ok(!unknown.ok && unknown.error.kind === 'not-found');
    assert.deepEqual(h.events, []);
    assert.equal(h.locks.inspect('lab'), null);
  } finally {
    h.close();
  }
});

test('startApprove answers once the approved run runs again; startResume and startRollback refuse what they cannot do', async () => {
  const h = makeHarness();
  try {
    const first = await h.engine.executeRun(
      await plan(h, fakeRunbook([{ id: 'gate', kind: 'fake.approval', params: {} }, {}])),
      { confirmedEnvName: 'lab' },
    );
    assert.ok(first.ok && first.value.status === 'paused');
    const { runId } = first.value;
    const notWaiting = await h.engine.startApprove(runId, 'two', 'bob@test');
    assert.ok(!notWaiting.ok && notWaiting.error.kind === 'conflict');
    const approved = await h.engine.startApprove(runId, 'gate', 'bob@test');
    assert.ok(approved.ok && approved.value.runId === runId);
    const done = await approved.value.stopped;
    assert.ok(done.ok && done.value.status === 'succeeded', JSON.stringify(done));
    const again = await h.engine.startResume(runId);
    assert.ok(!again.ok && again.error.kind === 'conflict', 'an ended run does not resume');
    const nothing = await h.engine.startRollback(runId);
    assert.ok(!nothing.ok && nothing.error.kind === 'conflict', 'a succeeded run has nothing to roll back');
  } finally {
    h.close();
  }
});

test('the lock tells each change this process makes (taken, paused, taken back, released), never a heartbeat', async () => {
  const changes: string[] = [];
  const h = makeHarness({
    lock: { onChange: (env) => changes.push(`${env}:${h.locks.inspect(env)?.state ?? 'free'}`) },
  });
  try {
    const paused = await h.engine.executeRun(
      await plan(h, fakeRunbook([{ id: 'gate', kind: 'fake.approval', params: {} }])),
      { confirmedEnvName: 'lab' },
    );
    assert.ok(paused.ok && paused.value.status === 'paused');
    assert.deepEqual(changes, ['lab:active', 'lab:paused']);
    h.locks.heartbeat('lab', paused.value.runId);
    h.locks.release('lab', 'some-other-run');
    assert.equal(changes.length, 2, 'a heartbeat or a release of a lock not held changes nothing');
    const done = await h.engine.approve(paused.value.runId, 'gate', 'bob@test');
    assert.ok(done.ok && done.value.status === 'succeeded');
    assert.deepEqual(changes, ['lab:active', 'lab:paused', 'lab:active', 'lab:free']);
  } finally {
    h.close();
  }
});
