/**
 * One record as every provider of a zone sees it: the provider's API view and what each of its
 * authoritative nameservers serves, read in parallel, and the comparisons callers decide on
 * ("every provider holds it", "every nameserver serves it"). Shared by the runbook DNS steps
 * (plan, isDone, act, verify, rollback) through {@link DnsZoneContext}, which a caller builds from
 * its own services and cancellation.
 *
 * Record sets travel as {@link DnsRecordSet} (`values` normalized + sorted, `ttlSeconds` s);
 * `null` = the record does not exist; `undefined` = could not be read.
 */
import type { DnsProviderConfig, RecordConfig } from '../config/workspace-schema.ts';
import type { AuthoritativeAnswer, AuthoritativeQueryOptions } from './authoritative-query.ts';
import type { DnsProvider, DnsRecordSet, DnsRecordType } from './dns-provider.ts';
import { sameValues } from './normalize-record-value.ts';

/**
 * What the multi-provider functions of `dns/` use: the zone's providers with their workspace
 * config, direct nameserver queries, and the caller's cancellation, clock, sleep and log.
 */
export interface DnsZoneContext {
  /** Every provider of the zone, in workspace order. */
  readonly providers: readonly DnsProvider[];
  /** Workspace config of the providers, matched by `name` (says which nameservers to ask). */
  readonly configs: readonly DnsProviderConfig[];
  /** Asks one nameserver directly, no recursion (`queryAuthoritative`). */
  query(
    server: string,
    fqdn: string,
    type: DnsRecordType,
    opts: AuthoritativeQueryOptions,
  ): Promise<AuthoritativeAnswer>;
  /** Cancels reads, writes and waits: an abort rejects with its reason. */
  readonly signal: AbortSignal;
  /** Wall clock, epoch ms. */
  now(): number;
  /** Sleeps `ms`, rejecting when `signal` aborts. */
  sleep(ms: number): Promise<void>;
  /** Where retries and changes are reported. */
  readonly log: { info(message: string): void; warn(message: string): void };
}

/** What one nameserver serves: the record set (null = none), or undefined with `error` when it did not answer. */
export interface ServedView {
  server: string;
  set: DnsRecordSet | null | undefined;
  error: string | null;
}

/** One provider's view of the record. */
export interface ProviderView {
  provider: DnsProvider;
  /** Its workspace config (null when the services hold a provider the environment does not name). */
  config: DnsProviderConfig | null;
  /** API view; undefined = unreadable (`apiError` says why). */
  api: DnsRecordSet | null | undefined;
  apiError: string | null;
  /** Empty when the nameservers were not asked. */
  served: ServedView[];
}

/** Per-query bound of a nameserver query, ms (one UDP retry: ≤ 2 × this). */
const NS_TIMEOUT_MS = 800;

/** The OpError-ish message of anything thrown (`error.message` of the domain errors, else `message`). */
export function errorText(e: unknown): string {
  if (e && typeof e === 'object') {
    const inner = (e as { error?: { message?: unknown } }).error;
    if (inner && typeof inner.message === 'string') return inner.message;
    if (typeof (e as { message?: unknown }).message === 'string') return (e as { message: string }).message;
  }
  return String(e);
}

/** Equal record sets (null and an empty set are equal: both mean "no record"). */
export function sameSet(a: DnsRecordSet | null | undefined, b: DnsRecordSet | null | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const ae = a === null || a.values.length === 0;
  const be = b === null || b.values.length === 0;
  if (ae || be) return ae && be;
  return sameValues(a.values, b.values) && a.ttlSeconds === b.ttlSeconds;
}

/**
 * Reads `rec` at every provider (API view) and, with `served`, at each provider's nameservers,
 * all in parallel. Never rejects for an unreachable provider or nameserver (that view is
 * `undefined` with the error); rejects only with the abort reason of `zone.signal`.
 */
export async function readRecordViews(
  zone: DnsZoneContext,
  rec: RecordConfig,
  options: { served: boolean },
): Promise<ProviderView[]> {
  const views = await Promise.all(
    zone.providers.map(async (provider): Promise<ProviderView> => {
      const config = zone.configs.find((c) => c.name === provider.name) ?? null;
      const apiP = provider.getRecordSet(rec.name, rec.type, zone.signal).then(
        (api) => ({ api, apiError: null }),
        (e: unknown) => ({ api: undefined, apiError: errorText(e) }),
      );
      const servers = options.served ? (config?.nameservers ?? []) : [];
      const servedP = Promise.all(servers.map((server) => readServed(zone, server, rec)));
      const [a, served] = await Promise.all([apiP, servedP]);
      return { provider, config, api: a.api, apiError: a.apiError, served };
    }),
  );
  zone.signal.throwIfAborted();
  return views;
}

async function readServed(zone: DnsZoneContext, server: string, rec: RecordConfig): Promise<ServedView> {
  try {
    const a = await zone.query(server, rec.name, rec.type, {
      timeoutMs: NS_TIMEOUT_MS,
      retries: 1,
      signal: zone.signal,
    });
    if (!a.authoritative)
      return { server, set: undefined, error: `${server} is not authoritative for ${rec.name} (AA=0)` };
    return {
      server,
      set: a.values.length > 0 && a.ttlSeconds !== null ? { values: a.values, ttlSeconds: a.ttlSeconds } : null,
      error: null,
    };
  } catch (e) {
    return { server, set: undefined, error: errorText(e) };
  }
}

/** True when every nameserver of every provider in `want` serves exactly `want`'s set for it. */
export function allServe(views: readonly ProviderView[], want: ReadonlyMap<string, DnsRecordSet | null>): boolean {
  return views.every(
    (v) =>
      !want.has(v.provider.name) ||
      (v.served.length > 0 && v.served.every((s) => sameSet(s.set, want.get(v.provider.name)))),
  );
}

/** True when every provider in `want` holds exactly `want`'s set in its API. */
export function allHold(views: readonly ProviderView[], want: ReadonlyMap<string, DnsRecordSet | null>): boolean {
  return views.every((v) => !want.has(v.provider.name) || sameSet(v.api, want.get(v.provider.name)));
}
