/**
 * DnsService with fakes (providers and nameserver queries): bulkhead isolation, deadline,
 * breaker, unknown-with-reason, lastGoodAt, non-overlapping rounds.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { EnvironmentSchema, type Environment } from '../../../electron/core/config/workspace-schema.ts';
import { DnsService, type AuthoritativeQueryFn } from '../../../electron/core/dns/dns-service.ts';
import type { DnsProvider, DnsRecordSet } from '../../../electron/core/dns/dns-provider.ts';
import { DnsProviderError } from '../../../electron/core/dns/dns-provider-error.ts';

function makeEnv(): Environment {
  const site = (name: string, role: string, addr: string) => ({
    name,
    role,
    address: addr,
    ssh: { host: addr, user: 'u', privateKey: { file: '/k' }, knownHosts: '/kh' },
    router: { kind: 'nginx', entryUrl: `http://${addr}:1/health`, upstreamFile: '/u', nginxCommand: 'nginx' },
    slots: [{ name: 'blue', url: `http://${addr}:2`, routerId: 'b' }],
  });
  return EnvironmentSchema.parse({
    name: 'lab',
    objectives: { rtoSeconds: 60, rpoSeconds: 5 },
    sites: [site('primary', 'production', '127.0.0.2'), site('failover', 'failover', '127.0.0.3')],
    zone: 'lab.test',
    dnsProviders: [
      {
        name: 'pdns',
        kind: 'powerdns',
        apiUrl: 'http://127.0.0.1:9',
        apiKey: { env: 'K' },
        nameservers: ['127.0.0.1:1053'],
      },
      {
        name: 'bind',
        kind: 'rfc2136',
        server: '127.0.0.1:2053',
        tsigKey: { env: 'T' },
        nameservers: ['127.0.0.1:2053'],
      },
    ],
    records: [
      {
        name: 'app.lab.test',
        type: 'A',
        values: { primary: '127.0.0.2', failover: '127.0.0.3' },
        ttlSeconds: 30,
        failoverTtlSeconds: 5,
      },
    ],
  });
}

type Behaviour =
  | { kind: 'ok'; rs: DnsRecordSet | null }
  | { kind: 'fail'; error: Error }
  | { kind: 'hang' }
  | { kind: 'hang-ignoring-abort' };

/** Wait for a behaviour; `hang` honours the abort signal like real providers do. */
function act<T>(b: Behaviour, value: () => T, signal?: AbortSignal): Promise<T> {
  if (b.kind === 'ok') return Promise.resolve(value());
  if (b.kind === 'fail') return Promise.reject(b.error);
  if (b.kind === 'hang-ignoring-abort') return new Promise(() => {});
  return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

class FakeProvider implements DnsProvider {
  readonly capabilities = { read: true, write: true, compareAndSwap: false } as const;
  behaviour: Behaviour = { kind: 'ok', rs: { values: ['127.0.0.2'], ttlSeconds: 30 } };
  calls = 0;
  readonly name: string;
  readonly kind: string;
  constructor(name: string, kind: string) {
    this.name = name;
    this.kind = kind;
  }
  getRecordSet(_f: string, _t: string, signal?: AbortSignal): Promise<DnsRecordSet | null> {
    this.calls++;
    const b = this.behaviour;
    return act(b, () => (b.kind === 'ok' ? b.rs : null), signal);
  }
  async setRecordSet(): Promise<void> {}
  describeWrite(fqdn: string): string {
    return `set ${fqdn}`;
  }
  async close(): Promise<void> {}
}

function fakeQuery(): {
  fn: AuthoritativeQueryFn;
  ns: Map<string, Behaviour>;
  calls: Map<string, number>;
  aa: { value: boolean };
} {
  const ns = new Map<string, Behaviour>();
  const calls = new Map<string, number>();
  const aa = { value: true };
  const fn: AuthoritativeQueryFn = (server, _n, _t, opts) => {
    calls.set(server, (calls.get(server) ?? 0) + 1);
    const b = ns.get(server) ?? { kind: 'ok', rs: { values: ['127.0.0.2'], ttlSeconds: 30 } };
    return act(
      b,
      () => {
        const rs = b.kind === 'ok' ? b.rs : null;
        return {
          values: rs?.values ?? [],
          ttlSeconds: rs?.ttlSeconds ?? null,
          rcode: 'NOERROR' as const,
          authoritative: aa.value,
          latencyMs: 0.4,
          transport: 'udp' as const,
        };
      },
      opts.signal,
    );
  };
  return { fn, ns, calls, aa };
}

const refused = (where: string) => new DnsProviderError('unreachable', `ECONNREFUSED ${where}`);

function setup(opts: { queryTimeoutMs?: number; roundDeadlineMs?: number } = {}) {
  const env = makeEnv();
  const pdns = new FakeProvider('pdns', 'powerdns');
  const bind = new FakeProvider('bind', 'rfc2136');
  const q = fakeQuery();
  let clock = 1_000_000;
  const service = new DnsService({
    env,
    providers: [pdns, bind],
    query: q.fn,
    now: () => clock,
    queryTimeoutMs: opts.queryTimeoutMs ?? 100,
    retryBackoffMs: 5,
    ...(opts.roundDeadlineMs ? { roundDeadlineMs: opts.roundDeadlineMs } : {}),
  });
  return { env, pdns, bind, q, service, tick: (ms: number) => (clock += ms), now: () => clock };
}

describe('DnsService', () => {
  test('before the first round every source is unknown ("not polled yet")', () => {
    const { service } = setup();
    const [s] = service.statuses();
    assert.ok(s);
    assert.equal(s.providers.length, 2);
    assert.equal(s.providers[0]!.api.reason, 'not polled yet');
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['unknown'],
    );
  });

  test('a healthy round: API + served at both providers, pointsTo primary, no flags', async () => {
    const { service, now } = setup();
    await service.pollOnce();
    const [s] = service.statuses();
    assert.ok(s);
    assert.deepEqual(s.flags, []);
    assert.equal(s.pointsTo, 'primary');
    assert.deepEqual(Object.keys(s.providers[0]!.served), ['127.0.0.1:1053']);
    assert.deepEqual(s.providers[1]!.served['127.0.0.1:2053'], {
      state: 'ok',
      values: ['127.0.0.2'],
      ttlSeconds: 30,
      latencyMs: 0.4,
      observedAt: now(),
      lastGoodAt: now(),
    });
  });

  test('a dead provider becomes unknown with its reason and keeps lastGoodAt; the other stays ok', async () => {
    const { service, pdns, q, tick } = setup();
    await service.pollOnce();
    const goodAt = service.statuses()[0]!.providers[0]!.api.lastGoodAt;
    tick(1000);
    pdns.behaviour = { kind: 'fail', error: refused('127.0.0.1:9') };
    q.ns.set('127.0.0.1:1053', { kind: 'fail', error: refused('127.0.0.1:1053') });
    await service.pollOnce();
    const [s] = service.statuses();
    const p = s!.providers[0]!;
    assert.equal(p.api.state, 'unknown');
    assert.equal(p.api.reason, 'ECONNREFUSED 127.0.0.1:9');
    assert.equal(p.api.lastGoodAt, goodAt);
    assert.equal(p.served['127.0.0.1:1053']!.reason, 'ECONNREFUSED 127.0.0.1:1053');
    assert.equal(s!.providers[1]!.api.state, 'ok');
    assert.equal(s!.providers[1]!.pointsTo, 'primary');
    assert.deepEqual(
      s!.flags.map((f) => f.flag),
      ['unknown'],
    );
    assert.equal(pdns.calls, 3, 'one retry after the first failure in the round');
  });

  test('bulkhead: a hanging provider does not delay the other one; the round ends at its timeout', async () => {
    const { service, pdns, q } = setup({ queryTimeoutMs: 150 });
    pdns.behaviour = { kind: 'hang' };
    q.ns.set('127.0.0.1:1053', { kind: 'hang' });
    const t0 = performance.now();
    const round = service.pollOnce();
    await new Promise((r) => setTimeout(r, 40));
    const mid = service.statuses()[0]!;
    assert.equal(mid.providers[1]!.api.state, 'ok', 'bind is already observed while pdns still hangs');
    assert.equal(mid.providers[1]!.served['127.0.0.1:2053']!.state, 'ok');
    await round;
    const ms = performance.now() - t0;
    assert.ok(ms < service.roundDeadlineMs, `round took ${ms} ms (deadline ${service.roundDeadlineMs})`);
    assert.ok(ms >= 300, 'two attempts of 150 ms each');
    const s = service.statuses()[0]!;
    assert.equal(s.providers[0]!.api.reason, 'timeout after 150 ms');
    assert.equal(s.providers[0]!.served['127.0.0.1:1053']!.reason, 'timeout after 150 ms');
  });

  test('round deadline: a source that ignores cancellation is cut off, pollOnce returns on time', async () => {
    const { service, pdns } = setup({ queryTimeoutMs: 5000, roundDeadlineMs: 200 });
    pdns.behaviour = { kind: 'hang-ignoring-abort' };
    const t0 = performance.now();
    await service.pollOnce();
    const ms = performance.now() - t0;
    assert.ok(ms >= 195 && ms < 400, `round took ${ms} ms`);
    const s = service.statuses()[0]!;
    assert.equal(s.providers[0]!.api.reason, 'no answer within the 200 ms round deadline');
    assert.equal(s.providers[1]!.api.state, 'ok');
  });

  test('breaker: after 5 failed attempts the endpoint is not called any more, reason says so', async () => {
    const { service, pdns } = setup();
    pdns.behaviour = { kind: 'fail', error: refused('127.0.0.1:9') };
    for (let i = 0; i < 3; i++) await service.pollOnce(); // 2 attempts per round
    const callsWhenOpen = pdns.calls;
    assert.equal(callsWhenOpen, 5);
    const t0 = performance.now();
    await service.pollOnce();
    assert.ok(performance.now() - t0 < 50, 'an open breaker fails fast');
    assert.equal(pdns.calls, callsWhenOpen);
    assert.equal(
      service.statuses()[0]!.providers[0]!.api.reason,
      'breaker open after 5 failures (last: ECONNREFUSED 127.0.0.1:9)',
    );
    assert.equal(service.statuses()[0]!.providers[1]!.api.state, 'ok', 'bind has its own breaker');
  });

  test('auth errors are not retried and do not open the breaker', async () => {
    const { service, bind } = setup();
    bind.behaviour = {
      kind: 'fail',
      error: new DnsProviderError(
        'auth',
        '127.0.0.1:2053 answered NOTAUTH(BADSIG) for app.lab.test A',
        "check tsigKey file matches the server's key",
      ),
    };
    for (let i = 0; i < 6; i++) await service.pollOnce();
    assert.equal(bind.calls, 6);
    assert.equal(
      service.statuses()[0]!.providers[1]!.api.reason,
      '127.0.0.1:2053 answered NOTAUTH(BADSIG) for app.lab.test A',
    );
  });

  test('providers serving different sites → providers-disagree', async () => {
    const { service, bind, q } = setup();
    bind.behaviour = { kind: 'ok', rs: { values: ['127.0.0.3'], ttlSeconds: 30 } };
    q.ns.set('127.0.0.1:2053', { kind: 'ok', rs: { values: ['127.0.0.3'], ttlSeconds: 30 } });
    await service.pollOnce();
    const s = service.statuses()[0]!;
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['providers-disagree'],
    );
    assert.deepEqual(
      s.providers.map((p) => p.pointsTo),
      ['primary', 'failover'],
    );
  });

  test('a non-authoritative (AA=0) answer is unknown, not trusted', async () => {
    const { service, q } = setup();
    q.aa.value = false;
    await service.pollOnce();
    assert.match(service.statuses()[0]!.providers[0]!.served['127.0.0.1:1053']!.reason!, /without the AA flag/);
  });

  test('a configured provider without an instance: API unknown, nameservers still observed', async () => {
    const env = makeEnv();
    const q = fakeQuery();
    const service = new DnsService({ env, providers: [new FakeProvider('bind', 'rfc2136')], query: q.fn });
    await service.pollOnce();
    const p = service.statuses()[0]!.providers[0]!;
    assert.match(p.api.reason!, /no provider instance for "pdns"/);
    assert.equal(p.served['127.0.0.1:1053']!.state, 'ok');
  });

  test('a provider not in the environment is refused', () => {
    assert.throws(
      () => new DnsService({ env: makeEnv(), providers: [new FakeProvider('other', 'powerdns')] }),
      /not configured in environment lab/,
    );
  });

  test('rounds never overlap: concurrent pollOnce share one round; start/stop chains rounds', async () => {
    const { service, pdns } = setup();
    const a = service.pollOnce();
    assert.equal(service.pollOnce(), a);
    await a;
    assert.equal(pdns.calls, 1);
    service.start(40);
    await new Promise((r) => setTimeout(r, 150));
    await service.stop();
    const calls = pdns.calls;
    assert.ok(calls >= 3 && calls <= 6, `rounds ran: ${calls - 1}`);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(pdns.calls, calls, 'no round after stop()');
  });

  test('statuses() returns copies', async () => {
    const { service } = setup();
    await service.pollOnce();
    const s = service.statuses();
    s[0]!.providers[0]!.api.values.push('x');
    assert.deepEqual(service.statuses()[0]!.providers[0]!.api.values, ['127.0.0.2']);
  });
});

