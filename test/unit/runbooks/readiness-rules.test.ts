/**
 * Readiness rules (issue 7 §4) and the engine around them (§5): a wrong provider key refuses the
 * plan naming the provider; a run forced past it pauses (not fails) at the write and resume
 * finishes it once the key is right; readiness is judged again before the first irreversible
 * step; a step with an unresolved reference refuses at its turn whatever was overridden; a step
 * already done is not refused by safety rules.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { judgeReadiness } from '../../../electron/core/runbooks/readiness-rules.ts';
import { StepError } from '../../../electron/core/runbooks/step-error.ts';
import type { StepKind } from '../../../electron/core/runbooks/step-kind.ts';
import type { DnsProvider, DnsRecordSet, DnsRecordType } from '../../../electron/core/dns/dns-provider.ts';
import type { RunPlan } from '../../../electron/core/runbooks/run-plan.ts';
import type { Runbook } from '../../../electron/core/runbooks/runbook-schema.ts';
import { fakeRunbook, labEnvironment, labSnapshot, makeHarness, parseParams, type Harness } from './fakes.ts';

/** A provider whose reads and writes fail with `auth` while `badKey` is set. */
class FakeProvider implements DnsProvider {
  readonly kind = 'powerdns';
  readonly capabilities = { read: true as const, write: true, compareAndSwap: false };
  badKey = false;
  writes = 0;
  readonly sets = new Map<string, DnsRecordSet>();
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  #check(): void {
    if (this.badKey)
      throw Object.assign(new Error(`${this.name}: HTTP 401 Unauthorized`), { kind: 'auth', retryable: false });
  }
  async getRecordSet(fqdn: string, _type: DnsRecordType): Promise<DnsRecordSet | null> {
    this.#check();
    return this.sets.get(fqdn) ?? null;
  }
  async setRecordSet(fqdn: string, _type: DnsRecordType, values: string[], ttlSeconds: number): Promise<void> {
    this.#check();
    this.writes++;
    this.sets.set(fqdn, { values, ttlSeconds });
  }
  describeWrite(): string {
    return 'PATCH';
  }
  async close(): Promise<void> {}
}

const dnsParams = z.object({ record: z.string(), value: z.string() }).strict();
/** A minimal `dns.set-records` (same kind name: irreversible) writing every provider in order. */
function fakeDnsKind(providers: FakeProvider[]): StepKind<z.infer<typeof dnsParams>> {
  const all = (fqdn: string, v: string) => providers.every((p) => p.sets.get(fqdn)?.values[0] === v);
  return {
    kind: 'dns.set-records',
    params: dnsParams,
    references: (p) => [{ kind: 'record', name: p.record, path: ['record'] }],
    describe: (p) => `point ${p.record} at ${p.value}`,
    async plan(_ctx, p) {
      return { changes: [], commands: [], alreadyDone: false, notes: [], effects: [] };
      void p;
    },
    async isDone(_ctx, p) {
      return { done: all(p.record, p.value), evidence: 'read back' };
    },
    async act(_ctx, p) {
      for (const pr of providers)
        try {
          await pr.setRecordSet(p.record, 'A', [p.value], 5);
        } catch (e) {
          throw new StepError('auth', (e as Error).message);
        }
    },
    async verify(_ctx, p) {
      return { ok: all(p.record, p.value), evidence: 'every provider holds it' };
    },
  };
}

const nodeParams = z.object({ node: z.string() }).strict();
/** Needs a database node (`node` reference), changes nothing. */
const fakeNodeKind: StepKind<z.infer<typeof nodeParams>> = {
  kind: 'fake.node',
  params: nodeParams,
  references: (p) => [{ kind: 'node', name: p.node, path: ['node'] }],
  describe: (p) => `use ${p.node}`,
  async plan(ctx, p) {
    if (!ctx.env.databases.some((d) => d.name === p.node)) throw new Error(`no node ${p.node}`);
    return { changes: [], commands: [], alreadyDone: false, notes: [], effects: [] };
  },
  isDone: async () => ({ done: false, evidence: 'not yet' }),
  act: async () => {},
  verify: async () => ({ ok: true, evidence: 'ok' }),
};

function setup(): { h: Harness; pdns: FakeProvider; bind: FakeProvider; queries: string[]; nsDown: Set<string> } {
  const pdns = new FakeProvider('powerdns');
  const bind = new FakeProvider('bind');
  const queries: string[] = [];
  const nsDown = new Set<string>();
  const env = labEnvironment();
  const ref: { h?: Harness } = {};
  const services = {
    dns: {
      // bind first: a wrong PowerDNS key is found only after BIND changed, as in the issue
      providers: [bind, pdns],
      query: async (server: string) => {
        queries.push(server);
        if (nsDown.has(server)) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return {
          values: [],
          ttlSeconds: null,
          rcode: 'NOERROR' as const,
          authoritative: true,
          latencyMs: 1,
          transport: 'udp' as const,
        };
      },
    },
  };
  const h = makeHarness({
    kinds: [fakeDnsKind([bind, pdns]), fakeNodeKind],
    engine: {
      target: (name) => (name === 'lab' ? { env, services, snapshot: async () => ref.h!.snapshot.current } : undefined),
    },
  });
  ref.h = h;
  return { h, pdns, bind, queries, nsDown };
}

