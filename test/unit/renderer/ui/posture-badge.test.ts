import { test } from 'node:test';
import assert from 'node:assert/strict';
import { postureBadge, verdictBadge } from '../../../../renderer/src/ui/state-badge.ts';

test('postureBadge: only a fresh protected is green; missing posture is unknown', () => {
  assert.equal(postureBadge('protected').tone, 'ok');
  assert.equal(postureBadge('protected', { stale: true }).tone, 'stale');
  assert.equal(postureBadge('degraded').tone, 'warn');
  assert.deepEqual(postureBadge('unprotected'), { tone: 'bad', icon: 'cross', label: 'unprotected' });
  assert.equal(postureBadge(null).label, 'unknown');
  assert.notEqual(postureBadge(null).tone, 'ok');
});

test('verdictBadge: unprotected never says "within objective"', () => {
  const b = verdictBadge('ok', { unprotected: true });
  assert.equal(b.label, 'no standby');
  assert.equal(b.tone, 'bad');
  assert.equal(verdictBadge('ok').label, 'within objective');
});
