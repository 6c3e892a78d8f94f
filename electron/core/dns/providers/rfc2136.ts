/**
 * RFC 2136 dynamic update provider (BIND, Knot, PowerDNS with dnsupdate…), TSIG-signed
 * (RFC 8945, hmac-sha256 by default). Reads are TSIG-signed queries to the primary (`server`);
 * writes are one UPDATE message that deletes the RRset and adds the new one (atomic on the
 * server, RFC 2136 §3.4), with prerequisites for compare-and-swap (§2.4).
 */
import { randomInt } from 'node:crypto';
import { queryAuthoritative, queryDns } from '../authoritative-query.ts';
import type { DnsProvider, DnsRecordSet, DnsRecordType, SetRecordSetOptions } from '../dns-provider.ts';
import { DnsProviderError, isDnsProviderError, toDnsProviderError } from '../dns-provider-error.ts';
import { exchangeDnsMessage } from '../dns-exchange.ts';
import {
  assembleMessage,
  decodeMessage,
  encodeQuestion,
  encodeUpdateRecord,
  OPCODE_UPDATE_FLAGS,
} from '../dns-wire.ts';
import { isInZone, normalizeDnsName, normalizeRecordValues, sameValues } from '../normalize-record-value.ts';
import { type HostPort, parseHostPort } from '../parse-host-port.ts';
import { type TsigKey, peekTsigError, signTsig, tsigErrorName, verifyTsig } from '../tsig.ts';

/** Construction options of `Rfc2136Provider`. */
export interface Rfc2136ProviderOptions {
  /** Workspace provider name. */
  name: string;
  /** Primary server accepting UPDATE, `"127.0.0.1:53"` / `"[::1]:53"` (loopback only). */
  server: string;
  /**
   * Zone, e.g. `lab.test` (trailing dot optional). When omitted, the zone of each name is
   * found with a signed SOA query to `server` (the SOA owner in the answer or authority
   * section, as nsupdate does) and cached.
   */
  zone?: string;
  /** The key, or a loader called on first use (a failed load is retried on the next call). */
  tsigKey: TsigKey | (() => Promise<TsigKey>);
  /** Bound per request, ms (UDP attempt, or TCP exchange). Default 2000. */
  timeoutMs?: number;
}

const TSIG_HINT = "check tsigKey file matches the server's key (name, algorithm and secret)";

/** Content of an UPDATE message (exported for tests). */
export interface UpdatePlan {
  zone: string;
  fqdn: string;
  type: DnsRecordType;
  values: string[];
  ttlSeconds: number;
  /** Prerequisite: `undefined` none; `null` RRset must not exist (§2.4.3); values: RRset equals (§2.4.2). */
  expectedValues?: string[] | null;
}

/**
 * Build an unsigned UPDATE (RFC 2136 §2): zone section `zone SOA IN`; prerequisites;
 * update section "delete RRset" (class ANY, TTL 0, RDLENGTH 0, §2.5.2) then one "add to RRset"
 * per value (class IN, §2.5.1).
 */
export function buildUpdateMessage(id: number, plan: UpdatePlan): Buffer {
  const prereqs: Buffer[] = [];
  if (plan.expectedValues === null || (plan.expectedValues !== undefined && plan.expectedValues.length === 0)) {
    prereqs.push(encodeUpdateRecord({ name: plan.fqdn, type: plan.type, class: 'NONE', ttl: 0, data: null }));
  } else if (plan.expectedValues !== undefined) {
    for (const v of plan.expectedValues) {
      // §2.4.2: value-dependent "RRset exists", TTL must be 0; the whole RRset must match.
      prereqs.push(encodeUpdateRecord({ name: plan.fqdn, type: plan.type, class: 'IN', ttl: 0, data: v }));
    }
  }
  const updates = [encodeUpdateRecord({ name: plan.fqdn, type: plan.type, class: 'ANY', ttl: 0, data: null })];
  for (const v of plan.values) {
    updates.push(encodeUpdateRecord({ name: plan.fqdn, type: plan.type, class: 'IN', ttl: plan.ttlSeconds, data: v }));
  }
  return assembleMessage(id, OPCODE_UPDATE_FLAGS, {
    questions: [encodeQuestion(plan.zone, 'SOA')],
    answers: prereqs,
    authorities: updates,
    additionals: [],
  });
}

