import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DnsAnswer } from '../../../shared/status.ts';
import type { RecordConfig } from '../../../electron/core/config/workspace-schema.ts';
import {
  buildDnsRecordStatus,
  type DnsProviderObservation,
} from '../../../electron/core/dns/build-dns-record-status.ts';
import { dnsTtlBudget } from '../../../electron/core/dns/dns-ttl-budget.ts';

const record: RecordConfig = {
  name: 'app.lab.test',
  type: 'A',
  values: { primary: '127.0.0.2', failover: '127.0.0.3' },
  ttlSeconds: 30,
  failoverTtlSeconds: 5,
};
const env = {
  objectives: { rtoSeconds: 60, rpoSeconds: 5 },
  expectedRunbookSeconds: 10,
  probes: { intervalMs: 1000, timeoutMs: 800, healthyThreshold: 1, unhealthyThreshold: 2 },
};
const budget = dnsTtlBudget(env); // 60 − 10 − 2.85 = 47.15 s

const ok = (values: string[], ttl: number | null = 30): DnsAnswer => ({
  state: 'ok',
  values,
  ttlSeconds: values.length ? ttl : null,
  latencyMs: 1,
  observedAt: 1000,
  lastGoodAt: 1000,
});
const unknown = (reason: string, lastGoodAt: number | null = 500): DnsAnswer => ({
  state: 'unknown',
  values: [],
  ttlSeconds: null,
  reason,
  latencyMs: null,
  observedAt: 1000,
  lastGoodAt,
});
const obs = (provider: string, api: DnsAnswer, served: Record<string, DnsAnswer>): DnsProviderObservation => ({
  provider,
  kind: provider === 'bind' ? 'rfc2136' : 'powerdns',
  api,
  served,
});

describe('dnsTtlBudget', () => {
  test('TTL ≤ RTO − runbook − worst-case detection', () => {
    // detection (worst case) = 1000 ms interval + 800 ms timeout + 1 × (250 ms confirm + 800 ms timeout)
    assert.equal(budget.maxTtlSeconds, 47.15);
    assert.equal(budget.detectionSeconds, 2.85);
    assert.match(
      budget.explanation,
      /RTO 60 s − runbook 10 s − detection 2\.9 s \(1000 ms interval \+ 800 ms timeout \+ 1 × \(250 ms confirm \+ 800 ms timeout\)\) = 47\.1 s/,
    );
    assert.equal(dnsTtlBudget({ ...env, objectives: { rtoSeconds: 5, rpoSeconds: 0 } }).maxTtlSeconds, -7.85);
  });
});

