/**
 * `dns.set-ttl` / `dns.set-records` with a LIST of records: both forms of params, one TTL drain
 * for every record, records already done skipped, every record named by references, and the
 * TTL step never verifying "every nameserver" with a provider left out.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  DnsProvider,
  DnsRecordSet,
  DnsRecordType,
  SetRecordSetOptions,
} from '../../../../electron/core/dns/dns-provider.ts';
import { formatIssues, parseWorkspace } from '../../../../electron/core/config/load-workspace.ts';
import { DnsProviderError } from '../../../../electron/core/dns/dns-provider-error.ts';
import { createBuiltinStepRegistry } from '../../../../electron/core/runbooks/builtin-steps.ts';
import { parseRunbook } from '../../../../electron/core/runbooks/load-runbook.ts';
import { StepError } from '../../../../electron/core/runbooks/step-error.ts';
import { dnsSetRecordsKind, dnsSetRecordsParams } from '../../../../electron/core/runbooks/steps/dns-set-records.ts';
import { dnsSetTtlKind, dnsSetTtlParams } from '../../../../electron/core/runbooks/steps/dns-set-ttl.ts';
import { validWorkspaceYaml } from '../../config/valid-workspace.ts';
import { FakeDnsProvider, set, stepWorld, type StepWorld } from './step-fakes.ts';

/** One provider holding several records, each a {@link FakeDnsProvider} (which models one record). */
class MultiRecordProvider implements DnsProvider {
  readonly name: string;
  readonly kind: string;
  readonly capabilities: DnsProvider['capabilities'];
  readonly byName = new Map<string, FakeDnsProvider>();
  constructor(one: FakeDnsProvider) {
    this.name = one.name;
    this.kind = one.kind;
    this.capabilities = one.capabilities;
  }
  of(fqdn: string): FakeDnsProvider {
    const r = this.byName.get(fqdn);
    if (!r) throw new DnsProviderError('invalid-input', `${this.name}: no fake for ${fqdn}`);
    return r;
  }
  getRecordSet(fqdn: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | null> {
    return this.of(fqdn).getRecordSet(fqdn, type, signal);
  }
  setRecordSet(fqdn: string, type: DnsRecordType, v: string[], ttl: number, o?: SetRecordSetOptions): Promise<void> {
    return this.of(fqdn).setRecordSet(fqdn, type, v, ttl, o);
  }
  describeWrite(fqdn: string, type: DnsRecordType, want: DnsRecordSet | null, expected?: DnsRecordSet | null): string {
    return this.of(fqdn).describeWrite(fqdn, type, want, expected);
  }
  async close(): Promise<void> {}
}

/** The step world with a second record `api.lab.test` (127.0.0.2 TTL 30 at both providers, like app.lab.test). */
function twoRecordWorld(): StepWorld & { api: { powerdns: FakeDnsProvider; bind: FakeDnsProvider } } {
  const w = stepWorld();
  w.env.records.push({ ...w.env.records[0]!, name: 'api.lab.test' });
  const api = {
    powerdns: new FakeDnsProvider('powerdns', 'powerdns', set(['127.0.0.2'], 30)),
    bind: new FakeDnsProvider('bind', 'rfc2136', set(['127.0.0.2'], 30)),
  };
  const multi = {
    powerdns: new MultiRecordProvider(w.dns.powerdns),
    bind: new MultiRecordProvider(w.dns.bind),
  };
  for (const k of ['powerdns', 'bind'] as const) {
    multi[k].byName.set('app.lab.test', w.dns[k]);
    multi[k].byName.set('api.lab.test', api[k]);
  }
  const byServer = new Map([
    ['127.0.0.1:15353', multi.powerdns],
    ['127.0.0.1:15354', multi.bind],
  ]);
  Object.assign(w.services.dns, {
    providers: [multi.powerdns, multi.bind],
    query: async (server: string, fqdn: string) => {
      const p = byServer.get(server);
      if (!p) throw new DnsProviderError('unreachable', `${server}: ECONNREFUSED`);
      return p.of(fqdn).answer();
    },
  });
  return Object.assign(w, { api });
}

const both = ['app.lab.test', 'api.lab.test'];

test('params: one record or a list; neither, both or a duplicate is refused with a clear message', () => {
  assert.deepEqual(dnsSetTtlParams.parse({ record: 'app.lab.test', ttlSeconds: 5 }).record, 'app.lab.test');
  assert.deepEqual(dnsSetTtlParams.parse({ records: both, ttlSeconds: 5 }).records, both);
  for (const bad of [
    { ttlSeconds: 5 },
    { record: 'app.lab.test', records: both, ttlSeconds: 5 },
    { records: [], ttlSeconds: 5 },
    { records: ['app.lab.test', 'APP.lab.test.'], ttlSeconds: 5 },
  ]) {
    const r = dnsSetTtlParams.safeParse(bad);
    assert.equal(r.success, false, JSON.stringify(bad));
  }
  const r = dnsSetRecordsParams.safeParse({ site: 'failover' });
  assert.equal(r.success, false);
  assert.match(JSON.stringify(r.error!.issues), /exactly one of \\"record\\" \(one name\) or \\"records\\"/);
  assert.equal(dnsSetRecordsParams.safeParse({ records: both, site: 'failover' }).success, true);
});

test('references name every record of the list, with its path (validate reports records.1)', () => {
  const ttl = dnsSetTtlKind.references!(dnsSetTtlParams.parse({ records: both, ttlSeconds: 5 }));
  assert.deepEqual(ttl, [
    { kind: 'record', name: 'app.lab.test', path: ['records', 0] },
    { kind: 'record', name: 'api.lab.test', path: ['records', 1] },
  ]);
  const recs = dnsSetRecordsKind.references!(dnsSetRecordsParams.parse({ records: both, site: 'failover' }));
  assert.deepEqual(recs, [
    { kind: 'record', name: 'app.lab.test', path: ['records', 0] },
    { kind: 'record', name: 'api.lab.test', path: ['records', 1] },
    { kind: 'site', name: 'failover', path: ['site'] },
  ]);
  const one = dnsSetTtlKind.references!(dnsSetTtlParams.parse({ record: 'app.lab.test', ttlSeconds: 5 }));
  assert.deepEqual(one, [{ kind: 'record', name: 'app.lab.test', path: ['record'] }]);
});

test('dns.set-ttl with two records: both lowered at both providers, ONE 30 s drain (not two), deadline journalled for each', async () => {
  const w = twoRecordWorld();
  const p = dnsSetTtlParams.parse({ records: both, ttlSeconds: 5 });
  const plan = await dnsSetTtlKind.plan(w.ctx({ runId: null }), p);
  assert.equal(plan.changes.length, 4, 'one change per record and provider');
  assert.ok(
    plan.notes.some((n) => /one wait for all 2 records/.test(n)),
    plan.notes.join('\n'),
  );
  const t0 = w.clock.t;
  await dnsSetTtlKind.act(w.ctx({ stepId: 'ttl' }), p, (x) => w.progress.push(x));
  for (const f of [w.dns.powerdns, w.dns.bind, w.api.powerdns, w.api.bind]) {
    assert.deepEqual(f.api, set(['127.0.0.2'], 5));
    assert.equal(f.writes.length, 1);
  }
  const countdown = w.progress.filter((x) => x.remainingMs !== undefined);
  assert.equal(countdown[0]!.remainingMs, 30_000, 'one countdown of the old TTL');
  assert.equal(countdown.filter((x) => x.remainingMs === 30_000).length, 1, 'the countdown does not start twice');
  const elapsed = w.clock.t - t0;
  assert.ok(elapsed >= 30_000 && elapsed < 31_000, `waited ${elapsed} ms: one TTL, not two`);
  const state = w.states.get(`${w.ctx({ stepId: 'ttl' }).runId}/ttl`)!;
  assert.equal(state.get('drainDeadline:app.lab.test'), state.get('drainDeadline:api.lab.test'));
  assert.equal(typeof state.get('drainDeadline:app.lab.test'), 'number');
  const done = await dnsSetTtlKind.isDone(w.ctx({ stepId: 'ttl' }), p);
  assert.equal(done.done, true, done.evidence);
  const served = w.logs.find((l) => l.includes('served by'))!;
  assert.match(served, /app\.lab\.test: powerdns \(127\.0\.0\.1:15353\), bind \(127\.0\.0\.1:15354\)/);
  assert.match(served, /api\.lab\.test: powerdns \(127\.0\.0\.1:15353\), bind \(127\.0\.0\.1:15354\)/);
  assert.match(served, /waiting 30 s \(old TTL 30 s of a\w+\.lab\.test\), once for all 2 records/);
});

test('dns.set-ttl: a record already lowered by this run is not written again; the other is, still one drain', async () => {
  const w = twoRecordWorld();
  const p = dnsSetTtlParams.parse({ records: both, ttlSeconds: 5 });
  // an earlier try of this step lowered app.lab.test and drained it (its deadline is in the journal)
  await dnsSetTtlKind.act(
    w.ctx({ stepId: 'ttl' }),
    dnsSetTtlParams.parse({ record: 'app.lab.test', ttlSeconds: 5 }),
    () => {},
  );
  w.progress.length = 0;
  const t0 = w.clock.t;
  await dnsSetTtlKind.act(w.ctx({ stepId: 'ttl' }), p, (x) => w.progress.push(x));
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [1, 1], 'app.lab.test written once');
  assert.deepEqual([w.api.powerdns.writes.length, w.api.bind.writes.length], [1, 1]);
  assert.ok(w.clock.t - t0 < 31_000, `one drain for the new record: ${w.clock.t - t0} ms`);
});

