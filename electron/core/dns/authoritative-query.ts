/**
 * Ask one authoritative nameserver directly what it serves for a name and type: no recursion
 * (RD=0), no recursive resolver, no cache, only the given server. This is the "served" view of a
 * record, as opposed to what a provider's API holds.
 */
import { randomInt } from 'node:crypto';
import type { DnsRecordType } from './dns-provider.ts';
import { DnsProviderError } from './dns-provider-error.ts';
import { exchangeDnsMessage } from './dns-exchange.ts';
import { assembleMessage, decodeMessage, encodeQuestion, type WireMessage } from './dns-wire.ts';
import { normalizeDnsName, normalizeRecordValues } from './normalize-record-value.ts';
import { parseHostPort, resolveHostPort } from './parse-host-port.ts';
import { type TsigKey, signTsig, tsigErrorName, peekTsigError, verifyTsig } from './tsig.ts';

/** What one nameserver serves for one name/type. */
export interface AuthoritativeAnswer {
  /** Normalized, sorted values of the exact name/type RRset; empty on NXDOMAIN/NODATA. */
  values: string[];
  /** Smallest TTL of that RRset, s; null when empty. */
  ttlSeconds: number | null;
  /** `NOERROR` (NODATA included) or `NXDOMAIN`; other rcodes throw. */
  rcode: 'NOERROR' | 'NXDOMAIN';
  /** AA flag: false means the server does not consider itself authoritative (lame). */
  authoritative: boolean;
  /** From first send to the accepted reply, ms (retries and TCP fallback included). */
  latencyMs: number;
  transport: 'udp' | 'tcp';
  /** Set when the server was given by name: `ns1.example.net (192.0.2.53):53` (evidence). */
  server?: string;
}

/** Options of `queryAuthoritative`. */
export interface AuthoritativeQueryOptions {
  /** Per-attempt bound, ms. Default 800. */
  timeoutMs?: number;
  /** UDP re-sends after a timeout. Default 1 (so at most 2 × timeoutMs, plus TCP on TC). */
  retries?: number;
  signal?: AbortSignal;
  /** Sign the query with TSIG and require a verified signed reply (RFC 8945 §5.3). */
  tsigKey?: TsigKey;
}

const TSIG_HINT = "check tsigKey file matches the server's key (name, algorithm and secret)";

/** A verified reply of `queryDns`: the decoded message plus timing. */
export interface DnsQueryReply {
  message: WireMessage;
  latencyMs: number;
  transport: 'udp' | 'tcp';
  /** Set when the server was given by name: the name with the address it resolved to. */
  server?: string;
}

/**
 * Send one query (RD=0) for any type to `server` and return the decoded reply after the checks
 * every caller needs: NOTAUTH/REFUSED/SERVFAIL/FORMERR/other rcodes throw, and with `tsigKey`
 * the reply's TSIG must verify. NOERROR and NXDOMAIN are returned.
 * @throws DnsProviderError as `queryAuthoritative`.
 */
