import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { verifyAuditLog } from '../../../electron/core/runbooks/audit-log.ts';
import type { RunPlan } from '../../../electron/core/runbooks/run-plan.ts';
import type { Runbook } from '../../../electron/core/runbooks/runbook-schema.ts';
import type { StepEffect } from '../../../electron/core/runbooks/step-plan.ts';
import { fakeRunbook, labSnapshot, makeHarness, parseParams, type Harness } from './fakes.ts';

async function plan(h: Harness, rb: Runbook): Promise<RunPlan> {
  const r = await h.engine.planRun(parseParams(rb, h.registry), 'lab');
  assert.equal(r.ok, true, r.ok ? '' : r.error.message);
  if (!r.ok) throw new Error('unreachable');
  return r.value;
}
const auditActions = (h: Harness) =>
  readFileSync(h.audit.file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { action: string; actor: string; details: Record<string, unknown> });
const toFailover: StepEffect = { type: 'dns-point', record: 'app.lab.test', toSite: 'failover', values: ['127.0.0.3'] };

test("the plan shows each step's changes, commands and every rule's verdict, and changes nothing", async () => {
  const h = makeHarness();
  try {
    h.world.values.k0 = 'old';
    const p = await plan(
      h,
      fakeRunbook([
        { params: { key: 'k0', value: 'new', effects: [toFailover] } },
        { params: { key: 'k1', value: 'v' } },
      ]),
    );
    assert.deepEqual(p.steps[0]!.plan?.changes, [{ target: 'k0', before: 'old', after: 'new' }]);
    assert.deepEqual(p.steps[0]!.plan?.commands, ['SET k0 new']);
    assert.equal(p.steps[0]!.title, 'set k0 to new');
    assert.ok(p.steps[0]!.verdicts.some((v) => v.rule === 'target-healthy-before-traffic' && v.verdict === 'pass'));
    const rules = Object.fromEntries(p.rules.map((r) => [r.rule, r.verdict]));
    assert.equal(rules['record-points-at-healthy-site'], 'pass');
    assert.equal(rules['fence-before-promote'], 'not-applicable');
    assert.equal(p.blocking.length, 0);
    assert.equal(h.world.values.k0, 'old');
    assert.equal(h.journal.listRuns().length, 0);
  } finally {
    h.close();
  }
});

test('a confirmation that is not the environment name is refused and nothing runs', async () => {
  const h = makeHarness();
  try {
    const p = await plan(h, fakeRunbook([{}]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'Lab' });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'invalid-input');
      assert.match(r.error.message, /"Lab" does not match the environment name "lab"/);
    }
    assert.equal(h.journal.listRuns().length, 0);
    assert.equal(h.locks.inspect('lab'), null);
    assert.deepEqual(h.world.applied, {});
  } finally {
    h.close();
  }
});

test('the journal is written before and after each step; every step verified; events tell the timeline', async () => {
  const seen: string[] = [];
  const rowOf = (key: string) => {
    const id = key === 'k0' ? 'one' : 'two';
    const run = h.journal.listRuns()[0]!;
    const row = h.journal.step(run.id, 'run', id)!;
    return `${id}:${row.state}:acted=${row.acted}`;
  };
  const h: Harness = makeHarness({
    hooks: { onAct: (p) => seen.push(`act ${rowOf(p.key)}`), onVerify: (p) => seen.push(`verify ${rowOf(p.key)}`) },
  });
  try {
    const p = await plan(h, fakeRunbook([{}, {}]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.value.status, 'succeeded');
    assert.deepEqual(seen, [
      'act one:acting:acted=true',
      'verify one:verifying:acted=true',
      'act two:acting:acted=true',
      'verify two:verifying:acted=true',
    ]);
    const steps = h.journal.steps(r.value.runId);
    assert.deepEqual(
      steps.map((s) => s.state),
      ['verified', 'verified'],
    );
    assert.ok(
      steps.every((s) => s.durationMs !== null && s.durationMs >= 0 && s.startedAt !== null && s.finishedAt !== null),
    );
    assert.match(steps[0]!.evidence!, /k0 reads back v/);
    assert.ok(h.journal.logs(r.value.runId, 'one').some((l) => l.message === 'set k0'));
    const types = h.events.map((e) => e.type);
    assert.deepEqual(
      types.filter((t) => t !== 'step-log'),
      ['run-started', 'step-started', 'step-finished', 'step-started', 'step-finished', 'run-finished'],
    );
    assert.equal(h.locks.inspect('lab'), null, 'the lock is released at the end');
    assert.equal(h.journal.getRun(r.value.runId)!.status, 'succeeded');
    assert.ok(verifyAuditLog(h.audit.file).ok);
    assert.deepEqual(
      auditActions(h).map((a) => a.action),
      ['run.start', 'step.start', 'step.finish', 'step.start', 'step.finish', 'run.finish'],
    );
  } finally {
    h.close();
  }
});

test('a step whose effect is already there is skipped, and says so', async () => {
  const h = makeHarness();
  try {
    h.world.values.k0 = 'v';
    const p = await plan(h, fakeRunbook([{}, {}]));
    assert.equal(p.steps[0]!.plan?.alreadyDone, true);
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'succeeded');
    if (!r.ok) return;
    const one = h.journal.step(r.value.runId, 'run', 'one')!;
    assert.equal(one.state, 'skipped');
    assert.match(one.evidence!, /^already done: k0 is v/);
    assert.equal(h.world.applied.k0, undefined, 'act never ran');
  } finally {
    h.close();
  }
});