async function plan(h: Harness, rb: Runbook): Promise<RunPlan> {
  const r = await h.engine.planRun(parseParams(rb, h.registry), 'lab');
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const dnsStep = { id: 'point', kind: 'dns.set-records', params: { record: 'app.lab.test', value: '127.0.0.3' } };
const reason = 'provider key is being rotated, write it after';

test('judgeReadiness: a provider refusing its key, a silent nameserver and an unreachable node are each refused by name', async () => {
  const { pdns, nsDown } = setup();
  pdns.badKey = true;
  nsDown.add('127.0.0.1:15354');
  const bind = new FakeProvider('bind');
  const env = labEnvironment();
  const snapshot = labSnapshot({ db: { 'pg-replica': { state: 'unknown', role: 'unknown', reason: 'ECONNREFUSED' } } });
  const verdicts = await judgeReadiness({
    env,
    services: {
      dns: {
        providers: [bind, pdns],
        query: async (server) => {
          if (nsDown.has(server)) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
          return {
            values: [],
            ttlSeconds: null,
            rcode: 'NOERROR',
            authoritative: true,
            latencyMs: 1,
            transport: 'udp' as const,
          };
        },
      },
    },
    snapshot,
    steps: [
      { id: 'point', kind: fakeDnsKind([bind, pdns]), params: { record: 'app.lab.test', value: '127.0.0.3' } },
      { id: 'use', kind: { ...fakeNodeKind, kind: 'db.promote' }, params: { node: 'pg-replica' } },
      // a fence may target a node that is down on purpose: not judged here
      { id: 'fence', kind: { ...fakeNodeKind, kind: 'db.fence' }, params: { node: 'pg-replica' } },
    ],
  });
  const by = (rule: string, verdict: string) => verdicts.filter((v) => v.rule === rule && v.verdict === verdict);
  assert.equal(by('dns-provider-ready', 'pass').length, 1, 'bind is read');
  const refused = by('dns-provider-ready', 'refuse');
  assert.equal(refused.length, 1);
  assert.match(
    refused[0]!.evidence,
    /DNS provider powerdns \(powerdns\) cannot be read for app\.lab\.test A: auth: .*401/,
  );
  assert.equal(refused[0]!.overridable, true);
  assert.match(
    by('nameservers-answer', 'refuse')[0]!.evidence,
    /nameserver 127\.0\.0\.1:15354 of bind does not answer/,
  );
  assert.equal(by('nameservers-answer', 'pass').length, 1);
  const hosts = verdicts.filter((v) => v.rule === 'hosts-reachable');
  assert.equal(hosts.length, 1, 'only the promote needs the node');
  assert.equal(hosts[0]!.verdict, 'refuse');
  assert.match(hosts[0]!.evidence, /database node pg-replica .* cannot be reached: ECONNREFUSED/);
});

test('a wrong provider key refuses the plan naming provider and rule; executing it changes nothing', async () => {
  const { h, pdns, bind } = setup();
  try {
    pdns.badKey = true;
    const p = await plan(h, fakeRunbook([{}, dnsStep]));
    const b = p.blocking.find((v) => v.rule === 'dns-provider-ready');
    assert.ok(b, `blocking: ${JSON.stringify(p.blocking)}`);
    assert.equal(b.stepId, 'point');
    assert.match(b.evidence, /powerdns/);
    assert.equal(p.rules.find((r) => r.rule === 'dns-provider-ready')?.verdict, 'refuse');
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.error.kind, 'unsafe-plan');
    assert.equal(bind.writes + pdns.writes, 0);
    assert.deepEqual(h.world.applied, {});
  } finally {
    h.close();
  }
});

test('forced past readiness, a run pauses at the failing write (auth) and resume finishes it once the key is fixed', async () => {
  const { h, pdns, bind } = setup();
  try {
    pdns.badKey = true;
    const p = await plan(h, fakeRunbook([{}, dnsStep]));
    const r = await h.engine.executeRun(p, {
      confirmedEnvName: 'lab',
      overrides: [{ rule: 'dns-provider-ready', reason }],
    });
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.value.status, 'paused', 'an auth failure pauses: the run can be finished');
    const run = h.journal.getRun(r.value.runId)!;
    assert.equal(run.pauseReason, 'step-failed');
    assert.match(run.detail ?? '', /step point failed: .*401.*\(auth: resume when the cause is fixed/);
    assert.equal(bind.writes, 1, 'bind was written before powerdns refused');
    pdns.badKey = false;
    const resumed = await h.engine.resumeRun(r.value.runId);
    assert.equal(resumed.ok, true);
    if (resumed.ok) assert.equal(resumed.value.status, 'succeeded');
    assert.equal(pdns.writes, 1);
    assert.equal(h.world.applied.k0, 1, 'the step done before was not run again');
  } finally {
    h.close();
  }
});

