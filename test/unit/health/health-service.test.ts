import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentSchema } from '../../../electron/core/config/workspace-schema.ts';
import type { Environment } from '../../../electron/core/config/workspace-schema.ts';
import { HealthService, healthTargets } from '../../../electron/core/health/health-service.ts';
import type { ProbeFn } from '../../../electron/core/health/probe-target.ts';
import type { ProbeStatus } from '../../../shared/status.ts';

function env(probes: Partial<Environment['probes']> = {}): Environment {
  const site = (name: string, role: 'production' | 'failover', ip: string) => ({
    name,
    role,
    address: ip,
    ssh: { host: ip, user: 'lab', privateKey: { file: '/tmp/k' }, knownHosts: '/tmp/kh' },
    router: { kind: 'nginx', entryUrl: `http://${ip}:15380/health`, upstreamFile: '/tmp/u', nginxCommand: 'nginx' },
    slots: [
      { name: 'blue', url: `http://${ip}:15301/`, routerId: `${ip}:15301` },
      { name: 'green', url: `http://${ip}:15302`, healthPath: '/healthz', routerId: `${ip}:15302` },
    ],
  });
  return EnvironmentSchema.parse({
    name: 'lab',
    objectives: { rtoSeconds: 60, rpoSeconds: 5 },
    probes: { intervalMs: 1000, timeoutMs: 800, healthyThreshold: 1, unhealthyThreshold: 2, ...probes },
    sites: [site('primary', 'production', '127.0.0.2'), site('failover', 'failover', '127.0.0.3')],
    zone: 'lab.test',
    dnsProviders: [
      {
        name: 'pdns',
        kind: 'powerdns',
        apiUrl: 'http://127.0.0.1:15381',
        apiKey: { env: 'K' },
        nameservers: ['127.0.0.1:15353'],
      },
    ],
    records: [],
  });
}

/** Fake attempt function (unit test only): per-URL up/down switch, counts calls and overlaps. */
function fakeProbe(delayMs = 2) {
  const down = new Set<string>();
  const calls = new Map<string, number>();
  const inFlight = new Set<string>();
  let overlaps = 0;
  const fn: ProbeFn = async (url, signal) => {
    if (inFlight.has(url)) overlaps++;
    inFlight.add(url);
    calls.set(url, (calls.get(url) ?? 0) + 1);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    inFlight.delete(url);
    return down.has(url)
      ? { ok: false, status: null, latencyMs: 1, error: `ECONNREFUSED ${new URL(url).host}` }
      : { ok: true, status: 200, latencyMs: 2, body: { slot: url.includes('15302') ? 'green' : 'blue' } };
  };
  return { fn, down, calls, overlaps: () => overlaps };
}

describe('healthTargets', () => {
  test('entry then slots per site, ids and URLs per the contract', () => {
    const t = healthTargets(env());
    assert.deepEqual(
      t.map((x) => [x.id, x.slot, x.url]),
      [
        ['lab/primary/entry', null, 'http://127.0.0.2:15380/health'],
        ['lab/primary/slot/blue', 'blue', 'http://127.0.0.2:15301/health'],
        ['lab/primary/slot/green', 'green', 'http://127.0.0.2:15302/healthz'],
        ['lab/failover/entry', null, 'http://127.0.0.3:15380/health'],
        ['lab/failover/slot/blue', 'blue', 'http://127.0.0.3:15301/health'],
        ['lab/failover/slot/green', 'green', 'http://127.0.0.3:15302/healthz'],
      ],
    );
  });
});

