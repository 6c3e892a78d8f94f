/** The RFC 2136 UPDATE we send, decoded back field by field. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Rfc2136Provider, buildUpdateMessage } from '../../../electron/core/dns/providers/rfc2136.ts';

interface Rr {
  name: string;
  type: number;
  klass: number;
  ttl: number;
  rdata: Buffer;
}

/** Minimal independent decoder (uncompressed names) so the test does not trust dns-packet. */
function parse(buf: Buffer): {
  id: number;
  opcode: number;
  counts: number[];
  zone: { name: string; type: number; klass: number };
  prereqs: Rr[];
  updates: Rr[];
} {
  let off = 12;
  const name = (): string => {
    const labels: string[] = [];
    for (;;) {
      const len = buf[off++]!;
      if (len === 0) return labels.join('.');
      labels.push(buf.toString('ascii', off, off + len));
      off += len;
    }
  };
  const rr = (): Rr => {
    const n = name();
    const r = {
      name: n,
      type: buf.readUInt16BE(off),
      klass: buf.readUInt16BE(off + 2),
      ttl: buf.readUInt32BE(off + 4),
      rdata: Buffer.alloc(0),
    };
    const len = buf.readUInt16BE(off + 8);
    r.rdata = Buffer.from(buf.subarray(off + 10, off + 10 + len));
    off += 10 + len;
    return r;
  };
  const counts = [4, 6, 8, 10].map((o) => buf.readUInt16BE(o));
  const zn = name();
  const zone = { name: zn, type: buf.readUInt16BE(off), klass: buf.readUInt16BE(off + 2) };
  off += 4;
  const prereqs = Array.from({ length: counts[1]! }, rr);
  const updates = Array.from({ length: counts[2]! }, rr);
  assert.equal(off, buf.length);
  return { id: buf.readUInt16BE(0), opcode: (buf.readUInt16BE(2) >> 11) & 0xf, counts, zone, prereqs, updates };
}

describe('buildUpdateMessage (RFC 2136 §2)', () => {
  test('unconditional replace: zone SOA, delete RRset (ANY, TTL 0, no rdata), then adds', () => {
    const m = parse(
      buildUpdateMessage(0x1234, {
        zone: 'lab.test',
        fqdn: 'app.lab.test',
        type: 'A',
        values: ['127.0.0.2', '127.0.0.3'],
        ttlSeconds: 5,
      }),
    );
    assert.equal(m.id, 0x1234);
    assert.equal(m.opcode, 5);
    assert.deepEqual(m.counts, [1, 0, 3, 0]);
    assert.deepEqual(m.zone, { name: 'lab.test', type: 6, klass: 1 });
    assert.deepEqual(m.updates[0], { name: 'app.lab.test', type: 1, klass: 255, ttl: 0, rdata: Buffer.alloc(0) });
    assert.deepEqual(m.updates[1], {
      name: 'app.lab.test',
      type: 1,
      klass: 1,
      ttl: 5,
      rdata: Buffer.from([127, 0, 0, 2]),
    });
    assert.deepEqual(m.updates[2]!.rdata, Buffer.from([127, 0, 0, 3]));
  });

  test('CAS on values: value-dependent "RRset exists" prerequisites, class IN, TTL 0 (§2.4.2)', () => {
    const m = parse(
      buildUpdateMessage(1, {
        zone: 'lab.test',
        fqdn: 'app.lab.test',
        type: 'A',
        values: ['127.0.0.3'],
        ttlSeconds: 30,
        expectedValues: ['127.0.0.2'],
      }),
    );
    assert.deepEqual(m.prereqs, [
      { name: 'app.lab.test', type: 1, klass: 1, ttl: 0, rdata: Buffer.from([127, 0, 0, 2]) },
    ]);
  });

  test('CAS on absence: "RRset does not exist" = class NONE (254), TTL 0, no rdata (§2.4.3)', () => {
    const m = parse(
      buildUpdateMessage(1, {
        zone: 'lab.test',
        fqdn: 'new.lab.test',
        type: 'AAAA',
        values: ['::1'],
        ttlSeconds: 30,
        expectedValues: null,
      }),
    );
    assert.deepEqual(m.prereqs, [{ name: 'new.lab.test', type: 28, klass: 254, ttl: 0, rdata: Buffer.alloc(0) }]);
    assert.equal(m.updates[1]!.rdata.length, 16);
  });

  test('delete only (no values) and CNAME targets as names', () => {
    assert.equal(
      parse(buildUpdateMessage(1, { zone: 'lab.test', fqdn: 'app.lab.test', type: 'A', values: [], ttlSeconds: 30 }))
        .updates.length,
      1,
    );
    const m = parse(
      buildUpdateMessage(1, {
        zone: 'lab.test',
        fqdn: 'www.lab.test',
        type: 'CNAME',
        values: ['app.lab.test'],
        ttlSeconds: 30,
      }),
    );
    assert.deepEqual(m.updates[1]!.rdata, Buffer.from('03617070036c616204746573740' + '0', 'hex'));
  });
});

describe('Rfc2136Provider.describeWrite: the UPDATE in nsupdate words', () => {
  const key = { name: 'failover-key', algorithm: 'hmac-sha256' as const, secret: Buffer.alloc(32, 1) };
  const p = new Rfc2136Provider({ name: 'bind', server: '127.0.0.1:15354', zone: 'lab.test', tsigKey: key });
  test('compare-and-swap on the values read: prereq yxrrset, delete the RRset, add each value, send', () => {
    assert.equal(
      p.describeWrite(
        'app.lab.test',
        'A',
        { values: ['127.0.0.3'], ttlSeconds: 5 },
        { values: ['127.0.0.2'], ttlSeconds: 30 },
      ),
      'nsupdate (TSIG-signed); server 127.0.0.1 15354; zone lab.test; prereq yxrrset app.lab.test. A 127.0.0.2; update delete app.lab.test. A; update add app.lab.test. 5 A 127.0.0.3; send',
    );
  });
  test('absence expected → prereq nxrrset; unknown current (undefined) → no prereq; delete only', () => {
    assert.match(
      p.describeWrite('new.lab.test', 'A', { values: ['127.0.0.9'], ttlSeconds: 30 }, null),
      /; prereq nxrrset new\.lab\.test\. A; update delete/,
    );
    assert.equal(
      p.describeWrite('app.lab.test', 'A', null),
      'nsupdate (TSIG-signed); server 127.0.0.1 15354; zone lab.test; update delete app.lab.test. A; send',
    );
  });
  test('without a configured zone, nsupdate is left to find it', () => {
    const noZone = new Rfc2136Provider({ name: 'bind', server: '127.0.0.1:15354', tsigKey: key });
    assert.doesNotMatch(noZone.describeWrite('app.lab.test', 'A', null), /zone/);
  });
});
