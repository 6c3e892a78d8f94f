/**
 * Pure: turn what every source said about one record (each provider's API view and each of
 * its nameservers' served answers) into the `DnsRecordStatus` the dashboard shows, with flags.
 */
import type { DnsAnswer, DnsFlag, DnsProviderView, DnsRecordStatus } from '../../../shared/status.ts';
import type { RecordConfig } from '../config/workspace-schema.ts';
import type { DnsTtlBudget } from './dns-ttl-budget.ts';
import { normalizeRecordValue, sameValues } from './normalize-record-value.ts';

/** Observations of one record at one provider (the input of `buildDnsRecordStatus`). */
export interface DnsProviderObservation {
  provider: string;
  kind: string;
  api: DnsAnswer;
  /** Keyed by nameserver `host:port`. */
  served: Record<string, DnsAnswer>;
  /** The API key goes over plain http to a non-loopback host (the provider opted in). */
  insecureHttp?: boolean;
}

/**
 * Build the status of one record.
 *
 * Flags (in this order, each at most once, `detail` names sources and numbers):
 * - `providers-disagree`: two providers' nameservers serve different value sets (TTL ignored).
 * - `api-served-mismatch`: a provider's API view differs from what one of its own nameservers
 *   serves (values, or TTL when the record exists) — propagation lag or a broken secondary.
 * - `ttl-exceeds-rto`: a served TTL > `budget.maxTtlSeconds` (see `dnsTtlBudget`).
 * - `unknown`: at least one source is unknown (with each reason).
 *
 * `pointsTo` of a provider = the site whose `record.values[site]` equals the served value set,
 * only when every one of its nameservers answered and all agree; the record's `pointsTo` =
 * that site when every provider points at the same one, else null.
 */
export function buildDnsRecordStatus(
  record: RecordConfig,
  budget: DnsTtlBudget,
  observations: DnsProviderObservation[],
): DnsRecordStatus {
  const siteValues = siteValueMap(record);
  const providers: DnsProviderView[] = observations.map((o) => ({
    provider: o.provider,
    kind: o.kind,
    api: o.api,
    served: o.served,
    ...(o.insecureHttp ? { insecureHttp: true } : {}),
    pointsTo: providerPointsTo(Object.values(o.served), siteValues),
  }));
  const flags: { flag: DnsFlag; detail: string }[] = [];

  // providers-disagree
  const servedSets = observations
    .map((o) => ({ provider: o.provider, known: Object.entries(o.served).filter(([, a]) => a.state === 'ok') }))
    .filter((p) => p.known.length > 0);
  let disagree = false;
  for (let i = 0; i < servedSets.length && !disagree; i++) {
    for (let j = i + 1; j < servedSets.length && !disagree; j++) {
      disagree = servedSets[i]!.known.some(([, a]) =>
        servedSets[j]!.known.some(([, b]) => !sameValues(a.values, b.values)),
      );
    }
  }
  if (disagree) {
    const parts = servedSets.map((p) => {
      const distinct = new Set(p.known.map(([, a]) => show(a.values)));
      return distinct.size === 1
        ? `${p.provider} serves ${[...distinct][0]}`
        : `${p.provider} serves ${p.known.map(([ns, a]) => `${show(a.values)} at ${ns}`).join(', ')}`;
    });
    flags.push({ flag: 'providers-disagree', detail: parts.join('; ') });
  }

  // api-served-mismatch
  const mismatches: string[] = [];
  for (const o of observations) {
    if (o.api.state !== 'ok') continue;
    for (const [ns, a] of Object.entries(o.served)) {
      if (a.state !== 'ok') continue;
      const valuesDiffer = !sameValues(o.api.values, a.values);
      const ttlDiffers = !valuesDiffer && a.values.length > 0 && a.ttlSeconds !== o.api.ttlSeconds;
      if (valuesDiffer || ttlDiffers) {
        mismatches.push(`${o.provider}: API holds ${showWithTtl(o.api)} but ${ns} serves ${showWithTtl(a)}`);
      }
    }
  }
  if (mismatches.length) flags.push({ flag: 'api-served-mismatch', detail: mismatches.join('; ') });

  // ttl-exceeds-rto
  let maxServedTtlSeconds: number | null = null;
  const tooLong: string[] = [];
  for (const o of observations) {
    for (const [ns, a] of Object.entries(o.served)) {
      if (a.state !== 'ok' || a.ttlSeconds === null) continue;
      maxServedTtlSeconds = maxServedTtlSeconds === null ? a.ttlSeconds : Math.max(maxServedTtlSeconds, a.ttlSeconds);
      if (a.ttlSeconds > budget.maxTtlSeconds) tooLong.push(`${o.provider} ${ns} serves TTL ${a.ttlSeconds} s`);
    }
  }
  if (tooLong.length) {
    flags.push({
      flag: 'ttl-exceeds-rto',
      detail: `${tooLong.join('; ')}; allowed ≤ ${budget.explanation}`,
    });
  }

  // unknown
  const unknown: string[] = [];
  for (const o of observations) {
    if (o.api.state !== 'ok') unknown.push(`${o.provider} API: ${o.api.reason ?? 'unknown'}`);
    for (const [ns, a] of Object.entries(o.served))
      if (a.state !== 'ok') unknown.push(`${o.provider} ${ns}: ${a.reason ?? 'unknown'}`);
  }
  if (unknown.length) flags.push({ flag: 'unknown', detail: unknown.join('; ') });

  const first = providers[0]?.pointsTo ?? null;
  const pointsTo = first !== null && providers.every((p) => p.pointsTo === first) ? first : null;
  return {
    name: record.name,
    type: record.type,
    normalTtlSeconds: record.ttlSeconds,
    failoverTtlSeconds: record.failoverTtlSeconds,
    providers,
    flags,
    pointsTo,
    maxServedTtlSeconds,
  };
}

function siteValueMap(record: RecordConfig): { site: string; value: string }[] {
  const out: { site: string; value: string }[] = [];
  for (const [site, v] of Object.entries(record.values)) {
    try {
      out.push({ site, value: normalizeRecordValue(record.type, v) });
    } catch {
      // A value the config validator let through but that cannot be served: matches nothing.
    }
  }
  return out;
}

function providerPointsTo(served: DnsAnswer[], sites: { site: string; value: string }[]): string | null {
  if (served.length === 0 || served.some((a) => a.state !== 'ok')) return null;
  const values = served[0]!.values;
  if (values.length !== 1 || !served.every((a) => sameValues(a.values, values))) return null;
  const matches = sites.filter((s) => s.value === values[0]);
  return matches.length === 1 ? matches[0]!.site : null;
}

function show(values: readonly string[]): string {
  return values.length ? values.join(', ') : 'no record';
}

function showWithTtl(a: DnsAnswer): string {
  return a.values.length ? `${a.values.join(', ')} (TTL ${a.ttlSeconds ?? '?'} s)` : 'no record';
}
