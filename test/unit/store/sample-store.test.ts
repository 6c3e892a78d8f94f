import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../electron/core/store/open-store.ts';
import { SampleStore } from '../../../electron/core/store/sample-store.ts';

test('samples survive closing and reopening the store file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-store-'));
  try {
    const path = join(dir, 'standby.sqlite');
    const db1 = openStore(path);
    const s1 = new SampleStore(db1, 3_600_000, 0);
    for (let i = 0; i < 10; i++)
      s1.add({ env: 'lab', metric: 'replication-lag-bytes', key: 'pg-replica', t: 1000 + i * 1000, v: i * 10 });
    s1.close();
    db1.close();
    const db2 = openStore(path);
    const s2 = new SampleStore(db2, 3_600_000, 0);
    const pts = s2.series('lab', 'replication-lag-bytes', 'pg-replica', 0, 100, 11_000);
    assert.equal(pts.length, 10);
    assert.deepEqual(pts.at(-1), { t: 10_000, v: 90 });
    db2.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('downsampling keeps the peak of each bucket and never exceeds maxPoints', () => {
  const db = openStore(':memory:');
  const s = new SampleStore(db, 3_600_000, 0);
  for (let i = 0; i < 1000; i++) s.add({ env: 'e', metric: 'm', key: 'k', t: i * 10, v: i === 537 ? 9999 : 1 });
  const pts = s.series('e', 'm', 'k', 0, 50, 10_000);
  assert.ok(pts.length <= 50, `got ${pts.length} points`);
  assert.equal(Math.max(...pts.map((p) => p.v ?? 0)), 9999, 'the spike survives downsampling');
  db.close();
});

test('unknown samples stay gaps (null), not zeros', () => {
  const db = openStore(':memory:');
  const s = new SampleStore(db, 3_600_000, 0);
  s.add({ env: 'e', metric: 'm', key: 'k', t: 100, v: null });
  s.add({ env: 'e', metric: 'm', key: 'k', t: 5000, v: 3 });
  const pts = s.series('e', 'm', 'k', 0, 10, 10_000);
  assert.deepEqual(
    pts.map((p) => p.v),
    [null, 3],
  );
  db.close();
});

test('prune deletes only samples older than retention', () => {
  const db = openStore(':memory:');
  const s = new SampleStore(db, 1000, 0);
  s.add({ env: 'e', metric: 'm', key: 'k', t: 100, v: 1 });
  s.add({ env: 'e', metric: 'm', key: 'k', t: 5000, v: 2 });
  s.flush();
  assert.equal(s.prune(5500), 1);
  assert.deepEqual(
    s.series('e', 'm', 'k', 0, 10, 6000).map((p) => p.v),
    [2],
  );
  db.close();
});

test('lastValue returns the newest non-null sample', () => {
  const db = openStore(':memory:');
  const s = new SampleStore(db, 3_600_000, 0);
  s.add({ env: 'e', metric: 'm', key: 'k', t: 100, v: 1 });
  s.add({ env: 'e', metric: 'm', key: 'k', t: 200, v: 2 });
  s.add({ env: 'e', metric: 'm', key: 'k', t: 300, v: null });
  assert.deepEqual(s.lastValue('e', 'm', 'k'), { t: 200, v: 2 });
  assert.equal(s.lastValue('e', 'm', 'other'), null);
  db.close();
});

test('buckets are aligned to the epoch: reads at different times return the same points for old samples', () => {
  const db = openStore(':memory:');
  const s = new SampleStore(db, 3_600_000, 0);
  const t0 = 1_795_000_000_000;
  for (let i = 0; i < 600; i++) s.add({ env: 'e', metric: 'm', key: 'k', t: t0 + i * 1000, v: i % 7 });
  const window = 3_600_000;
  const now1 = t0 + 600_000;
  const now2 = now1 + 2_345; // a restart a couple of seconds later
  const a = s.series('e', 'm', 'k', now1 - window, 600, now1);
  const b = s.series('e', 'm', 'k', now2 - window, 600, now2);
  assert.ok(a.length <= 600 && a.length > 50, `got ${a.length} points`);
  assert.deepEqual(b.slice(0, 50), a.slice(0, 50), 'the oldest points do not move between reads');
  assert.equal(b[0]!.t, a[0]!.t);
  db.close();
});

test('failureStreakStart: the oldest failed sample of the trailing streak, not across a gap nobody watched', () => {
  const db = openStore(':memory:');
  const s = new SampleStore(db, 3_600_000, 0);
  const add = (t: number, v: number | null) => s.add({ env: 'e', metric: 'probe-latency-ms', key: 'p', t, v });
  assert.equal(s.failureStreakStart('e', 'probe-latency-ms', 'p', 5_000), null, 'no samples');
  add(1_000, 3);
  add(2_000, 4);
  assert.equal(s.failureStreakStart('e', 'probe-latency-ms', 'p', 5_000), null, 'the newest sample succeeded');
  add(3_000, null);
  add(4_000, null);
  add(5_000, null);
  assert.equal(s.failureStreakStart('e', 'probe-latency-ms', 'p', 5_000), 3_000);
  // nobody watched from 5 s to 60 s: the streak is only trusted back to the gap
  add(60_000, null);
  add(61_000, null);
  assert.equal(s.failureStreakStart('e', 'probe-latency-ms', 'p', 5_000), 60_000);
  assert.equal(s.failureStreakStart('e', 'probe-latency-ms', 'p', 100_000), 3_000, 'a larger gap bound bridges it');
  add(62_000, 5);
  assert.equal(s.failureStreakStart('e', 'probe-latency-ms', 'p', 100_000), null, 'recovered');
  db.close();
});
