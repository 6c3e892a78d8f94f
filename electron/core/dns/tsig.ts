/**
 * TSIG (RFC 8945, "Secret Key Transaction Authentication for DNS") over node:crypto HMAC.
 * No npm package signs TSIG, and dns-packet has no TSIG encoder, so the RR is built and parsed
 * here by hand. Only what Standby needs: sign a request (or a response, given the request MAC),
 * verify a single signed reply. No multi-message (AXFR) chaining, no MAC truncation.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { dnsPacket } from './dns-wire.ts';

/** HMAC algorithms (RFC 8945 §6 table; hmac-md5 is deliberately not supported). */
export const tsigAlgorithms = ['hmac-sha1', 'hmac-sha224', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;
export type TsigAlgorithm = (typeof tsigAlgorithms)[number];

/** A TSIG key as in a BIND key file: name, algorithm and the decoded shared secret. */
export interface TsigKey {
  /** Key name, lower case, without trailing dot (`failover-key`). */
  name: string;
  algorithm: TsigAlgorithm;
  /** The shared secret (base64-decoded), bytes. */
  secret: Buffer;
}

/** Default fudge, s: the time window either side of `timeSigned` (RFC 8945 §10 recommends 300). */
export const DEFAULT_TSIG_FUDGE_SECONDS = 300;

const TSIG_TYPE = 250;
const CLASS_ANY = 255;

/** TSIG error codes (RFC 8945 §3, IANA "DNS RCODEs"). */
const tsigErrorNames: Record<number, string> = {
  0: 'NOERROR',
  16: 'BADSIG',
  17: 'BADKEY',
  18: 'BADTIME',
  22: 'BADTRUNC',
};

/** Name of a TSIG error code (`16` → `BADSIG`); unknown codes as `TSIG_ERROR_n`. */
export function tsigErrorName(code: number): string {
  return tsigErrorNames[code] ?? `TSIG_ERROR_${code}`;
}

/** Result of `signTsig`. */
export interface TsigSigned {
  /** The message with the TSIG RR appended and ARCOUNT incremented. */
  wire: Buffer;
  /** The MAC, needed to verify the reply (RFC 8945 §4.3.1: request MAC is part of the reply digest). */
  mac: Buffer;
  /** Time signed, s since the epoch. */
  timeSigned: number;
}

/**
 * Sign a DNS message (RFC 8945 §4.3): HMAC over
 * `[u16 len(requestMac) ‖ requestMac] ‖ message ‖ TSIG variables`, where the variables are
 * key name (canonical wire form), class ANY, TTL 0, algorithm name, time signed (u48),
 * fudge (u16), error (u16), other len (u16), other data.
 *
 * @param message a complete DNS message without TSIG (ARCOUNT counts only its own additionals).
 * @param opts `timeSigned` s (default now), `fudge` s (default 300), `requestMac` when signing
 *   a response.
 */
export function signTsig(
  message: Buffer,
  key: TsigKey,
  opts: { timeSigned?: number; fudge?: number; requestMac?: Buffer } = {},
): TsigSigned {
  if (message.length < 12) throw new RangeError('DNS message shorter than its header');
  const timeSigned = opts.timeSigned ?? Math.floor(Date.now() / 1000);
  const fudge = opts.fudge ?? DEFAULT_TSIG_FUDGE_SECONDS;
  const originalId = message.readUInt16BE(0);
  const mac = computeMac(key, message, opts.requestMac, timeSigned, fudge, 0, Buffer.alloc(0));
  const rdata = Buffer.concat([
    wireName(key.algorithm),
    u48(timeSigned),
    u16(fudge),
    u16(mac.length),
    mac,
    u16(originalId),
    u16(0),
    u16(0),
  ]);
  const rr = Buffer.concat([
    wireName(key.name),
    u16(TSIG_TYPE),
    u16(CLASS_ANY),
    Buffer.alloc(4),
    u16(rdata.length),
    rdata,
  ]);
  const wire = Buffer.concat([message, rr]);
  wire.writeUInt16BE(message.readUInt16BE(10) + 1, 10);
  return { wire, mac, timeSigned };
}

/** Why a message failed TSIG verification. */
export type TsigProblem =
  /** No TSIG RR as the last additional record. */
  | 'unsigned'
  /** The message or its TSIG RR cannot be parsed, or TSIG is not last. */
  | 'malformed'
  /** Signed with another key name or algorithm than ours. */
  | 'BADKEY'
  /** MAC does not match: different secret, or the message was altered. */
  | 'BADSIG'
  /** Time signed outside ±fudge of our clock. */
  | 'BADTIME'
  /** MAC shorter than the full digest (truncation is not accepted). */
  | 'BADTRUNC'
  /** The peer reported a TSIG error about *our* request in the TSIG error field. */
  | 'peer-error';

/** Result of `verifyTsig`. */
export type TsigVerification =
  | { ok: true; mac: Buffer; timeSigned: number; fudge: number; originalId: number }
  | {
      ok: false;
      problem: TsigProblem;
      /** Human detail, e.g. `server reported TSIG error BADSIG`. */
      detail: string;
      /** TSIG error field of the message (0 when none / unsigned). */
      tsigError: number;
    };

/**
 * Verify the TSIG of a received message (RFC 8945 §5.2 order: key → MAC → time).
 *
 * @param wire the message exactly as received.
 * @param opts `requestMac`: MAC of our request when verifying a reply (§4.3.1), omit when
 *   verifying a request; `nowSeconds`: clock for the time check (default now).
 * @returns `{ ok: true, … }` or `{ ok: false, problem, detail, tsigError }`; never throws.
 */
export function verifyTsig(
  wire: Buffer,
  key: TsigKey,
  opts: { requestMac?: Buffer; nowSeconds?: number } = {},
): TsigVerification {
  let parsed: ParsedTsig | null;
  try {
    parsed = locateTsig(wire);
  } catch (e) {
    return { ok: false, problem: 'malformed', detail: `cannot parse message: ${(e as Error).message}`, tsigError: 0 };
  }
  if (parsed === null)
    return { ok: false, problem: 'unsigned', detail: 'message carries no TSIG record', tsigError: 0 };
  const t = parsed;
  if (t.keyName !== key.name || t.algorithm !== key.algorithm) {
    return {
      ok: false,
      problem: 'BADKEY',
      detail: `signed with key "${t.keyName}" (${t.algorithm}), expected "${key.name}" (${key.algorithm})`,
      tsigError: t.error,
    };
  }
  if (t.error !== 0) {
    // RFC 8945 §5.3.2: a BADSIG/BADKEY reply carries an empty MAC; there is nothing to verify.
    return {
      ok: false,
      problem: 'peer-error',
      detail: `peer reported TSIG error ${tsigErrorName(t.error)}`,
      tsigError: t.error,
    };
  }
  const digestLength = createHmac(hashOf(key.algorithm), Buffer.alloc(1)).digest().length;
  if (t.mac.length !== digestLength) {
    return {
      ok: false,
      problem: t.mac.length < digestLength ? 'BADTRUNC' : 'malformed',
      detail: `MAC is ${t.mac.length} bytes, expected ${digestLength}`,
      tsigError: 0,
    };
  }
  const unsigned = Buffer.from(wire.subarray(0, t.start));
  unsigned.writeUInt16BE(t.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const want = computeMac(key, unsigned, opts.requestMac, t.timeSigned, t.fudge, t.error, t.other);
  if (!timingSafeEqual(want, t.mac)) {
    return { ok: false, problem: 'BADSIG', detail: 'MAC does not verify with our key', tsigError: 0 };
  }
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t.timeSigned) > t.fudge) {
    return {
      ok: false,
      problem: 'BADTIME',
      detail: `signed at ${t.timeSigned}, our clock says ${now} (fudge ${t.fudge} s)`,
      tsigError: 0,
    };
  }
  return { ok: true, mac: t.mac, timeSigned: t.timeSigned, fudge: t.fudge, originalId: t.originalId };
}

