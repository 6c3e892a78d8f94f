import { test } from 'node:test';
import assert from 'node:assert/strict';
import { objectiveGauge, rtoSegments } from '../../../../../renderer/src/features/overview/objective-gauge.ts';
import type { RtoStatus } from '../../../../../shared/status.ts';

test('within objective: the objective sits at 80 % and the value before it', () => {
  const g = objectiveGauge(1, 5);
  assert.equal(g.objectiveFraction, 0.8);
  assert.ok(Math.abs(g.valueFraction - 0.16) < 1e-9);
});

test('breach: the value fills to 80 % and the objective moves left', () => {
  const g = objectiveGauge(300, 60);
  assert.equal(g.valueFraction, 0.8);
  assert.ok(g.objectiveFraction < 0.2);
});

test('unknown value is an empty bar; RPO 0 does not divide by zero', () => {
  assert.equal(objectiveGauge(null, 5).valueFraction, 0);
  const zero = objectiveGauge(0, 0);
  assert.ok(Number.isFinite(zero.valueFraction) && Number.isFinite(zero.objectiveFraction));
});

test('RTO parts share the gauge scale and add up to the estimate', () => {
  const rto: RtoStatus = {
    verdict: 'ok',
    estimateSeconds: 42.8,
    objectiveSeconds: 60,
    parts: { detectionSeconds: 2.8, runbookSeconds: 10, dnsTtlSeconds: 30 },
    explanation: '',
  };
  const { segments, gauge } = rtoSegments(rto);
  const sum = segments.reduce((s, p) => s + p.fraction, 0);
  assert.ok(Math.abs(sum - gauge.valueFraction) < 1e-9);
  assert.deepEqual(
    segments.map((s) => s.part),
    ['detection', 'runbook', 'dns-ttl'],
  );
});

test('unknown DNS TTL: zero width, seconds null', () => {
  const rto: RtoStatus = {
    verdict: 'unknown',
    estimateSeconds: null,
    objectiveSeconds: 60,
    parts: { detectionSeconds: 2.8, runbookSeconds: 10, dnsTtlSeconds: null },
    explanation: '',
  };
  const dns = rtoSegments(rto).segments[2]!;
  assert.equal(dns.seconds, null);
  assert.equal(dns.fraction, 0);
});
