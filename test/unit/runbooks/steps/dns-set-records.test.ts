import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  dnsSetRecordsKind as kind,
  dnsSetRecordsParams,
} from '../../../../electron/core/runbooks/steps/dns-set-records.ts';
import { StepError } from '../../../../electron/core/runbooks/step-error.ts';
import { evaluateSafety } from '../../../../electron/core/runbooks/safety-rules.ts';
import { labSnapshot } from '../fakes.ts';
import { healthy, set, stepWorld, unhealthy } from './step-fakes.ts';

const toFailover = dnsSetRecordsParams.parse({ record: 'app.lab.test', site: 'failover', ttlSeconds: 5 });

test('params: exactly one of site / value; defaults for retries and the served wait', () => {
  assert.equal(dnsSetRecordsParams.safeParse({ record: 'app.lab.test' }).success, false);
  assert.equal(
    dnsSetRecordsParams.safeParse({ record: 'app.lab.test', site: 'failover', value: '127.0.0.3' }).success,
    false,
  );
  assert.equal(
    dnsSetRecordsParams.safeParse({ record: 'app.lab.test', site: 'failover', extra: 1 }).success,
    false,
    'strict',
  );
  assert.deepEqual(dnsSetRecordsParams.parse({ record: 'app.lab.test', value: '127.0.0.9' }), {
    record: 'app.lab.test',
    value: '127.0.0.9',
    apiAttempts: 3,
    servedTimeoutMs: 10_000,
  });
});

test('plan: one change per provider from its API view, the exact API calls and digs, a dns-point effect the rules judge; nothing changes', async () => {
  const w = stepWorld();
  const p = await kind.plan(w.ctx({ runId: null }), toFailover);
  assert.deepEqual(p.changes, [
    { target: 'powerdns: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.3 TTL 5' },
    { target: 'bind: app.lab.test A', before: '127.0.0.2 TTL 30', after: '127.0.0.3 TTL 5' },
  ]);
  assert.match(
    p.commands[0]!,
    /^PATCH http:\/\/127\.0\.0\.1:15381\/api\/v1\/servers\/localhost\/zones\/lab\.test\. \{"rrsets":\[\{"name":"app\.lab\.test\.","type":"A","ttl":5,"changetype":"REPLACE","records":\[\{"content":"127\.0\.0\.3","disabled":false\}\]\}\]\}/,
  );
  assert.equal(
    p.commands[1],
    'nsupdate (TSIG-signed); server 127.0.0.1 15354; zone lab.test; prereq yxrrset app.lab.test. A 127.0.0.2; update delete app.lab.test. A; update add app.lab.test. 5 A 127.0.0.3; send',
  );
  assert.deepEqual(p.commands.slice(2), [
    'dig @127.0.0.1 -p 15353 +norec app.lab.test A  # until it serves 127.0.0.3 TTL 5',
    'dig @127.0.0.1 -p 15354 +norec app.lab.test A  # until it serves 127.0.0.3 TTL 5',
  ]);
  assert.equal(p.alreadyDone, false);
  assert.deepEqual(p.effects, [
    { type: 'dns-point', record: 'app.lab.test', toSite: 'failover', values: ['127.0.0.3'] },
  ]);
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [0, 0]);
  const verdicts = evaluateSafety({
    snapshot: labSnapshot({ failover: { state: 'unhealthy' } }),
    steps: [{ id: 'dns', effects: p.effects, state: 'planned' }],
    judge: 'plan',
  });
  assert.ok(
    verdicts.some((v) => v.rule === 'record-points-at-healthy-site' && v.verdict === 'refuse'),
    'an unhealthy target site is refused by the rule',
  );
});

