import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunJournal } from '../../../../electron/core/runbooks/run-journal.ts';
import { openStore } from '../../../../electron/core/store/open-store.ts';
import { dnsSetTtlKind as kind, dnsSetTtlParams } from '../../../../electron/core/runbooks/steps/dns-set-ttl.ts';
import { set, stepWorld } from './step-fakes.ts';

const lower = dnsSetTtlParams.parse({ record: 'app.lab.test', ttlSeconds: 5 });

test('plan: lowers the TTL at each provider (values kept), announces the old-TTL wait; no effects for the rules', async () => {
  const w = stepWorld();
  const p = await kind.plan(w.ctx({ runId: null }), lower);
  assert.deepEqual(p.changes, [
    { target: 'powerdns: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.2 TTL 5' },
    { target: 'bind: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.2 TTL 5' },
  ]);
  assert.ok(
    p.notes.includes('then waits out the old TTL (30 s) with a countdown, once every nameserver serves 5 s'),
    p.notes.join('\n'),
  );
  assert.deepEqual(p.effects, []);
  assert.equal(p.alreadyDone, false);
});

test('act: writes, waits until served, then counts the old TTL down (remainingMs every second) from the moment the new TTL is served', async () => {
  const w = stepWorld();
  w.dns.bind.lagServes = 2;
  await kind.act(w.ctx(), lower, (p) => w.progress.push(p));
  assert.deepEqual([w.dns.powerdns.api, w.dns.bind.api], [set(['127.0.0.2'], 5), set(['127.0.0.2'], 5)]);
  const countdown = w.progress.filter((p) => p.remainingMs !== undefined);
  assert.equal(countdown.length, 31, 'one report per second, and the final 0');
  assert.equal(countdown[0]!.message, 'old TTL drains in 30 s');
  assert.equal(countdown[0]!.remainingMs, 30_000);
  assert.equal(countdown.at(-1)!.remainingMs, 0);
  assert.equal(countdown.at(-1)!.fraction, 1);
  assert.ok(
    countdown.every((p, i) => i === 0 || p.remainingMs! < countdown[i - 1]!.remainingMs!),
    'the countdown decreases',
  );
  const servedAt = w.progress.findIndex((p) => p.message === '2/2 nameservers serve the new answer');
  assert.ok(
    servedAt >= 0 && servedAt < w.progress.indexOf(countdown[0]!),
    'the countdown starts once every nameserver serves the new TTL',
  );
  const v = await kind.verify(w.ctx(), lower);
  assert.equal(v.ok, true, v.evidence);
  const d = await kind.isDone(w.ctx(), lower);
  assert.equal(d.done, true, 'the countdown this run made is finished');
  assert.match(d.evidence, /no old TTL left to wait out/);
});

test('a retried act continues the original countdown instead of restarting it', async () => {
  const w = stepWorld();
  const ac = new AbortController();
  const ctx = w.ctx({ signal: ac.signal, stepId: 'ttl' });
  let reports = 0;
  await assert.rejects(
    kind.act(ctx, lower, (p) => {
      if (p.remainingMs !== undefined && ++reports === 11) ac.abort(new Error('step timeout'));
    }),
  );
  const before = w.clock.t;
  const d = await kind.isDone(w.ctx({ stepId: 'ttl' }), lower);
  assert.equal(d.done, false);
  assert.match(d.evidence, /a wait of 20 s is owed: the countdown this run started/);
  const left: number[] = [];
  await kind.act(w.ctx({ stepId: 'ttl' }), lower, (p) => p.remainingMs !== undefined && left.push(p.remainingMs));
  assert.equal(left[0], 20_000);
  assert.equal(w.clock.t - before, 20_000);
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [1, 1], 'the TTL is written once');
});