describe('HealthService', () => {
  test('statuses before any probe: all unknown, never healthy', () => {
    const svc = new HealthService({ env: env(), probe: fakeProbe().fn });
    const s = svc.statuses();
    assert.equal(s.length, 6);
    assert.ok(s.every((x) => x.state === 'unknown' && x.reason === 'not probed yet'));
  });

  test('pollOnce probes everything once; samples and verdict changes are reported', async () => {
    const fake = fakeProbe();
    fake.down.add('http://127.0.0.3:15302/healthz');
    const samples: [string, number, number | null][] = [];
    const changes: ProbeStatus[] = [];
    const svc = new HealthService({
      env: env(),
      probe: fake.fn,
      now: () => 42,
      onSample: (id, t, l) => samples.push([id, t, l]),
    });
    const off = svc.onChange((s) => changes.push(s));
    const s1 = await svc.pollOnce();
    assert.equal(samples.length, 6);
    assert.deepEqual(
      samples.find((x) => x[0] === 'lab/failover/slot/green'),
      ['lab/failover/slot/green', 42, null],
    );
    assert.equal(s1.filter((x) => x.state === 'healthy').length, 5);
    const green = s1.find((x) => x.id === 'lab/failover/slot/green')!;
    assert.equal(green.state, 'unknown');
    assert.match(green.reason ?? '', /^ECONNREFUSED 127\.0\.0\.3:15302 \(1 of 2/);
    assert.equal(changes.length, 5, 'unknown → healthy for 5 targets');
    assert.deepEqual(s1.find((x) => x.id === 'lab/primary/slot/blue')!.reported, { slot: 'blue' });

    const s2 = await svc.pollOnce();
    assert.equal(s2.find((x) => x.id === 'lab/failover/slot/green')!.state, 'unhealthy');
    assert.equal(changes.length, 6);
    assert.equal(changes[5]!.id, 'lab/failover/slot/green');
    off();
    fake.down.clear();
    await svc.pollOnce();
    assert.equal(changes.length, 6, 'unsubscribed');
    assert.ok(svc.statuses().every((x) => x.state === 'healthy'));
    await svc.stop();
  });

  test('start(): each target on its own timer at intervalMs, jittered, never overlapping; stop() halts', async () => {
    const fake = fakeProbe();
    const svc = new HealthService({ env: env({ intervalMs: 100, timeoutMs: 80 }), probe: fake.fn });
    svc.start();
    svc.start(); // idempotent
    assert.equal(svc.running, true);
    await new Promise((r) => setTimeout(r, 560));
    await svc.stop();
    assert.equal(svc.running, false);
    for (const [url, n] of fake.calls) assert.ok(n >= 4 && n <= 7, `${url}: ${n} probes in 560 ms at 100 ms`);
    assert.equal(fake.overlaps(), 0);
    const after = [...fake.calls.values()].reduce((a, b) => a + b, 0);
    await new Promise((r) => setTimeout(r, 250));
    assert.equal(
      [...fake.calls.values()].reduce((a, b) => a + b, 0),
      after,
      'no probe after stop()',
    );
  });

  test('a slow target does not overlap itself and does not delay the others', async () => {
    const slowUrl = 'http://127.0.0.2:15301/health';
    const calls = new Map<string, number>();
    let overlaps = 0;
    let slowInFlight = false;
    const fn: ProbeFn = (url, signal) => {
      calls.set(url, (calls.get(url) ?? 0) + 1);
      if (url !== slowUrl) return Promise.resolve({ ok: true, status: 200, latencyMs: 1 });
      if (slowInFlight) overlaps++;
      slowInFlight = true;
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => {
          slowInFlight = false;
          resolve({ ok: false, status: null, latencyMs: 0, error: 'aborted' });
        });
      });
    };
    const svc = new HealthService({ env: env({ intervalMs: 100, timeoutMs: 250 }), probe: fn });
    svc.start();
    await new Promise((r) => setTimeout(r, 620));
    await svc.stop();
    assert.equal(overlaps, 0);
    assert.ok((calls.get(slowUrl) ?? 0) <= 3, `slow target probed ${calls.get(slowUrl)} times`);
    assert.ok((calls.get('http://127.0.0.2:15380/health') ?? 0) >= 5);
    const slow = svc.statuses().find((s) => s.url === slowUrl)!;
    assert.match(slow.reason ?? '', /timeout after 250 ms/);
  });

  test('a throwing listener or sample sink does not stop probing', async () => {
    const svc = new HealthService({
      env: env(),
      probe: fakeProbe().fn,
      onSample: () => {
        throw new Error('sink down');
      },
    });
    let seen = 0;
    svc.onChange(() => {
      throw new Error('bad listener');
    });
    svc.onChange(() => seen++);
    await svc.pollOnce();
    assert.equal(seen, 6);
    await svc.stop();
  });

  test('stop() then start() without awaiting does not double the probe rate', async () => {
    let hang = true;
    let calls = 0;
    const fn: ProbeFn = (_url, signal) => {
      calls++;
      if (!hang) return Promise.resolve({ ok: true, status: 200, latencyMs: 1 });
      return new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ ok: false, status: null, latencyMs: 0, error: 'aborted' })),
      );
    };
    const svc = new HealthService({ env: env({ intervalMs: 100, timeoutMs: 5_000 }), probe: fn });
    svc.start();
    await new Promise((r) => setTimeout(r, 150)); // every target is now mid-probe
    hang = false;
    void svc.stop();
    svc.start();
    const before = calls;
    await new Promise((r) => setTimeout(r, 500));
    await svc.stop();
    const perTarget = (calls - before) / 6;
    assert.ok(perTarget <= 6, `${perTarget} probes per target in 500 ms at a 100 ms interval`);
  });
});
