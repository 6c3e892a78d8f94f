/**
 * PowerDNS Authoritative HTTP API provider (API v1, tested with 4.7):
 *   read  GET   /api/v1/servers/{server_id}/zones/{zone_id}?rrset_name=…&rrset_type=…
 *   write PATCH /api/v1/servers/{server_id}/zones/{zone_id}  {"rrsets":[{changetype: REPLACE|DELETE}]}
 * (doc.powerdns.com/authoritative/http-api/zone.html). Auth is the `X-API-Key` header.
 */
import { performance } from 'node:perf_hooks';
import { Agent, request } from 'undici';
import { z } from 'zod';
import type { DnsProvider, DnsRecordSet, DnsRecordType, SetRecordSetOptions } from '../dns-provider.ts';
import { DnsProviderError, toDnsProviderError } from '../dns-provider-error.ts';
import { isInZone, normalizeDnsName, normalizeRecordValues, sameValues } from '../normalize-record-value.ts';

/** Construction options of `PowerDnsProvider`. */
export interface PowerDnsProviderOptions {
  /** Workspace provider name. */
  name: string;
  /** API base URL, e.g. `https://pdns.example.net:8081` (validated by the workspace schema). */
  apiUrl: string;
  /** PEM CA certificate(s) trusted for an https `apiUrl` instead of Node's bundled CAs. */
  ca?: string;
  /** PowerDNS server id. Default `localhost` (the only one PowerDNS Authoritative has). */
  serverId?: string;
  /**
   * Zone, e.g. `lab.test` (trailing dot optional). When omitted, the zone of each name is the
   * longest zone of `GET …/zones` containing it (list cached 60 s).
   */
  zone?: string;
  /**
   * The API key, or a loader called on first use (the caller resolves the secret reference;
   * a failed load is retried on the next call). Never logged.
   */
  apiKey: string | (() => Promise<string>);
  /** Bound per HTTP request (connect + headers + body), ms. Default 2000. */
  timeoutMs?: number;
  /** Largest response body read, bytes. Default 4 MiB (a GET is filtered to one RRset). */
  maxResponseBytes?: number;
}

/**
 * The PATCH body replacing `name`'s `type` RRset with `values` (normalized; empty = DELETE) at
 * TTL `ttlSeconds` s: `{"rrsets":[{name, type, ttl, changetype: "REPLACE", records}]}`.
 */
function patchBody(name: string, type: DnsRecordType, values: readonly string[], ttlSeconds: number): string {
  const rrset =
    values.length === 0
      ? { name: `${name}.`, type, changetype: 'DELETE' }
      : {
          name: `${name}.`,
          type,
          ttl: ttlSeconds,
          changetype: 'REPLACE',
          records: values.map((v) => ({ content: type === 'CNAME' ? `${v}.` : v, disabled: false })),
        };
  return JSON.stringify({ rrsets: [rrset] });
}

/**
 * A PowerDNS write as text (the provider's `describeWrite`, also usable without a provider):
 * `PATCH http://127.0.0.1:15381/api/v1/servers/localhost/zones/lab.test. {"rrsets":[…]}  # after a GET …`.
 * @param api `apiUrl` without trailing slashes, `serverId`, and the zone (no trailing dot).
 * @param name record name without the trailing dot; `want` null or empty = DELETE.
 */
export function describePowerDnsWrite(
  api: { apiUrl: string; serverId: string; zone: string },
  name: string,
  type: DnsRecordType,
  want: DnsRecordSet | null,
): string {
  const body = patchBody(name, type, want?.values ?? [], want?.ttlSeconds ?? 0);
  return `PATCH ${api.apiUrl}/api/v1/servers/${api.serverId}/zones/${api.zone}. ${body}  # after a GET of the RRset (PowerDNS has no conditional write)`;
}

const ZoneSchema = z.object({
  rrsets: z.array(
    z.object({
      name: z.string(),
      type: z.string(),
      ttl: z.number().int().nonnegative(),
      records: z.array(z.object({ content: z.string(), disabled: z.boolean().optional() })),
    }),
  ),
});

