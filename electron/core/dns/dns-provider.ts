/**
 * The provider-neutral view of one DNS zone: read a record set as the provider holds it, and
 * (when `capabilities.write`) replace it. One implementation per real system lives in
 * `providers/` (PowerDNS HTTP API, RFC 2136 UPDATE + TSIG); `create-dns-provider.ts` builds
 * them from workspace config. Pattern after octoDNS `provider/base.py`: capability flags say
 * what a caller may ask for.
 */

/** Record types Standby manages (workspace-schema `RecordSchema.type`). */
export type DnsRecordType = 'A' | 'AAAA' | 'CNAME';

/**
 * One record set's content. `values` are normalized (see `normalizeRecordValues`): IPv4 as
 * dotted quad, IPv6 in RFC 5952 compressed lower case, CNAME target lower case without the
 * trailing dot; sorted and de-duplicated. `ttlSeconds` in seconds.
 */
export interface DnsRecordSet {
  values: string[];
  ttlSeconds: number;
}

/** What a provider supports. `read` is always true. */
export interface DnsProviderCapabilities {
  read: true;
  /** `setRecordSet` is implemented. */
  write: boolean;
  /**
   * `setRecordSet(…, { expected })` is enforced atomically by the server (RFC 2136
   * prerequisites). When false, `expected` is still checked, by a read just before the write,
   * which leaves a small race window.
   */
  compareAndSwap: boolean;
}

/** Options of `setRecordSet`. */
export interface SetRecordSetOptions {
  /**
   * Compare-and-swap: write only if the record set currently is exactly this
   * (`null` = must not exist; `undefined` = unconditional). Values are compared as sets;
   * `ttlSeconds` is compared too. Mismatch → `DnsProviderError` kind `conflict`.
   */
  expected?: DnsRecordSet | null;
  /** Cancels the request (the write may or may not have reached the server). */
  signal?: AbortSignal;
}

/**
 * A DNS provider (for one zone when created with one, else for whatever zone of the provider
 * contains the name, discovered on first use).
 *
 * Names are fully qualified without the trailing dot (`app.lab.test`) and must lie inside the
 * provider's zone. All methods throw `DnsProviderError` (kinds `unreachable`, `auth`,
 * `timeout`, `conflict`, `invalid-input`) and never anything else; every request is bounded in
 * time by the provider's own timeout and by `signal`.
 */
export interface DnsProvider {
  /** Workspace name of the provider (`dnsProviders[].name`). */
  readonly name: string;
  /** Implementation kind: `powerdns`, `rfc2136`. */
  readonly kind: string;
  readonly capabilities: DnsProviderCapabilities;

  /**
   * The record set as the provider's control plane holds it ("API view"): PowerDNS → HTTP API;
   * RFC 2136 → TSIG-signed query to the primary.
   * @returns the record set, or `null` when it does not exist (NXDOMAIN/NODATA/no rrset).
   */
  getRecordSet(fqdn: string, type: DnsRecordType, signal?: AbortSignal): Promise<DnsRecordSet | null>;

  /**
   * Replace the whole record set (`values` empty = delete it) with TTL `ttlSeconds` (s).
   * Idempotent: setting what is already there succeeds. Resolves once the provider
   * acknowledged the change (HTTP 204 / RFC 2136 NOERROR with a verified TSIG reply).
   */
  setRecordSet(
    fqdn: string,
    type: DnsRecordType,
    values: string[],
    ttlSeconds: number,
    opts?: SetRecordSetOptions,
  ): Promise<void>;

  /**
   * The exact request `setRecordSet(fqdn, type, want.values, want.ttlSeconds, { expected })`
   * would send, in words an operator can check or replay (PowerDNS: the PATCH with its body;
   * RFC 2136: the UPDATE in nsupdate's words). `want` null or empty = delete. No I/O; never
   * throws (a name outside the zone is described as given; `setRecordSet` refuses it).
   */
  describeWrite(fqdn: string, type: DnsRecordType, want: DnsRecordSet | null, expected?: DnsRecordSet | null): string;

  /** Releases sockets/agents. Safe to call twice. */
  close(): Promise<void>;
}
