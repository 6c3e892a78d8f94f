import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { LatencyRing, ProbeTarget, reportedFields } from '../../../electron/core/health/probe-target.ts';
import type { ProbeFn, ProbeTargetSettings } from '../../../electron/core/health/probe-target.ts';
import type { HttpProbeResult } from '../../../electron/core/health/http-probe.ts';

const spec = { id: 'lab/primary/slot/blue', site: 'primary', slot: 'blue', url: 'http://127.0.0.2:1/health' };
const defaults: ProbeTargetSettings = { timeoutMs: 800, healthyThreshold: 1, unhealthyThreshold: 2 };
const okResult = (latencyMs = 3, body?: unknown): HttpProbeResult => ({
  ok: true,
  status: 200,
  latencyMs,
  ...(body ? { body } : {}),
});
const refused: HttpProbeResult = { ok: false, status: null, latencyMs: 1, error: 'ECONNREFUSED 127.0.0.2:1' };

/** Fake attempt function: returns queued results in order (repeats the last), counts calls. */
function scripted(...results: HttpProbeResult[]): ProbeFn & { calls: number } {
  const fn = (async () => {
    fn.calls++;
    return results[Math.min(fn.calls - 1, results.length - 1)]!;
  }) as unknown as ProbeFn & { calls: number };
  fn.calls = 0;
  return fn;
}

describe('LatencyRing', () => {
  test('keeps the newest `capacity` values, oldest first', () => {
    const r = new LatencyRing(3);
    assert.deepEqual(r.toArray(), []);
    r.push(1);
    r.push(null);
    assert.deepEqual(r.toArray(), [1, null]);
    r.push(3);
    r.push(4);
    r.push(5);
    assert.deepEqual(r.toArray(), [3, 4, 5]);
    assert.equal(r.size, 3);
  });
  test('stays bounded over many pushes', () => {
    const r = new LatencyRing(60);
    for (let i = 0; i < 10_000; i++) r.push(i);
    const a = r.toArray();
    assert.equal(a.length, 60);
    assert.equal(a[0], 9_940);
    assert.equal(a[59], 9_999);
  });
  test('rejects a zero capacity', () => {
    assert.throws(() => new LatencyRing(0), RangeError);
  });
});

