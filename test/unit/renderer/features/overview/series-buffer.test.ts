import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appendPoints,
  mergeFetched,
  seriesBufferKey,
  type SeriesBufferLimits,
} from '../../../../../renderer/src/features/overview/series-buffer.ts';
import type { SeriesPoint } from '../../../../../shared/status.ts';

const limits: SeriesBufferLimits = { windowMs: 60_000, maxPoints: 100, compactTo: 75 };
const pts = (from: number, n: number, step = 1000): SeriesPoint[] =>
  Array.from({ length: n }, (_, i) => ({ t: from + i * step, v: i }));

test('appends newer points at the end', () => {
  const out = appendPoints(pts(0, 3), [{ t: 3000, v: 9 }], 3000, limits);
  assert.deepEqual(
    out.map((p) => p.t),
    [0, 1000, 2000, 3000],
  );
});

test('drops points older than the window', () => {
  const out = appendPoints(pts(0, 10), [{ t: 70_000, v: 1 }], 70_000, limits);
  assert.ok(out.every((p) => p.t >= 10_000));
  assert.equal(out[out.length - 1]!.t, 70_000);
});

test('stays bounded after an hour of one-per-second samples', () => {
  const big: SeriesBufferLimits = { windowMs: 3_600_000, maxPoints: 2000, compactTo: 1500 };
  let buf: SeriesPoint[] = [];
  for (let s = 0; s < 3600; s++) {
    buf = appendPoints(buf, [{ t: s * 1000, v: s % 97 }], s * 1000, big);
    assert.ok(buf.length <= 2000);
  }
  assert.equal(buf[buf.length - 1]!.t, 3_599_000, 'newest sample kept');
  assert.ok(
    buf.some((p) => p.v === 96),
    'peaks kept through compaction',
  );
});

test('out-of-order and duplicate points are merged by time (incoming wins)', () => {
  const out = appendPoints(
    pts(0, 3),
    [
      { t: 1000, v: 42 },
      { t: 500, v: 7 },
    ],
    3000,
    limits,
  );
  assert.deepEqual(
    out.map((p) => p.t),
    [0, 500, 1000, 2000],
  );
  assert.equal(out.find((p) => p.t === 1000)!.v, 42);
});

test('returns the same array when nothing changes (no store update)', () => {
  const buf = pts(0, 3);
  assert.equal(appendPoints(buf, [], 2000, limits), buf);
});

test('mergeFetched replaces history but keeps live points newer than the fetch', () => {
  const live = pts(50_000, 5); // 50..54 s, fine-grained live samples
  const fetched: SeriesPoint[] = [
    { t: 10_000, v: 1 },
    { t: 30_000, v: 2 },
    { t: 51_000, v: 3 },
  ];
  const out = mergeFetched(live, fetched, 54_000, limits);
  assert.deepEqual(
    out.map((p) => p.t),
    [10_000, 30_000, 51_000, 52_000, 53_000, 54_000],
  );
});

test('buffer keys separate environment, metric and key', () => {
  assert.notEqual(
    seriesBufferKey('lab', 'replication-lag-bytes', 'a'),
    seriesBufferKey('lab', 'replication-lag-seconds', 'a'),
  );
  assert.equal(seriesBufferKey('lab', 'm', 'k'), 'lab|m|k');
});