describe('DnsService: targets by name and insecure http', () => {
  test('a provider opted into plain http off loopback is marked insecureHttp; a resolved server is shown', async () => {
    const env = makeEnv();
    const pc = env.dnsProviders[0]!;
    assert.equal(pc.kind, 'powerdns');
    if (pc.kind !== 'powerdns') return;
    pc.apiUrl = 'http://pdns.example.net:8081';
    pc.allowInsecureHttp = true;
    pc.nameservers = ['ns1.example.net:53'];
    const query: AuthoritativeQueryFn = async () => ({
      values: ['127.0.0.2'],
      ttlSeconds: 30,
      rcode: 'NOERROR',
      authoritative: true,
      latencyMs: 1,
      transport: 'udp',
      server: 'ns1.example.net (192.0.2.53):53',
    });
    const service = new DnsService({
      env,
      providers: [new FakeProvider('pdns', 'powerdns'), new FakeProvider('bind', 'rfc2136')],
      query,
    });
    await service.pollOnce();
    const [pdns, bind] = service.statuses()[0]!.providers;
    assert.equal(pdns!.insecureHttp, true);
    assert.equal(bind!.insecureHttp, undefined);
    assert.equal(pdns!.served['ns1.example.net:53']!.server, 'ns1.example.net (192.0.2.53):53');
    // A loopback http API is not insecure even with the flag set.
    pc.apiUrl = 'http://127.0.0.1:9';
    assert.equal(service.statuses()[0]!.providers[0]!.insecureHttp, undefined);
  });
});
