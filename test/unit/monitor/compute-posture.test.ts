import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePosture, pickRestoreRunbook } from '../../../electron/core/monitor/compute-posture.ts';
import { labSnapshot, type SnapshotOptions } from '../runbooks/fakes.ts';

const runbooks = [
  { name: 'failover', kind: 'failover' },
  { name: 'back-home', kind: 'failback' },
];
const NOW = 100_000;
const posture = (o: SnapshotOptions = {}, extra: { rbs?: typeof runbooks; now?: number } = {}) =>
  computePosture({
    snapshot: labSnapshot(o),
    rpoSeconds: 5,
    pollIntervalMs: 1000,
    runbooks: extra.rbs ?? runbooks,
    now: extra.now ?? NOW,
  });

test('protected: healthy standby site with a streaming replica within RPO; no restore runbook', () => {
  const p = posture();
  assert.equal(p.state, 'protected');
  assert.equal(p.standbySite, 'failover');
  assert.equal(p.replica, 'pg-replica');
  assert.equal(p.restoreRunbook, null);
  assert.ok(p.evidence.some((e) => e.includes('pg-replica: replica')));
});

test('degraded: replica lagging past the RPO names the lag and the objective', () => {
  const p = posture({ db: { 'pg-replica': { lagSeconds: 12 } } });
  assert.equal(p.state, 'degraded');
  assert.match(p.reason, /lags 12 s, past the RPO objective of 5 s/);
});

test('degraded: standby site unhealthy', () => {
  const p = posture({ failover: { state: 'unhealthy' } });
  assert.equal(p.state, 'degraded');
  assert.match(p.reason, /standby site failover is unhealthy/);
});

test('degraded: replication not streaming, or replay paused', () => {
  assert.match(posture({ db: { 'pg-replica': { walReceiver: null } } }).reason, /not streaming \(receiver none\)/);
  const paused = posture({ db: { 'pg-replica': { replayPaused: true } } });
  assert.equal(paused.state, 'degraded');
  assert.match(paused.reason, /replay is paused/);
});

test('unknown is never protected: unknown lag, unread standby node, unknown active site', () => {
  const lag = posture({ db: { 'pg-replica': { lagSeconds: null, reason: 'primary unreachable' } } });
  assert.equal(lag.state, 'degraded');
  assert.match(lag.reason, /lag of pg-replica is unknown/);
  // a read failure with a good reading 1 poll ago is a blip: degraded, not unprotected
  const blip = posture({
    db: { 'pg-replica': { state: 'unknown', role: 'unknown', reason: 'timeout', lastGoodAt: NOW - 1000 } },
  });
  assert.equal(blip.state, 'degraded');
  assert.match(blip.reason, /unknown reading: pg-replica/);
  const site = posture({ failover: { state: 'unknown' } });
  assert.equal(site.state, 'degraded');
  const noActive = posture({
    dnsPointsTo: null,
    db: { 'pg-primary': { state: 'unknown', role: 'unknown' } },
  });
  assert.equal(noActive.state, 'degraded');
  assert.match(noActive.reason, /cannot tell which site is active/);
});

test('unprotected after a failover: old primary down, offers the failback runbook by declared purpose', () => {
  const p = posture({
    dnsPointsTo: 'failover',
    db: {
      'pg-primary': { state: 'unknown', role: 'unknown', reason: 'ECONNREFUSED', lastGoodAt: NOW - 60_000 },
      'pg-replica': { role: 'primary', walReceiver: null, lagSeconds: null, lagBytes: null },
    },
  });
  assert.equal(p.state, 'unprotected');
  assert.equal(p.standbySite, 'primary');
  assert.match(p.reason, /no replica on standby site primary: pg-primary is down or unreachable/);
  assert.equal(p.restoreRunbook, 'back-home');
});

test('unprotected: standby node readable but a primary (not rejoined)', () => {
  const p = posture({
    dnsPointsTo: 'failover',
    db: { 'pg-replica': { role: 'primary', walReceiver: null }, 'pg-primary': { role: 'primary' } },
  });
  // two writable nodes is split brain in a real snapshot; here only the roles are judged
  assert.equal(p.state, 'unprotected');
  assert.match(p.reason, /pg-primary is primary/);
});

test('unprotected: split brain', () => {
  const s = labSnapshot();
  const p = computePosture({
    snapshot: { ...s, splitBrain: { nodes: ['pg-primary', 'pg-replica'], detail: 'both writable' } },
    rpoSeconds: 5,
    pollIntervalMs: 1000,
    runbooks,
    now: NOW,
  });
  assert.equal(p.state, 'unprotected');
  assert.match(p.reason, /split brain/);
});

test('unprotected: no standby site when the only site is active', () => {
  const s = labSnapshot();
  const p = computePosture({
    snapshot: { ...s, sites: s.sites.filter((x) => x.name === 'primary') },
    rpoSeconds: 5,
    pollIntervalMs: 1000,
    runbooks,
    now: NOW,
  });
  assert.equal(p.state, 'unprotected');
  assert.match(p.reason, /no standby site/);
});

test('pickRestoreRunbook: declared purpose first, then a name, else null', () => {
  assert.equal(pickRestoreRunbook(runbooks), 'back-home');
  assert.equal(pickRestoreRunbook([{ name: 'rejoin-primary', kind: 'custom' }]), 'rejoin-primary');
  assert.equal(pickRestoreRunbook([{ name: 'failover', kind: 'failover' }]), null);
});
