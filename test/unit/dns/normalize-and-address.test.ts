import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  normalizeDnsName,
  normalizeRecordValue,
  normalizeRecordValues,
  isInZone,
} from '../../../electron/core/dns/normalize-record-value.ts';
import { parseHostPort } from '../../../electron/core/dns/parse-host-port.ts';
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

describe('parseHostPort (loopback only)', () => {
  test('v4, v6, localhost', () => {
    assert.deepEqual(parseHostPort('127.0.0.1:15353'), {
      host: '127.0.0.1',
      port: 15353,
      family: 4,
      label: '127.0.0.1:15353',
    });
    assert.deepEqual(parseHostPort('[::1]:53'), { host: '::1', port: 53, family: 6, label: '[::1]:53' });
    assert.equal(parseHostPort('localhost:53').host, '127.0.0.1');
    assert.equal(parseHostPort('127.9.8.7:1').host, '127.9.8.7');
  });
  test('refuses anything off loopback or malformed', () => {
    for (const bad of [
      '10.0.0.1:53',
      '[2001:db8::1]:53',
      '127.0.0.1',
      '127.0.0.1:0',
      '127.0.0.1:70000',
      'example.com:53',
      '128.0.0.1:53',
    ]) {
      assert.throws(
        () => parseHostPort(bad),
        (e: unknown) => e instanceof DnsProviderError && e.kind === 'invalid-input',
        bad,
      );
    }
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
