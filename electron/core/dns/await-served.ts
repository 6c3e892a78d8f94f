/**
 * "Wait until every authoritative nameserver of every provider serves it": polls the
 * nameservers of the providers a change was written to until each serves its provider's wanted
 * record set, reporting how many do, bounded in time and in rounds.
 */
import type { RecordConfig } from '../config/workspace-schema.ts';
import { showSet } from './describe-views.ts';
import type { DnsRecordSet } from './dns-provider.ts';
import { allServe, readRecordViews, sameSet, type DnsZoneContext, type ProviderView } from './record-set-views.ts';

/**
 * Polls every nameserver of the providers in `want` (every 100 ms, ≤ `timeoutMs`, ≤ timeoutMs/100 + 2
 * rounds) until all serve their provider's wanted set. Reports `k/n nameservers serve …` each round,
 * with `fraction` = k/n.
 * @returns `ok` and the last views (with the API view too), and how long it took, ms.
 * @throws only the abort reason of `zone.signal`.
 */
export async function awaitServed(
  zone: DnsZoneContext,
  rec: RecordConfig,
  want: ReadonlyMap<string, DnsRecordSet | null>,
  timeoutMs: number,
  progress?: (p: { message: string; fraction: number }) => void,
): Promise<{ ok: boolean; views: ProviderView[]; elapsedMs: number }> {
  const t0 = zone.now();
  if (want.size === 0) return { ok: true, views: [], elapsedMs: 0 };
  const rounds = Math.ceil(timeoutMs / 100) + 2;
  let views: ProviderView[] = [];
  for (let i = 0; i < rounds; i++) {
    views = (await readRecordViews(zone, rec, { served: true })).filter((v) => want.has(v.provider.name));
    const servers = views.flatMap((v) => v.served.map((s) => ({ v, s })));
    const good = servers.filter(({ v, s }) => sameSet(s.set, want.get(v.provider.name)));
    const ok = servers.length > 0 && good.length === servers.length && allServe(views, want);
    const elapsedMs = zone.now() - t0;
    if (progress) {
      const waiting = servers
        .filter((x) => !good.includes(x))
        .map(
          ({ s }) => `${s.server} ${s.set === undefined ? `does not answer (${s.error})` : `serves ${showSet(s.set)}`}`,
        );
      progress({
        message: `${good.length}/${servers.length} nameservers serve the new answer${waiting.length ? ` (waiting: ${waiting.join(', ')})` : ''}`,
        fraction: servers.length ? good.length / servers.length : 0,
      });
    }
    if (ok) return { ok: true, views, elapsedMs };
    if (elapsedMs >= timeoutMs) break;
    await zone.sleep(Math.min(100, Math.max(1, timeoutMs - elapsedMs)));
  }
  return { ok: false, views, elapsedMs: zone.now() - t0 };
}
