import { test } from 'node:test';
import assert from 'node:assert/strict';
import { downsampleMinMax } from '../../../../../renderer/src/features/overview/downsample.ts';
import type { SeriesPoint } from '../../../../../shared/status.ts';

const series = (n: number, f: (i: number) => number | null, step = 1000): SeriesPoint[] =>
  Array.from({ length: n }, (_, i) => ({ t: i * step, v: f(i) }));

test('short input is returned as a copy, unchanged', () => {
  const pts = series(10, (i) => i);
  const out = downsampleMinMax(pts, 600);
  assert.deepEqual(out, pts);
  assert.notEqual(out, pts);
});

test('3600 points become at most maxPoints, oldest first', () => {
  const out = downsampleMinMax(
    series(3600, (i) => Math.sin(i / 50)),
    400,
  );
  assert.ok(out.length <= 400, `got ${out.length}`);
  assert.ok(out.length >= 300, 'uses most of the budget');
  for (let i = 1; i < out.length; i++) assert.ok(out[i]!.t > out[i - 1]!.t, 'strictly increasing time');
});

test('a one-sample spike survives downsampling (min/max, not average)', () => {
  const out = downsampleMinMax(
    series(3600, (i) => (i === 1777 ? 500_000 : 1000)),
    100,
  );
  assert.ok(
    out.some((p) => p.v === 500_000),
    'spike kept',
  );
  assert.ok(
    out.some((p) => p.v === 1000),
    'baseline kept',
  );
});

test('a dip survives too', () => {
  const out = downsampleMinMax(
    series(3600, (i) => (i === 42 ? 0 : 10)),
    50,
  );
  assert.ok(out.some((p) => p.v === 0));
});

test('gaps (null) are kept so the line still breaks, within the bound', () => {
  const out = downsampleMinMax(
    series(3000, (i) => (i >= 1000 && i < 1100 ? null : i)),
    300,
  );
  assert.ok(out.length <= 300, `got ${out.length}`);
  assert.ok(
    out.some((p) => p.v === null),
    'gap kept',
  );
});

test('range filters points outside the window', () => {
  const pts = series(100, (i) => i);
  const out = downsampleMinMax(pts, 1000, { from: 10_000, to: 19_000 });
  assert.equal(out.length, 10);
  assert.equal(out[0]!.t, 10_000);
  assert.equal(out[out.length - 1]!.t, 19_000);
});

test('degenerate bounds: maxPoints below 2 is raised to 2; empty input gives empty output', () => {
  assert.deepEqual(downsampleMinMax([], 10), []);
  const out = downsampleMinMax(
    series(100, (i) => i),
    1,
  );
  assert.ok(out.length <= 2 && out.length >= 1);
});

test('identical timestamps do not divide by zero', () => {
  const pts: SeriesPoint[] = Array.from({ length: 50 }, (_, i) => ({ t: 5, v: i }));
  const out = downsampleMinMax(pts, 10);
  assert.ok(out.length <= 10);
  assert.ok(out.some((p) => p.v === 49) && out.some((p) => p.v === 0));
});

test('buckets are aligned to time: sliding the window by a second keeps the same points', () => {
  const pts = series(7200, (i) => Math.round(1000 * Math.sin(i / 13)));
  const a = downsampleMinMax(pts, 400, { from: 3_600_000, to: 7_199_000 });
  const b = downsampleMinMax(pts, 400, { from: 3_601_000, to: 7_200_000 });
  const inner = (xs: SeriesPoint[]) => xs.filter((p) => p.t > 3_700_000 && p.t < 7_100_000).map((p) => `${p.t}:${p.v}`);
  assert.deepEqual(inner(a), inner(b));
  assert.ok(a.length <= 400 && b.length <= 400);
});
