import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SafetyOverrideSchema,
  applyOverrides,
  evaluateSafety,
  type SafetyInput,
  type SafetyStep,
  type SafetyVerdict,
} from '../../../electron/core/runbooks/safety-rules.ts';
import type { StepEffect } from '../../../electron/core/runbooks/step-plan.ts';
import { labSnapshot, type SnapshotOptions } from './fakes.ts';

const step = (id: string, effects: StepEffect[], state: SafetyStep['state'] = 'planned'): SafetyStep => ({
  id,
  effects,
  state,
});
const planInput = (steps: SafetyStep[], o: SnapshotOptions = {}): SafetyInput => ({
  snapshot: labSnapshot(o),
  steps,
  judge: 'plan',
});
const only = (vs: SafetyVerdict[], rule: SafetyVerdict['rule']) => vs.filter((v) => v.rule === rule);
const toFailover: StepEffect = { type: 'dns-point', record: 'app.lab.test', toSite: 'failover', values: ['127.0.0.3'] };
const fence: StepEffect = { type: 'db-fence', node: 'pg-primary' };
const promote: StepEffect = { type: 'db-promote', node: 'pg-replica' };

test('record-points-at-healthy-site: passes for a healthy target, refuses an unhealthy one or no site at all (not overridable)', () => {
  const ok = only(evaluateSafety(planInput([step('dns', [toFailover])])), 'record-points-at-healthy-site');
  assert.equal(ok[0]?.verdict, 'pass', ok[0]?.evidence);
  const down = only(
    evaluateSafety(planInput([step('dns', [toFailover])], { failover: { state: 'unhealthy' } })),
    'record-points-at-healthy-site',
  );
  assert.equal(down[0]?.verdict, 'refuse');
  assert.match(down[0]!.evidence, /failover, which is unhealthy/);
  assert.equal(down[0]!.overridable, false);
  const nowhere = only(
    evaluateSafety(
      planInput([step('dns', [{ type: 'dns-point', record: 'app.lab.test', toSite: null, values: ['10.9.9.9'] }])]),
    ),
    'record-points-at-healthy-site',
  );
  assert.equal(nowhere[0]?.verdict, 'refuse');
  assert.match(nowhere[0]!.evidence, /10\.9\.9\.9 is no site's address/);
  const { blocking } = applyOverrides(down, [
    { rule: 'record-points-at-healthy-site', reason: 'I really want to do this' },
  ]);
  assert.equal(blocking.length, 1, 'a refusal of this rule cannot be overridden');
});

test('last-healthy-slot: draining one of two healthy slots passes; draining the last healthy one is refused', () => {
  const drainBlue: StepEffect = { type: 'slot-drain', site: 'primary', slot: 'blue' };
  assert.equal(only(evaluateSafety(planInput([step('drain', [drainBlue])])), 'last-healthy-slot')[0]?.verdict, 'pass');
  const v = only(
    evaluateSafety(planInput([step('drain', [drainBlue])], { primary: { slots: { green: 'unhealthy' } } })),
    'last-healthy-slot',
  );
  assert.equal(v[0]?.verdict, 'refuse');
  assert.match(v[0]!.evidence, /leaves no healthy slot \(blue healthy, green unhealthy\)/);
  // Cumulative over the plan: draining blue and then green leaves nothing.
  const both = only(
    evaluateSafety(
      planInput([step('a', [drainBlue]), step('b', [{ type: 'slot-drain', site: 'primary', slot: 'green' }])]),
    ),
    'last-healthy-slot',
  );
  assert.deepEqual(
    both.map((x) => x.verdict),
    ['pass', 'refuse'],
  );
});

test('fence-before-promote: refuses a promotion with a live primary and no fence; passes when a fence precedes it', () => {
  const bare = only(evaluateSafety(planInput([step('promote', [promote])])), 'fence-before-promote');
  assert.equal(bare[0]?.verdict, 'refuse');
  assert.match(bare[0]!.evidence, /pg-primary is primary and no earlier step fences it/);
  assert.equal(bare[0]!.overridable, true);
  const planned = only(
    evaluateSafety(planInput([step('fence', [fence]), step('promote', [promote])])),
    'fence-before-promote',
  );
  assert.equal(planned[0]?.verdict, 'pass', planned[0]?.evidence);
  // Before the promote acts, the fence must actually be verified.
  const atStep = (state: SafetyStep['state']) =>
    only(
      evaluateSafety({
        snapshot: labSnapshot(),
        steps: [step('fence', [fence], state), step('promote', [promote], 'pending')],
        judge: { stepId: 'promote' },
      }),
      'fence-before-promote',
    )[0]!;
  assert.equal(atStep('verified').verdict, 'pass');
  assert.equal(atStep('skipped').verdict, 'pass', 'already fenced (isDone) counts');
  const failed = atStep('failed');
  assert.equal(failed.verdict, 'refuse');
  assert.match(failed.evidence, /fence step fence is failed, not verified/);
  // No other node can be primary: nothing to fence.
  const alone = only(
    evaluateSafety(planInput([step('promote', [promote])], { db: { 'pg-primary': { role: 'replica' } } })),
    'fence-before-promote',
  );
  assert.equal(alone[0]?.verdict, 'pass');
});

test('fence-before-promote: an unreachable old primary (role unknown) must be fenced too; forced with a reason it passes', () => {
  const v = only(
    evaluateSafety(
      planInput([step('promote', [promote])], {
        db: { 'pg-primary': { role: 'unknown', state: 'unknown', reason: 'ECONNREFUSED' } },
      }),
    ),
    'fence-before-promote',
  );
  assert.equal(v[0]?.verdict, 'refuse');
  assert.match(v[0]!.evidence, /role is unknown \(ECONNREFUSED\)/);
  const { blocking, overridden } = applyOverrides(v, [
    { rule: 'fence-before-promote', reason: 'old primary host is powered off (checked in the DC)' },
  ]);
  assert.equal(blocking.length, 0);
  assert.equal(overridden[0]?.override.reason, 'old primary host is powered off (checked in the DC)');
});

test('lag-within-rpo: refuses promotion while lag exceeds the RPO objective; unknown lag is unknown; overridable', () => {
  const over = only(
    evaluateSafety(
      planInput([step('fence', [fence]), step('promote', [promote])], {
        db: { 'pg-replica': { lagSeconds: 12, lagBytes: 4096 } },
        rpoSeconds: 5,
      }),
    ),
    'lag-within-rpo',
  );
  assert.equal(over[0]?.verdict, 'refuse');
  assert.match(over[0]!.evidence, /12 s, 4096 bytes, over the RPO objective of 5 s/);
  assert.equal(over[0]!.overridable, true);
  assert.equal(
    applyOverrides(over, [{ rule: 'lag-within-rpo', reason: 'accepting 12 s of loss: primary is gone' }]).blocking
      .length,
    0,
  );
  const within = only(
    evaluateSafety(planInput([step('promote', [promote])], { db: { 'pg-replica': { lagSeconds: 1 } } })),
    'lag-within-rpo',
  );
  assert.equal(within[0]?.verdict, 'pass');
  const unknown = only(
    evaluateSafety(
      planInput([step('promote', [promote])], {
        db: { 'pg-replica': { lagSeconds: null, reason: 'primary unreachable' } },
      }),
    ),
    'lag-within-rpo',
  );
  assert.equal(unknown[0]?.verdict, 'unknown');
  assert.match(unknown[0]!.evidence, /primary unreachable/);
});

test('lag-within-rpo: a lag wait before the promotion satisfies the plan, and once verified and fenced, the live check', () => {
  const wait: StepEffect = { type: 'db-await-lag', node: 'pg-replica', maxLagSeconds: 0, maxLagBytes: 0 };
  const plan = only(
    evaluateSafety(
      planInput([step('wait', [wait]), step('fence', [fence]), step('promote', [promote])], {
        db: { 'pg-replica': { lagSeconds: 30 } },
      }),
    ),
    'lag-within-rpo',
  );
  assert.equal(plan[0]?.verdict, 'pass', plan[0]?.evidence);
  // At the promote: the primary is fenced (down), so the replica's lag cannot be measured any more.
  const snapshot = labSnapshot({
    db: { 'pg-primary': { role: 'unknown', state: 'unknown' }, 'pg-replica': { lagSeconds: null } },
  });
  const steps = [
    step('wait', [wait], 'verified'),
    step('fence', [fence], 'verified'),
    step('promote', [promote], 'pending'),
  ];
  const live = only(evaluateSafety({ snapshot, steps, judge: { stepId: 'promote' } }), 'lag-within-rpo');
  assert.equal(live[0]?.verdict, 'pass', live[0]?.evidence);
  assert.match(live[0]!.evidence, /writes were fenced after it/);
  // Without a verified lag wait, a lag that cannot be measured stays unknown (never green).
  const noWait = only(
    evaluateSafety({
      snapshot,
      steps: [step('fence', [fence], 'verified'), step('promote', [promote], 'pending')],
      judge: { stepId: 'promote' },
    }),
    'lag-within-rpo',
  );
  assert.equal(noWait[0]?.verdict, 'unknown');
});

test('target-healthy-before-traffic: DNS may move only to a site whose entry is healthy; slots likewise', () => {
  const degradedButEntryDown = { failover: { state: 'degraded' as const, entry: 'unhealthy' as const } };
  const refused = only(
    evaluateSafety(planInput([step('dns', [toFailover])], degradedButEntryDown)),
    'target-healthy-before-traffic',
  );
  assert.equal(refused[0]?.verdict, 'refuse');
  assert.match(refused[0]!.evidence, /moves from primary to failover, but its entry .* is unhealthy/);
  assert.equal(refused[0]!.overridable, false);
  assert.equal(
    only(evaluateSafety(planInput([step('dns', [toFailover])])), 'target-healthy-before-traffic')[0]?.verdict,
    'pass',
  );
  const already = only(
    evaluateSafety(
      planInput([step('dns', [toFailover])], { dnsPointsTo: 'failover', failover: { entry: 'unhealthy' } }),
    ),
    'target-healthy-before-traffic',
  );
  assert.equal(already[0]?.verdict, 'pass', 'no traffic moves when it already points there');
  const toGreen: StepEffect = { type: 'slot-switch', site: 'primary', fromSlot: 'blue', toSlot: 'green' };
  assert.equal(
    only(evaluateSafety(planInput([step('sw', [toGreen])])), 'target-healthy-before-traffic')[0]?.verdict,
    'pass',
  );
  const sick = only(
    evaluateSafety(planInput([step('sw', [toGreen])], { primary: { slots: { green: 'unhealthy' } } })),
    'target-healthy-before-traffic',
  );
  assert.equal(sick[0]?.verdict, 'refuse');
  const unknown = only(
    evaluateSafety(planInput([step('sw', [toGreen])], { primary: { slots: { green: 'unknown' } } })),
    'target-healthy-before-traffic',
  );
  assert.equal(unknown[0]?.verdict, 'unknown');
  assert.equal(unknown[0]!.overridable, true, 'unknown may be overridden with a reason');
});

test('overrides need a reason of at least 10 characters and can be narrowed to one step', () => {
  assert.equal(SafetyOverrideSchema.safeParse({ rule: 'lag-within-rpo', reason: 'because' }).success, false);
  assert.equal(SafetyOverrideSchema.safeParse({ rule: 'no-such-rule', reason: 'a long enough reason' }).success, false);
  // a reason is read by people in the audit log; a huge one would also be cut off by the host's frame limit
  assert.equal(SafetyOverrideSchema.safeParse({ rule: 'lag-within-rpo', reason: 'x'.repeat(501) }).success, false);
  assert.equal(
    SafetyOverrideSchema.safeParse({ rule: 'lag-within-rpo', reason: 'a long enough reason' }).success,
    true,
  );
  const v: SafetyVerdict[] = [
    { rule: 'lag-within-rpo', stepId: 'a', verdict: 'refuse', evidence: 'x', overridable: true },
    { rule: 'lag-within-rpo', stepId: 'b', verdict: 'refuse', evidence: 'y', overridable: true },
  ];
  const r = applyOverrides(v, [{ rule: 'lag-within-rpo', reason: 'only step a is fine', stepId: 'a' }]);
  assert.deepEqual(
    r.blocking.map((x) => x.stepId),
    ['b'],
  );
});

test('steps without effects are not judged', () => {
  assert.deepEqual(evaluateSafety(planInput([step('noop', [])])), []);
});

test('lag-within-rpo: with the primary gone, the last measured lag plus its age bounds the loss', () => {
  const snap = (lastAgoMs: number, lastSeconds: number) => {
    const input = planInput([step('promote', [promote])], {
      db: { 'pg-replica': { lagSeconds: null, reason: 'no primary reachable' } },
      rpoSeconds: 5,
    });
    const node = input.snapshot.databases.find((d) => d.name === 'pg-replica')!;
    node.lastKnownLag = { seconds: lastSeconds, bytes: 0, at: input.snapshot.generatedAt - lastAgoMs };
    return only(evaluateSafety(input), 'lag-within-rpo');
  };
  const fresh = snap(800, 0);
  assert.equal(fresh[0]!.verdict, 'pass');
  assert.match(fresh[0]!.evidence, /last measured 0 s.*0\.8 s ago.*at most 0\.8 s/);
  // measured long ago: every write since could be lost, more than the objective → unknown
  const stale = snap(60_000, 0);
  assert.equal(stale[0]!.verdict, 'unknown');
  assert.match(stale[0]!.evidence, /up to 60\.0 s/);
  // measured recently but already behind by more than the objective
  assert.equal(snap(500, 7)[0]!.verdict, 'unknown');
});

test('lag-within-rpo: a fence finished by this run closes the loss window', () => {
  const input = planInput([], {
    db: {
      'pg-replica': { lagSeconds: null, reason: 'no primary reachable' },
      'pg-primary': { role: 'unknown', state: 'unknown' },
    },
    rpoSeconds: 5,
  });
  const t = input.snapshot.generatedAt;
  input.snapshot.databases.find((d) => d.name === 'pg-replica')!.lastKnownLag = {
    seconds: 0.3,
    bytes: 0,
    at: t - 65_000,
  };
  // the fence finished 0.7 s after the last measurement, 64 s ago
  input.steps = [
    { id: 'fence', effects: [fence], state: 'verified', finishedAt: t - 64_300 },
    step('promote', [promote], 'pending'),
  ];
  input.judge = { stepId: 'promote' };
  const v = only(evaluateSafety(input), 'lag-within-rpo');
  assert.equal(v[0]!.verdict, 'pass', v[0]!.evidence);
  assert.match(v[0]!.evidence, /0\.7 s before writes were fenced.*at most 1\.0 s/);
});

test('plan: traffic may target a site that is down now when earlier steps repair it and gate on its health; the step itself is judged live', () => {
  const gate: StepEffect = { type: 'health-gate', site: 'failover', slot: null };
  const o: SnapshotOptions = { failover: { state: 'unhealthy' } };
  const promoteThere: StepEffect = { type: 'db-promote', node: 'pg-replica' };
  const repairPlan = [
    step('fence', [fence]),
    step('promote', [promoteThere]),
    step('gate', [gate]),
    step('dns', [toFailover]),
  ];
  // the site's apps fail because their database is read-only/unreachable: the promotion is the repair
  const dbDown = planInput(repairPlan, { failover: { state: 'unhealthy', slots: { blue: 'unhealthy' } } });
  dbDown.snapshot.sites[1]!.slots[0]!.reported = { dbRole: 'unreachable' };
  const withGate = evaluateSafety(dbDown);
  // a dead router is not repaired by a promotion: refused even with the gate and the promotion
  const routerDown = evaluateSafety(planInput(repairPlan, o));
  assert.equal(only(routerDown, 'target-healthy-before-traffic')[0]?.verdict, 'refuse');
  for (const rule of ['record-points-at-healthy-site', 'target-healthy-before-traffic'] as const) {
    const v = only(withGate, rule);
    assert.equal(v[0]?.verdict, 'pass', `${rule}: ${v[0]?.evidence}`);
    assert.match(v[0]!.evidence, /step gate must see it healthy first/);
  }
  const noGate = evaluateSafety(planInput([step('dns', [toFailover])], o));
  assert.equal(only(noGate, 'target-healthy-before-traffic')[0]?.verdict, 'refuse');
  // a gate alone, with nothing done to the site before it, does not excuse a move to a dead site
  const gateOnly = evaluateSafety(planInput([step('gate', [gate]), step('dns', [toFailover])], o));
  assert.equal(only(gateOnly, 'target-healthy-before-traffic')[0]?.verdict, 'refuse');
  assert.equal(only(gateOnly, 'record-points-at-healthy-site')[0]?.verdict, 'refuse');
  const live = evaluateSafety({
    ...planInput([step('gate', [gate], 'verified'), step('dns', [toFailover], 'pending')], o),
    judge: { stepId: 'dns' },
  });
  assert.equal(only(live, 'target-healthy-before-traffic')[0]?.verdict, 'refuse', 'before acting, live state decides');
});

test('fence-before-promote: a fence planned on a node that cannot be asked now (site down) is unknown at plan time; an override lifts it', () => {
  const down = {
    db: {
      'pg-primary': {
        role: 'unknown' as const,
        state: 'unknown' as const,
        reason: 'ssh 127.0.0.2:22: connect ECONNREFUSED',
      },
    },
  };
  const unverifiable: StepEffect = {
    type: 'db-fence',
    node: 'pg-primary',
    unverifiable: 'cannot ask pg-primary now (ssh: connect ECONNREFUSED)',
  };
  const v = only(
    evaluateSafety(planInput([step('fence', [unverifiable]), step('promote', [promote])], down)),
    'fence-before-promote',
  );
  assert.equal(v[0]?.verdict, 'unknown', v[0]?.evidence);
  assert.match(
    v[0]!.evidence,
    /step fence will try to fence it, but cannot ask pg-primary now \(ssh: connect ECONNREFUSED\)/,
  );
  assert.match(v[0]!.evidence, /split brain/);
  assert.equal(v[0]!.overridable, true);
  assert.equal(
    applyOverrides(v, [{ rule: 'fence-before-promote', reason: 'primary site lost power (provider status page)' }])
      .blocking.length,
    0,
  );
  // A reachable node: the planned fence satisfies the plan, as before.
  const reachable = only(
    evaluateSafety(planInput([step('fence', [fence]), step('promote', [promote])])),
    'fence-before-promote',
  );
  assert.equal(reachable[0]?.verdict, 'pass');
  // Before the promote acts, a failed fence is a refusal (overridable), whatever the plan said.
  const live = only(
    evaluateSafety({
      snapshot: labSnapshot(down),
      steps: [step('fence', [unverifiable], 'failed'), step('promote', [promote], 'pending')],
      judge: { stepId: 'promote' },
    }),
    'fence-before-promote',
  );
  assert.equal(live[0]?.verdict, 'refuse');
  assert.equal(live[0]?.overridable, true);
});

test('record-points-at-healthy-site: a degraded target is not a green pass (blocks, overridable)', () => {
  const degraded = only(
    evaluateSafety(
      planInput([step('dns', [toFailover])], { failover: { state: 'degraded', slots: { blue: 'healthy' } } }),
    ),
    'record-points-at-healthy-site',
  );
  assert.equal(degraded[0]?.verdict, 'unknown');
  assert.equal(degraded[0]!.overridable, true);
  assert.match(degraded[0]!.evidence, /which is degraded .*not a pass/);
  const healthy = only(evaluateSafety(planInput([step('dns', [toFailover])])), 'record-points-at-healthy-site');
  assert.equal(healthy[0]?.verdict, 'pass');
});
