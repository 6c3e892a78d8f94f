/**
 * `failingSince`: the first failed probe of the current failure streak (the start of an outage as
 * the prober saw it; run-service counts a failover's recovery from it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProbeTarget } from '../../../electron/core/health/probe-target.ts';
import type { ProbeFn, ProbeTargetSettings } from '../../../electron/core/health/probe-target.ts';
import type { HttpProbeResult } from '../../../electron/core/health/http-probe.ts';

const spec = { id: 'lab/primary/entry', site: 'primary', slot: null, url: 'http://127.0.0.2:1/health' };
const defaults: ProbeTargetSettings = { timeoutMs: 800, healthyThreshold: 1, unhealthyThreshold: 2 };
const okResult: HttpProbeResult = { ok: true, status: 200, latencyMs: 3 };
const refused: HttpProbeResult = { ok: false, status: null, latencyMs: 1, error: 'ECONNREFUSED 127.0.0.2:1' };
const fail = { ok: false, latencyMs: null, reason: 'HTTP 502' } as const;
const good = { ok: true, latencyMs: 2 } as const;

test('null before any probe and while probes succeed', () => {
  const t = new ProbeTarget(spec, defaults, async () => okResult);
  assert.equal(t.status().failingSince, null);
  t.record(good, 1_000);
  assert.equal(t.status().failingSince, null);
});

test('set by the first failure with no probe before it (a target that is down from the start)', () => {
  const t = new ProbeTarget(spec, defaults, async () => refused);
  t.record(fail, 500);
  assert.equal(t.status().state, 'unknown');
  assert.equal(t.status().failingSince, 500, 'set on the first failure, before the verdict turns');
});

test('set on the first failure after a success, kept through further failures, reset on success', () => {
  const t = new ProbeTarget(spec, defaults, async () => okResult);
  t.record(good, 1_000);
  t.record(fail, 2_000);
  assert.equal(t.status().failingSince, 2_000);
  assert.equal(t.status().state, 'healthy', 'one failure keeps the verdict, the streak start is known already');
  t.record(fail, 3_000);
  t.record(fail, 4_000);
  const s = t.status();
  assert.equal(s.state, 'unhealthy');
  assert.equal(s.failingSince, 2_000, 'further failures do not move it');
  assert.equal(s.lastGoodAt, 1_000);
  t.record(good, 5_000);
  assert.equal(t.status().failingSince, null, 'a success ends the streak (even below the healthy threshold)');
  t.record(fail, 6_000);
  assert.equal(t.status().failingSince, 6_000, 'a new streak starts at its own first failure');
});

test('a success below healthyThreshold still ends the streak', () => {
  const t = new ProbeTarget(spec, { ...defaults, healthyThreshold: 3 }, async () => okResult);
  t.record(fail, 1);
  t.record(fail, 2);
  t.record(good, 3);
  assert.equal(t.status().state, 'unhealthy');
  assert.equal(t.status().failingSince, null);
  t.record(fail, 4);
  assert.equal(t.status().failingSince, 4);
});

test('through probe(): kept while the breaker is open and short-circuits probes; reset by the probe that closes it', async () => {
  let now = 1_000_000;
  let serverUp = true;
  let calls = 0;
  const fn: ProbeFn = async () => {
    calls++;
    return serverUp ? okResult : refused;
  };
  const t = new ProbeTarget(spec, { ...defaults, retryDelayMs: 1, halfOpenAfterMs: 150 }, fn, () => now);
  await t.probe();
  assert.equal(t.status().failingSince, null);
  serverUp = false;
  now += 1_000;
  const firstFailure = now;
  await t.probe();
  for (let i = 0; i < 4; i++) {
    now += 1_000;
    await t.probe();
  }
  assert.equal(t.status().breaker, 'open');
  const before = calls;
  now += 1_000;
  await t.probe();
  assert.equal(calls, before, 'the open circuit short-circuited the probe');
  assert.match(t.status().reason ?? '', /^circuit open/);
  assert.equal(t.status().failingSince, firstFailure, 'a short-circuit counts as a failure: the streak start stays');

  serverUp = true;
  await new Promise((r) => setTimeout(r, 170)); // cockatiel's half-open timer runs on the real clock
  now += 1_000;
  await t.probe();
  assert.equal(t.status().breaker, 'closed');
  assert.equal(t.status().failingSince, null);
});
