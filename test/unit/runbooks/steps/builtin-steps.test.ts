import { test } from 'node:test';
import assert from 'node:assert/strict';
import { builtinStepKinds, createBuiltinStepRegistry } from '../../../../electron/core/runbooks/builtin-steps.ts';
import { parseRunbook } from '../../../../electron/core/runbooks/load-runbook.ts';
import { approvalKind } from '../../../../electron/core/runbooks/steps/approval.ts';
import { waitKind, waitParams } from '../../../../electron/core/runbooks/steps/wait.ts';
import { stepService } from '../../../../electron/core/runbooks/step-services.ts';
import { StepError } from '../../../../electron/core/runbooks/step-error.ts';
import { makeHarness, parseParams } from '../fakes.ts';
import { stepWorld } from './step-fakes.ts';

test('the registry holds every built-in kind of issue 3', () => {
  assert.deepEqual(createBuiltinStepRegistry().names(), [
    'approval',
    'db.await-lag',
    'db.fence',
    'db.promote',
    'db.rejoin',
    'dns.set-records',
    'dns.set-ttl',
    'http.await-healthy',
    'ssh.run',
    'traffic.switch-slot',
    'wait',
  ]);
  assert.equal(builtinStepKinds.length, 11);
});

test('a failover runbook with the built-in kinds loads; a bad param points into the file', () => {
  const registry = createBuiltinStepRegistry();
  const yaml = `version: 1
name: failover
kind: failover
steps:
  - { id: go, kind: approval, params: { message: "primary site is down?" } }
  - { id: fence, kind: db.fence, params: { node: pg-primary } }
  - { id: promote, kind: db.promote, params: { node: pg-replica } }
  - { id: dns, kind: dns.set-records, params: { record: app.lab.test, site: failover, ttlSeconds: 5 } }
  - { id: gate, kind: http.await-healthy, params: { site: failover } }
`;
  const r = parseRunbook(yaml, '/ws/failover.yaml', registry);
  assert.equal(r.ok, true, r.ok ? '' : JSON.stringify(r.issues));
  if (r.ok) assert.deepEqual(r.runbook.steps[1]!.params, { node: 'pg-primary', mode: 'hard' });
  const bad = parseRunbook(
    yaml.replace('site: failover, ttlSeconds', 'site: failover, value: 127.0.0.3, ttlSeconds'),
    '/ws/failover.yaml',
    registry,
  );
  assert.equal(bad.ok, false);
  if (!bad.ok)
    assert.match(`${bad.issues[0]!.line} ${bad.issues[0]!.message}`, /^8 .*exactly one of "site" or "value"/);
});

test('wait counts down every second; approval is a gate the engine pauses at', async () => {
  const w = stepWorld();
  await waitKind.act(w.ctx(), waitParams.parse({ seconds: 2.5, reason: 'drain' }), (p) => w.progress.push(p));
  assert.deepEqual(
    w.progress.map((p) => [p.message, p.remainingMs]),
    [
      ['3 s left (drain)', 2500],
      ['2 s left (drain)', 1500],
      ['1 s left (drain)', 500],
      ['0 s left (drain)', 0],
    ],
  );
  assert.equal(w.clock.t - 1_000_000, 2500);

  const h = makeHarness({ kinds: [approvalKind] });
  try {
    const rb = parseParams(
      {
        version: 1,
        name: 'gate',
        description: '',
        kind: 'custom',
        onFailure: 'pause',
        steps: [{ id: 'go', kind: 'approval', params: {}, continueOnError: false }],
      },
      h.registry,
    );
    const plan = await h.engine.planRun(rb, 'lab');
    assert.ok(plan.ok);
    if (!plan.ok) return;
    const run = await h.engine.executeRun(plan.value, { confirmedEnvName: 'lab' });
    assert.ok(run.ok && run.value.status === 'paused' && run.value.pauseReason === 'approval');
    if (!run.ok) return;
    const done = await h.engine.approve(run.value.runId, 'go', 'bob@test');
    assert.ok(done.ok && done.value.status === 'succeeded');
    if (done.ok) assert.match(done.value.steps[0]!.evidence ?? '', /^approved by bob@test/);
  } finally {
    h.close();
  }
});

test('a run target without the services a step needs fails clearly, not with a TypeError', () => {
  assert.throws(
    () => stepService({ services: {} }, 'dns'),
    (e: unknown) =>
      e instanceof StepError &&
      e.kind === 'internal' &&
      !e.retryable &&
      /the run target has no "dns" service/.test(e.message),
  );
});