test('a transient failure is retried with backoff and then verified', async () => {
  const h = makeHarness();
  try {
    h.world.failures.k0 = 2;
    const p = await plan(h, fakeRunbook([{ retry: { attempts: 3, backoffMs: 5 } }]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'succeeded', JSON.stringify(r));
    if (!r.ok) return;
    assert.equal(h.journal.step(r.value.runId, 'run', 'one')!.attempts, 3);
    assert.equal(h.journal.logs(r.value.runId, 'one').filter((l) => /retrying in/.test(l.message)).length, 2);
  } finally {
    h.close();
  }
});

test('a retryable failure after all retries pauses the run; resume continues from that step', async () => {
  const h = makeHarness();
  try {
    h.world.failures.k1 = 5;
    const p = await plan(h, fakeRunbook([{}, { retry: { attempts: 2, backoffMs: 1 } }, {}]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.value.status, 'paused');
    assert.equal(r.value.pauseReason, 'step-failed');
    assert.match(r.value.detail!, /step two failed: fake k1 failed/);
    assert.equal(h.locks.inspect('lab')?.state, 'paused', 'the environment stays locked while paused');
    assert.equal(h.journal.step(r.value.runId, 'run', 'two')!.error?.kind, 'unreachable');
    h.world.failures.k1 = 0;
    const again = await h.engine.resumeRun(r.value.runId);
    assert.ok(again.ok && again.value.status === 'succeeded', JSON.stringify(again));
    assert.equal(h.world.applied.k0, 1, 'step one was not run again');
    assert.equal(h.world.applied.k1, 1);
  } finally {
    h.close();
  }
});

test('a non-retryable failure fails the run; a verify mismatch pauses it', async () => {
  const h = makeHarness();
  try {
    h.world.failures.k0 = 1;
    const p = await plan(
      h,
      fakeRunbook([
        { params: { key: 'k0', value: 'v', failKind: 'invalid-input' }, retry: { attempts: 3, backoffMs: 1 } },
      ]),
    );
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'failed');
    if (r.ok) assert.equal(h.journal.step(r.value.runId, 'run', 'one')!.attempts, 1, 'not retried');
    const p2 = await plan(h, fakeRunbook([{ params: { key: 'k9', value: 'v', verifyFails: true } }]));
    const r2 = await h.engine.executeRun(p2, { confirmedEnvName: 'lab' });
    assert.ok(r2.ok && r2.value.status === 'paused' && r2.value.pauseReason === 'step-failed');
    if (r2.ok) assert.match(r2.value.detail!, /verification failed: k9 reads back v/);
  } finally {
    h.close();
  }
});

test('an act that exceeds timeoutMs is cut by the timeout and retried; isDone decides before the retry', async () => {
  const h = makeHarness();
  try {
    const p = await plan(
      h,
      fakeRunbook([
        { params: { key: 'k0', value: 'v', actMs: 10_000 }, timeoutMs: 100, retry: { attempts: 2, backoffMs: 1 } },
      ]),
    );
    const t0 = Date.now();
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(Date.now() - t0 < 5_000, 'bounded by the timeouts');
    assert.ok(r.ok && r.value.status === 'paused');
    if (!r.ok) return;
    const row = h.journal.step(r.value.runId, 'run', 'one')!;
    assert.equal(row.error?.kind, 'timeout');
    assert.equal(row.attempts, 2);
    assert.equal(h.world.applied.k0, undefined);
    assert.ok(
      h.events.some((e) => e.type === 'step-progress' && e.progress.remainingMs === 10_000),
      'progress is pushed',
    );
  } finally {
    h.close();
  }
});

test('an unsafe plan is refused naming the rule; an overridable refusal runs with a reason that lands in the audit log', async () => {
  const h = makeHarness();
  try {
    h.snapshot.current = labSnapshot({ failover: { state: 'unhealthy' } });
    const unsafe = await plan(h, fakeRunbook([{ params: { key: 'dns', value: 'failover', effects: [toFailover] } }]));
    const r = await h.engine.executeRun(unsafe, {
      confirmedEnvName: 'lab',
      overrides: [{ rule: 'record-points-at-healthy-site', reason: 'trying to force it anyway' }],
    });
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.kind, 'unsafe-plan');
      assert.match(
        r.error.message,
        /record-points-at-healthy-site refused — app\.lab\.test → failover, which is unhealthy/,
      );
    }
    h.snapshot.current = labSnapshot({ db: { 'pg-replica': { lagSeconds: 30 } } });
    const promote: StepEffect[] = [{ type: 'db-promote', node: 'pg-replica' }];
    const lagging = await plan(
      h,
      fakeRunbook([
        { params: { key: 'fence', value: 'y', effects: [{ type: 'db-fence', node: 'pg-primary' }] } },
        { params: { key: 'promote', value: 'y', effects: promote } },
      ]),
    );
    assert.deepEqual(
      lagging.blocking.map((v) => v.rule),
      ['lag-within-rpo'],
    );
    const short = await h.engine.executeRun(lagging, {
      confirmedEnvName: 'lab',
      overrides: [{ rule: 'lag-within-rpo', reason: 'meh' }],
    });
    assert.ok(!short.ok && short.error.kind === 'invalid-input', 'a reason under 10 characters is refused');
    const reason = 'primary site burned down; accept 30 s loss';
    const forced = await h.engine.executeRun(lagging, {
      confirmedEnvName: 'lab',
      overrides: [{ rule: 'lag-within-rpo', reason }],
    });
    assert.ok(forced.ok && forced.value.status === 'succeeded', JSON.stringify(forced));
    const audit = auditActions(h);
    assert.ok(audit.some((a) => a.action === 'safety.override' && a.details.reason === reason));
    assert.ok(
      audit.some(
        (a) => a.action === 'safety.override-applied' && a.details.reason === reason && a.details.stepId === 'two',
      ),
    );
  } finally {
    h.close();
  }
});