/**
 * An RFC 2136 write as nsupdate input on one line (the provider's `describeWrite`, also usable
 * without a provider): `nsupdate (TSIG-signed); server H P; zone Z; prereq …; update delete …;
 * update add …; send`. The prerequisite is the compare-and-swap on `expected` (none when
 * undefined); `zone` null = left to nsupdate (it finds it, as the provider does, by SOA).
 * @param name record name without the trailing dot; `want` null or empty = delete only.
 */
export function describeRfc2136Write(
  target: { server: Pick<HostPort, 'host' | 'port'>; zone: string | null },
  name: string,
  type: DnsRecordType,
  want: DnsRecordSet | null,
  expected?: DnsRecordSet | null,
): string {
  const fq = `${name}.`;
  const prereq =
    expected === undefined
      ? []
      : expected === null || expected.values.length === 0
        ? [`prereq nxrrset ${fq} ${type}`]
        : [`prereq yxrrset ${fq} ${type} ${expected.values.join(' ')}`];
  const adds = (want?.values ?? []).map((v) => `update add ${fq} ${want!.ttlSeconds} ${type} ${v}`);
  return [
    'nsupdate (TSIG-signed)',
    `server ${target.server.host} ${target.server.port}`,
    ...(target.zone !== null ? [`zone ${target.zone}`] : []),
    ...prereq,
    `update delete ${fq} ${type}`,
    ...adds,
    'send',
  ].join('; ');
}

/**
 * `DnsProvider` over RFC 2136 + TSIG. Capabilities: read, write, compareAndSwap (values
 * atomically via prerequisites; `expected.ttlSeconds` by a signed read just before, since
 * prerequisite TTLs must be 0 and are not compared, RFC 2136 §2.4.2).
 *
 * Rcode mapping of UPDATE replies: NOERROR ok; NXRRSET/YXRRSET/NXDOMAIN/YXDOMAIN → `conflict`;
 * NOTAUTH (incl. BADSIG/BADKEY/BADTIME) → `auth` with hint "check tsigKey file matches the
 * server's key"; REFUSED → `auth` (update not allowed for this key); NOTZONE/FORMERR/NOTIMP →
 * `invalid-input`; SERVFAIL → `unreachable`.
 *
 * UPDATEs are sent once over UDP (TCP when larger than 512 bytes or truncated), never re-sent:
 * a lost reply leaves "maybe applied", reported as `timeout` with a hint to read back.
 */
export class Rfc2136Provider implements DnsProvider {
  readonly name: string;
  readonly kind = 'rfc2136';
  readonly capabilities = { read: true, write: true, compareAndSwap: true } as const;
  /** Configured zone (normalized), or null when zones are discovered per name. */
  readonly zone: string | null;
  readonly #server: HostPort;
  readonly #keySource: TsigKey | (() => Promise<TsigKey>);
  #keyPromise: Promise<TsigKey> | null = null;
  readonly #zones = new Map<string, string>();
  readonly #timeoutMs: number;

  /** @throws DnsProviderError `invalid-input` on a bad server address or zone. */
  constructor(opts: Rfc2136ProviderOptions) {
    this.name = opts.name;
    this.zone = opts.zone !== undefined ? normalizeDnsName(opts.zone) : null;
    this.#server = parseHostPort(opts.server);
    this.#keySource = opts.tsigKey;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
  }

  /** TSIG-signed query to the primary (`server`); NXDOMAIN/NODATA → null. See `DnsProvider`. */
  async getRecordSet(fqdn: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | null> {
    const name = this.#checkName(fqdn);
    const key = await this.#key();
    try {
      const a = await queryAuthoritative(this.#server.label, name, type, {
        timeoutMs: this.#timeoutMs,
        retries: 1,
        tsigKey: key,
        ...(signal ? { signal } : {}),
      });
      if (!a.authoritative) {
        throw new DnsProviderError(
          'invalid-input',
          `${this.#server.label} is not authoritative for ${name} (AA=0)`,
          `set "server" of provider ${this.name} to the zone's primary`,
          { where: this.name },
        );
      }
      return a.values.length && a.ttlSeconds !== null ? { values: a.values, ttlSeconds: a.ttlSeconds } : null;
    } catch (e) {
      throw toDnsProviderError(e, this.name, signal);
    }
  }

