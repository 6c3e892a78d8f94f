import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { AuditLog, verifyAuditLog } from '../../../electron/core/runbooks/audit-log.ts';
import { EnvLock } from '../../../electron/core/runbooks/env-lock.ts';
import type { RunPlan } from '../../../electron/core/runbooks/run-plan.ts';
import { fakeRunbook, makeHarness, parseParams, type Harness } from './fakes.ts';

async function plan(h: Harness, rb = fakeRunbook([{}])): Promise<RunPlan> {
  const r = await h.engine.planRun(parseParams(rb, h.registry), 'lab');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

test('a second run on the same environment is refused while the first executes, and while it is paused', async () => {
  let second: Awaited<ReturnType<Harness['engine']['executeRun']>> | null = null;
  let secondPlan: RunPlan;
  const h: Harness = makeHarness({
    hooks: {
      onAct: () => {
        if (!second) void h.engine.executeRun(secondPlan, { confirmedEnvName: 'lab' }).then((r) => (second = r));
      },
    },
  });
  try {
    secondPlan = await plan(h, fakeRunbook([{ params: { key: 'other', value: 'v' } }]));
    const first = await h.engine.executeRun(
      await plan(h, fakeRunbook([{}, { id: 'gate', kind: 'fake.approval', params: {} }])),
      { confirmedEnvName: 'lab' },
    );
    assert.ok(first.ok && first.value.status === 'paused');
    assert.ok(second, 'the second run was attempted during the first');
    const s = second as Awaited<ReturnType<Harness['engine']['executeRun']>>;
    assert.ok(!s.ok && s.error.kind === 'conflict');
    if (!s.ok) assert.match(s.error.message, new RegExp(`locked by run .* \\(pid ${process.pid} on `));
    const whilePaused = await h.engine.executeRun(secondPlan, { confirmedEnvName: 'lab' });
    assert.ok(!whilePaused.ok && whilePaused.error.kind === 'conflict');
    if (!whilePaused.ok) {
      assert.match(whilePaused.error.message, /locked by paused run/);
      assert.match(whilePaused.error.hint!, /resume, abort or roll back/);
    }
    assert.equal(h.world.values.other, undefined);
  } finally {
    h.close();
  }
});

test('a lock whose holder died is reported stale and can be broken only deliberately, with an audited reason', async () => {
  const h = makeHarness();
  try {
    const db = openStore(h.storePath);
    const dead = new EnvLock(db, { pid: 999_999, host: 'this-host', isPidAlive: () => false });
    assert.equal(dead.acquire('lab', 'run-of-a-dead-process').ok, true);
    const viewer = new EnvLock(db, { host: 'this-host', isPidAlive: () => false, audit: h.audit });
    const info = viewer.inspect('lab')!;
    assert.equal(info.stale, true);
    assert.equal(info.staleReason, 'pid 999999 is not running on this-host');
    const p = await plan(h);
    const refused = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(!refused.ok && refused.error.kind === 'conflict', 'a stale lock is reported, never taken silently');
    assert.equal(viewer.breakLock('lab', { actor: 'dave@test', reason: 'meh' }).ok, false, 'a reason is required');
    const broken = viewer.breakLock('lab', { actor: 'dave@test', reason: 'holder crashed during the drill at 10:02' });
    assert.ok(broken.ok && broken.broken.runId === 'run-of-a-dead-process');
    const last = JSON.parse(readFileSync(h.audit.file, 'utf8').trimEnd().split('\n').at(-1)!);
    assert.equal(last.action, 'lock.break');
    assert.equal(last.actor, 'dave@test');
    assert.equal(last.details.reason, 'holder crashed during the drill at 10:02');
    assert.equal(last.details.lock.staleReason, 'pid 999999 is not running on this-host');
    assert.ok(verifyAuditLog(h.audit.file).ok);
    const now = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(now.ok && now.value.status === 'succeeded');
    db.close();
  } finally {
    h.close();
  }
});

test('a live lock cannot be broken; no heartbeat for too long makes it stale (holder on another host)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-lock-'));
  try {
    const db = openStore(join(dir, 's.sqlite'));
    const audit = new AuditLog(join(dir, 'audit.jsonl'), { db });
    let t = 1_000_000;
    const holder = new EnvLock(db, { pid: 4242, host: 'other-host', now: () => t });
    const here = new EnvLock(db, { host: 'this-host', now: () => t, audit, staleAfterMs: 60_000 });
    assert.equal(holder.acquire('lab', 'r1').ok, true);
    const live = here.breakLock('lab', { actor: 'erin', reason: 'I think it is stuck somewhere' });
    assert.ok(!live.ok && /is live: run r1 in pid 4242 on other-host/.test(live.message));
    assert.equal(here.acquire('lab', 'r2').ok, false);
    t += 30_000;
    holder.heartbeat('lab', 'r1');
    t += 59_000;
    assert.equal(here.inspect('lab')!.stale, false, 'heartbeat 59 s ago: live');
    t += 2_000;
    const stale = here.inspect('lab')!;
    assert.equal(stale.stale, true);
    assert.match(stale.staleReason!, /no heartbeat for 61 s/);
    // The same run may take its own stale lock back (resume); another run may not.
    assert.equal(here.acquire('lab', 'r2').ok, false);
    const again = here.acquire('lab', 'r1');
    assert.ok(again.ok && again.tookOver?.holderHost === 'other-host');
    here.release('lab', 'r1');
    assert.equal(here.inspect('lab'), null);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
