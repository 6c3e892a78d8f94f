/**
 * Writing one record at every provider of a zone: compare-and-swap per provider with bounded
 * retries, all providers in parallel, and — when some fail — which provider holds and serves
 * which answer afterwards, as data the caller turns into its own error.
 */
import type { RecordConfig } from '../config/workspace-schema.ts';
import { isRetryable } from '../platform/op-error.ts';
import { describeViews, showSet } from './describe-views.ts';
import type { DnsProvider, DnsRecordSet } from './dns-provider.ts';
import { isDnsProviderError, type DnsProviderErrorKind } from './dns-provider-error.ts';
import { errorText, readRecordViews, sameSet, type DnsZoneContext } from './record-set-views.ts';

/** Options of {@link writeRecordSet} and {@link writeRecordSets}. */
export interface WriteOptions {
  /** Total tries (1 = no retry). */
  attempts: number;
  /** First backoff, ms; doubles per retry. */
  backoffMs: number;
}

/**
 * Sets `rec` at `provider` to `want` (null = delete) unless it already holds it. Each try reads
 * the current set and writes with `expected` = what it read (compare-and-swap: atomic at RFC
 * 2136, read-then-write at PowerDNS), so a concurrent writer is refused rather than overwritten,
 * and a write whose reply was lost is found applied by the next try's read.
 * Retries transient errors (unreachable, timeout, conflict) with exponential backoff.
 * @returns `changed` = this call wrote; `before` = the set read before the write (by the try that wrote).
 * @throws the provider's last error (DnsProviderError) after the tries, or at once when not transient;
 *         the abort reason of `zone.signal`.
 */
export async function writeRecordSet(
  zone: DnsZoneContext,
  provider: DnsProvider,
  rec: RecordConfig,
  want: DnsRecordSet | null,
  o: WriteOptions,
): Promise<{ changed: boolean; before: DnsRecordSet | null }> {
  const attempts = Math.max(1, o.attempts);
  let last: unknown = null;
  for (let i = 1; i <= attempts; i++) {
    try {
      const current = await provider.getRecordSet(rec.name, rec.type, zone.signal);
      if (sameSet(current, want)) return { changed: false, before: current };
      await provider.setRecordSet(rec.name, rec.type, want?.values ?? [], want?.ttlSeconds ?? 0, {
        expected: current,
        signal: zone.signal,
      });
      return { changed: true, before: current };
    } catch (e) {
      zone.signal.throwIfAborted();
      last = e;
      if (!isRetryable(e) || i === attempts) break;
      const delay = o.backoffMs * 2 ** (i - 1);
      zone.log.warn(`${provider.name}: try ${i}/${attempts} failed (${errorText(e)}); retrying in ${delay} ms`);
      await zone.sleep(delay);
    }
  }
  throw last;
}

/** Why {@link writeRecordSets} did not set every provider, as OpError-shaped data. */
export interface WriteFailure {
  /** The most serious kind among the failures: auth > invalid-input > conflict > timeout > unreachable. */
  kind: DnsProviderErrorKind;
  /** `could not set app.lab.test A at powerdns (…) after 3 tries. Now: <who holds and serves what>`. */
  message: string;
  hint: string;
  /** The failed providers' names, comma-separated. */
  where: string;
  /** True when every failure was transient: trying again later may succeed. */
  retryable: boolean;
}

/**
 * Writes `want` at every provider it names, in parallel (each with its own retries), reporting
 * each change to `progress` and the log. When some provider fails, reads the record afresh at
 * every provider and nameserver to say who holds and serves what.
 * @returns the names of the providers this call changed, and `failure` (null when all hold `want`).
 * @throws only the abort reason of `zone.signal`.
 */
export async function writeRecordSets(
  zone: DnsZoneContext,
  rec: RecordConfig,
  want: ReadonlyMap<string, DnsRecordSet | null>,
  o: WriteOptions,
  progress: (p: { message: string }) => void,
): Promise<{ changed: string[]; failure: WriteFailure | null }> {
  const providers = zone.providers.filter((p) => want.has(p.name));
  const results = await Promise.allSettled(
    providers.map(async (p) => {
      const w = want.get(p.name) ?? null;
      const r = await writeRecordSet(zone, p, rec, w, o);
      const line = r.changed
        ? `${p.name}: ${rec.name} ${rec.type} set to ${showSet(w)} (was ${showSet(r.before)})`
        : `${p.name}: already holds ${showSet(w)}`;
      zone.log.info(line);
      progress({ message: line });
      return r;
    }),
  );
  zone.signal.throwIfAborted();
  const changed = results.flatMap((r, i) => (r.status === 'fulfilled' && r.value.changed ? [providers[i]!.name] : []));
  const failed = results.flatMap((r, i) =>
    r.status === 'rejected' ? [{ provider: providers[i]!, error: r.reason as unknown }] : [],
  );
  if (failed.length === 0) return { changed, failure: null };
  const views = await readRecordViews(zone, rec, { served: true });
  const what = failed.map((f) => `${f.provider.name} (${errorText(f.error)})`).join('; ');
  const retryable = failed.every((f) => isRetryable(f.error));
  const kinds = failed.map((f) => (isDnsProviderError(f.error) ? f.error.kind : 'unreachable'));
  const kind = kinds.includes('auth')
    ? 'auth'
    : kinds.includes('invalid-input')
      ? 'invalid-input'
      : kinds.includes('conflict')
        ? 'conflict'
        : kinds.includes('timeout')
          ? 'timeout'
          : 'unreachable';
  return {
    changed,
    failure: {
      kind,
      message: `could not set ${rec.name} ${rec.type} at ${what} after ${o.attempts} tr${o.attempts === 1 ? 'y' : 'ies'}. Now: ${describeViews(views)}`,
      hint: retryable
        ? 'fix the provider (is its API up?), then resume the run: providers already changed are not written again'
        : 'fix the provider configuration or credentials, then resume',
      where: failed.map((f) => f.provider.name).join(', '),
      retryable,
    },
  };
}