describe('ProbeTarget verdicts (record)', () => {
  test('starts unknown with a reason, never healthy before a probe', () => {
    const t = new ProbeTarget(spec, defaults, scripted(okResult()));
    const s = t.status();
    assert.equal(s.state, 'unknown');
    assert.equal(s.reason, 'not probed yet');
    assert.equal(s.lastCheckedAt, null);
    assert.equal(s.breaker, 'closed');
  });

  test('unknown → healthy after healthyThreshold (1) success', () => {
    const t = new ProbeTarget(spec, defaults, scripted(okResult()));
    assert.equal(t.record({ ok: true, latencyMs: 4 }, 1000), true);
    const s = t.status();
    assert.equal(s.state, 'healthy');
    assert.equal(s.reason, undefined);
    assert.equal(s.latencyMs, 4);
    assert.equal(s.lastGoodAt, 1000);
    assert.deepEqual(s.recentLatencyMs, [4]);
  });

  test('unknown stays unknown after one failure, unhealthy after unhealthyThreshold (2)', () => {
    const t = new ProbeTarget(spec, defaults, scripted(okResult()));
    assert.equal(t.record({ ok: false, latencyMs: null, reason: 'ECONNREFUSED 127.0.0.2:1' }, 1), false);
    assert.equal(t.status().state, 'unknown');
    assert.equal(t.status().reason, 'ECONNREFUSED 127.0.0.2:1 (1 of 2 failures before unhealthy)');
    assert.equal(t.record({ ok: false, latencyMs: null, reason: 'ECONNREFUSED 127.0.0.2:1' }, 2), true);
    const s = t.status();
    assert.equal(s.state, 'unhealthy');
    assert.equal(s.reason, 'ECONNREFUSED 127.0.0.2:1');
    assert.equal(s.consecutiveFailures, 2);
    assert.equal(s.lastGoodAt, null);
    assert.deepEqual(s.recentLatencyMs, [null, null]);
  });

  test('healthy survives one failure (with a reason) and turns unhealthy on the second', () => {
    const t = new ProbeTarget(spec, defaults, scripted(okResult()));
    t.record({ ok: true, latencyMs: 2 }, 1);
    assert.equal(t.record({ ok: false, latencyMs: null, reason: 'HTTP 503' }, 2), false);
    assert.equal(t.status().state, 'healthy');
    assert.match(t.status().reason ?? '', /HTTP 503 \(1 of 2/);
    assert.equal(t.status().latencyMs, null);
    t.record({ ok: true, latencyMs: 2 }, 3); // a success resets the failure count
    assert.equal(t.status().consecutiveFailures, 0);
    assert.equal(t.record({ ok: false, latencyMs: null, reason: 'HTTP 503' }, 4), false);
    assert.equal(t.record({ ok: false, latencyMs: null, reason: 'HTTP 503' }, 5), true);
    assert.equal(t.status().state, 'unhealthy');
    assert.equal(t.status().lastGoodAt, 3);
  });

  test('unhealthy → healthy needs healthyThreshold consecutive successes', () => {
    const t = new ProbeTarget(spec, { ...defaults, healthyThreshold: 3, unhealthyThreshold: 1 }, scripted(okResult()));
    assert.equal(t.record({ ok: false, latencyMs: null, reason: 'x' }), true);
    assert.equal(t.status().state, 'unhealthy');
    assert.equal(t.record({ ok: true, latencyMs: 1 }), false);
    assert.equal(t.record({ ok: true, latencyMs: 1 }), false);
    assert.equal(t.status().reason, '2 of 3 successes before healthy');
    assert.equal(t.record({ ok: true, latencyMs: 1 }), true);
    assert.equal(t.status().state, 'healthy');
  });

  test('parses reported slot/version/dbRole (strings only)', () => {
    assert.deepEqual(
      reportedFields({ status: 'ok', slot: 'blue', version: '1.2.3', dbRole: 'primary', site: 'primary' }),
      {
        slot: 'blue',
        version: '1.2.3',
        dbRole: 'primary',
      },
    );
    assert.deepEqual(reportedFields({ slot: 'green', version: 7 }), { slot: 'green' });
    assert.equal(reportedFields('ok'), undefined);
    assert.equal(reportedFields([1]), undefined);
    assert.equal(reportedFields({ status: 'ok' }), undefined);
    const t = new ProbeTarget(spec, defaults, scripted(okResult()));
    t.record({ ok: true, latencyMs: 1, body: { slot: 'blue' } });
    assert.deepEqual(t.status().reported, { slot: 'blue' });
  });
});

describe('ProbeTarget policy (probe)', () => {
  test('a success goes through, body fields are reported', async () => {
    const fn = scripted(okResult(5, { slot: 'blue', version: 'v1' }));
    const t = new ProbeTarget(spec, defaults, fn);
    assert.equal(await t.probe(), true);
    assert.equal(fn.calls, 1);
    assert.equal(t.status().state, 'healthy');
    assert.deepEqual(t.status().reported, { slot: 'blue', version: 'v1' });
  });

  test('one failed attempt is retried once inside the probe', async () => {
    const fn = scripted(refused, okResult());
    const t = new ProbeTarget(spec, { ...defaults, retryDelayMs: 1 }, fn);
    await t.probe();
    assert.equal(fn.calls, 2);
    assert.equal(t.status().state, 'healthy');
  });

  test('a failed probe (attempt + retry) keeps the attempt error as reason', async () => {
    const fn = scripted(refused);
    const t = new ProbeTarget(spec, { ...defaults, retryDelayMs: 1 }, fn);
    await t.probe();
    assert.equal(fn.calls, 2);
    assert.equal(t.status().reason, 'ECONNREFUSED 127.0.0.2:1 (1 of 2 failures before unhealthy)');
    await t.probe();
    assert.equal(t.status().state, 'unhealthy');
    assert.equal(t.status().reason, 'ECONNREFUSED 127.0.0.2:1');
  });

  test('timeout bounds the whole probe, retry included, and names the budget', async () => {
    let calls = 0;
    const hang: ProbeFn = (_url, signal) => {
      calls++;
      return new Promise((resolve) => {
        signal.addEventListener('abort', () => resolve({ ok: false, status: null, latencyMs: 0, error: 'aborted' }));
      });
    };
    const t = new ProbeTarget(spec, { ...defaults, timeoutMs: 120 }, hang);
    const t0 = performance.now();
    await t.probe();
    const took = performance.now() - t0;
    assert.ok(took >= 110 && took < 400, `took ${took} ms`);
    assert.equal(calls, 1, 'no retry after the budget is spent');
    assert.match(t.status().reason ?? '', /^timeout after 120 ms/);
  });

  test('slow failing attempts: attempt + backoff + retry still end within timeoutMs', async () => {
    const slowFail: ProbeFn = (_url, signal) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => resolve({ ok: false, status: 502, latencyMs: 80, error: 'HTTP 502' }), 80);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve({ ok: false, status: null, latencyMs: 0, error: 'aborted' });
        });
      });
    const t = new ProbeTarget(spec, { ...defaults, timeoutMs: 150, retryDelayMs: 10 }, slowFail);
    const t0 = performance.now();
    await t.probe();
    const took = performance.now() - t0;
    assert.ok(took < 250, `took ${took} ms`);
    assert.match(t.status().reason ?? '', /^timeout after 150 ms/);
  });

  test('breaker opens after 5 failed probes, short-circuits with a reason, half-opens and closes', async () => {
    let now = 1_000_000;
    let serverUp = false;
    let calls = 0;
    const fn: ProbeFn = async () => {
      calls++;
      return serverUp ? okResult() : refused;
    };
    const t = new ProbeTarget(spec, { ...defaults, retryDelayMs: 1, halfOpenAfterMs: 150 }, fn, () => now);
    for (let i = 0; i < 5; i++) await t.probe();
    assert.equal(t.status().breaker, 'open');
    assert.equal(calls, 10, '5 probes × (attempt + retry)');
    now += 20;
    await t.probe();
    assert.equal(calls, 10, 'open circuit: the target is not contacted');
    const s = t.status();
    assert.equal(s.state, 'unhealthy');
    assert.equal(s.reason, 'circuit open (5 consecutive failures), next try in 1 s');
    assert.equal(s.consecutiveFailures, 6);
    assert.equal(s.latencyMs, null);

    // after halfOpenAfter (cockatiel times it with the real clock) one test probe goes through
    serverUp = true;
    await new Promise((r) => setTimeout(r, 170));
    assert.equal(await t.probe(), true);
    assert.equal(calls, 11);
    assert.equal(t.status().breaker, 'closed');
    assert.equal(t.status().state, 'healthy');
  });

  test('breaker countdown is in whole seconds of halfOpenAfter (default 5 s)', async () => {
    let now = 5_000_000;
    const t = new ProbeTarget(spec, { ...defaults, retryDelayMs: 1 }, scripted(refused), () => now);
    for (let i = 0; i < 5; i++) await t.probe();
    await t.probe();
    assert.equal(t.status().reason, 'circuit open (5 consecutive failures), next try in 5 s');
    now += 2_500;
    await t.probe();
    assert.equal(t.status().reason, 'circuit open (5 consecutive failures), next try in 3 s');
  });

  test('an aborted probe (service stop) records nothing', async () => {
    const ac = new AbortController();
    const hang: ProbeFn = (_url, signal) =>
      new Promise((resolve) =>
        signal.addEventListener('abort', () => resolve({ ok: false, status: null, latencyMs: 0, error: 'aborted' })),
      );
    const t = new ProbeTarget(spec, defaults, hang);
    const p = t.probe(ac.signal);
    ac.abort();
    assert.equal(await p, false);
    assert.equal(t.status().lastCheckedAt, null);
    assert.equal(t.status().state, 'unknown');
  });
});
