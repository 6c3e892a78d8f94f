import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatCountdown,
  formatDurationMs,
  formatMeasured,
  formatStartedAt,
  movesTraffic,
  progressView,
  recoveryGauge,
  recoveryView,
} from '../../../../../renderer/src/features/runs/run-format.ts';
import { plan, plannedStep } from './run-fixtures.ts';

test('durations read in ms below a second, one decimal below 10 s, whole seconds and minutes above', () => {
  assert.equal(formatDurationMs(null), '—');
  assert.equal(formatDurationMs(0), '0 ms');
  assert.equal(formatDurationMs(812), '812 ms');
  assert.equal(formatDurationMs(4_240), '4.2 s');
  assert.equal(formatDurationMs(42_400), '42 s');
  assert.equal(formatDurationMs(125_000), '2 min 05 s');
});

test('countdowns round up and reach 0:00 only at the end', () => {
  assert.equal(formatCountdown(23_000), '0:23');
  assert.equal(formatCountdown(22_001), '0:23');
  assert.equal(formatCountdown(65_000), '1:05');
  assert.equal(formatCountdown(1), '0:01');
  assert.equal(formatCountdown(0), '0:00');
  assert.equal(formatCountdown(-50), '0:00');
  assert.equal(formatCountdown(3_723_000), '1:02:03');
});

test('a TTL wait counts down on the page clock from the last event, and its bar advances with it', () => {
  const p = { message: 'old TTL drains', remainingMs: 24_000, fraction: 0.2 };
  const v0 = progressView(p, 1_000, 1_000);
  assert.equal(v0.countdown, '0:24');
  assert.equal(v0.fraction, 0.2);
  const v1 = progressView(p, 1_000, 13_000);
  assert.equal(v1.remainingMs, 12_000);
  assert.equal(v1.countdown, '0:12');
  assert.ok(Math.abs(v1.fraction! - 0.6) < 1e-9, 'total 30 s: 18 s done');
  const v2 = progressView(p, 1_000, 60_000);
  assert.equal(v2.remainingMs, 0);
  assert.equal(v2.fraction, 1);
  assert.ok(v2.quietForMs !== null, 'no update for a while is said');
});

test('a lag wait shows the value with its unit and the reported fraction', () => {
  const v = progressView({ message: 'lag above bound', value: 12_698, unit: 'bytes', fraction: 0.4 }, 0, 500);
  assert.equal(v.measured, '12.4 KiB');
  assert.equal(v.fraction, 0.4);
  assert.equal(v.countdown, null);
  assert.equal(v.quietForMs, null);
  assert.equal(formatMeasured(0.42, 's'), '0.42 s');
  assert.equal(formatMeasured(3, 'rows'), '3 rows');
});

test('measured recovery beside the RTO: ok, breach, measuring, not applicable', () => {
  assert.deepEqual(recoveryView(4_200, 60, true, 1_000).text, '4.2 s of 60 s RTO');
  assert.equal(recoveryView(4_200, 60, true, 1_000).state, 'ok');
  assert.equal(recoveryView(60_000, 60, true, 1_000).state, 'ok', 'equal to the objective is within it');
  const breach = recoveryView(75_300, 60, true, 1_000);
  assert.equal(breach.state, 'breach');
  assert.equal(breach.tone, 'bad');
  assert.equal(breach.text, '75 s of 60 s RTO');
  assert.equal(recoveryView(null, 60, true, 2_000).state, 'measuring');
  assert.equal(recoveryView(null, 60, true, null).state, 'measuring');
  assert.equal(recoveryView(null, 60, true, 301_000).state, 'not-measured');
  assert.equal(recoveryView(null, 60, false, 1_000).state, 'not-applicable');
  assert.notEqual(recoveryView(null, 60, true, 1_000).tone, 'ok', 'no number is never green');
});

test('movesTraffic: a step that points a record at a site', () => {
  assert.equal(movesTraffic(null), false);
  assert.equal(movesTraffic(plan()), false);
  const dns = plannedStep('dns', 0, {
    plan: {
      changes: [],
      commands: [],
      alreadyDone: false,
      notes: [],
      effects: [{ type: 'dns-point', record: 'app.lab.test', toSite: 'failover', values: ['127.0.0.3'] }],
    },
  });
  assert.equal(movesTraffic(plan({ steps: [dns] })), true);
});

test('start times: clock time today, date and time otherwise', () => {
  const now = new Date(2025, 2, 4, 15, 0, 0).getTime();
  assert.equal(formatStartedAt(new Date(2025, 2, 4, 14, 3, 27).getTime(), now), '14:03:27');
  assert.equal(formatStartedAt(new Date(2025, 2, 3, 9, 5, 0).getTime(), now), 'Mar 3 09:05');
});

test('recovery gauge: the objective sits at 80 % when within it; a breach overflows past the marker', () => {
  const ok = recoveryGauge(4_200, 60);
  assert.ok(Math.abs(ok.marker - 0.8) < 1e-9);
  assert.ok(ok.fill < ok.marker);
  const breach = recoveryGauge(90_000, 60);
  assert.ok(breach.fill > breach.marker);
  assert.ok(breach.fill <= 1);
});

test('a run that ended without succeeding is never "measuring"', () => {
  for (const status of ['aborted', 'failed', 'rolled-back', 'rollback-failed'] as const) {
    const r = recoveryView(null, 60, true, 1_000, status);
    assert.equal(r.state, 'not-applicable', status);
    assert.match(r.text, new RegExp(status));
  }
  assert.equal(recoveryView(null, 60, true, null, 'running').state, 'measuring');
  assert.equal(recoveryView(3_000, 60, true, 1_000, 'rolled-back').state, 'ok', 'a measurement that exists is shown');
});