  /** One signed UPDATE (delete RRset + adds), with prerequisites when `opts.expected` is set. See `DnsProvider`. */
  async setRecordSet(
    fqdn: string,
    type: DnsRecordType,
    values: string[],
    ttlSeconds: number,
    opts: SetRecordSetOptions = {},
  ): Promise<void> {
    const name = this.#checkName(fqdn);
    const norm = normalizeRecordValues(type, values);
    checkTtl(ttlSeconds);
    if (type === 'CNAME' && norm.length > 1) {
      throw new DnsProviderError('invalid-input', `a CNAME RRset holds one value, got ${norm.length}`, undefined, {
        where: `${name} CNAME`,
      });
    }
    let expectedValues: string[] | null | undefined;
    if (opts.expected !== undefined) {
      if (opts.expected !== null) {
        // TTL is not part of an RFC 2136 prerequisite: compare it by reading first.
        const current = await this.getRecordSet(name, type, opts.signal);
        const exp = { values: normalizeRecordValues(type, opts.expected.values), ttlSeconds: opts.expected.ttlSeconds };
        if (current === null || !sameValues(current.values, exp.values) || current.ttlSeconds !== exp.ttlSeconds) {
          throw conflict(name, type, exp, current, this.name);
        }
        expectedValues = exp.values;
      } else {
        expectedValues = null;
      }
    }
    const key = await this.#key();
    const zone = await this.#zoneFor(name, key, opts.signal);
    const id = randomInt(0, 0x10000);
    const unsigned = buildUpdateMessage(id, {
      zone,
      fqdn: name,
      type,
      values: norm,
      ttlSeconds,
      ...(expectedValues !== undefined ? { expectedValues } : {}),
    });
    const signed = signTsig(unsigned, key);
    let reply: Buffer;
    try {
      const ex = await exchangeDnsMessage(this.#server, signed.wire, {
        timeoutMs: this.#timeoutMs,
        udpRetries: 0,
        accept: (r) =>
          r.readUInt16BE(0) === id && (r.readUInt16BE(2) & 0x8000) !== 0 && ((r.readUInt16BE(2) >> 11) & 0xf) === 5,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      reply = ex.reply;
    } catch (e) {
      if (isDnsProviderError(e) && e.kind === 'timeout') {
        throw new DnsProviderError(
          'timeout',
          `${e.message}; the update of ${name} ${type} may or may not have been applied`,
          'read the record back before retrying',
          { where: this.name, cause: e },
        );
      }
      throw toDnsProviderError(e, this.name, opts.signal);
    }
    const rcode = safeRcode(reply);
    const where = `${this.name} ${name} ${type}`;
    if (rcode === 'NOTAUTH') {
      const te = peekTsigError(reply);
      throw new DnsProviderError(
        'auth',
        `${this.#server.label} refused the update: NOTAUTH${te ? `(${tsigErrorName(te)})` : ''}`,
        te === 18 ? 'check the clocks of this machine and the server (TSIG BADTIME)' : TSIG_HINT,
        { where },
      );
    }
    const v = verifyTsig(reply, key, { requestMac: signed.mac });
    if (!v.ok) {
      throw new DnsProviderError(
        'auth',
        `the reply of ${this.#server.label} to our update failed TSIG verification (${v.problem}: ${v.detail}); rcode ${rcode}, the update may have been applied`,
        TSIG_HINT,
        { where },
      );
    }
    switch (rcode) {
      case 'NOERROR':
        return;
      case 'NXRRSET':
      case 'YXRRSET':
      case 'NXDOMAIN':
      case 'YXDOMAIN':
        throw new DnsProviderError(
          'conflict',
          `${name} ${type} changed since it was read: the server answered ${rcode} to the compare-and-swap prerequisite (expected ${expectedValues === null ? 'no record' : (expectedValues ?? []).join(', ')})`,
          'read the record again and re-plan the change',
          { where },
        );
      case 'REFUSED':
        throw new DnsProviderError(
          'auth',
          `${this.#server.label} REFUSED the update of ${name} ${type}`,
          `check that the zone's allow-update / update-policy grants key "${key.name}"`,
          { where },
        );
      case 'NOTZONE':
        throw new DnsProviderError(
          'invalid-input',
          `${name} is not inside zone ${zone} at ${this.#server.label} (NOTZONE)`,
          'check the record name and the environment zone',
          { where },
        );
      case 'NOTIMP':
        throw new DnsProviderError(
          'invalid-input',
          `${this.#server.label} does not implement dynamic update (NOTIMP)`,
          'use the zone primary as "server"',
          { where },
        );
      case 'FORMERR':
        throw new DnsProviderError(
          'invalid-input',
          `${this.#server.label} could not parse our update (FORMERR)`,
          undefined,
          { where },
        );
      case 'SERVFAIL':
        throw new DnsProviderError(
          'unreachable',
          `${this.#server.label} failed to apply the update (SERVFAIL)`,
          'see the server log (journal file writable?)',
          { where },
        );
      default:
        throw new DnsProviderError('unreachable', `${this.#server.label} answered ${rcode} to the update`, undefined, {
          where,
        });
    }
  }

  /** The UPDATE `setRecordSet` sends, in nsupdate's words. See `DnsProvider`. */
  describeWrite(fqdn: string, type: DnsRecordType, want: DnsRecordSet | null, expected?: DnsRecordSet | null): string {
    const name = fqdn.replace(/\.$/, '');
    const zone = this.zone ?? this.#zones.get(normalizeDnsName(name)) ?? null;
    return describeRfc2136Write({ server: this.#server, zone }, name, type, want, expected);
  }

  /** Nothing to release: each request uses its own socket. */
  async close(): Promise<void> {}

  #key(): Promise<TsigKey> {
    const src = this.#keySource;
    if (typeof src !== 'function') return Promise.resolve(src);
    this.#keyPromise ??= src().catch((e: unknown) => {
      this.#keyPromise = null; // a fixed key file is picked up on the next call
      throw toDnsProviderError(e, this.name);
    });
    return this.#keyPromise;
  }

