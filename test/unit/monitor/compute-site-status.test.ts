import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computeSiteStatus } from '../../../electron/core/monitor/compute-site-status.ts';
import type { LiveSlotStatus, ProbeStatus } from '../../../shared/status.ts';

const probe = (slot: string | null, state: ProbeStatus['state'], reason?: string): ProbeStatus => ({
  id: `lab/primary/${slot ?? 'entry'}`,
  site: 'primary',
  slot,
  url: 'http://127.0.0.2/health',
  state,
  ...(reason ? { reason } : {}),
  latencyMs: 1,
  recentLatencyMs: [],
  consecutiveFailures: 0,
  consecutiveSuccesses: 1,
  breaker: 'closed',
  lastCheckedAt: 1,
  lastGoodAt: 1,
  failingSince: null,
});
const live = (slot: string | null, state: 'ok' | 'unknown' = 'ok'): LiveSlotStatus => ({
  site: 'primary',
  router: 'nginx',
  state,
  liveSlot: slot,
  observedAt: 1,
  lastGoodAt: 1,
  ...(state === 'unknown' ? { reason: 'ssh: ECONNREFUSED' } : {}),
});

test('all green is healthy', () => {
  assert.equal(
    computeSiteStatus(
      probe(null, 'healthy'),
      [probe('blue', 'healthy'), probe('green', 'healthy')],
      live('blue'),
      'primary',
    ).state,
    'healthy',
  );
});

test('an unknown entry point is never shown as healthy', () => {
  const v = computeSiteStatus(
    probe(null, 'unknown', 'not probed yet'),
    [probe('blue', 'healthy')],
    live('blue'),
    'primary',
  );
  assert.equal(v.state, 'unknown');
  assert.match(v.reason, /not probed yet/);
});

test('a failing entry point makes the site unhealthy and names why', () => {
  const v = computeSiteStatus(
    probe(null, 'unhealthy', 'HTTP 502'),
    [probe('blue', 'unhealthy'), probe('green', 'healthy')],
    live('blue'),
    'primary',
  );
  assert.equal(v.state, 'unhealthy');
  assert.match(v.reason, /HTTP 502/);
});

test('an idle slot down or an unreadable router degrades the site', () => {
  const a = computeSiteStatus(
    probe(null, 'healthy'),
    [probe('blue', 'healthy'), probe('green', 'unhealthy', 'ECONNREFUSED')],
    live('blue'),
    'primary',
  );
  assert.equal(a.state, 'degraded');
  assert.match(a.reason, /slot green unhealthy — ECONNREFUSED/);
  const b = computeSiteStatus(probe(null, 'healthy'), [probe('blue', 'healthy')], live(null, 'unknown'), 'primary');
  assert.equal(b.state, 'degraded');
  assert.match(b.reason, /live slot unknown — ssh: ECONNREFUSED/);
  const c = computeSiteStatus(probe(null, 'healthy'), [probe('blue', 'healthy')], live('blue'), 'unknown');
  assert.equal(c.state, 'degraded');
});
