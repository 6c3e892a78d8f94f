/**
 * awaitLag with fake nodes: converges, reports every round, times out with the last lag, treats
 * an unreadable round as unknown (never as caught up), refuses swapped roles and missing bounds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { awaitLag } from '../../../electron/core/database/await-lag.ts';
import type { LagProgress } from '../../../electron/core/database/await-lag.ts';
import type { NodeObservation, ReplicationAdapter } from '../../../electron/core/database/replication-adapter.ts';
import { ReplicationError } from '../../../electron/core/database/replication-error.ts';

const base: NodeObservation = {
  role: 'primary',
  serverNow: 1_000_000,
  serverVersion: 150000,
  currentLsn: null,
  peers: [],
  receiveLsn: null,
  replayLsn: null,
  lastReplayAt: null,
  replayPauseState: null,
  walReceiver: null,
};

function node(next: () => Partial<NodeObservation> | Error): ReplicationAdapter {
  return {
    engine: 'postgresql',
    capabilities: { observe: true, fence: false, promote: false, rewind: false },
    async observe() {
      const o = next();
      if (o instanceof Error) throw o;
      return { ...base, ...o };
    },
    async close() {},
  };
}

const hex = (n: number): string => `0/${n.toString(16).toUpperCase()}`;

test('waits until the replica replays up to the primary, reporting each round', async () => {
  let replay = 0x1000;
  const primary = node(() => ({ role: 'primary', currentLsn: hex(0x5000) }));
  const replica = node(() => {
    replay = Math.min(0x5000, replay + 0x1000);
    return {
      role: 'replica',
      replayLsn: hex(replay),
      receiveLsn: hex(0x5000),
      lastReplayAt: 999_000,
      walReceiver: 'streaming',
    };
  });
  const seen: LagProgress[] = [];
  const r = await awaitLag({
    primary,
    replica,
    maxBytes: 0,
    timeoutMs: 5000,
    intervalMs: 20,
    onProgress: (p) => seen.push(p),
  });
  assert.deepEqual(
    seen.map((p) => p.lagBytes),
    [0x3000, 0x2000, 0x1000, 0],
  );
  assert.equal(r.lagBytes, 0);
  assert.equal(r.lagSeconds, 0);
  assert.equal(r.rounds, 4);
  assert.equal(r.changed, false);
});

test('a bound already met returns after one round', async () => {
  const primary = node(() => ({ currentLsn: hex(0x2000) }));
  const replica = node(() => ({ role: 'replica', replayLsn: hex(0x1000), lastReplayAt: 999_500 }));
  const r = await awaitLag({ primary, replica, maxBytes: 0x1000, maxSeconds: 1, timeoutMs: 1000 });
  assert.deepEqual([r.rounds, r.lagBytes, r.lagSeconds], [1, 0x1000, 0.5]);
});

test('times out with the last lag in the message', async () => {
  const primary = node(() => ({ currentLsn: hex(0x9000) }));
  const replica = node(() => ({ role: 'replica', replayLsn: hex(0x1000), lastReplayAt: 900_000 }));
  const t0 = performance.now();
  await assert.rejects(awaitLag({ primary, replica, maxBytes: 0, timeoutMs: 300, intervalMs: 50 }), (e: unknown) => {
    assert.ok(e instanceof ReplicationError);
    assert.equal(e.error.kind, 'timeout');
    assert.match(e.message, /last: 32768 bytes \/ 100 s/);
    return true;
  });
  assert.ok(performance.now() - t0 < 1000);
});

test('an unreadable node is unknown, never caught up; it recovers', async () => {
  let round = 0;
  const primary = node(() => (++round <= 2 ? new Error('connection refused') : { currentLsn: hex(0x1000) }));
  const replica = node(() => ({ role: 'replica', replayLsn: hex(0x1000) }));
  const seen: LagProgress[] = [];
  const r = await awaitLag({
    primary,
    replica,
    maxBytes: 0,
    timeoutMs: 2000,
    intervalMs: 20,
    onProgress: (p) => seen.push(p),
  });
  assert.equal(seen[0]?.lagBytes, null);
  assert.match(seen[0]?.note ?? '', /not observed: connection refused/);
  assert.equal(r.rounds, 3);
});

test('refuses swapped roles and missing bounds', async () => {
  const replicaLike = node(() => ({ role: 'replica', replayLsn: hex(1) }));
  await assert.rejects(
    awaitLag({ primary: replicaLike, replica: replicaLike, maxBytes: 0, timeoutMs: 100 }),
    (e: unknown) => e instanceof ReplicationError && e.error.kind === 'unsafe-plan',
  );
  await assert.rejects(
    awaitLag({ primary: replicaLike, replica: replicaLike, timeoutMs: 100 }),
    (e: unknown) => e instanceof ReplicationError && e.error.kind === 'invalid-input',
  );
  await assert.rejects(
    awaitLag({ primary: replicaLike, replica: replicaLike, maxBytes: -1, timeoutMs: 100 }),
    (e: unknown) => e instanceof ReplicationError && e.error.kind === 'invalid-input',
  );
});

test('abort stops the wait with the signal reason', async () => {
  const primary = node(() => ({ currentLsn: hex(0x9000) }));
  const replica = node(() => ({ role: 'replica', replayLsn: hex(0x1000) }));
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('run aborted')), 60);
  await assert.rejects(
    awaitLag({ primary, replica, maxBytes: 0, timeoutMs: 5000, intervalMs: 20, signal: ac.signal }),
    /run aborted/,
  );
});