test('the safety re-check before a step pauses the run when live state turned unsafe', async () => {
  const h: Harness = makeHarness({
    hooks: {
      onAct: (p) => {
        if (p.key === 'k0') h.snapshot.current = labSnapshot({ failover: { state: 'unhealthy' } });
      },
    },
  });
  try {
    const p = await plan(h, fakeRunbook([{}, { params: { key: 'dns', value: 'failover', effects: [toFailover] } }]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.value.status, 'paused');
    assert.equal(r.value.pauseReason, 'safety');
    assert.match(r.value.detail!, /step two: record-points-at-healthy-site refused/);
    assert.equal(h.world.values.dns, undefined, 'the refused step did not act');
    const paused = h.events.find((e) => e.type === 'run-paused');
    assert.ok(
      paused && paused.type === 'run-paused' && paused.verdicts.some((v) => v.rule === 'record-points-at-healthy-site'),
    );
    h.snapshot.current = labSnapshot();
    const again = await h.engine.resumeRun(r.value.runId);
    assert.ok(again.ok && again.value.status === 'succeeded');
  } finally {
    h.close();
  }
});

test('an approval step pauses the run until someone approves; with the two-person rule the starter cannot', async () => {
  const h = makeHarness({ engine: { distinctApprover: true } });
  try {
    const rb = fakeRunbook([{}, { id: 'go', kind: 'fake.approval', params: { note: 'DBA agrees' } }, {}]);
    const p = await plan(h, rb);
    assert.equal(p.steps[1]!.requiresApproval, true);
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'paused' && r.value.pauseReason === 'approval');
    if (!r.ok) return;
    assert.equal(h.journal.step(r.value.runId, 'run', 'go')!.state, 'awaiting-approval');
    assert.equal(h.world.values.k2, undefined, 'nothing after the gate ran');
    const self = await h.engine.approve(r.value.runId, 'go', 'alice@test');
    assert.ok(!self.ok && self.error.kind === 'auth');
    const wrong = await h.engine.approve(r.value.runId, 'three', 'bob@test');
    assert.ok(!wrong.ok && wrong.error.kind === 'conflict');
    const ok = await h.engine.approve(r.value.runId, 'go', 'bob@test');
    assert.ok(ok.ok && ok.value.status === 'succeeded', JSON.stringify(ok));
    assert.match(h.journal.step(r.value.runId, 'run', 'go')!.evidence!, /approved by bob@test/);
    assert.equal(h.world.applied.k0, 1);
    assert.ok(auditActions(h).some((a) => a.action === 'step.approve' && a.actor === 'bob@test'));
  } finally {
    h.close();
  }
});