export async function queryDns(
  server: string,
  fqdn: string,
  type: string,
  opts: AuthoritativeQueryOptions = {},
): Promise<DnsQueryReply> {
  const name = normalizeDnsName(fqdn);
  const given = parseHostPort(server);
  // Resolved before the exchange so every message below names the address actually asked.
  const hp = await resolveHostPort(given, {
    timeoutMs: opts.timeoutMs ?? 800,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const id = randomInt(0, 0x10000);
  const unsigned = assembleMessage(id, 0, {
    questions: [encodeQuestion(name, type)],
    answers: [],
    authorities: [],
    additionals: [],
  });
  const signed = opts.tsigKey ? signTsig(unsigned, opts.tsigKey) : null;
  const accept = (reply: Buffer): boolean => {
    if (reply.readUInt16BE(0) !== id || (reply.readUInt16BE(2) & 0x8000) === 0) return false;
    try {
      const q = decodeMessage(reply).questions[0];
      return q !== undefined && q.name.toLowerCase() === name && q.type === type;
    } catch {
      return false;
    }
  };
  const ex = await exchangeDnsMessage(hp, signed?.wire ?? unsigned, {
    timeoutMs: opts.timeoutMs ?? 800,
    udpRetries: opts.retries ?? 1,
    accept,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let msg: WireMessage;
  try {
    msg = decodeMessage(ex.reply);
  } catch (e) {
    throw new DnsProviderError('unreachable', `malformed reply from ${hp.label}: ${(e as Error).message}`, undefined, {
      where: hp.label,
    });
  }
  const where = `${hp.label} ${name} ${type}`;
  if (msg.rcode === 'NOTAUTH') {
    const te = peekTsigError(ex.reply);
    throw new DnsProviderError(
      'auth',
      `${hp.label} answered NOTAUTH${te ? `(${tsigErrorName(te)})` : ''} for ${name} ${type}`,
      opts.tsigKey ? TSIG_HINT : 'the server is not authoritative for this zone',
      { where },
    );
  }
  if (opts.tsigKey && signed) {
    const v = verifyTsig(ex.reply, opts.tsigKey, { requestMac: signed.mac });
    if (!v.ok) {
      throw new DnsProviderError(
        'auth',
        `reply from ${hp.label} failed TSIG verification (${v.problem}: ${v.detail})`,
        v.problem === 'BADTIME' ? 'check the clocks of this machine and the server' : TSIG_HINT,
        { where },
      );
    }
  }
  switch (msg.rcode) {
    case 'NOERROR':
    case 'NXDOMAIN':
      return {
        message: msg,
        latencyMs: ex.latencyMs,
        transport: ex.transport,
        ...(given.family === 0 ? { server: hp.label } : {}),
      };
    case 'REFUSED':
      throw new DnsProviderError(
        'auth',
        `${hp.label} REFUSED the query for ${name} ${type}`,
        'check allow-query on the server and that it serves this zone',
        { where },
      );
    case 'SERVFAIL':
      throw new DnsProviderError(
        'unreachable',
        `${hp.label} answered SERVFAIL for ${name} ${type}`,
        'the zone may have failed to load: see the server log',
        { where },
      );
    case 'FORMERR':
      throw new DnsProviderError('invalid-input', `${hp.label} answered FORMERR for ${name} ${type}`, undefined, {
        where,
      });
    default:
      throw new DnsProviderError('unreachable', `${hp.label} answered ${msg.rcode} for ${name} ${type}`, undefined, {
        where,
      });
  }
}

/**
 * Query `server` ("127.0.0.1:53", "[::1]:53", "localhost:53"; loopback only) for `fqdn`/`type`.
 *
 * @throws DnsProviderError
 *   `invalid-input` bad server/name, FORMERR;
 *   `unreachable` ECONNREFUSED etc., SERVFAIL, malformed reply;
 *   `timeout` no reply within `timeoutMs` × (1 + retries);
 *   `auth` REFUSED, NOTAUTH, or (with `tsigKey`) an unsigned/unverifiable reply.
 */
export async function queryAuthoritative(
  server: string,
  fqdn: string,
  type: DnsRecordType,
  opts: AuthoritativeQueryOptions = {},
): Promise<AuthoritativeAnswer> {
  const name = normalizeDnsName(fqdn);
  const { message: msg, latencyMs, transport, server: resolved } = await queryDns(server, name, type, opts);
  const rrs = msg.answers.filter(
    (a) => a.type === type && a.class === 'IN' && a.name.toLowerCase() === name && typeof a.data === 'string',
  );
  let values: string[];
  try {
    values = normalizeRecordValues(
      type,
      rrs.map((a) => a.data as string),
    );
  } catch (e) {
    throw new DnsProviderError(
      'unreachable',
      `${server} served an unparsable ${type} value for ${name}: ${(e as Error).message}`,
      undefined,
      { where: server },
    );
  }
  return {
    values,
    ttlSeconds: rrs.length ? Math.min(...rrs.map((a) => a.ttl)) : null,
    rcode: msg.rcode === 'NXDOMAIN' ? 'NXDOMAIN' : 'NOERROR',
    authoritative: msg.flag_aa,
    latencyMs,
    transport,
    ...(resolved ? { server: resolved } : {}),
  };
}
