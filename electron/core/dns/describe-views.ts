/**
 * Record sets and provider views in words, for plans, evidence and errors: `127.0.0.3 TTL 5`,
 * `powerdns API 127.0.0.2 TTL 30, 127.0.0.1:15353 serves 127.0.0.2 TTL 30`, the dig that checks
 * a nameserver. A provider's write is described by the provider itself (`describeWrite`).
 */
import type { RecordConfig } from '../config/workspace-schema.ts';
import type { DnsRecordSet } from './dns-provider.ts';
import { parseHostPort } from './parse-host-port.ts';
import type { ProviderView } from './record-set-views.ts';

/** `127.0.0.3 TTL 5`, `127.0.0.2, 127.0.0.4 TTL 30`, `no record`, `unknown`. The plan's before/after use this form (rollback parses it back). */
export function showSet(set: DnsRecordSet | null | undefined): string {
  if (set === undefined) return 'unknown';
  if (set === null || set.values.length === 0) return 'no record';
  return `${set.values.join(', ')} TTL ${set.ttlSeconds}`;
}

/**
 * Inverse of {@link showSet} for a plan's `before`/`after`: null or `no record` → null; `… TTL n`
 * → the set; anything else (`unknown`) → undefined.
 */
export function parseShownSet(text: string | null): DnsRecordSet | null | undefined {
  if (text === null || text === 'no record') return null;
  const m = /^(.+) TTL (\d+)$/.exec(text);
  if (!m) return undefined;
  return {
    values: m[1]!
      .split(', ')
      .map((v) => v.trim())
      .filter(Boolean)
      .sort(),
    ttlSeconds: Number(m[2]),
  };
}

/**
 * Which provider holds and serves which answer, in one line per provider joined by `; `:
 * `powerdns API 127.0.0.2 TTL 30, 127.0.0.1:15353 serves 127.0.0.2 TTL 30`.
 */
export function describeViews(views: readonly ProviderView[]): string {
  return views
    .map((v) => {
      const api = v.api === undefined ? `API unreadable (${v.apiError})` : `API ${showSet(v.api)}`;
      const served = v.served.map((s) =>
        s.set === undefined ? `${s.server} does not answer (${s.error})` : `${s.server} serves ${showSet(s.set)}`,
      );
      return [`${v.provider.name} ${api}`, ...served].join(', ');
    })
    .join('; ');
}

/**
 * The write that would make `view`'s provider hold `want`, as the provider sends it (its
 * `describeWrite`), compare-and-swap on the API view when that was readable.
 */
export function describeWriteOf(view: ProviderView, rec: RecordConfig, want: DnsRecordSet | null): string {
  return view.provider.describeWrite(rec.name, rec.type, want, view.api);
}

/** The query a verification makes, in dig's words (what an operator would type to check). */
export function queryCommandText(server: string, rec: RecordConfig, want: DnsRecordSet | null): string {
  const hp = parseHostPort(server);
  return `dig @${hp.host} -p ${hp.port} +norec ${rec.name} ${rec.type}  # until it serves ${showSet(want)}`;
}
