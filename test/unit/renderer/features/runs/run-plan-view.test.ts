import { test } from 'node:test';
import assert from 'node:assert/strict';
import { changeRow, stepMarkers } from '../../../../../renderer/src/features/runs/run-plan-view.ts';
import { stepStateBadge, runStatusBadge } from '../../../../../renderer/src/features/runs/run-badges.ts';
import { plannedStep } from './run-fixtures.ts';

test('DNS changes split into provider and record; absent and unknown read as words', () => {
  const r = changeRow({ target: 'powerdns: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.3 TTL 5' });
  assert.equal(r.scope, 'powerdns');
  assert.equal(r.subject, 'app.lab.test A');
  assert.equal(r.unchanged, false);
  const n = changeRow({ target: 'pg-primary writes', before: 'unknown', after: 'down' });
  assert.equal(n.scope, null);
  assert.equal(n.beforeKind, 'unknown');
  assert.equal(changeRow({ target: 'x', before: null, after: 'y' }).before, 'absent');
  assert.equal(
    changeRow({ target: 'bind: app.lab.test A', before: '127.0.0.3 TTL 5', after: '127.0.0.3 TTL 5' }).unchanged,
    true,
  );
  assert.equal(
    changeRow({ target: 'x', before: 'unknown', after: 'unknown' }).unchanged,
    false,
    'unknown is never "unchanged"',
  );
});

test('step markers: already done, approval, rollback, retries', () => {
  const s = plannedStep('dns', 3, {
    plan: { changes: [], commands: [], alreadyDone: true, notes: [], effects: [] },
    requiresApproval: true,
    rollback: { kind: 'dns.set-records', description: 'restore the previous answers' },
    retry: { attempts: 3, backoffMs: 500 },
  });
  assert.deepEqual(
    stepMarkers(s).map((m) => m.kind),
    ['already-done', 'approval', 'rollback', 'retry'],
  );
  assert.equal(
    stepMarkers(plannedStep('x', 0)).some((m) => m.kind === 'no-rollback'),
    false,
    'a gate changes nothing: nothing to roll back',
  );
  const change = {
    changes: [{ target: 'pg-primary writes', before: 'accepting writes', after: 'down' }],
    commands: [],
    alreadyDone: false,
    notes: [],
    effects: [],
  };
  assert.equal(
    stepMarkers(plannedStep('x', 0, { plan: change })).some((m) => m.kind === 'no-rollback'),
    true,
  );
});

test('step and run badges: every state has its own word; in-progress and unknown are never green', () => {
  const states = ['pending', 'awaiting-approval', 'acting', 'verifying', 'verified', 'failed', 'skipped'] as const;
  const labels = states.map((s) => stepStateBadge(s).label);
  assert.equal(new Set(labels).size, states.length);
  assert.equal(stepStateBadge('skipped').label, 'already done');
  for (const s of ['pending', 'acting', 'verifying', 'awaiting-approval'] as const)
    assert.notEqual(stepStateBadge(s).tone, 'ok');
  assert.notEqual(runStatusBadge('rolled-back').tone, 'ok', 'rolled back is not a success');
  assert.equal(runStatusBadge('succeeded').tone, 'ok');
  assert.equal(runStatusBadge('rollback-failed').tone, 'bad');
});
