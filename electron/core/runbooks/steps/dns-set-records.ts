/**
 * Step `dns.set-records`: point a record at a site (or a value) at EVERY DNS provider of the
 * zone, then wait until every provider's authoritative nameservers serve the new answer.
 *
 * ```yaml
 * - id: dns
 *   kind: dns.set-records
 *   params: { records: [app.lab.test, api.lab.test], site: failover, ttlSeconds: 5 }   # or { record: app.lab.test, … }
 * ```
 *
 * Several records are handled in one step, each as one record is: a record already pointed and
 * served is skipped (not written), the others are written (compare-and-swap per record and
 * provider), then every record is awaited at every provider's nameservers.
 *
 * - plan: reads the record at each provider's API and nameservers; one change per provider
 *   (`powerdns: app.lab.test A`: `127.0.0.2 TTL 30` → `127.0.0.3 TTL 5`), the exact write as
 *   each provider describes it (with its compare-and-swap condition) and the dig to check it; effect
 *   `dns-point` (judged by record-points-at-healthy-site and target-healthy-before-traffic).
 * - isDone: every provider HOLDS it and every nameserver SERVES it.
 * - act: writes only providers that differ (compare-and-swap; `apiAttempts` tries with
 *   exponential backoff), then polls the nameservers (≤ `servedTimeoutMs`) with progress.
 *   A provider that keeps failing → retryable StepError naming which provider serves which answer.
 * - verify: API view and served answer at every provider (nameservers re-polled ≤ 3 s).
 * - rollback: restores each provider's `before` from the recorded plan, and waits until served —
 *   unless the site those values address fails its entry probe right now: the engine does not
 *   re-judge rollbacks with the safety rules, and pointing the record back at a dead primary
 *   (a failover rolled back after a later step failed) would break "never leave a record
 *   pointing at no healthy site". Refused rollbacks say so and change nothing.
 */
import { z } from 'zod';
import type { RecordConfig } from '../../config/workspace-schema.ts';
import type { DnsRecordSet } from '../../dns/dns-provider.ts';
import { normalizeRecordValues } from '../../dns/normalize-record-value.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import type { StepChange, StepPlan } from '../step-plan.ts';
import { stepService } from '../step-services.ts';
import { awaitServed } from '../../dns/await-served.ts';
import { describeViews, describeWriteOf, parseShownSet, queryCommandText, showSet } from '../../dns/describe-views.ts';
import { allHold, allServe, readRecordViews, type ProviderView } from '../../dns/record-set-views.ts';
import {
  hasOneRecordForm,
  oneRecordFormIssue,
  recordListParams,
  recordNames,
  aboutRecord,
  recordReferences,
  stepDnsZone,
  stepRecords,
  writeEveryProvider,
} from './dns-step-zone.ts';
import { messageOf, siteForValue, siteOf } from './step-lookup.ts';

