import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptSnapshot,
  cadenceWindow,
  hostNow,
} from '../../../../../renderer/src/features/overview/snapshot-history.ts';
import type { EnvironmentSnapshot } from '../../../../../shared/status.ts';

const snap = (generatedAt: number): EnvironmentSnapshot => ({ generatedAt }) as EnvironmentSnapshot;

test('a newer snapshot replaces the current one and extends the cadence history', () => {
  const a = acceptSnapshot(undefined, snap(1000), 5);
  const b = acceptSnapshot(a, snap(2000), 6);
  assert.equal(b.snapshot.generatedAt, 2000);
  assert.deepEqual(b.recentGeneratedAt, [1000, 2000]);
});

test('a late or duplicate snapshot never replaces a newer one', () => {
  const a = acceptSnapshot(undefined, snap(2000), 5);
  assert.equal(acceptSnapshot(a, snap(1000), 9), a);
  assert.equal(acceptSnapshot(a, snap(2000), 9), a);
});

test('cadence history is bounded', () => {
  let e = acceptSnapshot(undefined, snap(0), 0);
  for (let i = 1; i < 100; i++) e = acceptSnapshot(e, snap(i * 1000), i);
  assert.equal(e.recentGeneratedAt.length, cadenceWindow);
});

test('host now = generatedAt + time elapsed on the page (clock skew cancels out)', () => {
  // host clock 1 h ahead of the page
  const entry = { snapshot: snap(3_600_000 + 10_000), receivedAt: 10_000 };
  assert.equal(hostNow(entry, 15_000), 3_600_000 + 15_000);
  assert.equal(hostNow(entry, 9_000), 3_600_000 + 10_000, 'never before the snapshot');
});
