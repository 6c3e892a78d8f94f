import { test } from 'node:test';
import assert from 'node:assert/strict';
import { timeTicks } from '../../../../../renderer/src/features/overview/chart-ticks.ts';

test('ticks fall on round multiples inside the window', () => {
  const ten = 600_000;
  assert.deepEqual(timeTicks(ten * 3 - 1, ten * 5 + 1, ten), [ten * 3, ten * 4, ten * 5]);
  assert.deepEqual(timeTicks(1, 2, ten), []);
});

test('bad input gives no ticks and the count is bounded', () => {
  assert.deepEqual(timeTicks(10, 0, 5), []);
  assert.deepEqual(timeTicks(0, 10, 0), []);
  assert.equal(timeTicks(0, 1e12, 1).length, 1000);
});
