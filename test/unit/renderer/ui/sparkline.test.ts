import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sparklineGeometry } from '../../../../renderer/src/ui/sparkline.ts';

test('a failed probe breaks the line and is marked', () => {
  const g = sparklineGeometry([10, 20, null, 30, 40], 40, 20);
  assert.equal(g.paths.length, 2);
  assert.deepEqual(g.failures, [20]);
  assert.ok(g.paths[0]!.startsWith('M0 '));
  assert.deepEqual(g.last, { x: 40, y: 1 }, 'the largest value touches the top (pad 1)');
  assert.equal(g.scaleMaxMs, 40);
});

test('the y scale starts at zero and has a floor, so 1–2 ms noise stays flat', () => {
  const g = sparklineGeometry([1, 2, 1], 20, 22, 20);
  assert.equal(g.scaleMaxMs, 20);
  for (const d of g.paths)
    for (const y of [...d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]))) assert.ok(y >= 18, `y=${y}`);
});

test('empty and all-failed histories', () => {
  assert.deepEqual(sparklineGeometry([], 10, 10), { paths: [], failures: [], last: null, scaleMaxMs: 20 });
  const g = sparklineGeometry([null, null], 10, 10);
  assert.deepEqual(g.paths, []);
  assert.equal(g.failures.length, 2);
  assert.equal(g.last, null);
});