test("plan: a value that is no site's address says so (toSite null → refused by record-points-at-healthy-site); TTL kept when not given", async () => {
  const w = stepWorld();
  const p = await kind.plan(w.ctx(), dnsSetRecordsParams.parse({ record: 'app.lab.test', value: '127.0.0.9' }));
  assert.deepEqual(p.effects, [{ type: 'dns-point', record: 'app.lab.test', toSite: null, values: ['127.0.0.9'] }]);
  assert.equal(p.changes[0]!.after, '127.0.0.9 TTL 30');
  assert.ok(p.notes.some((n) => /keeps its current TTL/.test(n)));
  assert.ok(p.notes.some((n) => /127\.0\.0\.9 is no site's value/.test(n)));
  await assert.rejects(
    kind.plan(w.ctx(), dnsSetRecordsParams.parse({ record: 'nope.lab.test', site: 'failover' })),
    (e: unknown) =>
      e instanceof StepError && e.kind === 'invalid-input' && /use one of: app\.lab\.test/.test(e.hint ?? ''),
  );
});

test('act writes every provider once with compare-and-swap, waits until every nameserver serves it (progress), verify reads it back; isDone then skips', async () => {
  const w = stepWorld();
  w.dns.bind.lagServes = 3; // BIND's nameserver picks the change up a few queries later
  assert.equal((await kind.isDone(w.ctx(), toFailover)).done, false);
  await kind.act(w.ctx(), toFailover, (p) => w.progress.push(p));
  assert.deepEqual(w.dns.powerdns.writes, [{ values: ['127.0.0.3'], ttlSeconds: 5, expected: set(['127.0.0.2'], 30) }]);
  assert.deepEqual(w.dns.bind.writes, [{ values: ['127.0.0.3'], ttlSeconds: 5, expected: set(['127.0.0.2'], 30) }]);
  const served = w.progress.filter((p) => /nameservers serve/.test(p.message));
  assert.ok(served.length >= 2, JSON.stringify(w.progress));
  assert.match(
    served[0]!.message,
    /^1\/2 nameservers serve the new answer \(waiting: 127\.0\.0\.1:15354 serves 127\.0\.0\.2 TTL 30\)/,
  );
  assert.equal(served.at(-1)!.message, '2/2 nameservers serve the new answer');
  const v = await kind.verify(w.ctx(), toFailover);
  assert.equal(v.ok, true, v.evidence);
  assert.equal(
    v.evidence,
    'powerdns API 127.0.0.3 TTL 5, 127.0.0.1:15353 serves 127.0.0.3 TTL 5; bind API 127.0.0.3 TTL 5, 127.0.0.1:15354 serves 127.0.0.3 TTL 5',
  );
  const again = await kind.isDone(w.ctx(), toFailover);
  assert.equal(again.done, true, again.evidence);
  assert.equal((await kind.plan(w.ctx(), toFailover)).alreadyDone, true);
  await kind.act(w.ctx(), toFailover, () => {});
  assert.deepEqual(
    [w.dns.powerdns.writes.length, w.dns.bind.writes.length],
    [1, 1],
    'acting again writes nothing: each provider saw one change',
  );
});

test('isDone is false while a provider holds the answer but its nameserver does not serve it yet; act then writes nothing and waits', async () => {
  const w = stepWorld();
  w.dns.powerdns.api = set(['127.0.0.3'], 5);
  w.dns.bind.api = set(['127.0.0.3'], 5); // both hold it, BIND's nameserver still serves the old answer
  w.dns.powerdns.served = set(['127.0.0.3'], 5);
  const d = await kind.isDone(w.ctx(), toFailover);
  assert.equal(d.done, false);
  assert.match(d.evidence, /127\.0\.0\.1:15354 serves 127\.0\.0\.2 TTL 30/);
  // the nameserver catches up while act polls
  let polls = 0;
  const query = w.services.dns.query;
  w.services.dns.query = async (...a) => {
    if (++polls === 4) w.dns.bind.served = w.dns.bind.api;
    return query(...a);
  };
  await kind.act(w.ctx(), toFailover, () => {});
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [0, 0]);
});

test('a failing provider API is retried with backoff; a reply lost after the write is found applied (no second write)', async () => {
  const w = stepWorld();
  w.dns.powerdns.failSets = 2;
  w.dns.bind.loseNextReply = true;
  await kind.act(w.ctx(), toFailover, () => {});
  assert.equal(w.dns.powerdns.writes.length, 1);
  assert.equal(
    w.dns.bind.writes.length,
    1,
    'the write whose reply was lost is not repeated: the next try reads it back',
  );
  assert.deepEqual(
    [...w.clock.sleeps].sort((x, y) => x - y),
    [250, 250, 500],
    'exponential backoff per provider',
  );
  assert.ok(
    w.logs.some((l) =>
      /^warn powerdns: try 1\/3 failed \(powerdns API: ECONNREFUSED \(fake\)\); retrying in 250 ms$/.test(l),
    ),
    w.logs.join('\n'),
  );
  assert.ok(
    w.logs.some((l) => /^warn powerdns: try 2\/3 failed .*retrying in 500 ms$/.test(l)),
    w.logs.join('\n'),
  );
});

test('a provider whose API stays down: retryable StepError naming which provider serves which answer; the other provider changed', async () => {
  const w = stepWorld();
  w.dns.powerdns.failGets = 100;
  const err = await kind
    .act(w.ctx(), toFailover, () => {})
    .then(
      () => assert.fail('expected a failure'),
      (e: unknown) => e,
    );
  assert.ok(err instanceof StepError);
  assert.equal(err.kind, 'unreachable');
  assert.equal(err.retryable, true);
  assert.equal(err.where, 'powerdns');
  assert.match(
    err.message,
    /^could not set app\.lab\.test A at powerdns \(powerdns API: ECONNREFUSED \(fake\)\) after 3 tries\. Now: powerdns API unreadable \(.*\), 127\.0\.0\.1:15353 serves 127\.0\.0\.2 TTL 30; bind API 127\.0\.0\.3 TTL 5, 127\.0\.0\.1:15354 serves 127\.0\.0\.3 TTL 5$/,
  );
  assert.equal(w.dns.bind.writes.length, 1);
  // the API comes back: a resumed step writes only the provider that still differs
  w.dns.powerdns.failGets = 0;
  assert.equal((await kind.isDone(w.ctx(), toFailover)).done, false);
  await kind.act(w.ctx(), toFailover, () => {});
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [1, 1]);
});