/** Params of `dns.set-records`: exactly one of `record` / `records`, exactly one of `site` / `value`. */
export const dnsSetRecordsParams = z
  .object({
    ...recordListParams,
    /** Point the record at this site's value (`records[].values[site]`). */
    site: z.string().min(1).optional(),
    /** Or an explicit value (A/AAAA address, CNAME target). */
    value: z.string().min(1).optional(),
    /** TTL to set, s. Default: keep each provider's current TTL (the record's `ttlSeconds` where it is absent). */
    ttlSeconds: z.number().int().min(1).max(604800).optional(),
    /** Tries per provider API call before the step fails (retryable), with 250 ms doubling backoff. */
    apiAttempts: z.number().int().min(1).max(10).default(3),
    /** Bound on "every nameserver serves the new answer", ms. */
    servedTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict()
  .refine(hasOneRecordForm, oneRecordFormIssue)
  .refine((p) => (p.site === undefined) !== (p.value === undefined), {
    message: 'give exactly one of "site" or "value"',
    path: ['site'],
  });
/** Parsed params of `dns.set-records`. */
export type DnsSetRecordsParams = z.output<typeof dnsSetRecordsParams>;

const BACKOFF_MS = 250;

/** The values the step sets, normalized, and the site they are the address of (null: no site's). */
function target(
  ctx: StepContext,
  p: DnsSetRecordsParams,
  rec: RecordConfig,
): { rec: RecordConfig; values: string[]; toSite: string | null } {
  let raw: string;
  if (p.site !== undefined) {
    siteOf(ctx.env, p.site);
    const v = rec.values[p.site];
    if (v === undefined)
      throw new StepError('invalid-input', `record ${rec.name} has no value for site "${p.site}"`, {
        hint: `add records[].values.${p.site} to the workspace, or give "value"`,
        where: rec.name,
      });
    raw = v;
  } else {
    raw = p.value!;
  }
  let values: string[];
  try {
    values = normalizeRecordValues(rec.type, [raw]);
  } catch (e) {
    throw new StepError('invalid-input', `${raw} is not a valid ${rec.type} value: ${messageOf(e)}`, {
      where: rec.name,
    });
  }
  const toSite = p.site ?? siteForNormalized(rec, values[0]!);
  return { rec, values, toSite };
}

function siteForNormalized(rec: RecordConfig, value: string): string | null {
  for (const [site, v] of Object.entries(rec.values)) {
    try {
      if (normalizeRecordValues(rec.type, [v])[0] === value) return site;
    } catch {
      // a malformed configured value matches nothing
    }
  }
  return siteForValue(rec, value);
}

/** Wanted set per provider: the new values with the given TTL, else the provider's current TTL. */
function wanted(
  views: readonly ProviderView[],
  rec: RecordConfig,
  values: string[],
  ttl: number | undefined,
): Map<string, DnsRecordSet> {
  return new Map(
    views.map((v) => [v.provider.name, { values, ttlSeconds: ttl ?? v.api?.ttlSeconds ?? rec.ttlSeconds }]),
  );
}

/**
 * Why restoring `want` is refused (null = go ahead): the restored values are a site's address and
 * that site's entry does not answer 2xx now. Values of no site (or a mix) are restored as they were.
 */
async function restoreTargetHealthy(
  ctx: StepContext,
  rec: RecordConfig,
  want: ReadonlyMap<string, DnsRecordSet | null>,
): Promise<string | null> {
  const sites = new Set(
    [...want.values()].map((s) => (s && s.values.length === 1 ? siteForNormalized(rec, s.values[0]!) : null)),
  );
  if (sites.size !== 1) return null;
  const name = [...sites][0];
  if (!name) return null;
  const site = siteOf(ctx.env, name);
  const r = await stepService(ctx, 'health').probe(site.router.entryUrl, { timeoutMs: 2000, signal: ctx.signal });
  if (r.ok) return null;
  return `not restored: it would point ${rec.name} back at site ${name}, whose entry ${site.router.entryUrl} fails now (${r.error ?? `HTTP ${r.status}`}); the record stays as it is — restore it by hand once ${name} is healthy`;
}

/** Plan of one record (the step's plan is the records' plans in order). */
async function planRecord(ctx: StepContext, p: DnsSetRecordsParams, rec: RecordConfig): Promise<StepPlan> {
  const { values, toSite } = target(ctx, p, rec);
  const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
  const want = wanted(views, rec, values, p.ttlSeconds);
  const changes: StepChange[] = views.map((v) => ({
    target: `${v.provider.name}: ${rec.name} ${rec.type}`,
    before: showSet(v.api),
    after: showSet(want.get(v.provider.name)),
  }));
  const commands: string[] = [];
  const notes: string[] = [];
  for (const v of views) {
    const w = want.get(v.provider.name)!;
    if (v.api === undefined)
      notes.push(`${v.provider.name}: API unreadable now (${v.apiError}); the step will read it again and retry`);
    if (v.api !== undefined && allHold([v], want))
      notes.push(`${v.provider.name} already holds ${showSet(w)}: not written`);
    else commands.push(describeWriteOf(v, rec, w));
    if (!v.provider.capabilities.compareAndSwap)
      notes.push(
        `${v.provider.name} (${v.provider.kind}) has no atomic compare-and-swap: the write is checked by a read just before it`,
      );
  }
  for (const v of views)
    for (const s of v.served) commands.push(queryCommandText(s.server, rec, want.get(v.provider.name)!));
  if (toSite === null) notes.push(`${values.join(', ')} is no site's value of ${rec.name}`);
  notes.push(`now: ${describeViews(views)}`);
  return {
    changes,
    commands,
    alreadyDone: allHold(views, want) && allServe(views, want),
    notes,
    effects: [{ type: 'dns-point', record: rec.name, toSite, values }],
  };
}

/** Rollback of one record (see the file comment). */
async function rollbackRecord(
  ctx: StepContext,
  p: DnsSetRecordsParams,
  rec: RecordConfig,
  recorded: StepPlan,
): Promise<{ ok: boolean; evidence: string }> {
  const dns = stepService(ctx, 'dns');
  const want = new Map<string, DnsRecordSet | null>();
  const unknown: string[] = [];
  for (const prov of dns.providers) {
    const c = recorded.changes.find((x) => x.target === `${prov.name}: ${rec.name} ${rec.type}`);
    if (!c) continue;
    const before = parseShownSet(c.before);
    if (before === undefined) unknown.push(prov.name);
    else want.set(prov.name, before);
  }
  const guard = await restoreTargetHealthy(ctx, rec, want);
  if (guard) return { ok: false, evidence: guard };
  const noop = (): void => {};
  if (want.size > 0) await writeEveryProvider(ctx, rec, want, { attempts: p.apiAttempts, backoffMs: BACKOFF_MS }, noop);
  const served =
    want.size > 0
      ? await awaitServed(stepDnsZone(ctx), rec, want, p.servedTimeoutMs)
      : { ok: true, views: await readRecordViews(stepDnsZone(ctx), rec, { served: true }) };
  const restored = [...want].map(([n, s]) => `${n} → ${showSet(s)}`).join(', ');
  const ok = served.ok && allHold(served.views, want) && unknown.length === 0;
  const lost = unknown.length ? `; not restored (the plan did not know their value before): ${unknown.join(', ')}` : '';
  return { ok, evidence: `restored ${restored || 'nothing'}${lost}. Now: ${describeViews(served.views)}` };
}

/** `dns.set-records` (see the file comment). */
export const dnsSetRecordsKind: StepKind<DnsSetRecordsParams> = {
  kind: 'dns.set-records',
  params: dnsSetRecordsParams,
  defaultTimeoutMs: 60_000,
  references: (p) => [
    ...recordReferences(p),
    ...(p.site !== undefined ? [{ kind: 'site' as const, name: p.site, path: ['site'] }] : []),
  ],
  describe: (p) =>
    `Point ${recordNames(p).join(', ')} at ${p.site !== undefined ? `site ${p.site}` : p.value} at every DNS provider${p.ttlSeconds !== undefined ? ` (TTL ${p.ttlSeconds} s)` : ''}`,

  async plan(ctx, p): Promise<StepPlan> {
    const out: StepPlan = { changes: [], commands: [], alreadyDone: true, notes: [], effects: [] };
    for (const rec of stepRecords(ctx, p)) {
      const r = await planRecord(ctx, p, rec);
      out.changes.push(...r.changes);
      out.commands.push(...r.commands);
      out.notes.push(...r.notes);
      out.effects.push(...r.effects);
      out.alreadyDone &&= r.alreadyDone;
    }
    if (p.ttlSeconds === undefined) out.notes.push('no ttlSeconds given: each provider keeps its current TTL');
    return out;
  },

  async isDone(ctx, p) {
    let done = true;
    const evidence: string[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const { values } = target(ctx, p, rec);
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
      const want = wanted(views, rec, values, p.ttlSeconds);
      done &&= allHold(views, want) && allServe(views, want);
      evidence.push(aboutRecord(p, rec, describeViews(views)));
    }
    return { done, evidence: evidence.join(' | ') };
  },

  async act(ctx, p, progress) {
    const todo: { rec: RecordConfig; values: string[]; want: Map<string, DnsRecordSet> }[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const { values } = target(ctx, p, rec);
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
      // An unreadable provider gets the given TTL, else the record's configured one (its own is unknown).
      const want = wanted(views, rec, values, p.ttlSeconds);
      // Per-record idempotence: a record every provider holds and serves (an earlier try, or
      // someone else) is not written or awaited again.
      if (allHold(views, want) && allServe(views, want)) {
        ctx.log.info(`${rec.name} ${rec.type}: every provider already holds and serves ${values.join(', ')}; skipped`);
        continue;
      }
      todo.push({ rec, values, want });
    }
    const changed: string[] = [];
    for (const t of todo) {
      const r = await writeEveryProvider(
        ctx,
        t.rec,
        t.want,
        { attempts: p.apiAttempts, backoffMs: BACKOFF_MS },
        progress,
      );
      changed.push(...r.changed.map((n) => `${n} (${t.rec.name})`));
    }
    let slowest = 0;
    for (const t of todo) {
      const served = await awaitServed(stepDnsZone(ctx), t.rec, t.want, p.servedTimeoutMs, progress);
      if (!served.ok) {
        throw new StepError(
          'timeout',
          `not every nameserver serves ${t.rec.name} ${t.rec.type} ${t.values.join(', ')} after ${served.elapsedMs} ms: ${describeViews(served.views)}`,
          {
            hint: 'a nameserver that does not pick up the change (zone transfer, cache) must be checked on its server; resume the run once it serves the answer',
            where: t.rec.name,
            retryable: true,
          },
        );
      }
      slowest = Math.max(slowest, served.elapsedMs);
    }
    ctx.log.info(
      `changed at ${changed.length ? changed.join(', ') : 'no provider (all held it)'}; every nameserver serves ${todo.length ? todo.map((t) => t.rec.name).join(', ') : 'every record'} after ${slowest} ms`,
    );
  },

  async verify(ctx, p) {
    let ok = true;
    const evidence: string[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const { values } = target(ctx, p, rec);
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: false });
      const want = wanted(views, rec, values, p.ttlSeconds);
      const served = await awaitServed(stepDnsZone(ctx), rec, want, 3000);
      ok &&= served.ok && allHold(served.views, want);
      evidence.push(aboutRecord(p, rec, describeViews(served.views)));
    }
    return { ok, evidence: evidence.join(' | ') };
  },

  async rollback(ctx, p, recorded) {
    let ok = true;
    const evidence: string[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const r = await rollbackRecord(ctx, p, rec, recorded);
      ok &&= r.ok;
      evidence.push(aboutRecord(p, rec, r.evidence));
    }
    return { ok, evidence: evidence.join(' | ') };
  },
};
