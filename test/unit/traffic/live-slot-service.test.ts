import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentSchema } from '../../../electron/core/config/workspace-schema.ts';
import type { Environment } from '../../../electron/core/config/workspace-schema.ts';
import { LiveSlotService } from '../../../electron/core/traffic/live-slot-service.ts';
import type { LiveSlotReading, SlotRouter } from '../../../electron/core/traffic/slot-router.ts';

function env(): Environment {
  const ssh = (host: string) => ({ host, port: 2222, user: 'op', privateKey: { file: '/k' }, knownHosts: '/kh' });
  return EnvironmentSchema.parse({
    name: 'lab',
    objectives: { rtoSeconds: 60, rpoSeconds: 5 },
    zone: 'lab.test',
    sites: [
      {
        name: 'primary',
        role: 'production',
        address: '127.0.0.2',
        ssh: ssh('127.0.0.2'),
        router: { kind: 'nginx', entryUrl: 'http://127.0.0.2/', upstreamFile: '/u.conf', nginxCommand: 'nginx' },
        slots: [{ name: 'blue', url: 'http://127.0.0.2:1', routerId: '127.0.0.2:1' }],
      },
      {
        name: 'failover',
        role: 'failover',
        address: '127.0.0.3',
        ssh: ssh('127.0.0.3'),
        router: { kind: 'haproxy', entryUrl: 'http://127.0.0.3/', adminSocket: '/s', backend: 'be' },
        slots: [{ name: 'blue', url: 'http://127.0.0.3:1', routerId: 'blue' }],
      },
    ],
    dnsProviders: [
      {
        name: 'p',
        kind: 'powerdns',
        apiUrl: 'http://127.0.0.1:1',
        apiKey: { env: 'K' },
        nameservers: ['127.0.0.1:53'],
      },
    ],
    records: [],
  });
}

function router(kind: 'nginx' | 'haproxy', read: () => Promise<LiveSlotReading>): SlotRouter {
  return { kind, capabilities: { read: true, switch: false }, readLiveSlot: read };
}

test('reads each site; an unreachable site goes unknown with reason and keeps lastGoodAt; the other keeps updating', async () => {
  let clock = 1000;
  let failoverDown = false;
  const svc = new LiveSlotService({
    env: env(),
    now: () => clock,
    timeoutMs: 200,
    createRouter: (site) =>
      site.name === 'primary'
        ? router('nginx', async () => ({ liveSlot: 'blue', evidence: 'upstream app: server 127.0.0.2:1' }))
        : router('haproxy', async () => {
            if (failoverDown)
              throw Object.assign(new Error('x'), {
                error: { kind: 'unreachable', message: 'SSH connection to [127.0.0.3]:2222 refused' },
              });
            return {
              liveSlot: null,
              evidence: 'be/blue op_state=2 admin_state=0; be/green op_state=2 admin_state=0',
              reason: 'both slots live (blue, green)',
            };
          }),
  });
  assert.deepEqual(
    svc.statuses().map((s) => [s.site, s.router, s.state, s.reason]),
    [
      ['primary', 'nginx', 'unknown', 'not read yet'],
      ['failover', 'haproxy', 'unknown', 'not read yet'],
    ],
  );
  await svc.pollOnce();
  let [p, f] = svc.statuses();
  assert.deepEqual(p, {
    site: 'primary',
    router: 'nginx',
    state: 'ok',
    liveSlot: 'blue',
    evidence: 'upstream app: server 127.0.0.2:1',
    observedAt: 1000,
    lastGoodAt: 1000,
  });
  assert.equal(f?.state, 'ok');
  assert.equal(f?.liveSlot, null);
  assert.match(f?.reason ?? '', /both slots live/);
  clock = 2000;
  failoverDown = true;
  await svc.pollOnce();
  [p, f] = svc.statuses();
  assert.equal(p?.observedAt, 2000);
  assert.deepEqual(f, {
    site: 'failover',
    router: 'haproxy',
    state: 'unknown',
    liveSlot: null,
    reason: 'SSH connection to [127.0.0.3]:2222 refused',
    observedAt: 2000,
    lastGoodAt: 1000,
  });
});

test('a router that never answers is cut at the timeout without delaying the other site', async () => {
  const svc = new LiveSlotService({
    env: env(),
    timeoutMs: 100,
    createRouter: (site) =>
      site.name === 'primary'
        ? router('nginx', () => new Promise(() => {}))
        : router('haproxy', async () => ({ liveSlot: 'blue', evidence: 'e' })),
  });
  const t0 = performance.now();
  await svc.pollOnce();
  assert.ok(performance.now() - t0 < 1000);
  const [p, f] = svc.statuses();
  assert.equal(p?.state, 'unknown');
  assert.match(p?.reason ?? '', /did not answer within 100 ms/);
  assert.equal(f?.liveSlot, 'blue');
});