test('auth errors are not retried and not retryable; a concurrent writer (CAS conflict) is never overwritten blindly', async () => {
  const w = stepWorld();
  w.dns.bind.failSets = 1;
  w.dns.bind.failKind = 'auth';
  const e1 = await kind.act(w.ctx(), toFailover, () => {}).catch((e: unknown) => e);
  assert.ok(e1 instanceof StepError && e1.kind === 'auth' && e1.retryable === false, String(e1));
  assert.equal(w.logs.filter((l) => l.startsWith('warn bind')).length, 0, 'no retry of an auth failure');

  const w2 = stepWorld();
  w2.dns.bind.raceOnNextSet = set(['127.0.0.7'], 30); // someone else writes between our read and our write
  await kind.act(w2.ctx(), toFailover, () => {});
  assert.equal(w2.dns.bind.writes.length, 1);
  assert.deepEqual(
    w2.dns.bind.writes[0]!.expected,
    set(['127.0.0.7'], 30),
    'the retry compared against what it read again, not the stale value',
  );
  assert.ok(w2.logs.some((l) => /^warn bind: try 1\/3 failed \(bind: record changed since it was read\)/.test(l)));
});

test('nameservers that never serve the answer: timeout StepError (retryable) after servedTimeoutMs, with who serves what', async () => {
  const w = stepWorld();
  w.dns.bind.lagServes = 1_000_000;
  const p = dnsSetRecordsParams.parse({
    record: 'app.lab.test',
    site: 'failover',
    ttlSeconds: 5,
    servedTimeoutMs: 1000,
  });
  const e = await kind.act(w.ctx(), p, () => {}).catch((x: unknown) => x);
  assert.ok(e instanceof StepError && e.kind === 'timeout' && e.retryable);
  assert.match(e.message, /127\.0\.0\.1:15354 serves 127\.0\.0\.2 TTL 30/);
  assert.ok(w.clock.t - 1_000_000 >= 1000 && w.clock.t - 1_000_000 < 1300, `waited ${w.clock.t - 1_000_000} ms`);
});

test("rollback restores each provider's recorded before-value and waits until served; an unknown before is reported, not guessed", async () => {
  const w = stepWorld();
  w.probes.set('http://127.0.0.2:15380/health', [healthy()]);
  const recorded = await kind.plan(w.ctx(), toFailover);
  await kind.act(w.ctx(), toFailover, () => {});
  const r = await kind.rollback!(w.ctx(), toFailover, recorded);
  assert.equal(r.ok, true, r.evidence);
  assert.deepEqual(
    [w.dns.powerdns.api, w.dns.bind.api, w.dns.bind.served],
    [set(['127.0.0.2'], 30), set(['127.0.0.2'], 30), set(['127.0.0.2'], 30)],
  );
  assert.match(r.evidence, /^restored powerdns → 127\.0\.0\.2 TTL 30, bind → 127\.0\.0\.2 TTL 30\. Now: /);

  const partial = {
    ...recorded,
    changes: recorded.changes.map((c) => (c.target.startsWith('powerdns') ? { ...c, before: 'unknown' } : c)),
  };
  await kind.act(w.ctx(), toFailover, () => {});
  const r2 = await kind.rollback!(w.ctx(), toFailover, partial);
  assert.equal(r2.ok, false);
  assert.match(r2.evidence, /not restored \(the plan did not know their value before\): powerdns/);
  assert.deepEqual(w.dns.bind.api, set(['127.0.0.2'], 30));
});

test('rollback refuses to point the record back at a site whose entry fails now (a failover rolled back while the primary is down)', async () => {
  const w = stepWorld();
  const recorded = await kind.plan(w.ctx(), toFailover);
  await kind.act(w.ctx(), toFailover, () => {});
  w.probes.set('http://127.0.0.2:15380/health', [unhealthy()]);
  const r = await kind.rollback!(w.ctx(), toFailover, recorded);
  assert.equal(r.ok, false);
  assert.equal(
    r.evidence,
    'not restored: it would point app.lab.test back at site primary, whose entry http://127.0.0.2:15380/health fails now (HTTP 503); the record stays as it is — restore it by hand once primary is healthy',
  );
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [1, 1], 'nothing written');
});
