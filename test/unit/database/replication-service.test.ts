import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnvironmentSchema } from '../../../electron/core/config/workspace-schema.ts';
import type { Environment } from '../../../electron/core/config/workspace-schema.ts';
import type { NodeObservation, ReplicationAdapter } from '../../../electron/core/database/replication-adapter.ts';
import { ReplicationService } from '../../../electron/core/database/replication-service.ts';

function env(): Environment {
  const ssh = (host: string) => ({ host, port: 2222, user: 'op', privateKey: { file: '/k' }, knownHosts: '/kh' });
  const db = (name: string, site: string, host: string) => ({
    name,
    site,
    engine: 'postgresql',
    host,
    port: 5432,
    user: 'postgres',
    password: { env: 'PGPASS' },
    viaSsh: true,
  });
  return EnvironmentSchema.parse({
    name: 'lab',
    objectives: { rtoSeconds: 60, rpoSeconds: 5 },
    zone: 'lab.test',
    sites: [
      {
        name: 'a',
        role: 'production',
        address: '127.0.0.2',
        ssh: ssh('127.0.0.2'),
        router: { kind: 'haproxy', entryUrl: 'http://127.0.0.2/', adminSocket: '/s', backend: 'be' },
        slots: [{ name: 'blue', url: 'http://127.0.0.2:1', routerId: 'blue' }],
      },
      {
        name: 'b',
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
    databases: [db('pg-a', 'a', '127.0.0.2'), db('pg-b', 'b', '127.0.0.3')],
  });
}

const primary = (lsn: string, serverNow = 10_000): NodeObservation => ({
  role: 'primary',
  serverNow,
  serverVersion: 150000,
  currentLsn: lsn,
  peers: [],
  receiveLsn: null,
  replayLsn: null,
  lastReplayAt: null,
  replayPauseState: null,
  walReceiver: null,
});
const replica = (replay: string, o: Partial<NodeObservation> = {}): NodeObservation => ({
  role: 'replica',
  serverNow: 10_000,
  serverVersion: 150000,
  currentLsn: null,
  peers: [],
  receiveLsn: replay,
  replayLsn: replay,
  lastReplayAt: 9_000,
  replayPauseState: 'not paused',
  walReceiver: 'streaming',
  ...o,
});

type Behaviour = () => Promise<NodeObservation>;
function fakes(behaviours: Record<string, Behaviour>) {
  const calls: Record<string, number> = {};
  const create = (db: { name: string }): ReplicationAdapter => ({
    engine: 'postgresql',
    capabilities: { observe: true, fence: false, promote: false, rewind: false },
    observe: () => {
      calls[db.name] = (calls[db.name] ?? 0) + 1;
      return behaviours[db.name]!();
    },
    close: async () => {},
  });
  return { create, calls };
}

function service(
  behaviours: Record<string, Behaviour>,
  extra: Partial<ConstructorParameters<typeof ReplicationService>[0]> = {},
) {
  let clock = 1_000_000;
  const samples: [string, number, number | null, number | null][] = [];
  const { create, calls } = fakes(behaviours);
  const svc = new ReplicationService({
    env: env(),
    now: () => clock,
    onSample: (...s) => samples.push(s),
    createAdapter: (db) => create(db),
    ...extra,
  });
  return { svc, samples, calls, tick: (ms: number) => (clock += ms), now: () => clock };
}

test('primary + streaming replica: roles, lag from the same round, samples for the replica only', async () => {
  const { svc, samples, now } = service({
    'pg-a': async () => primary('0/5000100'),
    'pg-b': async () => replica('0/5000000'),
  });
  await svc.pollOnce();
  const [a, b] = svc.statuses();
  assert.equal(a?.role, 'primary');
  assert.equal(a?.state, 'ok');
  assert.equal(a?.lagBytes, null);
  assert.equal(a?.reason, undefined);
  assert.deepEqual(
    {
      role: b?.role,
      state: b?.state,
      lagBytes: b?.lagBytes,
      lagSeconds: b?.lagSeconds,
      replayPaused: b?.replayPaused,
      walReceiver: b?.walReceiver,
      viaSsh: b?.viaSsh,
      observedAt: b?.observedAt,
      lastGoodAt: b?.lastGoodAt,
    },
    {
      role: 'replica',
      state: 'ok',
      lagBytes: 256,
      lagSeconds: 1,
      replayPaused: false,
      walReceiver: 'streaming',
      viaSsh: true,
      observedAt: now(),
      lastGoodAt: now(),
    },
  );
  assert.deepEqual(samples, [['pg-b', now(), 256, 1]]);
});

test('paused replay is reported, with the pause in the reason', async () => {
  const { svc } = service({
    'pg-a': async () => primary('0/6000000'),
    'pg-b': async () => replica('0/5000000', { receiveLsn: '0/6000000', replayPauseState: 'paused' }),
  });
  await svc.pollOnce();
  const b = svc.statuses()[1]!;
  assert.equal(b.replayPaused, true);
  assert.equal(b.lagBytes, 0x1000000);
  assert.match(b.reason ?? '', /WAL replay paused/);
});

test('a hung node never stalls the other: the round ends at the node timeout', async () => {
  let bLsn = '0/5000000';
  const { svc, tick, now } = service(
    { 'pg-a': () => new Promise<NodeObservation>(() => {}), 'pg-b': async () => replica(bLsn) },
    { nodeTimeoutMs: 150 },
  );
  const t0 = performance.now();
  await svc.pollOnce();
  const took = performance.now() - t0;
  assert.ok(took < 1000, `round took ${took} ms`);
  let [a, b] = svc.statuses();
  assert.equal(a?.state, 'unknown');
  assert.equal(a?.role, 'unknown');
  assert.match(a?.reason ?? '', /no answer within 150 ms/);
  assert.equal(b?.state, 'ok');
  assert.equal(b?.lagBytes, null, 'no primary this round: lag unknown');
  assert.match(
    b?.reason ?? '',
    /lag unknown: no primary reachable this round \(unknown: pg-a\); received but not replayed: 0 bytes/,
  );
  // next round: the hung call is still pending, so it is not started again
  tick(1000);
  bLsn = '0/5000001';
  await svc.pollOnce();
  [a, b] = svc.statuses();
  assert.match(a?.reason ?? '', /previous observation is still running/);
  assert.equal(b?.observedAt, now(), 'the healthy node kept updating');
});

test('failures keep lastGoodAt; the breaker opens after 3 and the reason keeps the last real error', async () => {
  let fail = false;
  const { svc, tick, calls } = service(
    {
      'pg-a': async () => primary('0/1'),
      'pg-b': async () => {
        if (fail)
          throw Object.assign(new Error('ssh refused'), {
            error: { kind: 'unreachable', message: 'SSH connection to [127.0.0.3]:2222 refused' },
          });
        return replica('0/1');
      },
    },
    { breaker: { consecutiveFailures: 3, halfOpenAfterMs: 60_000 } },
  );
  await svc.pollOnce();
  const good = svc.statuses()[1]!.lastGoodAt;
  assert.ok(good);
  fail = true;
  for (let i = 0; i < 3; i++) {
    tick(1000);
    await svc.pollOnce();
    const b = svc.statuses()[1]!;
    assert.equal(b.state, 'unknown');
    assert.equal(b.lastGoodAt, good);
    assert.equal(b.reason, 'SSH connection to [127.0.0.3]:2222 refused');
  }
  tick(1000);
  await svc.pollOnce();
  const b = svc.statuses()[1]!;
  assert.equal(calls['pg-b'], 4, 'not called while the circuit is open');
  assert.equal(
    b.reason,
    'not polled: circuit open after repeated failures; last error: SSH connection to [127.0.0.3]:2222 refused',
  );
  assert.equal(svc.breakerStates()['pg-b'], 'open');
});

test('two primaries: both flagged as possible split brain', async () => {
  const { svc } = service({ 'pg-a': async () => primary('0/1'), 'pg-b': async () => primary('0/2') });
  await svc.pollOnce();
  for (const s of svc.statuses()) {
    assert.equal(s.role, 'primary');
    assert.match(s.reason ?? '', /2 primaries observed \(pg-a, pg-b\): possible split brain/);
  }
});

test('unknown nodes emit null samples (a gap), and a node that recovers resets its caught-up bound', async () => {
  let down = true;
  const { svc, samples, tick } = service({
    'pg-a': async () => primary('0/100'),
    'pg-b': async () => {
      if (down) throw new Error('boom');
      return replica('0/100');
    },
  });
  await svc.pollOnce();
  assert.deepEqual(samples.at(-1)?.slice(2), [null, null]);
  down = false;
  tick(1000);
  await svc.pollOnce();
  assert.deepEqual(samples.at(-1)?.slice(2), [0, 0]);
});

test('a replica without WAL receiver says so', async () => {
  const { svc } = service({
    'pg-a': async () => primary('0/100'),
    'pg-b': async () => replica('0/100', { walReceiver: null }),
  });
  await svc.pollOnce();
  assert.match(svc.statuses()[1]!.reason ?? '', /no WAL receiver running/);
});

test('before the first round every node is unknown, "not observed yet"', () => {
  const { svc } = service({ 'pg-a': async () => primary('0/1'), 'pg-b': async () => replica('0/1') });
  assert.deepEqual(
    svc.statuses().map((s) => [s.state, s.role, s.reason, s.lastGoodAt]),
    [
      ['unknown', 'unknown', 'not observed yet', null],
      ['unknown', 'unknown', 'not observed yet', null],
    ],
  );
});