test('abort stops after the current step and offers rollbacks; rollbackRun undoes verified steps, last first, never skipped ones', async () => {
  let runId = '';
  const h: Harness = makeHarness({
    hooks: {
      onAct: (p) => {
        if (p.key === 'k1') void h.engine.abort(runId, 'carol@test', 'wrong environment window');
      },
    },
  });
  try {
    h.world.values.k0 = 'v'; // already done: will be skipped, must not be rolled back
    h.world.values.k1 = 'before';
    const rb = fakeRunbook([{}, { rollback: { kind: 'fake.set', params: { key: 'k1', value: 'before' } } }, {}]);
    const p = await plan(h, rb);
    h.events.length = 0;
    const started = h.engine.executeRun(p, {
      confirmedEnvName: 'lab',
      onEvent: (e) => {
        if (e.type === 'run-started') runId = e.runId;
      },
    });
    const r = await started;
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.value.status, 'aborted');
    assert.equal(h.journal.step(runId, 'run', 'two')!.state, 'verified', 'the current step finished');
    assert.equal(h.journal.step(runId, 'run', 'three')!.state, 'pending', 'nothing after it ran');
    assert.deepEqual(r.value.rollbacksOffered, ['two']);
    const fin = h.events.find((e) => e.type === 'run-finished');
    assert.ok(fin && fin.type === 'run-finished' && fin.rollbacksOffered[0] === 'two');
    const rolled = await h.engine.rollbackRun(runId);
    assert.ok(rolled.ok && rolled.value.status === 'rolled-back', JSON.stringify(rolled));
    assert.equal(h.world.values.k1, 'before');
    assert.equal(h.world.values.k0, 'v', 'the skipped step was left alone');
    assert.equal(h.journal.step(runId, 'rollback', 'two')!.state, 'verified');
    const twice = await h.engine.rollbackRun(runId);
    assert.ok(!twice.ok && twice.error.kind === 'conflict', 'a rolled-back run is not rolled back twice');
  } finally {
    h.close();
  }
});

