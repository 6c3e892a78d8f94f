/**
 * Derivations for the DNS panel: how one answer reads, and where a provider's nameservers
 * disagree with its own API (the drift the core flags per record, shown per cell here).
 */
import type { DnsAnswer, DnsProviderView, SiteStatus } from '../../../../shared/status.ts';
import { formatTtl } from '../../ui/format.ts';

/**
 * One answer as a single line: `127.0.0.2 · TTL 30`; several values joined with `, `;
 * `no record · TTL —` when the record set does not exist; `unknown` when it could not be read
 * (the reason is shown by the caller).
 */
export function formatAnswer(answer: DnsAnswer): string {
  if (answer.state !== 'ok') return 'unknown';
  const values = answer.values.length === 0 ? 'no record' : answer.values.join(', ');
  return `${values} · ${formatTtl(answer.ttlSeconds)}`;
}

/** Name of the site whose address equals every value, or null (none, several or mixed). */
export function siteForValues(
  values: readonly string[],
  sites: readonly Pick<SiteStatus, 'name' | 'address'>[],
): string | null {
  if (values.length === 0) return null;
  const names = new Set(values.map((v) => sites.find((s) => s.address === v)?.name ?? null));
  if (names.size !== 1) return null;
  return [...names][0] ?? null;
}

export interface ServedCell {
  /** Nameserver `host:port`. */
  nameserver: string;
  answer: DnsAnswer;
  text: string;
  /** Site the served values point at (by address), null when none or mixed. */
  site: string | null;
  /** Values equal the API's (both known); null when either side is unknown. */
  valuesMatchApi: boolean | null;
  /** TTL equals the API's (both known); null when either side is unknown. */
  ttlMatchesApi: boolean | null;
}

export interface ProviderRow {
  provider: string;
  kind: string;
  api: DnsAnswer;
  apiText: string;
  apiSite: string | null;
  served: ServedCell[];
  pointsTo: string | null;
  /** Some nameserver serves other values than the API holds. */
  valueMismatch: boolean;
  /** The API key goes over plain http (the provider set `allowInsecureHttp`). */
  insecureHttp: boolean;
}

/** One table row per provider: the API answer and one cell per nameserver, sorted by name. */
export function providerRow(
  view: DnsProviderView,
  sites: readonly Pick<SiteStatus, 'name' | 'address'>[],
): ProviderRow {
  const served = Object.keys(view.served)
    .sort()
    .map((nameserver): ServedCell => {
      const answer = view.served[nameserver]!;
      const both = answer.state === 'ok' && view.api.state === 'ok';
      return {
        nameserver,
        answer,
        text: formatAnswer(answer),
        site: answer.state === 'ok' ? siteForValues(answer.values, sites) : null,
        valuesMatchApi: both ? sameValues(answer.values, view.api.values) : null,
        ttlMatchesApi: both ? answer.ttlSeconds === view.api.ttlSeconds : null,
      };
    });
  return {
    provider: view.provider,
    kind: view.kind,
    api: view.api,
    apiText: formatAnswer(view.api),
    apiSite: view.api.state === 'ok' ? siteForValues(view.api.values, sites) : null,
    served,
    pointsTo: view.pointsTo,
    valueMismatch: served.some((c) => c.valuesMatchApi === false),
    insecureHttp: view.insecureHttp === true,
  };
}

function sameValues(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}
