import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbAwaitLagKind, dbAwaitLagParams } from '../../../../electron/core/runbooks/steps/db-await-lag.ts';
import { dbFenceKind, dbFenceParams } from '../../../../electron/core/runbooks/steps/db-fence.ts';
import { dbPromoteKind, dbPromoteParams } from '../../../../electron/core/runbooks/steps/db-promote.ts';
import { dbRejoinKind, dbRejoinParams } from '../../../../electron/core/runbooks/steps/db-rejoin.ts';
import { evaluateSafety, type SafetyStep } from '../../../../electron/core/runbooks/safety-rules.ts';
import { StepError } from '../../../../electron/core/runbooks/step-error.ts';
import { labSnapshot } from '../fakes.ts';
import { stepWorld } from './step-fakes.ts';

const fenceP = dbFenceParams.parse({ node: 'pg-primary' });
const promoteP = dbPromoteParams.parse({ node: 'pg-replica' });
const lagP = dbAwaitLagParams.parse({ maxBytes: 0 });

test('db.await-lag: finds the replica and primary from live roles, declares db-await-lag; isDone when within the bound; verify re-checks', async () => {
  const w = stepWorld();
  const p = await dbAwaitLagKind.plan(w.ctx(), lagP);
  assert.deepEqual(p.effects, [{ type: 'db-await-lag', node: 'pg-replica', maxLagSeconds: null, maxLagBytes: 0 }]);
  assert.equal(p.alreadyDone, true);
  assert.match(p.notes[0]!, /pg-replica lag 0 bytes \/ 0 s behind pg-primary \(bound ≤ 0 bytes\)/);
  w.nodes.get('pg-primary')!.lsn = 5000;
  const d = await dbAwaitLagKind.isDone(w.ctx(), lagP);
  assert.equal(d.done, false);
  assert.match(d.evidence, /lag 4000 bytes/);
  assert.equal(dbAwaitLagParams.safeParse({ timeoutMs: 1000 }).success, false, 'a bound is required');
  // two replicas and no name: ambiguous
  w.nodes.get('pg-primary')!.role = 'replica';
  await assert.rejects(
    dbAwaitLagKind.plan(w.ctx(), lagP),
    (e: unknown) => e instanceof StepError && /cannot tell which node is the replica: 2 observed/.test(e.message),
  );
});

test('db.fence: plan declares db-fence with the state now; hard is done only when down, soft when writes are refused', async () => {
  const w = stepWorld();
  const p = await dbFenceKind.plan(w.ctx(), fenceP);
  assert.deepEqual(p.effects, [{ type: 'db-fence', node: 'pg-primary' }]);
  assert.deepEqual(p.changes, [{ target: 'pg-primary writes', before: 'writable', after: 'down' }]);
  assert.equal(p.alreadyDone, false);
  w.nodes.get('pg-primary')!.readOnly = true;
  assert.equal((await dbFenceKind.isDone(w.ctx(), fenceP)).done, false, 'read-only is not a hard fence');
  assert.equal(
    (await dbFenceKind.isDone(w.ctx(), dbFenceParams.parse({ node: 'pg-primary', mode: 'soft' }))).done,
    true,
  );
  await dbFenceKind.act(w.ctx(), fenceP, () => {});
  const v = await dbFenceKind.verify(w.ctx(), fenceP);
  assert.equal(v.ok, true);
  assert.match(v.evidence, /^pg-primary: down/);
  assert.equal((await dbFenceKind.isDone(w.ctx(), fenceP)).done, true);
});

test('db.fence: a node that cannot be asked is never fenced — plan says unknown, isDone/act fail retryably', async () => {
  const w = stepWorld();
  w.nodes.get('pg-primary')!.unreachable = true;
  const p = await dbFenceKind.plan(w.ctx(), fenceP);
  assert.equal(p.changes[0]!.before, 'unknown');
  assert.ok(p.notes.some((n) => /cannot ask pg-primary now/.test(n)));
  await assert.rejects(
    dbFenceKind.isDone(w.ctx(), fenceP),
    (e: unknown) => e instanceof StepError && e.kind === 'unreachable' && e.retryable,
  );
  await assert.rejects(
    dbFenceKind.act(w.ctx(), fenceP, () => {}),
    (e: unknown) => e instanceof StepError && e.retryable,
  );
});