/**
 * `DnsProvider` over the PowerDNS HTTP API. Capabilities: read, write; compareAndSwap false —
 * PowerDNS has no conditional PATCH, so `expected` is checked by a GET just before the PATCH
 * (a concurrent writer in between is not detected).
 *
 * HTTP mapping: 401/403 → `auth` (hint: apiKey vs pdns.conf `api-key`); 404 → `invalid-input`
 * (zone or server id unknown); 422/400 → `invalid-input` (PowerDNS's error text); 409 →
 * `conflict`; 5xx → `unreachable`; connect errors → `unreachable` ("ECONNREFUSED 127.0.0.1:15381");
 * no complete answer within `timeoutMs` → `timeout`.
 */
export class PowerDnsProvider implements DnsProvider {
  readonly name: string;
  readonly kind = 'powerdns';
  readonly capabilities = { read: true, write: true, compareAndSwap: false } as const;
  /** Configured zone (normalized), or null when zones are discovered per name. */
  readonly zone: string | null;
  readonly #serverUrl: string;
  /** `apiUrl` and server id as configured, for {@link describeWrite}. */
  readonly #apiUrlText: string;
  readonly #serverIdText: string;
  readonly #apiKeySource: string | (() => Promise<string>);
  #apiKeyPromise: Promise<string> | null = null;
  #zoneList: { at: number; zones: string[] } | null = null;
  readonly #timeoutMs: number;
  readonly #maxBytes: number;
  readonly #agent: Agent;

