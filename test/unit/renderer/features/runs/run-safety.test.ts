import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  applyOverrides,
  confirmGate,
  overridesToSend,
  reasonValid,
  ruleViews,
  verdictBadge,
} from '../../../../../renderer/src/features/runs/run-safety.ts';
import type { RuleSummary } from '../../../../../shared/runs/run-plan.ts';
import { plan, verdict } from './run-fixtures.ts';

const base = { typed: 'lab', overrides: [], lock: null, busy: false, now: 5_000, planReceivedAt: 4_000 };

test('each verdict has its own badge; an overridden refusal is a warning, never pass-green', () => {
  const labels = (['pass', 'refuse', 'unknown', 'not-applicable'] as const).map((v) => verdictBadge(v));
  assert.deepEqual(
    labels.map((b) => b.label),
    ['pass', 'refuse', 'unknown', 'not applicable'],
  );
  assert.equal(new Set(labels.map((b) => b.icon)).size, 4);
  assert.equal(verdictBadge('refuse', true).tone, 'warn');
  assert.equal(verdictBadge('refuse', true).label, 'overridden');
  assert.equal(verdictBadge('pass', true).tone, 'ok', 'nothing to override on a pass');
});

test('the Run button needs the environment name typed exactly', () => {
  const p = plan();
  assert.equal(confirmGate({ ...base, plan: p }).enabled, true);
  for (const typed of ['', 'la', 'Lab', 'lab ', ' lab', 'lab\n']) {
    const g = confirmGate({ ...base, plan: p, typed });
    assert.equal(g.enabled, false, JSON.stringify(typed));
    assert.equal(g.typedMatches, false);
    assert.match(g.blockers.join(' '), /Type lab exactly/);
  }
});

test('an overridable refusal needs an override with a reason of at least 10 characters', () => {
  const v = verdict('fence-before-promote', 'unknown', true);
  const p = plan({ blocking: [v], verdicts: [v] });
  assert.equal(confirmGate({ ...base, plan: p }).enabled, false);
  assert.match(confirmGate({ ...base, plan: p }).blockers[0]!, /fence-before-promote needs an override/);

  assert.deepEqual(
    overridesToSend(p.blocking, { 'fence-before-promote': '  too short ' }),
    [],
    '9 characters after trim',
  );
  const overrides = overridesToSend(p.blocking, { 'fence-before-promote': '  primary host is powered off (iLO)  ' });
  assert.deepEqual(overrides, [{ rule: 'fence-before-promote', reason: 'primary host is powered off (iLO)' }]);
  assert.equal(confirmGate({ ...base, plan: p, overrides }).enabled, true);
});

test('a non-overridable refusal blocks for good, whatever is typed or overridden', () => {
  const v = verdict('target-healthy-before-traffic', 'refuse', false);
  const p = plan({ blocking: [v] });
  const overrides = overridesToSend(p.blocking, { 'target-healthy-before-traffic': 'I really want to do this' });
  assert.deepEqual(overrides, [], 'no override is sent for a rule that cannot be overridden');
  const g = confirmGate({
    ...base,
    plan: p,
    overrides: [{ rule: 'target-healthy-before-traffic', reason: 'I really want to do this' }],
  });
  assert.equal(g.enabled, false);
  assert.match(g.blockers[0]!, /cannot be overridden/);
  assert.equal(applyOverrides(p.blocking, []).notOverridable.length, 1);
});

test('an override scoped to a step lifts only that step’s verdict', () => {
  const b1 = verdict('lag-within-rpo', 'refuse', true, 'promote');
  const b2 = verdict('lag-within-rpo', 'refuse', true, 'promote-2');
  const r = applyOverrides([b1, b2], [{ rule: 'lag-within-rpo', reason: 'accepting 8 s of loss', stepId: 'promote' }]);
  assert.deepEqual(r.overridden, [b1]);
  assert.deepEqual(r.unresolved, [b2]);
});

test('a held lock, an old plan or a call in flight disable Run', () => {
  const p = plan();
  assert.match(
    confirmGate({
      ...base,
      plan: p,
      lock: { env: 'lab', held: true, runId: 'abcdef0123', holder: '1@h', since: 1, stale: true, staleReason: 'x' },
    }).blockers.join(),
    /locked by run abcdef01 \(stale\)/,
  );
  assert.match(
    confirmGate({ ...base, plan: p, now: base.planReceivedAt + 600_001 }).blockers.join(),
    /older than 10 min/,
  );
  assert.equal(confirmGate({ ...base, plan: p, busy: true }).enabled, false);
  assert.equal(
    confirmGate({
      ...base,
      plan: p,
      lock: { env: 'lab', held: false, runId: null, holder: null, since: null, stale: false, staleReason: null },
    }).enabled,
    true,
  );
});

test('rule views: blocking rules first; overridable only when every blocking verdict is', () => {
  const rules: RuleSummary[] = [
    { rule: 'record-points-at-healthy-site', verdict: 'pass', evidence: ['ok'] },
    { rule: 'last-healthy-slot', verdict: 'not-applicable', evidence: [] },
    { rule: 'fence-before-promote', verdict: 'unknown', evidence: ['cannot reach pg-primary'] },
    { rule: 'lag-within-rpo', verdict: 'refuse', evidence: ['lag 8 s > 5 s'] },
  ];
  const blocking = [
    verdict('fence-before-promote', 'unknown', true),
    verdict('lag-within-rpo', 'refuse', true, 'x'),
    verdict('lag-within-rpo', 'refuse', false, 'y'),
  ];
  const views = ruleViews(rules, blocking, [{ rule: 'fence-before-promote', reason: 'host is powered off' }]);
  assert.deepEqual(
    views.map((v) => v.rule),
    ['lag-within-rpo', 'fence-before-promote', 'record-points-at-healthy-site', 'last-healthy-slot'],
  );
  const lag = views[0]!;
  assert.equal(lag.overridable, false, 'one of its verdicts cannot be overridden');
  const fence = views[1]!;
  assert.equal(fence.overridable, true);
  assert.equal(fence.overridden, true);
  assert.equal(fence.badge.label, 'overridden');
  assert.equal(views[2]!.overridable, false, 'a pass has nothing to override');
});

test('reasonValid counts characters after trimming', () => {
  assert.equal(reasonValid('0123456789'), true);
  assert.equal(reasonValid(' 012345678 '), false);
  assert.equal(reasonValid(undefined), false);
});
