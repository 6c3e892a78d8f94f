import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lsnDiffBytes, parseLsn, replicaLag } from '../../../electron/core/database/replication-lag.ts';

test('parseLsn reads both hex halves', () => {
  assert.equal(parseLsn('0/0'), 0n);
  assert.equal(parseLsn('0/3000148'), 0x3000148n);
  assert.equal(parseLsn('16/B374D848'), (0x16n << 32n) | 0xb374d848n);
  assert.throws(() => parseLsn('nope'), /not a WAL location/);
});

test('lsnDiffBytes crosses the 4 GiB boundary like pg_wal_lsn_diff', () => {
  assert.equal(lsnDiffBytes('1/0', '0/FFFFFFFF'), 1);
  assert.equal(lsnDiffBytes('0/3000148', '0/3000000'), 0x148);
  assert.equal(lsnDiffBytes('0/3000000', '0/3000148'), -0x148);
});

const at = (ms: number) => ({ serverNow: ms });

test('caught up: lagBytes 0 and lagSeconds 0, however old the last replayed transaction is', () => {
  const r = replicaLag({
    primaryLsn: '0/5000000',
    replica: { receiveLsn: '0/5000000', replayLsn: '0/5000000', lastReplayAt: 0, ...at(3_600_000) },
  });
  assert.deepEqual(r, { lagBytes: 0, lagSeconds: 0 });
});

test('behind: bytes from the primary LSN, seconds = age of the last replayed transaction', () => {
  const r = replicaLag({
    primaryLsn: '0/5100000',
    replica: { receiveLsn: '0/5100000', replayLsn: '0/5000000', lastReplayAt: 10_000, ...at(12_500) },
  });
  assert.deepEqual(r, { lagBytes: 0x100000, lagSeconds: 2.5 });
});

test('replica read after the primary may be ahead of the held LSN: clamped to 0', () => {
  const r = replicaLag({
    primaryLsn: '0/5000000',
    replica: { receiveLsn: '0/5000100', replayLsn: '0/5000100', lastReplayAt: 1, ...at(2) },
  });
  assert.deepEqual(r, { lagBytes: 0, lagSeconds: 0 });
});

test('seconds are bounded by the last time this replica was seen caught up (idle primary, first write)', () => {
  // last commit an hour ago, caught up 0.4 s ago, a new write is not replayed yet
  const r = replicaLag({
    primaryLsn: '0/5000200',
    replica: { receiveLsn: '0/5000200', replayLsn: '0/5000000', lastReplayAt: 0, ...at(3_600_000) },
    caughtUpAt: 3_599_600,
  });
  assert.equal(r.lagBytes, 0x200);
  assert.equal(r.lagSeconds, 0.4);
});

test('paused replay: seconds keep growing with the replica clock', () => {
  const base = { primaryLsn: '0/6000000', caughtUpAt: 1000 };
  const r1 = replicaLag({
    ...base,
    replica: { receiveLsn: '0/6000000', replayLsn: '0/5000000', lastReplayAt: 900, ...at(3000) },
  });
  const r2 = replicaLag({
    ...base,
    replica: { receiveLsn: '0/6000000', replayLsn: '0/5000000', lastReplayAt: 900, ...at(5000) },
  });
  assert.equal(r1.lagSeconds, 2);
  assert.equal(r2.lagSeconds, 4);
  assert.equal(r2.lagBytes, 0x1000000);
});

test('primary unknown: both null, note explains and gives the received-not-replayed backlog', () => {
  const r = replicaLag({
    primaryLsn: null,
    primaryIssue: 'no primary reachable this round (unknown: pg-primary)',
    replica: { receiveLsn: '0/5000400', replayLsn: '0/5000000', lastReplayAt: 1, ...at(2) },
  });
  assert.equal(r.lagBytes, null);
  assert.equal(r.lagSeconds, null);
  assert.equal(
    r.note,
    'lag unknown: no primary reachable this round (unknown: pg-primary); received but not replayed: 1024 bytes',
  );
});

test('behind with no replayed transaction yet: bytes known, seconds unknown', () => {
  const r = replicaLag({
    primaryLsn: '0/5000010',
    replica: { receiveLsn: null, replayLsn: '0/5000000', lastReplayAt: null, ...at(2) },
  });
  assert.equal(r.lagBytes, 16);
  assert.equal(r.lagSeconds, null);
  assert.match(r.note ?? '', /seconds unknown/);
});