  /** @throws DnsProviderError `invalid-input` on a bad zone or URL. */
  constructor(opts: PowerDnsProviderOptions) {
    this.name = opts.name;
    this.zone = opts.zone !== undefined ? normalizeDnsName(opts.zone) : null;
    this.#apiKeySource = opts.apiKey;
    this.#timeoutMs = opts.timeoutMs ?? 2000;
    this.#maxBytes = opts.maxResponseBytes ?? 4 * 1024 * 1024;
    this.#apiUrlText = opts.apiUrl.replace(/\/+$/, '');
    this.#serverIdText = opts.serverId ?? 'localhost';
    let base: URL;
    try {
      base = new URL(opts.apiUrl);
    } catch {
      throw new DnsProviderError(
        'invalid-input',
        `apiUrl "${opts.apiUrl}" is not a URL`,
        'e.g. http://127.0.0.1:8081',
        { where: opts.name },
      );
    }
    const root = base.href.replace(/\/+$/, '');
    this.#serverUrl = `${root}/api/v1/servers/${encodeURIComponent(opts.serverId ?? 'localhost')}`;
    // Own agent: bounded connections to this one API, and close() releases them.
    // Certificate verification always on; `ca` (a caFile's PEM) replaces the bundled CAs.
    this.#agent = new Agent({
      connect: {
        timeout: this.#timeoutMs,
        rejectUnauthorized: true,
        ...(opts.ca !== undefined ? { ca: opts.ca } : {}),
      },
      connections: 4,
      keepAliveTimeout: 4000,
    });
  }

  /** GET the zone filtered to this RRset; disabled records are ignored. See `DnsProvider`. */
  async getRecordSet(fqdn: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | null> {
    const name = this.#checkName(fqdn);
    const zoneUrl = await this.#zoneUrl(name, signal);
    const url = `${zoneUrl}?rrsets=true&rrset_name=${encodeURIComponent(`${name}.`)}&rrset_type=${type}`;
    const res = await this.#call('GET', url, undefined, signal);
    if (res.status !== 200) throw this.#httpError(res.status, res.text, `read ${name} ${type}`);
    let zone: z.infer<typeof ZoneSchema>;
    try {
      zone = ZoneSchema.parse(JSON.parse(res.text));
    } catch (e) {
      throw new DnsProviderError(
        'unreachable',
        `PowerDNS API returned an unexpected zone document (${(e as Error).message.slice(0, 200)})`,
        'is apiUrl really a PowerDNS Authoritative API?',
        { where: this.name },
      );
    }
    const rrset = zone.rrsets.find((r) => r.type === type && normalizeDnsName(r.name) === name);
    const contents = rrset?.records.filter((r) => r.disabled !== true).map((r) => r.content) ?? [];
    if (!rrset || contents.length === 0) return null;
    try {
      return { values: normalizeRecordValues(type, contents), ttlSeconds: rrset.ttl };
    } catch (e) {
      throw new DnsProviderError(
        'unreachable',
        `PowerDNS holds an unparsable ${type} value for ${name}: ${(e as Error).message}`,
        undefined,
        { where: this.name },
      );
    }
  }

  /** PATCH changetype REPLACE (or DELETE when `values` is empty). See `DnsProvider`. */
  async setRecordSet(
    fqdn: string,
    type: DnsRecordType,
    values: string[],
    ttlSeconds: number,
    opts: SetRecordSetOptions = {},
  ): Promise<void> {
    const name = this.#checkName(fqdn);
    const norm = normalizeRecordValues(type, values);
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 0 || ttlSeconds > 2147483647) {
      throw new DnsProviderError(
        'invalid-input',
        `TTL ${ttlSeconds} is not a whole number of seconds in 0..2147483647`,
        undefined,
        { where: this.name },
      );
    }
    if (type === 'CNAME' && norm.length > 1) {
      throw new DnsProviderError('invalid-input', `a CNAME RRset holds one value, got ${norm.length}`, undefined, {
        where: this.name,
      });
    }
    if (opts.expected !== undefined) {
      const current = await this.getRecordSet(name, type, opts.signal);
      const exp =
        opts.expected === null
          ? null
          : { values: normalizeRecordValues(type, opts.expected.values), ttlSeconds: opts.expected.ttlSeconds };
      const matches =
        exp === null || exp.values.length === 0
          ? current === null
          : current !== null && sameValues(current.values, exp.values) && current.ttlSeconds === exp.ttlSeconds;
      if (!matches) {
        const show = (r: DnsRecordSet | null): string =>
          r === null || r.values.length === 0 ? 'no record' : `${r.values.join(', ')} TTL ${r.ttlSeconds} s`;
        throw new DnsProviderError(
          'conflict',
          `${name} ${type} is ${show(current)}, expected ${show(exp)}`,
          'read the record again and re-plan the change',
          { where: `${this.name} ${name} ${type}` },
        );
      }
    }
    const res = await this.#call(
      'PATCH',
      await this.#zoneUrl(name, opts.signal),
      patchBody(name, type, norm, ttlSeconds),
      opts.signal,
    );
    if (res.status !== 204 && res.status !== 200) throw this.#httpError(res.status, res.text, `write ${name} ${type}`);
  }

  /**
   * The PATCH `setRecordSet` sends. `_expected` is not part of it: PowerDNS has no conditional
   * write, so it is checked by the GET just before (the text says so). See `DnsProvider`.
   */
  describeWrite(fqdn: string, type: DnsRecordType, want: DnsRecordSet | null, _expected?: DnsRecordSet | null): string {
    const name = fqdn.replace(/\.$/, '');
    const zone =
      this.zone ??
      this.#zoneList?.zones.filter((x) => isInZone(normalizeDnsName(name), x)).sort((a, b) => b.length - a.length)[0] ??
      `{zone of ${name}}`;
    return describePowerDnsWrite({ apiUrl: this.#apiUrlText, serverId: this.#serverIdText, zone }, name, type, want);
  }

  /** Closes the HTTP agent's sockets. */
  async close(): Promise<void> {
    if (!this.#agent.closed) await this.#agent.close();
  }

  async #apiKey(): Promise<string> {
    const src = this.#apiKeySource;
    this.#apiKeyPromise ??= (typeof src === 'string' ? Promise.resolve(src) : src())
      .then((k) => {
        const key = k.trim();
        if (key.length === 0) {
          throw new DnsProviderError(
            'invalid-input',
            `the API key of provider ${this.name} is empty`,
            'point apiKey at the file / variable holding pdns.conf api-key',
            { where: this.name },
          );
        }
        return key;
      })
      .catch((e: unknown) => {
        this.#apiKeyPromise = null; // a fixed secret is picked up on the next call
        throw toDnsProviderError(e, this.name);
      });
    return this.#apiKeyPromise;
  }

  /** `…/zones/{zone_id}` of the zone holding `name`. */
  async #zoneUrl(name: string, signal: AbortSignal | undefined): Promise<string> {
    const zoneUrl = (zone: string): string => `${this.#serverUrl}/zones/${encodeURIComponent(`${zone}.`)}`;
    if (this.zone !== null) return zoneUrl(this.zone);
    if (this.#zoneList === null || performance.now() - this.#zoneList.at > 60_000) {
      const res = await this.#call('GET', `${this.#serverUrl}/zones`, undefined, signal);
      if (res.status !== 200) throw this.#httpError(res.status, res.text, 'list zones');
      let zones: string[];
      try {
        zones = z
          .array(z.object({ name: z.string() }))
          .parse(JSON.parse(res.text))
          .map((x) => normalizeDnsName(x.name));
      } catch (e) {
        throw new DnsProviderError(
          'unreachable',
          `PowerDNS API returned an unexpected zone list (${(e as Error).message.slice(0, 200)})`,
          undefined,
          { where: this.name },
        );
      }
      this.#zoneList = { at: performance.now(), zones };
    }
    const zone = this.#zoneList.zones.filter((x) => isInZone(name, x)).sort((a, b) => b.length - a.length)[0];
    if (zone === undefined) {
      throw new DnsProviderError(
        'invalid-input',
        `PowerDNS has no zone containing ${name}`,
        'create the zone in PowerDNS or fix the record name',
        { where: this.name },
      );
    }
    return zoneUrl(zone);
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

  async #call(
    method: 'GET' | 'PATCH',
    url: string,
    body: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<{ status: number; text: string }> {
    const apiKey = await this.#apiKey();
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), this.#timeoutMs);
    const sig = signal ? AbortSignal.any([signal, timeout.signal]) : timeout.signal;
    try {
      const res = await request(url, {
        method,
        dispatcher: this.#agent,
        headers: {
          'x-api-key': apiKey,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body } : {}),
        signal: sig,
        headersTimeout: this.#timeoutMs,
        bodyTimeout: this.#timeoutMs,
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > this.#maxBytes) {
          res.body.destroy();
          throw new DnsProviderError(
            'unreachable',
            `PowerDNS API response larger than ${this.#maxBytes} bytes`,
            undefined,
            { where: this.name },
          );
        }
        chunks.push(chunk as Buffer);
      }
      return { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
    } catch (e) {
      if (timeout.signal.aborted && !signal?.aborted) {
        throw new DnsProviderError(
          'timeout',
          `timeout after ${this.#timeoutMs} ms (${method} ${new URL(url).origin})`,
          'is PowerDNS overloaded or stopped?',
          { where: this.name, cause: e },
        );
      }
      const err = toDnsProviderError(e, this.name, signal);
      if (err.kind === 'unreachable' && err.hint === undefined) {
        return Promise.reject(
          new DnsProviderError(
            'unreachable',
            err.message,
            `check that PowerDNS runs with webserver=yes and api=yes on ${new URL(url).host}`,
            { where: this.name, cause: e },
          ),
        );
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #httpError(status: number, text: string, op: string): DnsProviderError {
    let detail = text.trim().slice(0, 300);
    try {
      const j = JSON.parse(text) as { error?: unknown };
      if (typeof j.error === 'string') detail = j.error;
    } catch {
      // plain-text body
    }
    const where = this.name;
    const msg = `PowerDNS API answered HTTP ${status} to ${op}${detail ? `: ${detail}` : ''}`;
    if (status === 401 || status === 403) {
      return new DnsProviderError(
        'auth',
        msg,
        `check that the apiKey secret of provider ${this.name} matches api-key in pdns.conf`,
        { where },
      );
    }
    if (status === 404)
      return new DnsProviderError(
        'invalid-input',
        msg,
        `zone ${this.zone ?? '(discovered)'} or server id not found: check the environment zone and serverId`,
        { where },
      );
    if (status === 400 || status === 422) return new DnsProviderError('invalid-input', msg, undefined, { where });
    if (status === 409)
      return new DnsProviderError('conflict', msg, 'read the record again and re-plan the change', { where });
    return new DnsProviderError('unreachable', msg, 'see the PowerDNS log', { where });
  }
}
