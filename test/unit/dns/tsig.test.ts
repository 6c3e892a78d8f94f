/**
 * TSIG (RFC 8945) against vectors produced by BIND 9.18 itself, not by our code:
 * `dig -y hmac-sha256:failover-key:SECRET +norec +nocookie +noedns www.example.test A` sent
 * REQUEST to named, which answered RESPONSE (both captured on the wire by a UDP relay).
 * The key is a throwaway lab key.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { signTsig, verifyTsig, peekTsigError, tsigErrorName, type TsigKey } from '../../../electron/core/dns/tsig.ts';

const KEY: TsigKey = {
  name: 'failover-key',
  algorithm: 'hmac-sha256',
  secret: Buffer.from('k4D+ARQhjtTrrS8N/q/BVCNlu7nh9YDTi7ZhTD+pOOg=', 'base64'),
};
const REQUEST = Buffer.from(
  'adeb0020000100000000000103777777076578616d706c65047465737400000100010c6661696c6f7665722d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b014a9b012c0020d7cab60702a8c5a3fbdcde10dce0cb20c9cd76970e6f1514d14c6d6d93974fb9adeb00000000',
  'hex',
);
const RESPONSE = Buffer.from(
  'adeb8400000100010001000203777777076578616d706c6504746573740000010001c00c000100010000001e00047f00000bc010000200010000001e0006036e7331c010c03e000100010000001e00047f0000010c6661696c6f7665722d6b65790000fa00ff00000000003d0b686d61632d7368613235360000006b014a9b012c00202689fd8f7e5ed122be418b279035a3f0981af16da0a794ec113087e3099c07b3adeb00000000',
  'hex',
);
const TIME_SIGNED = 0x6b014a9b; // 1795246747, from the captured TSIG RR
const REQUEST_MAC = Buffer.from('d7cab60702a8c5a3fbdcde10dce0cb20c9cd76970e6f1514d14c6d6d93974fb9', 'hex');
/** Offset of the TSIG RR in REQUEST: header 12 + question "www.example.test A IN" (18 + 4). */
const REQUEST_TSIG_AT = 12 + 22;

function unsignedRequest(): Buffer {
  const m = Buffer.from(REQUEST.subarray(0, REQUEST_TSIG_AT));
  m.writeUInt16BE(0, 10); // ARCOUNT 1 → 0
  return m;
}

describe('TSIG sign (RFC 8945 §4.3)', () => {
  test('reproduces the exact bytes dig signed, given the same time and fudge', () => {
    const s = signTsig(unsignedRequest(), KEY, { timeSigned: TIME_SIGNED, fudge: 300 });
    assert.equal(s.wire.toString('hex'), REQUEST.toString('hex'));
    assert.deepEqual(s.mac, REQUEST_MAC);
  });

  test('MAC equals an HMAC over hand-assembled digest components (independent of signTsig)', () => {
    const vars = Buffer.concat([
      Buffer.from('0c6661696c6f7665722d6b657900', 'hex'), // key name, canonical wire form
      Buffer.from('00ff', 'hex'), // class ANY
      Buffer.from('00000000', 'hex'), // TTL 0
      Buffer.from('0b686d61632d73686132353600', 'hex'), // algorithm "hmac-sha256."
      Buffer.from('00006b014a9b', 'hex'), // time signed (48 bit)
      Buffer.from('012c', 'hex'), // fudge 300
      Buffer.from('0000', 'hex'), // error
      Buffer.from('0000', 'hex'), // other len
    ]);
    const mac = createHmac('sha256', KEY.secret)
      .update(Buffer.concat([unsignedRequest(), vars]))
      .digest();
    assert.deepEqual(mac, REQUEST_MAC);
  });

  test('increments ARCOUNT and keeps the original ID in the RR', () => {
    const msg = unsignedRequest();
    const s = signTsig(msg, KEY, { timeSigned: 1000 });
    assert.equal(s.wire.readUInt16BE(10), 1);
    assert.equal(s.wire.readUInt16BE(s.wire.length - 6), msg.readUInt16BE(0));
  });
});