test('the wait is skipped only when the old TTL was already ≤ the new one', async () => {
  const w = stepWorld();
  // configured normal TTL is 30 s; both providers already at 3 s, set by nobody we know of
  w.dns.powerdns.api = w.dns.powerdns.served = set(['127.0.0.2'], 3);
  w.dns.bind.api = w.dns.bind.served = set(['127.0.0.2'], 3);
  const p = await kind.plan(w.ctx({ runId: null }), lower);
  assert.deepEqual(p.changes, [], 'a lower TTL is never raised');
  assert.equal(p.alreadyDone, false);
  assert.ok(
    p.notes.some((n) =>
      /^waits 30 s: the TTL is already 5 s or lower, but not lowered by this run: the normal TTL \(30 s\) may still be cached$/.test(
        n,
      ),
    ),
    p.notes.join('\n'),
  );
  assert.equal((await kind.isDone(w.ctx(), lower)).done, false);

  // a record whose normal TTL is within the new bound owes nothing: skipped at once
  const w2 = stepWorld();
  const high = dnsSetTtlParams.parse({ record: 'app.lab.test', ttlSeconds: 30 });
  const d = await kind.isDone(w2.ctx(), high);
  assert.equal(d.done, true, d.evidence);
  assert.equal((await kind.plan(w2.ctx(), high)).alreadyDone, true);
  await kind.act(w2.ctx(), high, (x) => w2.progress.push(x));
  assert.equal(w2.progress.filter((x) => x.remainingMs !== undefined && x.remainingMs > 0).length, 0, 'no countdown');
  assert.deepEqual([w2.dns.powerdns.writes.length, w2.dns.bind.writes.length], [0, 0]);
});

test('rollback puts the recorded TTLs back, keeping the values as they are now', async () => {
  const w = stepWorld();
  const recorded = await kind.plan(w.ctx(), lower);
  await kind.act(w.ctx(), lower, () => {});
  w.dns.powerdns.api = w.dns.powerdns.served = set(['127.0.0.3'], 5); // the record flipped meanwhile
  const r = await kind.rollback!(w.ctx(), lower, recorded);
  assert.equal(r.ok, true, r.evidence);
  assert.deepEqual([w.dns.powerdns.api, w.dns.bind.api], [set(['127.0.0.3'], 30), set(['127.0.0.2'], 30)]);
});

test('a console killed mid-drain resumes the countdown from the deadline in the run journal, not a fresh drain', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-ttl-drain-'));
  try {
    const path = join(dir, 'standby.sqlite');
    const w = stepWorld();
    const ac = new AbortController();
    const first = openStore(path);
    const killedAt = await (async () => {
      const state = new RunJournal(first).stepState('run-1', 'run', 'lower-ttl', () => w.clock.t);
      let reports = 0;
      await assert.rejects(
        kind.act(w.ctx({ signal: ac.signal, stepId: 'lower-ttl', state }), lower, (p) => {
          if (p.remainingMs !== undefined && ++reports === 11) ac.abort(new Error('SIGKILL'));
        }),
      );
      return w.clock.t;
    })();
    first.close();
    // The restarted console: a new store handle, and no memory of the first process.
    const second = openStore(path);
    try {
      const state = new RunJournal(second).stepState('run-1', 'run', 'lower-ttl', () => w.clock.t);
      assert.equal(
        state.get('drainDeadline:app.lab.test'),
        killedAt + 20_000,
        'the deadline was in the journal before the countdown began',
      );
      const d = await kind.isDone(w.ctx({ stepId: 'lower-ttl', state }), lower);
      assert.equal(d.done, false);
      assert.match(d.evidence, /a wait of 20 s is owed: the countdown this run started/);
      const left: number[] = [];
      await kind.act(
        w.ctx({ stepId: 'lower-ttl', state }),
        lower,
        (p) => p.remainingMs !== undefined && left.push(p.remainingMs),
      );
      assert.equal(left[0], 20_000, 'the remaining drain, not the 30 s normal TTL again');
      assert.equal(w.clock.t - killedAt, 20_000);
      assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [1, 1], 'the TTL is written once');
      assert.equal((await kind.isDone(w.ctx({ stepId: 'lower-ttl', state }), lower)).done, true);
      // without the journal's deadline the step could only assume the normal TTL is still cached
      const forgetful = await kind.isDone(w.ctx({ runId: 'run-2', stepId: 'lower-ttl' }), lower);
      assert.match(
        forgetful.evidence,
        /a wait of 30 s is owed: the TTL is already 5 s or lower, but not lowered by this run/,
      );
    } finally {
      second.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