test('db.promote: effect db-promote is judged by fence-before-promote and lag-within-rpo; promoted = out of recovery and writable', async () => {
  const w = stepWorld();
  const promote = await dbPromoteKind.plan(w.ctx(), promoteP);
  assert.deepEqual(promote.effects, [{ type: 'db-promote', node: 'pg-replica' }]);
  assert.deepEqual(promote.changes, [{ target: 'pg-replica role', before: 'replica', after: 'primary' }]);
  const fence = await dbFenceKind.plan(w.ctx(), fenceP);
  const lag = await dbAwaitLagKind.plan(w.ctx(), lagP);
  const rules = (steps: SafetyStep[], judge: 'plan' | { stepId: string } = 'plan') =>
    evaluateSafety({
      snapshot: labSnapshot({ db: { 'pg-replica': { lagSeconds: 30, lagBytes: 9999 } } }),
      steps,
      judge,
    });
  const alone = rules([{ id: 'promote', effects: promote.effects, state: 'planned' }]);
  assert.equal(alone.find((v) => v.rule === 'fence-before-promote')?.verdict, 'refuse');
  assert.equal(alone.find((v) => v.rule === 'lag-within-rpo')?.verdict, 'refuse', 'lag 30 s is over the 5 s RPO');
  const full = rules([
    { id: 'lag', effects: lag.effects, state: 'planned' },
    { id: 'fence', effects: fence.effects, state: 'planned' },
    { id: 'promote', effects: promote.effects, state: 'planned' },
  ]);
  assert.deepEqual(
    full
      .filter((v) => v.stepId === 'promote')
      .map((v) => `${v.rule} ${v.verdict}`)
      .sort(),
    ['fence-before-promote pass', 'lag-within-rpo pass'],
  );
  const beforeAct = rules(
    [
      { id: 'lag', effects: lag.effects, state: 'verified' },
      { id: 'fence', effects: fence.effects, state: 'failed' },
      { id: 'promote', effects: promote.effects, state: 'pending' },
    ],
    { stepId: 'promote' },
  );
  assert.equal(
    beforeAct.find((v) => v.rule === 'fence-before-promote')?.verdict,
    'refuse',
    'a fence that did not verify does not count',
  );

  assert.equal((await dbPromoteKind.isDone(w.ctx(), promoteP)).done, false);
  await dbPromoteKind.act(w.ctx(), promoteP, () => {});
  assert.equal((await dbPromoteKind.verify(w.ctx(), promoteP)).ok, true);
  assert.equal((await dbPromoteKind.isDone(w.ctx(), promoteP)).done, true);
  await dbPromoteKind.act(w.ctx(), promoteP, () => {});
  assert.equal(w.nodes.get('pg-replica')!.promotions, 1, 'one promotion');
  // a read-only primary is not "promoted"
  w.nodes.get('pg-replica')!.readOnly = true;
  assert.equal((await dbPromoteKind.isDone(w.ctx(), promoteP)).done, false);
});

test('db.rejoin: done when streaming from the source; a down node is not an error to plan; the adapter refuses a running primary', async () => {
  const w = stepWorld();
  const rejoin = dbRejoinParams.parse({ node: 'pg-primary', source: 'pg-replica' });
  assert.equal(dbRejoinParams.safeParse({ node: 'a', source: 'a' }).success, false);
  const running = await dbRejoinKind.plan(w.ctx(), rejoin);
  assert.ok(
    running.notes.some((n) => /runs as a primary now: the rejoin refuses it unless an earlier step fences it/.test(n)),
  );
  await dbFenceKind.act(w.ctx(), fenceP, () => {});
  await dbPromoteKind.act(w.ctx(), promoteP, () => {});
  const p = await dbRejoinKind.plan(w.ctx(), rejoin);
  assert.deepEqual(p.changes, [
    { target: 'pg-primary role', before: 'unknown', after: 'replica streaming from pg-replica' },
  ]);
  assert.equal(p.alreadyDone, false);
  assert.equal((await dbRejoinKind.isDone(w.ctx(), rejoin)).done, false);
  const phases: string[] = [];
  await dbRejoinKind.act(w.ctx(), rejoin, (x) => phases.push(x.message));
  assert.deepEqual(phases, ['rewind: pg_rewind']);
  assert.equal((await dbRejoinKind.verify(w.ctx(), rejoin)).ok, true);
  assert.equal((await dbRejoinKind.isDone(w.ctx(), rejoin)).done, true);
  const back = dbRejoinParams.parse({ node: 'pg-replica', source: 'pg-primary' });
  await assert.rejects(
    dbRejoinKind.act(w.ctx(), back, () => {}),
    (e: unknown) => e instanceof StepError && e.kind === 'unsafe-plan' && /running as a primary/.test(e.message),
  );
});

test('unknown nodes are invalid-input naming the known ones', async () => {
  const w = stepWorld();
  await assert.rejects(
    dbFenceKind.plan(w.ctx(), dbFenceParams.parse({ node: 'pg-x' })),
    (e: unknown) =>
      e instanceof StepError && e.kind === 'invalid-input' && e.hint === 'use one of: pg-primary, pg-replica',
  );
});