describe('TSIG verify (RFC 8945 §5)', () => {
  test("accepts BIND's signed reply with our request MAC", () => {
    const v = verifyTsig(RESPONSE, KEY, { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED + 10 });
    assert.equal(v.ok, true);
    if (v.ok) assert.equal(v.timeSigned, TIME_SIGNED);
  });

  test("accepts dig's signed request (no request MAC)", () => {
    assert.equal(verifyTsig(REQUEST, KEY, { nowSeconds: TIME_SIGNED }).ok, true);
  });

  test('rejects the reply when verified without the request MAC (it is part of the digest)', () => {
    const v = verifyTsig(RESPONSE, KEY, { nowSeconds: TIME_SIGNED });
    assert.equal(v.ok, false);
    if (!v.ok) assert.equal(v.problem, 'BADSIG');
  });

  test('a changed answer byte → BADSIG', () => {
    const tampered = Buffer.from(RESPONSE);
    assert.equal(tampered[49], 0x0b);
    tampered[49] = 0x0c; // 127.0.0.11 → 127.0.0.12 in the answer rdata (offset 12 + 22 + 12 + 3)
    const v = verifyTsig(tampered, KEY, { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED });
    assert.equal(v.ok, false);
    if (!v.ok) assert.equal(v.problem, 'BADSIG');
  });

  test('another secret → BADSIG; another key name → BADKEY', () => {
    const other = { ...KEY, secret: Buffer.alloc(32, 1) };
    const v1 = verifyTsig(RESPONSE, other, { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED });
    assert.equal(v1.ok === false && v1.problem, 'BADSIG');
    const v2 = verifyTsig(
      RESPONSE,
      { ...KEY, name: 'other-key' },
      { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED },
    );
    assert.equal(v2.ok === false && v2.problem, 'BADKEY');
  });

  test('outside ±fudge → BADTIME (after the MAC check)', () => {
    const late = verifyTsig(RESPONSE, KEY, { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED + 301 });
    assert.equal(late.ok === false && late.problem, 'BADTIME');
    assert.equal(verifyTsig(RESPONSE, KEY, { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED - 300 }).ok, true);
  });

  test('unsigned and truncated messages are reported, never thrown', () => {
    const unsigned = unsignedRequest();
    assert.equal((verifyTsig(unsigned, KEY) as { problem: string }).problem, 'unsigned');
    assert.equal(
      (verifyTsig(RESPONSE.subarray(0, RESPONSE.length - 3), KEY) as { problem: string }).problem,
      'malformed',
    );
    assert.equal((verifyTsig(Buffer.alloc(5), KEY) as { problem: string }).problem, 'malformed');
  });

  test('a peer TSIG error (NOTAUTH/BADSIG reply with empty MAC) → peer-error with its name', () => {
    // Build what named sends for a bad MAC: our request turned into a reply, error 16, MAC size 0.
    const head = Buffer.from(REQUEST.subarray(0, REQUEST_TSIG_AT));
    head.writeUInt16BE(0x8009, 2); // QR, rcode NOTAUTH
    const rdata = Buffer.concat([
      Buffer.from('0b686d61632d73686132353600', 'hex'),
      Buffer.from('00006b014a9b012c0000', 'hex'), // time, fudge, MAC size 0
      Buffer.from('adeb00100000', 'hex'), // original id, error 16 (BADSIG), other len 0
    ]);
    const rrHead = Buffer.from('0c6661696c6f7665722d6b65790000fa00ff00000000', 'hex');
    const len = Buffer.alloc(2);
    len.writeUInt16BE(rdata.length);
    const reply = Buffer.concat([head, rrHead, len, rdata]);
    assert.equal(peekTsigError(reply), 16);
    assert.equal(tsigErrorName(16), 'BADSIG');
    const v = verifyTsig(reply, KEY, { requestMac: REQUEST_MAC, nowSeconds: TIME_SIGNED });
    assert.equal(v.ok, false);
    if (!v.ok) {
      assert.equal(v.problem, 'peer-error');
      assert.equal(v.tsigError, 16);
    }
  });

  test('round trip with every supported algorithm', () => {
    for (const algorithm of ['hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const) {
      const key = { name: 'k.example', algorithm, secret: Buffer.from('secret-bytes') };
      const s = signTsig(unsignedRequest(), key, { timeSigned: 5000 });
      assert.equal(verifyTsig(s.wire, key, { nowSeconds: 5000 }).ok, true, algorithm);
    }
  });
});