  /** The zone to name in the UPDATE's zone section (RFC 2136 §2.3). */
  async #zoneFor(name: string, key: TsigKey, signal: AbortSignal | undefined): Promise<string> {
    if (this.zone !== null) return this.zone;
    const cached = this.#zones.get(name);
    if (cached) return cached;
    try {
      const { message } = await queryDns(this.#server.label, name, 'SOA', {
        timeoutMs: this.#timeoutMs,
        retries: 1,
        tsigKey: key,
        ...(signal ? { signal } : {}),
      });
      const soa = [...message.answers, ...message.authorities].find(
        (r) => r.type === 'SOA' && isInZone(name, normalizeDnsName(r.name)),
      );
      if (!soa) {
        throw new DnsProviderError(
          'invalid-input',
          `${this.#server.label} returned no SOA for ${name}: it is not the primary of a zone containing it`,
          `set "server" of provider ${this.name} to the zone's primary`,
          { where: this.name },
        );
      }
      const zone = normalizeDnsName(soa.name);
      this.#zones.set(name, zone);
      return zone;
    } catch (e) {
      throw toDnsProviderError(e, this.name, signal);
    }
  }

  #checkName(fqdn: string): string {
    const name = normalizeDnsName(fqdn);
    if (this.zone !== null && !isInZone(name, this.zone)) {
      throw new DnsProviderError(
        'invalid-input',
        `${name} is not inside zone ${this.zone}`,
        'check the record name and the environment zone',
        { where: this.name },
      );
    }
    return name;
  }
}

function safeRcode(reply: Buffer): string {
  try {
    return decodeMessage(reply).rcode;
  } catch {
    const code = reply.readUInt16BE(2) & 0xf;
    return `RCODE_${code}`;
  }
}

function checkTtl(ttl: number): void {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 2147483647) {
    throw new DnsProviderError(
      'invalid-input',
      `TTL ${ttl} is not a whole number of seconds in 0..2147483647`,
      undefined,
    );
  }
}

function conflict(
  name: string,
  type: string,
  exp: DnsRecordSet,
  cur: DnsRecordSet | null,
  where: string,
): DnsProviderError {
  const show = (r: DnsRecordSet | null): string =>
    r === null ? 'no record' : `${r.values.join(', ')} TTL ${r.ttlSeconds} s`;
  return new DnsProviderError(
    'conflict',
    `${name} ${type} is ${show(cur)}, expected ${show(exp)}`,
    'read the record again and re-plan the change',
    { where: `${where} ${name} ${type}` },
  );
}