test('readiness is judged again before the first irreversible step: a key broken after the plan pauses the run before any DNS write', async () => {
  const { h, pdns, bind } = setup();
  try {
    const p = await plan(h, fakeRunbook([{}, dnsStep]));
    assert.equal(p.blocking.length, 0, JSON.stringify(p.blocking));
    pdns.badKey = true;
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.equal(r.ok, true);
    if (!r.ok) return;
    assert.equal(r.value.status, 'paused');
    const run = h.journal.getRun(r.value.runId)!;
    assert.equal(run.pauseReason, 'safety');
    assert.match(run.detail ?? '', /readiness refused before step point .*dns-provider-ready/s);
    assert.equal(bind.writes + pdns.writes, 0, 'no provider was written');
    assert.equal(h.world.applied.k0, 1, 'the reversible step before it ran');
    pdns.badKey = false;
    const resumed = await h.engine.resumeRun(r.value.runId);
    assert.ok(resumed.ok && resumed.value.status === 'succeeded');
    assert.equal(bind.writes, 1);
    assert.equal(pdns.writes, 1);
  } finally {
    h.close();
  }
});

test('an override of plan-computed never lets a step act on an unresolved reference', async () => {
  const { h } = setup();
  try {
    // names a node the environment lacks (the loader checks names against any environment)
    const p = await plan(h, fakeRunbook([{}, { id: 'use', kind: 'fake.node', params: { node: 'pg-nowhere' } }]));
    assert.ok(p.blocking.some((v) => v.rule === 'plan-computed' && v.stepId === 'use'));
    const r = await h.engine.executeRun(p, {
      confirmedEnvName: 'lab',
      overrides: [{ rule: 'plan-computed', reason: 'we know the plan cannot be computed' }],
    });
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.value.status, 'paused');
    const run = h.journal.getRun(r.value.runId)!;
    assert.equal(run.pauseReason, 'safety');
    assert.match(run.detail ?? '', /database node "pg-nowhere" \(params\.node\)/);
    assert.equal(h.world.applied.k0, 1, 'steps before it ran');
    const again = await h.engine.resumeRun(r.value.runId, {
      overrides: [{ rule: 'plan-computed', reason: 'still want it, really now' }],
    });
    assert.ok(again.ok && again.value.status === 'paused', 'the refusal is not overridable');
  } finally {
    h.close();
  }
});

test('a step whose effect is already in place is not refused by safety rules', async () => {
  const { h } = setup();
  try {
    h.world.values.k0 = 'v';
    // would move app.lab.test to an unhealthy site, were it not already done
    h.snapshot.current = labSnapshot({ failover: { state: 'unhealthy', entry: 'unhealthy' } });
    const effects = [{ type: 'dns-point', record: 'app.lab.test', toSite: 'failover', values: ['127.0.0.3'] }];
    const p = await plan(h, fakeRunbook([{ params: { key: 'k0', value: 'v', effects } }]));
    assert.equal(p.blocking.length, 0, JSON.stringify(p.blocking));
    const r = await h.engine.executeRun(p, { confirmedEnvName: 'lab' });
    assert.ok(r.ok && r.value.status === 'succeeded', JSON.stringify(r));
    assert.equal(h.world.applied.k0, undefined, 'nothing was applied again');
  } finally {
    h.close();
  }
});

test('judgeReadiness: a node rebuilt by an earlier rejoin may be down now; a rejoin source may not', async () => {
  const kind = (k: string): StepKind => ({ ...fakeNodeKind, kind: k }) as StepKind;
  const rejoinKind: StepKind = {
    ...(fakeNodeKind as StepKind),
    kind: 'db.rejoin',
    references: (p) => [
      { kind: 'node', name: (p as { node: string }).node, path: ['node'] },
      { kind: 'node', name: (p as { source: string }).source, path: ['source'] },
    ],
  };
  const down = { state: 'unknown' as const, role: 'unknown' as const, reason: 'connection refused' };
  // failback: the old primary is stopped (fenced) until the rejoin rebuilds it
  const failback = await judgeReadiness({
    env: labEnvironment(),
    services: {},
    snapshot: labSnapshot({ db: { 'pg-primary': down } }),
    steps: [
      { id: 'rejoin', kind: rejoinKind, params: { node: 'pg-primary', source: 'pg-replica' } },
      { id: 'lag', kind: kind('db.await-lag'), params: { node: 'pg-primary' } },
      { id: 'promote', kind: kind('db.promote'), params: { node: 'pg-primary' } },
    ],
  });
  assert.deepEqual(
    failback.filter((v) => v.verdict !== 'pass'),
    [],
  );
  assert.ok(
    failback.some((v) => v.stepId === 'rejoin' && v.verdict === 'pass'),
    'the source was judged',
  );
  const sourceDown = await judgeReadiness({
    env: labEnvironment(),
    services: {},
    snapshot: labSnapshot({ db: { 'pg-replica': down } }),
    steps: [{ id: 'rejoin', kind: rejoinKind, params: { node: 'pg-primary', source: 'pg-replica' } }],
  });
  assert.equal(sourceDown.length, 1);
  assert.equal(sourceDown[0]!.verdict, 'refuse');
  assert.match(sourceDown[0]!.evidence, /pg-replica .*connection refused/);
});