/** Peek at a message's TSIG error field without a key (0 when unsigned or unparsable). */
export function peekTsigError(wire: Buffer): number {
  try {
    return locateTsig(wire)?.error ?? 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------------------------------

interface ParsedTsig {
  /** Offset of the TSIG RR in the message. */
  start: number;
  keyName: string;
  algorithm: string;
  timeSigned: number;
  fudge: number;
  mac: Buffer;
  originalId: number;
  error: number;
  other: Buffer;
}

function hashOf(alg: TsigAlgorithm): string {
  return alg.slice('hmac-'.length);
}

function computeMac(
  key: TsigKey,
  message: Buffer,
  requestMac: Buffer | undefined,
  timeSigned: number,
  fudge: number,
  error: number,
  other: Buffer,
): Buffer {
  const h = createHmac(hashOf(key.algorithm), key.secret);
  if (requestMac !== undefined) h.update(u16(requestMac.length)).update(requestMac);
  h.update(message);
  h.update(wireName(key.name)).update(u16(CLASS_ANY)).update(Buffer.alloc(4)); // name, class, TTL
  h.update(wireName(key.algorithm)).update(u48(timeSigned)).update(u16(fudge));
  h.update(u16(error)).update(u16(other.length)).update(other);
  return h.digest();
}

/** Walk the message; return the TSIG RR when it is the last additional record, else null. */
function locateTsig(buf: Buffer): ParsedTsig | null {
  if (buf.length < 12) throw new Error('shorter than a DNS header');
  const qd = buf.readUInt16BE(4);
  const rrCount = buf.readUInt16BE(6) + buf.readUInt16BE(8) + buf.readUInt16BE(10);
  const arCount = buf.readUInt16BE(10);
  let off = 12;
  for (let i = 0; i < qd; i++) off = skipName(buf, off) + 4;
  let last = -1;
  let lastType = -1;
  let rdStart = 0;
  let rdLen = 0;
  for (let i = 0; i < rrCount; i++) {
    const start = off;
    off = skipName(buf, off);
    need(buf, off + 10);
    const type = buf.readUInt16BE(off);
    rdLen = buf.readUInt16BE(off + 8);
    rdStart = off + 10;
    off = rdStart + rdLen;
    need(buf, off);
    if (type === TSIG_TYPE && i !== rrCount - 1) throw new Error('TSIG record is not the last record');
    last = start;
    lastType = type;
  }
  if (off !== buf.length) throw new Error('trailing bytes after the last record');
  if (last < 0 || lastType !== TSIG_TYPE || arCount === 0) return null;
  const keyName = dnsPacket.name.decode(buf, last).toLowerCase();
  const end = rdStart + rdLen;
  const algorithm = dnsPacket.name.decode(buf, rdStart).toLowerCase();
  let p = rdStart + dnsPacket.name.decode.bytes;
  if (p + 10 > end) throw new Error('TSIG rdata too short');
  const timeSigned = buf.readUIntBE(p, 6);
  const fudge = buf.readUInt16BE(p + 6);
  const macLen = buf.readUInt16BE(p + 8);
  p += 10;
  if (p + macLen + 6 > end) throw new Error('TSIG MAC overruns rdata');
  const mac = Buffer.from(buf.subarray(p, p + macLen));
  p += macLen;
  const originalId = buf.readUInt16BE(p);
  const error = buf.readUInt16BE(p + 2);
  const otherLen = buf.readUInt16BE(p + 4);
  p += 6;
  if (p + otherLen !== end) throw new Error('TSIG other data does not match rdata length');
  const other = Buffer.from(buf.subarray(p, p + otherLen));
  return {
    start: last,
    keyName: keyName.replace(/\.$/, ''),
    algorithm: algorithm.replace(/\.$/, ''),
    timeSigned,
    fudge,
    mac,
    originalId,
    error,
    other,
  };
}

function need(buf: Buffer, end: number): void {
  if (end > buf.length) throw new Error('truncated message');
}

function skipName(buf: Buffer, start: number): number {
  let off = start;
  for (let labels = 0; labels < 128; labels++) {
    need(buf, off + 1);
    const len = buf[off]!;
    if (len === 0) return off + 1;
    if ((len & 0xc0) === 0xc0) {
      need(buf, off + 2);
      return off + 2;
    }
    if ((len & 0xc0) !== 0) throw new Error('bad label type');
    off += len + 1;
  }
  throw new Error('name has too many labels');
}

/** Canonical wire form of a name (RFC 4034 §6.2: lower case, uncompressed). */
function wireName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .toLowerCase()
    .split('.')
    .filter((l) => l.length > 0);
  const parts: Buffer[] = [];
  for (const l of labels) {
    const b = Buffer.from(l, 'ascii');
    if (b.length > 63) throw new RangeError(`label "${l}" longer than 63 octets`);
    parts.push(Buffer.from([b.length]), b);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

function u16(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}

function u48(v: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(v, 0, 6);
  return b;
}