test('abort of a paused run ends it at once; the kind\'s own rollback restores the recorded "before"', async () => {
  const h = makeHarness();
  try {
    h.world.values.k0 = 'orig';
    const p = await plan(h, fakeRunbook([{}, { id: 'gate', kind: 'fake.approval', params: {} }]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'paused');
    if (!r.ok) return;
    const a = await h.engine.abort(r.value.runId, 'bob@test', 'not today');
    assert.ok(a.ok && a.value.immediate && a.value.status === 'aborted');
    if (a.ok) assert.deepEqual(a.value.rollbacksOffered, ['one']);
    assert.equal(h.locks.inspect('lab'), null);
    const rolled = await h.engine.rollbackRun(r.value.runId);
    assert.ok(rolled.ok && rolled.value.status === 'rolled-back');
    assert.equal(h.world.values.k0, 'orig');
  } finally {
    h.close();
  }
});

test('onFailure: rollback reverts by itself when a step fails for good', async () => {
  const h = makeHarness();
  try {
    h.world.values.slot = 'blue';
    h.world.failures.check = 1;
    const rb = fakeRunbook(
      [
        { id: 'switch', params: { key: 'slot', value: 'green' } },
        { id: 'post-check', params: { key: 'check', value: 'ok', failKind: 'invalid-input' } },
      ],
      { kind: 'blue-green', onFailure: 'rollback' },
    );
    const r = await h.engine.executeRun(await plan(h, rb), { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'rolled-back', JSON.stringify(r));
    // The failed step had acted (possibly partly), so its rollback runs too, last first.
    if (r.ok) assert.match(r.value.detail!, /step post-check failed: .*rolled back: post-check, switch/);
    assert.equal(h.world.values.slot, 'blue');
  } finally {
    h.close();
  }
});

test("a plan runs at most once, only from the engine's own copy, and not when it is too old", async () => {
  let t = 1_000_000;
  const h = makeHarness({ engine: { now: () => t, planMaxAgeMs: 60_000 } });
  try {
    const p = await plan(h, fakeRunbook([{}]));
    // A caller's edited copy is ignored: the engine's stored plan (with its verdicts) is what runs.
    const r = await h.engine.executeRun({ ...p, verdicts: [], env: 'elsewhere' } as RunPlan, {
      confirmedEnvName: 'lab',
    });
    assert.ok(r.ok && r.value.status === 'succeeded');
    const again = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(!again.ok && again.error.kind === 'not-found', 'a double click does not run it twice');
    const old = await plan(h, fakeRunbook([{}]));
    t += 61_000;
    const late = await h.engine.executeRun(old, { confirmedEnvName: 'lab' });
    assert.ok(!late.ok && late.error.kind === 'conflict');
    if (!late.ok) assert.match(late.error.message, /the plan is 61 s old \(limit 60 s\)/);
  } finally {
    h.close();
  }
});

test('a continueOnError step that fails lets the run go on, which then ends failed naming it and the overrides; never "succeeded"', async () => {
  const h = makeHarness();
  try {
    h.world.failures.k0 = 1;
    const p = await plan(h, fakeRunbook([{ continueOnError: true }, {}]));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok, JSON.stringify(r));
    if (!r.ok) return;
    assert.equal(r.value.status, 'failed');
    assert.match(
      r.value.detail!,
      /every other step verified, but this step was not \(continueOnError\): one \(fake k0 failed/,
    );
    assert.equal(h.world.values.k1, 'v', 'the step after it ran');
    assert.equal(h.journal.step(r.value.runId, 'run', 'two')!.state, 'verified');
  } finally {
    h.close();
  }
});

test('a continueOnError fence that fails: the promotion after it pauses on fence-before-promote; resumed with an override it runs, and the failed fence is tried again', async () => {
  const h = makeHarness();
  try {
    h.world.failures.fence = 2;
    const fence: StepEffect[] = [{ type: 'db-fence', node: 'pg-primary' }];
    const promote: StepEffect[] = [{ type: 'db-promote', node: 'pg-replica' }];
    const p = await plan(
      h,
      fakeRunbook([
        { params: { key: 'fence', value: 'y', effects: fence }, continueOnError: true },
        { params: { key: 'promote', value: 'y', effects: promote } },
      ]),
    );
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'paused' && r.value.pauseReason === 'safety', JSON.stringify(r));
    if (!r.ok) return;
    assert.match(
      r.value.detail!,
      /step two: fence-before-promote refused \(overridable with a reason\) — promoting pg-replica: pg-primary is primary and fence step one is failed, not verified/,
    );
    assert.equal(h.world.values.promote, undefined, 'no promotion without a verified fence or an override');
    const reason = 'old primary host powered off by the provider';
    const forced = await h.engine.resumeRun(r.value.runId, { overrides: [{ rule: 'fence-before-promote', reason }] });
    assert.ok(forced.ok, JSON.stringify(forced));
    if (!forced.ok) return;
    assert.equal(h.world.values.promote, 'y', 'promoted under the override');
    assert.equal(forced.value.status, 'failed', 'the fence is still not verified: the run does not claim success');
    assert.match(forced.value.detail!, new RegExp(`fence-before-promote — "${reason}"`));
    assert.equal(h.journal.step(r.value.runId, 'run', 'one')!.attempts, 2, 'the resume tried the failed fence again');
    assert.ok(
      auditActions(h).some(
        (a) => a.action === 'safety.override-applied' && a.details.reason === reason && a.details.stepId === 'two',
      ),
    );
  } finally {
    h.close();
  }
});
