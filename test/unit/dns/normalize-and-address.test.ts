import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeDnsName,
  normalizeRecordValue,
  normalizeRecordValues,
  isInZone,
} from '../../../electron/core/dns/normalize-record-value.ts';
import { parseHostPort, resolveHostPort } from '../../../electron/core/dns/parse-host-port.ts';
import { describeNetworkError, DnsProviderError } from '../../../electron/core/dns/dns-provider-error.ts';

describe('normalizeRecordValue', () => {
  test('A, AAAA (RFC 5952), CNAME', () => {
    assert.equal(normalizeRecordValue('A', ' 127.0.0.2 '), '127.0.0.2');
    assert.equal(normalizeRecordValue('AAAA', '2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(normalizeRecordValue('AAAA', '::1'), '::1');
    assert.equal(normalizeRecordValue('CNAME', 'App.Lab.Test.'), 'app.lab.test');
  });
  test('refuses values that are not of the type', () => {
    for (const [t, v] of [
      ['A', '127.0.0.256'],
      ['A', '127.0.0.02'],
      ['AAAA', '127.0.0.1'],
      ['CNAME', 'a..b'],
    ] as const) {
      assert.throws(() => normalizeRecordValue(t, v), DnsProviderError, `${t} ${v}`);
    }
  });
  test('values are de-duplicated and sorted', () => {
    assert.deepEqual(normalizeRecordValues('A', ['127.0.0.3', '127.0.0.2', '127.0.0.3']), ['127.0.0.2', '127.0.0.3']);
  });
  test('names and zones', () => {
    assert.equal(normalizeDnsName('APP.lab.test.'), 'app.lab.test');
    assert.ok(isInZone('app.lab.test', 'lab.test'));
    assert.ok(isInZone('lab.test', 'lab.test'));
    assert.ok(!isInZone('applab.test', 'lab.test'));
    assert.throws(() => normalizeDnsName('x'.repeat(64) + '.test'), DnsProviderError);
  });
});

describe('parseHostPort', () => {
  test('v4, v6, localhost, names', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:15353'), {
      host: '127.0.0.1',
      port: 15353,
      family: 4,
      label: '127.0.0.1:15353',
    });
    assert.deepEqual(parseHostPort('[::1]:53'), { host: '::1', port: 53, family: 6, label: '[::1]:53' });
    assert.deepEqual(parseHostPort('[2001:db8::1]:53'), {
      host: '2001:db8::1',
      port: 53,
      family: 6,
      label: '[2001:db8::1]:53',
    });
    assert.equal(parseHostPort('localhost:53').host, '127.0.0.1');
    assert.equal(parseHostPort('10.0.0.1:53').family, 4);
    assert.deepEqual(parseHostPort('ns1.example.net:53'), {
      host: 'ns1.example.net',
      port: 53,
      family: 0,
      label: 'ns1.example.net:53',
    });
  });
  test('refuses malformed forms', () => {
    for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:70000', '2001:db8::1:53', '999.0.0.1:53', 'a b:53']) {
      assert.throws(
        () => parseHostPort(bad),
        (e: unknown) => e instanceof DnsProviderError && e.kind === 'invalid-input',
        bad,
      );
    }
  });
});

describe('resolveHostPort', () => {
  test('a name is resolved and the label shows name and address', async () => {
    const lookupFn = (async () => ({ address: '192.0.2.53', family: 4 })) as never;
    const r = await resolveHostPort(parseHostPort('ns1.example.net:53'), { timeoutMs: 500, lookupFn });
    assert.deepEqual(r, {
      host: '192.0.2.53',
      port: 53,
      family: 4,
      label: 'ns1.example.net (192.0.2.53):53',
      name: 'ns1.example.net',
    });
    const v6 = (async () => ({ address: '2001:db8::53', family: 6 })) as never;
    const r6 = await resolveHostPort(parseHostPort('ns1.example.net:53'), { timeoutMs: 500, lookupFn: v6 });
    assert.equal(r6.label, 'ns1.example.net ([2001:db8::53]):53');
  });
  test('localhost resolves through the real system resolver', async () => {
    const hp = { host: 'localhost', port: 53, family: 0 as const, label: 'localhost:53' };
    const r = await resolveHostPort(hp, { timeoutMs: 2000 });
    assert.ok(r.host === '127.0.0.1' || r.host === '::1', r.host);
    assert.match(r.label, /^localhost \((127\.0\.0\.1|\[::1\])\):53$/);
  });
  test('a failed lookup is unreachable with the reason; a slow one times out', async () => {
    const fail = (async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
    }) as never;
    await assert.rejects(
      resolveHostPort(parseHostPort('nx.invalid:53'), { timeoutMs: 500, lookupFn: fail }),
      (e: unknown) =>
        e instanceof DnsProviderError && e.kind === 'unreachable' && /nx\.invalid.*ENOTFOUND/.test(e.message),
    );
    const slow = (() => new Promise(() => {})) as never;
    const t0 = Date.now();
    await assert.rejects(
      resolveHostPort(parseHostPort('slow.example:53'), { timeoutMs: 100, lookupFn: slow }),
      (e: unknown) => e instanceof DnsProviderError && e.kind === 'timeout',
    );
    assert.ok(Date.now() - t0 < 1000);
    const ac = new AbortController();
    const p = resolveHostPort(parseHostPort('slow.example:53'), { timeoutMs: 5000, lookupFn: slow, signal: ac.signal });
    ac.abort(new Error('stopped'));
    await assert.rejects(p, /stopped/);
  });
  test('an IP literal is returned as is, without a lookup', async () => {
    const never = (() => assert.fail('no lookup for an IP')) as never;
    const hp = parseHostPort('[2001:db8::1]:53');
    assert.equal(await resolveHostPort(hp, { timeoutMs: 100, lookupFn: never }), hp);
  });
});

describe('describeNetworkError', () => {
  test('code + address:port like the status reason', () => {
    const e = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:15381'), {
      code: 'ECONNREFUSED',
      address: '127.0.0.1',
      port: 15381,
    });
    assert.equal(describeNetworkError(e), 'ECONNREFUSED 127.0.0.1:15381');
    assert.equal(
      describeNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED', address: '::1', port: 53 })),
      'ECONNREFUSED [::1]:53',
    );
    assert.equal(describeNetworkError(new Error('plain')), 'plain');
  });
});
