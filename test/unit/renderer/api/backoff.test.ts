import { test } from 'node:test';
import assert from 'node:assert/strict';
import { reconnectDelayMs } from '../../../../renderer/src/api/backoff.ts';

const opts = { baseMs: 500, maxMs: 10_000, factor: 2, jitter: 0.3 };

test('grows exponentially without jitter at random() = 0', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((a) => reconnectDelayMs(a, opts, () => 0)),
    [500, 1000, 2000, 4000, 8000],
  );
});

test('never exceeds the ceiling, even after many attempts', () => {
  for (const a of [6, 10, 100, 10_000])
    assert.equal(
      reconnectDelayMs(a, opts, () => 0),
      10_000,
    );
});

test('jitter stays within [(1 - jitter)·d, d]', () => {
  for (let i = 0; i < 50; i++) {
    const d = reconnectDelayMs(4, opts);
    assert.ok(d >= 2800 && d <= 4000, String(d));
  }
  assert.equal(
    reconnectDelayMs(4, opts, () => 0.9999999),
    2800,
  );
  assert.equal(
    reconnectDelayMs(0, opts, () => 0),
    500,
    'attempt < 1 counts as the first',
  );
});