describe('buildDnsRecordStatus', () => {
  test('all agree → no flags, pointsTo the site, max TTL', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.2']), { '127.0.0.1:15353': ok(['127.0.0.2']) }),
      obs('bind', ok(['127.0.0.2'], 20), { '127.0.0.1:15354': ok(['127.0.0.2'], 20) }),
    ]);
    assert.deepEqual(s.flags, []);
    assert.equal(s.pointsTo, 'primary');
    assert.deepEqual(
      s.providers.map((p) => p.pointsTo),
      ['primary', 'primary'],
    );
    assert.equal(s.maxServedTtlSeconds, 30);
    assert.equal(s.normalTtlSeconds, 30);
    assert.equal(s.failoverTtlSeconds, 5);
    assert.equal(s.name, 'app.lab.test');
  });

  test('providers serving different values → providers-disagree with who serves what, pointsTo null', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.2']), { '127.0.0.1:15353': ok(['127.0.0.2']) }),
      obs('bind', ok(['127.0.0.3']), { '127.0.0.1:15354': ok(['127.0.0.3']) }),
    ]);
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['providers-disagree'],
    );
    assert.equal(s.flags[0]!.detail, 'powerdns serves 127.0.0.2; bind serves 127.0.0.3');
    assert.deepEqual(
      s.providers.map((p) => p.pointsTo),
      ['primary', 'failover'],
    );
    assert.equal(s.pointsTo, null);
  });

  test('same values, different TTLs across providers → no disagreement', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.2'], 5), { a: ok(['127.0.0.2'], 5) }),
      obs('bind', ok(['127.0.0.2'], 30), { b: ok(['127.0.0.2'], 30) }),
    ]);
    assert.deepEqual(s.flags, []);
  });

  test('API ≠ served (values or TTL) → api-served-mismatch naming the provider and nameserver', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.3']), { '127.0.0.1:15353': ok(['127.0.0.2']) }),
      obs('bind', ok(['127.0.0.2'], 5), { '127.0.0.1:15354': ok(['127.0.0.2'], 30) }),
    ]);
    const f = s.flags.find((x) => x.flag === 'api-served-mismatch');
    assert.ok(f);
    assert.match(
      f.detail,
      /powerdns: API holds 127\.0\.0\.3 \(TTL 30 s\) but 127\.0\.0\.1:15353 serves 127\.0\.0\.2 \(TTL 30 s\)/,
    );
    assert.match(
      f.detail,
      /bind: API holds 127\.0\.0\.2 \(TTL 5 s\) but 127\.0\.0\.1:15354 serves 127\.0\.0\.2 \(TTL 30 s\)/,
    );
    assert.ok(!s.flags.some((x) => x.flag === 'providers-disagree'));
  });

  test('absent at the API but served → mismatch; absent everywhere → no flags, pointsTo null', () => {
    const a = buildDnsRecordStatus(record, budget, [obs('powerdns', ok([]), { ns: ok(['127.0.0.2']) })]);
    assert.match(a.flags[0]!.detail, /API holds no record but ns serves 127\.0\.0\.2/);
    const b = buildDnsRecordStatus(record, budget, [obs('powerdns', ok([]), { ns: ok([]) })]);
    assert.deepEqual(b.flags, []);
    assert.equal(b.pointsTo, null);
    assert.equal(b.maxServedTtlSeconds, null);
  });

  test('served TTL above the budget → ttl-exceeds-rto with the formula; within it is fine', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.2'], 300), { ns1: ok(['127.0.0.2'], 300) }),
      obs('bind', ok(['127.0.0.2'], 47), { ns2: ok(['127.0.0.2'], 47) }),
    ]);
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['ttl-exceeds-rto'],
    );
    assert.equal(
      s.flags[0]!.detail,
      'powerdns ns1 serves TTL 300 s; allowed ≤ RTO 60 s − runbook 10 s − detection 2.9 s (1000 ms interval + 800 ms timeout + 1 × (250 ms confirm + 800 ms timeout)) = 47.1 s',
    );
    assert.equal(s.maxServedTtlSeconds, 300);
  });

  test('an unknown source → unknown flag with reasons, lastGoodAt kept, pointsTo null for that provider', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', unknown('ECONNREFUSED 127.0.0.1:15381'), { '127.0.0.1:15353': unknown('timeout after 800 ms') }),
      obs('bind', ok(['127.0.0.2']), { '127.0.0.1:15354': ok(['127.0.0.2']) }),
    ]);
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['unknown'],
    );
    assert.equal(
      s.flags[0]!.detail,
      'powerdns API: ECONNREFUSED 127.0.0.1:15381; powerdns 127.0.0.1:15353: timeout after 800 ms',
    );
    assert.equal(s.providers[0]!.pointsTo, null);
    assert.equal(s.providers[0]!.api.lastGoodAt, 500);
    assert.equal(s.providers[1]!.pointsTo, 'primary');
    assert.equal(s.pointsTo, null, 'unknown is not green: no agreed site while a provider is unknown');
  });

  test('nameservers of one provider disagreeing → its pointsTo null; flags name each nameserver', () => {
    const s = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.2']), { ns1: ok(['127.0.0.2']), ns2: ok(['127.0.0.3']) }),
      obs('bind', ok(['127.0.0.2']), { ns3: ok(['127.0.0.2']) }),
    ]);
    assert.equal(s.providers[0]!.pointsTo, null);
    assert.deepEqual(
      s.flags.map((f) => f.flag),
      ['providers-disagree', 'api-served-mismatch'],
    );
    assert.equal(s.flags[0]!.detail, 'powerdns serves 127.0.0.2 at ns1, 127.0.0.3 at ns2; bind serves 127.0.0.2');
  });

  test('a served value matching no site, or several values → pointsTo null', () => {
    const a = buildDnsRecordStatus(record, budget, [obs('powerdns', ok(['127.0.0.9']), { ns: ok(['127.0.0.9']) })]);
    assert.equal(a.pointsTo, null);
    const b = buildDnsRecordStatus(record, budget, [
      obs('powerdns', ok(['127.0.0.2', '127.0.0.3']), { ns: ok(['127.0.0.2', '127.0.0.3']) }),
    ]);
    assert.equal(b.pointsTo, null);
  });

  test('AAAA / CNAME site values are compared normalized', () => {
    const cname: RecordConfig = {
      ...record,
      type: 'CNAME',
      values: { primary: 'Primary.Lab.Test.', failover: 'failover.lab.test' },
    };
    const s = buildDnsRecordStatus(cname, budget, [
      obs('powerdns', ok(['primary.lab.test']), { ns: ok(['primary.lab.test']) }),
    ]);
    assert.equal(s.pointsTo, 'primary');
  });
});
