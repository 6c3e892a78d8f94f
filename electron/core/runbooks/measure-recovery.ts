/**
 * Measured recovery time of a run that moves traffic: from `startedAt` (the run's start, or the
 * first failed probe when a failure triggered the run: recovery-basis.ts) to the first moment
 * the new sites answer **through the new DNS answers** — the client's view, for EVERY record the
 * run moved and through EVERY provider's authoritative nameservers (a client may ask any of
 * them): each nameserver answers the record's value for its new site, and a GET of that site's
 * entry URL at that address is 2xx. Polls every `intervalMs`, bounded by `timeoutMs`.
 */
import { request } from 'undici';
import type { Environment } from '../config/workspace-schema.ts';
import { queryAuthoritative } from '../dns/authoritative-query.ts';

/** One record a run points at a site. */
export interface RecoveryMove {
  /** Record name, e.g. app.lab.test */
  record: string;
  /** Site the record now points at. */
  toSite: string;
}

export interface MeasureRecoveryOptions {
  env: Environment;
  /** Every record the run moves (a record listed twice: the last move counts). */
  moves: readonly RecoveryMove[];
  /** What recovery is counted from, epoch ms: the run's start or the first failed probe (recovery-basis.ts). */
  startedAt: number;
  signal?: AbortSignal;
  /** Give up after this long, ms (default 300,000). */
  timeoutMs?: number;
  /** Poll interval, ms (default 100). */
  intervalMs?: number;
  /** Per DNS query and per HTTP request, ms (default 500). */
  requestTimeoutMs?: number;
}

/** A recovery reached: when, and what was checked. */
export interface MeasuredRecovery {
  /** Recovery time, ms from `startedAt`. */
  ms: number;
  /**
   * What was checked in the round that passed, e.g.
   * `app.lab.test A → 127.0.0.2 (site primary) at powerdns 127.0.0.1:15353, bind 127.0.0.1:15354; GET http://127.0.0.2:18080/health 200`.
   */
  evidence: string;
}

interface Check {
  record: string;
  type: 'A' | 'AAAA' | 'CNAME';
  expected: string;
  site: string;
  entryUrl: string;
}

/**
 * @returns the recovery time and its evidence, or null when not reached within `timeoutMs`
 *   (or aborted), or when a move names no known record/site value, or the zone has no nameserver.
 *   Only A/AAAA records are probed over HTTP (a CNAME move is checked in DNS only).
 */
export async function measureRecovery(o: MeasureRecoveryOptions): Promise<MeasuredRecovery | null> {
  const last = new Map<string, string>();
  for (const m of o.moves) last.set(m.record, m.toSite);
  const checks: Check[] = [];
  for (const [record, toSite] of last) {
    const rec = o.env.records.find((r) => r.name === record);
    const site = o.env.sites.find((s) => s.name === toSite);
    const expected = rec?.values[toSite];
    if (!rec || !site || !expected) return null;
    checks.push({ record: rec.name, type: rec.type, expected, site: site.name, entryUrl: site.router.entryUrl });
  }
  const nameservers = o.env.dnsProviders.flatMap((p) => p.nameservers.map((ns) => ({ provider: p.name, ns })));
  if (checks.length === 0 || nameservers.length === 0) return null;
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  const interval = o.intervalMs ?? 100;
  const timeoutMs = o.requestTimeoutMs ?? 500;
  while (Date.now() < deadline && !o.signal?.aborted) {
    const evidence = await roundPasses(checks, nameservers, timeoutMs, o.signal);
    if (evidence !== null) return { ms: Date.now() - o.startedAt, evidence };
    await new Promise((r) => setTimeout(r, interval));
  }
  return null;
}

/** One polling round: the evidence when every record is served and reachable everywhere, else null. */
async function roundPasses(
  checks: readonly Check[],
  nameservers: readonly { provider: string; ns: string }[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<string | null> {
  const lines: string[] = [];
  try {
    for (const c of checks) {
      const answers = await Promise.all(
        nameservers.map((n) => queryAuthoritative(n.ns, c.record, c.type, { timeoutMs, retries: 0 })),
      );
      const norm = (v: string): string => v.toLowerCase().replace(/\.$/, '');
      if (!answers.every((a) => a.values.length === 1 && norm(a.values[0]!) === norm(c.expected))) return null;
      let http = '';
      if (c.type === 'A' || c.type === 'AAAA') {
        const url = new URL(c.entryUrl);
        url.hostname = c.type === 'AAAA' ? `[${c.expected}]` : c.expected;
        const res = await request(url, {
          method: 'GET',
          headersTimeout: timeoutMs,
          bodyTimeout: timeoutMs,
          ...(signal ? { signal } : {}),
        });
        await res.body.dump();
        if (res.statusCode < 200 || res.statusCode >= 300) return null;
        http = `; GET ${url.href} ${res.statusCode}`;
      }
      const where = nameservers.map((n) => `${n.provider} ${n.ns}`).join(', ');
      lines.push(`${c.record} ${c.type} → ${c.expected} (site ${c.site}) at ${where}${http}`);
    }
  } catch {
    return null; // not reachable yet: keep polling
  }
  return lines.join(' | ');
}