test('dns.set-ttl: a provider unreadable for one record stops the step before any write, naming it (retryable)', async () => {
  const w = twoRecordWorld();
  w.api.bind.failGets = 100;
  const p = dnsSetTtlParams.parse({ records: both, ttlSeconds: 5 });
  await assert.rejects(
    dnsSetTtlKind.act(w.ctx(), p, () => {}),
    (e: unknown) => {
      assert.ok(e instanceof StepError);
      assert.equal(e.retryable, true);
      assert.match(e.message, /cannot read api\.lab\.test A at bind .*no TTL was lowered/);
      return true;
    },
  );
  for (const f of [w.dns.powerdns, w.dns.bind, w.api.powerdns]) assert.equal(f.writes.length, 0);
  assert.ok(!w.logs.some((l) => /served by/.test(l)), 'never claims the TTL is served');
});

test('dns.set-records with two records: plan has a change and a dns-point effect per record; a record already pointed is skipped', async () => {
  const w = twoRecordWorld();
  w.dns.powerdns.api = w.dns.powerdns.served = set(['127.0.0.3'], 5);
  w.dns.bind.api = w.dns.bind.served = set(['127.0.0.3'], 5);
  const p = dnsSetRecordsParams.parse({ records: both, site: 'failover', ttlSeconds: 5 });
  const plan = await dnsSetRecordsKind.plan(w.ctx({ runId: null }), p);
  assert.deepEqual(
    plan.effects.map((e) => (e.type === 'dns-point' ? `${e.record}→${e.toSite}` : e.type)),
    ['app.lab.test→failover', 'api.lab.test→failover'],
  );
  assert.equal(plan.alreadyDone, false);
  assert.equal((await dnsSetRecordsKind.isDone(w.ctx(), p)).done, false);
  await dnsSetRecordsKind.act(w.ctx(), p, () => {});
  assert.deepEqual([w.dns.powerdns.writes.length, w.dns.bind.writes.length], [0, 0], 'app.lab.test already done');
  assert.deepEqual([w.api.powerdns.api, w.api.bind.api], [set(['127.0.0.3'], 5), set(['127.0.0.3'], 5)]);
  assert.ok(
    w.logs.some((l) => /app\.lab\.test A: every provider already holds and serves 127\.0\.0\.3; skipped/.test(l)),
  );
  const v = await dnsSetRecordsKind.verify(w.ctx(), p);
  assert.equal(v.ok, true, v.evidence);
  assert.match(v.evidence, /^app\.lab\.test: .* \| api\.lab\.test: /);
  assert.equal((await dnsSetRecordsKind.isDone(w.ctx(), p)).done, true);
});

test('validate reports an unknown record of a records list at its own line, and a list with a single-record field mixed in', () => {
  const ws = parseWorkspace(validWorkspaceYaml, '/w/workspace.yaml');
  assert.ok(ws.ok);
  const registry = createBuiltinStepRegistry();
  const rb = `version: 1
name: two
kind: custom
steps:
  - id: ttl
    kind: dns.set-ttl
    params:
      ttlSeconds: 5
      records:
        - app.lab.test
        - www.lab.test
`;
  const r = parseRunbook(rb, '/rb/two.yaml', registry, { environments: ws.workspace.environments });
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.issues.length, 1, formatIssues(r.issues));
  assert.equal(r.issues[0]!.field, 'steps[0].params.records[1]');
  assert.equal(r.issues[0]!.line, 11);
  assert.match(r.issues[0]!.message, /record "www\.lab\.test" does not exist/);
  const mixed = parseRunbook(
    rb.replace('      ttlSeconds: 5', '      ttlSeconds: 5\n      record: app.lab.test'),
    'm.yaml',
    registry,
  );
  assert.equal(mixed.ok, false);
  if (!mixed.ok) assert.match(formatIssues(mixed.issues), /exactly one of "record" \(one name\) or "records"/);
});
