import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeUnknown,
  estimatePollIntervalMs,
  formatAge,
  freshness,
  isStale,
  observationFreshness,
  type ViewClock,
} from '../../../../renderer/src/ui/age.ts';

test('formatAge reads like an operator speaks', () => {
  assert.equal(formatAge(0), '0 s');
  assert.equal(formatAge(999), '0 s');
  assert.equal(formatAge(14_200), '14 s');
  assert.equal(formatAge(245_000), '4 min 05 s');
  assert.equal(formatAge(25 * 60_000), '25 min');
  assert.equal(formatAge(2 * 3_600_000 + 10 * 60_000), '2 h 10 min');
  assert.equal(formatAge(3 * 86_400_000 + 4 * 3_600_000), '3 d 4 h');
  assert.equal(formatAge(-5000), '0 s', 'clock skew never shows a negative age');
  assert.equal(formatAge(Number.NaN), '—');
});

test('freshness: stale only past 3 poll intervals, with the age in the label', () => {
  const now = 100_000;
  assert.deepEqual(freshness(now - 2000, now, 1000), { kind: 'fresh', ageMs: 2000, label: '2 s ago' });
  assert.equal(freshness(now - 3000, now, 1000).kind, 'fresh', 'exactly 3× is still fresh');
  assert.deepEqual(freshness(now - 12_000, now, 1000), { kind: 'stale', ageMs: 12_000, label: 'stale 12 s' });
  assert.equal(freshness(now - 12_000, now, 5000).kind, 'fresh', 'a 5 s poller is not stale at 12 s');
  assert.equal(freshness(null, now, 1000).kind, 'never');
  assert.equal(isStale(null, now, 1000), true, 'never observed counts as stale');
});

test('describeUnknown names the reason and the last good sample', () => {
  assert.equal(describeUnknown('ECONNREFUSED', 86_000, 100_000), 'unknown — ECONNREFUSED (last good 14 s ago)');
  assert.equal(describeUnknown(undefined, null, 100_000), 'unknown — no reason given (never good)');
  assert.equal(describeUnknown('  ', null, 1), 'unknown — no reason given (never good)');
});

test('poll interval is the median snapshot gap, with a fallback and a floor', () => {
  assert.equal(estimatePollIntervalMs([]), 1000);
  assert.equal(estimatePollIntervalMs([0, 5000]), 1000, 'one gap is not enough');
  assert.equal(estimatePollIntervalMs([0, 5000, 10_000, 15_100, 20_000]), 5000);
  assert.equal(estimatePollIntervalMs([0, 1000, 2000, 30_000, 31_000]), 1000, 'an outage gap does not inflate it');
  assert.equal(estimatePollIntervalMs([0, 10, 20, 30]), 250, 'floor');
});

test('observationFreshness: tag only items that lag behind their snapshot; a stale snapshot dims without tagging', () => {
  const clock: ViewClock = { hostNow: 120_000, generatedAt: 100_000, pollIntervalMs: 1000, snapshotStale: false };
  assert.deepEqual(observationFreshness(99_500, clock), { stale: false, tag: null });
  const lagging = observationFreshness(88_000, clock);
  assert.equal(lagging.stale, true);
  assert.equal(lagging.tag?.label, 'stale 32 s', 'age is measured to host now, not to the snapshot');
  assert.deepEqual(observationFreshness(99_500, { ...clock, snapshotStale: true }), { stale: true, tag: null });
});
