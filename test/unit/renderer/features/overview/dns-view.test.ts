import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAnswer, providerRow, siteForValues } from '../../../../../renderer/src/features/overview/dns-view.ts';
import type { DnsAnswer, DnsProviderView } from '../../../../../shared/status.ts';

const sites = [
  { name: 'primary', address: '127.0.0.2' },
  { name: 'failover', address: '127.0.0.3' },
];
const ok = (values: string[], ttl: number | null): DnsAnswer => ({
  state: 'ok',
  values,
  ttlSeconds: ttl,
  latencyMs: 1,
  observedAt: 1,
  lastGoodAt: 1,
});

test('answers read as "value · TTL n"', () => {
  assert.equal(formatAnswer(ok(['127.0.0.2'], 30)), '127.0.0.2 · TTL 30');
  assert.equal(formatAnswer(ok(['127.0.0.2', '127.0.0.3'], 5)), '127.0.0.2, 127.0.0.3 · TTL 5');
  assert.equal(formatAnswer(ok([], null)), 'no record · TTL —');
  assert.equal(formatAnswer({ ...ok([], null), state: 'unknown', reason: 'timeout' }), 'unknown');
});

test('values map to a site only when all of them belong to one site', () => {
  assert.equal(siteForValues(['127.0.0.2'], sites), 'primary');
  assert.equal(siteForValues(['127.0.0.2', '127.0.0.3'], sites), null);
  assert.equal(siteForValues(['10.0.0.1'], sites), null);
  assert.equal(siteForValues([], sites), null);
});

test('a nameserver serving other values than the API is marked, an unknown one is not judged', () => {
  const view: DnsProviderView = {
    provider: 'bind',
    kind: 'rfc2136',
    api: ok(['127.0.0.2'], 30),
    served: {
      '127.0.0.1:15355': { ...ok([], null), state: 'unknown', reason: 'timeout' },
      '127.0.0.1:15354': ok(['127.0.0.3'], 30),
      '127.0.0.1:15353': ok(['127.0.0.2'], 300),
    },
    pointsTo: null,
  };
  const row = providerRow(view, sites);
  assert.deepEqual(
    row.served.map((c) => c.nameserver),
    ['127.0.0.1:15353', '127.0.0.1:15354', '127.0.0.1:15355'],
    'sorted',
  );
  assert.deepEqual(
    row.served.map((c) => c.valuesMatchApi),
    [true, false, null],
  );
  assert.deepEqual(
    row.served.map((c) => c.ttlMatchesApi),
    [false, true, null],
  );
  assert.equal(row.served[1]!.site, 'failover');
  assert.equal(row.valueMismatch, true);
  assert.equal(row.apiText, '127.0.0.2 · TTL 30');
  assert.equal(row.apiSite, 'primary');
});

test('an insecure-http provider row carries the flag (badge); the contract validates it', async () => {
  const { DnsProviderViewSchema } = await import('../../../../../shared/status.ts');
  const view: DnsProviderView = {
    provider: 'pdns',
    kind: 'powerdns',
    api: ok(['127.0.0.2'], 30),
    served: { 'ns1.example.net:53': { ...ok(['127.0.0.2'], 30), server: 'ns1.example.net (192.0.2.53):53' } },
    insecureHttp: true,
    pointsTo: 'primary',
  };
  assert.equal(providerRow(view, sites).insecureHttp, true);
  assert.equal(providerRow({ ...view, insecureHttp: undefined }, sites).insecureHttp, false);
  assert.equal(DnsProviderViewSchema.safeParse(view).success, true);
  assert.equal(DnsProviderViewSchema.safeParse({ ...view, insecureHttp: 'yes' }).success, false);
});
