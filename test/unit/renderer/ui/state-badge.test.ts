import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionBadge, dnsFlagBadge, stateBadge, verdictBadge } from '../../../../renderer/src/ui/state-badge.ts';
import type { HealthState } from '../../../../shared/status.ts';

test('each health state has its own tone, icon and word', () => {
  const states: HealthState[] = ['healthy', 'degraded', 'unhealthy', 'unknown'];
  const badges = states.map((s) => stateBadge(s));
  assert.deepEqual(
    badges.map((b) => b.label),
    states,
  );
  assert.equal(new Set(badges.map((b) => b.tone)).size, 4);
  assert.equal(new Set(badges.map((b) => b.icon)).size, 4, 'not colour alone');
});

test('unknown is never green', () => {
  assert.notEqual(stateBadge('unknown').tone, 'ok');
  assert.notEqual(stateBadge('unknown', { stale: true }).tone, 'ok');
  assert.notEqual(verdictBadge('unknown').tone, 'ok');
  assert.notEqual(dnsFlagBadge('unknown').tone, 'ok');
  assert.notEqual(stateBadge('surprise' as HealthState).tone, 'ok', 'a state added later does not default to green');
});

test('stale good data loses its green; stale bad data stays bad', () => {
  assert.deepEqual(stateBadge('healthy', { stale: true }), { tone: 'stale', icon: 'clock', label: 'healthy' });
  assert.equal(stateBadge('ok', { stale: true }).tone, 'stale');
  assert.equal(stateBadge('unhealthy', { stale: true }).tone, 'bad');
  assert.equal(stateBadge('degraded', { stale: true }).tone, 'warn');
  assert.equal(verdictBadge('ok', { stale: true }).tone, 'stale');
  assert.equal(verdictBadge('breach', { stale: true }).tone, 'bad');
});

test('DNS flag badges carry the flag name as text', () => {
  for (const f of ['providers-disagree', 'api-served-mismatch', 'ttl-exceeds-rto', 'unknown'] as const)
    assert.equal(dnsFlagBadge(f).label, f);
  assert.equal(dnsFlagBadge('providers-disagree').tone, 'bad');
  assert.equal(dnsFlagBadge('ttl-exceeds-rto').tone, 'warn');
});

test('connection states read as words', () => {
  assert.equal(connectionBadge('auth-refused').label, 'auth refused');
  assert.equal(connectionBadge('auth-refused').tone, 'bad');
  assert.equal(connectionBadge('reconnecting').tone, 'warn');
  assert.equal(connectionBadge('connected').tone, 'ok');
});
