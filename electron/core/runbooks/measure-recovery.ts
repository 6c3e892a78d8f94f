/**
 * Measured recovery time of a run that moves traffic: from `startedAt` (the run's start, or the
 * first failed probe when a failure triggered the run: recovery-basis.ts) to the first
 * healthy probe of the new site reached **through the new DNS answer** — the client's view:
 * ask a provider's authoritative nameserver, and only when it answers the new site's value,
 * GET the site's health URL at that address. Polls every `intervalMs`, bounded by `timeoutMs`.
 */
import { request } from 'undici';
import type { Environment } from '../config/workspace-schema.ts';
import { queryAuthoritative } from '../dns/authoritative-query.ts';

export interface MeasureRecoveryOptions {
  env: Environment;
  /** Record name, e.g. app.lab.test */
  record: string;
  /** Site the record now points at. */
  toSite: string;
  /** What recovery is counted from, epoch ms: the run's start or the first failed probe (recovery-basis.ts). */
  startedAt: number;
  signal?: AbortSignal;
  /** Give up after this long, ms (default 300,000). */
  timeoutMs?: number;
  /** Poll interval, ms (default 100). */
  intervalMs?: number;
}

/** @returns recovery time in ms, or null when not reached within `timeoutMs` (or aborted). */
export async function measureRecovery(o: MeasureRecoveryOptions): Promise<number | null> {
  const rec = o.env.records.find((r) => r.name === o.record);
  const site = o.env.sites.find((s) => s.name === o.toSite);
  const expected = rec?.values[o.toSite];
  const nameserver = o.env.dnsProviders[0]?.nameservers[0];
  if (!rec || !site || !expected || !nameserver) return null;
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  const interval = o.intervalMs ?? 100;
  while (Date.now() < deadline && !o.signal?.aborted) {
    try {
      const answer = await queryAuthoritative(nameserver, rec.name, rec.type, { timeoutMs: 500, retries: 0 });
      const address = answer.values[0];
      if (address === expected && (rec.type === 'A' || rec.type === 'AAAA')) {
        const url = new URL(site.router.entryUrl);
        url.hostname = rec.type === 'AAAA' ? `[${address}]` : address;
        const res = await request(url, {
          method: 'GET',
          headersTimeout: 500,
          bodyTimeout: 500,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        await res.body.dump();
        if (res.statusCode >= 200 && res.statusCode < 300) return Date.now() - o.startedAt;
      }
    } catch {
      // not reachable yet: keep polling
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  return null;
}
