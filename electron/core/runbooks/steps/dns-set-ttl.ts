/**
 * Step `dns.set-ttl`: lower a record's TTL at EVERY provider before a planned switchover, then
 * wait out the OLD TTL with a visible countdown, so that no resolver still caches the answer
 * with the long TTL when the record flips.
 *
 * ```yaml
 * - id: lower-ttl
 *   kind: dns.set-ttl
 *   params: { records: [app.lab.test, api.lab.test], ttlSeconds: 5 }   # or { record: app.lab.test, … }
 * ```
 *
 * Several records are lowered in ONE step: every record is written and served first, then a
 * single countdown waits out the largest old TTL of them all (N records drain once, not N times).
 *
 * - plan: one change per provider whose TTL is above the new one (values kept; a lower TTL is
 *   never raised); the wait it will do, and why.
 * - act: writes the TTLs (compare-and-swap, retries), waits until every nameserver serves the new
 *   TTL, then counts down the old TTL (`progress.remainingMs`), measured from the moment the last
 *   nameserver served the new TTL: a resolver that asked just before holds the answer at most
 *   that long.
 * - The wait is skipped only when the old TTL was already ≤ the new one. Once a provider holds the
 *   new TTL, nothing in DNS says WHEN it was lowered: the countdown's deadline is kept in the
 *   step's state in the run journal (written before the countdown starts), so a retry or a run
 *   resumed after a crash continues the original countdown; without one (TTL lowered by someone
 *   else) the step assumes the workspace's normal TTL (`records[].ttlSeconds`) may still be
 *   cached and waits it out again. isDone is true only when the TTLs are low and no such wait is owed.
 * - A provider whose API cannot be read is never left out silently: act fails (retryable) naming it,
 *   and the log names exactly the nameservers that were checked (and providers without the record).
 * - verify: every provider holds and every nameserver serves a TTL ≤ the new one, for every record.
 * - rollback: puts each provider's TTL back to its recorded `before` (values as they are now).
 */
import { z } from 'zod';
import type { RecordConfig } from '../../config/workspace-schema.ts';
import type { DnsRecordSet } from '../../dns/dns-provider.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import type { StepChange } from '../step-plan.ts';
import { countdown } from './countdown.ts';
import { awaitServed } from '../../dns/await-served.ts';
import { describeViews, describeWriteOf, parseShownSet, queryCommandText, showSet } from '../../dns/describe-views.ts';
import { readRecordViews, type ProviderView } from '../../dns/record-set-views.ts';
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

/** Params of `dns.set-ttl`: exactly one of `record` / `records`. */
export const dnsSetTtlParams = z
  .object({
    ...recordListParams,
    /** New (lower) TTL, s. */
    ttlSeconds: z.number().int().min(1).max(604800),
    apiAttempts: z.number().int().min(1).max(10).default(3),
    servedTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict()
  .refine(hasOneRecordForm, oneRecordFormIssue);
/** Parsed params of `dns.set-ttl`. */
export type DnsSetTtlParams = z.output<typeof dnsSetTtlParams>;

const BACKOFF_MS = 250;

/**
 * Step-state key of the countdown deadline this step started for a record (epoch ms): a retried
 * or resumed act continues that countdown instead of restarting or skipping it. Kept per record
 * (every record of the step gets the one shared deadline), so a runbook edited between retries
 * still finds the deadline of each record it names.
 */
const drainKey = (rec: RecordConfig): string => `drainDeadline:${rec.name}`;

/** The countdown deadline this run's step recorded, epoch ms (undefined: none, or not a number). */
function drainDeadline(ctx: StepContext, rec: RecordConfig): number | undefined {
  const d = ctx.state.get<unknown>(drainKey(rec));
  return typeof d === 'number' && Number.isFinite(d) ? d : undefined;
}

/** Largest TTL any provider's API or nameserver shows now, s (0 when none is readable). */
function largestTtl(views: readonly ProviderView[]): number {
  const ttls = views.flatMap((v) => [v.api?.ttlSeconds ?? 0, ...v.served.map((s) => s.set?.ttlSeconds ?? 0)]);
  return Math.max(0, ...ttls);
}

/** Wanted set per provider that has the record: same values, TTL min(current, new). */
function wanted(views: readonly ProviderView[], ttl: number): Map<string, DnsRecordSet> {
  const out = new Map<string, DnsRecordSet>();
  for (const v of views)
    if (v.api) out.set(v.provider.name, { values: v.api.values, ttlSeconds: Math.min(v.api.ttlSeconds, ttl) });
  return out;
}

/** Every readable view has a TTL ≤ ttl, and nothing is unreadable. */
function allLow(views: readonly ProviderView[], ttl: number): boolean {
  return views.every(
    (v) =>
      v.api !== undefined &&
      (v.api === null || v.api.ttlSeconds <= ttl) &&
      v.served.every((s) => s.set !== undefined && (s.set === null || s.set.ttlSeconds <= ttl)),
  );
}

/**
 * The drain still owed when every provider is already at the new TTL: the deadline this step
 * recorded in the run, else (unknown when it was lowered) the configured normal TTL from now.
 */
function owedWait(
  ctx: StepContext,
  rec: RecordConfig,
  ttl: number,
  many = false,
): { deadline: number; why: string } | null {
  const memo = drainDeadline(ctx, rec);
  if (memo !== undefined) return memo > ctx.now() ? { deadline: memo, why: 'the countdown this run started' } : null;
  if (rec.ttlSeconds <= ttl) return null;
  return {
    deadline: ctx.now() + rec.ttlSeconds * 1000,
    why: `the TTL is already ${ttl} s or lower, but not lowered by this run: the normal TTL (${rec.ttlSeconds} s) may still be cached${many ? ` (${rec.name})` : ''}`,
  };
}

/** Latest of several owed waits (null when none is owed). */
function latest(waits: ({ deadline: number; why: string } | null)[]): { deadline: number; why: string } | null {
  let out: { deadline: number; why: string } | null = null;
  for (const w of waits) if (w && (!out || w.deadline > out.deadline)) out = w;
  return out;
}

/**
 * Exactly which nameservers were checked for `rec` (`powerdns: 127.0.0.1:8353, bind: 127.0.0.1:8354`)
 * and which providers were not, with why: the step never says "every nameserver" about a
 * provider it did not check.
 */
export function checkedNameservers(rec: RecordConfig, views: readonly ProviderView[]): string {
  const checked = views
    .filter((v) => v.api)
    .map((v) => `${v.provider.name} (${v.served.map((s) => s.server).join(', ')})`);
  const left = views
    .filter((v) => !v.api)
    .map(
      (v) =>
        `${v.provider.name} ${v.api === null ? `has no ${rec.name} ${rec.type} record` : `API unreadable: ${v.apiError}`}`,
    );
  return `${rec.name}: ${checked.join(', ') || 'no nameserver'}${left.length ? `; not checked: ${left.join('; ')}` : ''}`;
}

/** `dns.set-ttl` (see the file comment). */
export const dnsSetTtlKind: StepKind<DnsSetTtlParams> = {
  kind: 'dns.set-ttl',
  params: dnsSetTtlParams,
  // The old TTL wait is part of the act: a day-long TTL needs a runbook timeoutMs to match.
  defaultTimeoutMs: 15 * 60_000,
  references: (p) => recordReferences(p),
  describe: (p) =>
    `Lower the TTL of ${recordNames(p).join(', ')} to ${p.ttlSeconds} s at every DNS provider and wait out the old TTL${recordNames(p).length > 1 ? ' once' : ''}`,

  async plan(ctx, p) {
    const changes: StepChange[] = [];
    const commands: string[] = [];
    const notes: string[] = [];
    let old = 0;
    let low = true;
    const owedBy: ({ deadline: number; why: string } | null)[] = [];
    const now: string[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
      const want = wanted(views, p.ttlSeconds);
      for (const v of views) {
        const w = want.get(v.provider.name);
        if (v.api === undefined)
          notes.push(
            `${v.provider.name}: API unreadable now (${v.apiError}); the step will read ${rec.name} again and retry`,
          );
        else if (v.api === null)
          notes.push(`${v.provider.name} has no ${rec.name} ${rec.type} record: no TTL to lower`);
        else if (w && w.ttlSeconds !== v.api.ttlSeconds) {
          changes.push({
            target: `${v.provider.name}: ${rec.name} ${rec.type}`,
            before: showSet(v.api),
            after: showSet(w),
          });
          commands.push(describeWriteOf(v, rec, w));
        } else
          notes.push(
            `${v.provider.name} already has TTL ${v.api.ttlSeconds} s ≤ ${p.ttlSeconds} s for ${rec.name}: not written`,
          );
        for (const s of v.served) commands.push(queryCommandText(s.server, rec, w ?? null));
      }
      const recOld = largestTtl(views);
      old = Math.max(old, recOld);
      low &&= allLow(views, p.ttlSeconds);
      owedBy.push(recOld > p.ttlSeconds ? null : owedWait(ctx, rec, p.ttlSeconds, recordNames(p).length > 1));
      now.push(aboutRecord(p, rec, describeViews(views)));
    }
    const owed = old > p.ttlSeconds ? null : latest(owedBy);
    if (old > p.ttlSeconds)
      notes.push(
        `then waits out the old TTL (${old} s) with a countdown, once every nameserver serves ${p.ttlSeconds} s${owedBy.length > 1 ? ` — one wait for all ${owedBy.length} records` : ''}`,
      );
    else if (owed) notes.push(`waits ${Math.ceil((owed.deadline - ctx.now()) / 1000)} s: ${owed.why}`);
    else notes.push(`no wait: the old TTL is already ≤ ${p.ttlSeconds} s`);
    notes.push(`now: ${now.join(' | ')}`);
    return {
      changes,
      commands,
      alreadyDone: changes.length === 0 && low && owed === null && old <= p.ttlSeconds,
      notes,
      effects: [],
    };
  },

  async isDone(ctx, p) {
    const evidence: string[] = [];
    let done = true;
    const owedBy: ({ deadline: number; why: string } | null)[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
      evidence.push(aboutRecord(p, rec, describeViews(views)));
      if (!allLow(views, p.ttlSeconds)) done = false;
      else owedBy.push(owedWait(ctx, rec, p.ttlSeconds, recordNames(p).length > 1));
    }
    if (!done) return { done: false, evidence: evidence.join(' | ') };
    const owed = latest(owedBy);
    if (owed)
      return {
        done: false,
        evidence: `${evidence.join(' | ')}; a wait of ${Math.ceil((owed.deadline - ctx.now()) / 1000)} s is owed: ${owed.why}`,
      };
    return { done: true, evidence: `${evidence.join(' | ')}; no old TTL left to wait out` };
  },

  async act(ctx, p, progress) {
    const recs = stepRecords(ctx, p);
    // Read every record first: an unreadable provider stops the step before anything is written
    // (a TTL lowered at one provider only would be "verified" against the others alone).
    const reads: { rec: RecordConfig; views: ProviderView[]; old: number; want: Map<string, DnsRecordSet> }[] = [];
    for (const rec of recs) {
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
      const unreadable = views.filter((v) => v.api === undefined);
      if (unreadable.length)
        throw new StepError(
          'unreachable',
          `cannot read ${rec.name} ${rec.type} at ${unreadable.map((v) => `${v.provider.name} (${v.apiError})`).join('; ')}: no TTL was lowered`,
          {
            hint: 'fix the provider (is its API up, is the key right?), then resume the run',
            where: unreadable.map((v) => v.provider.name).join(', '),
            retryable: true,
          },
        );
      reads.push({ rec, views, old: largestTtl(views), want: wanted(views, p.ttlSeconds) });
    }
    for (const r of reads)
      await writeEveryProvider(ctx, r.rec, r.want, { attempts: p.apiAttempts, backoffMs: BACKOFF_MS }, progress);
    const checked: string[] = [];
    for (const r of reads) {
      const served = await awaitServed(stepDnsZone(ctx), r.rec, r.want, p.servedTimeoutMs, progress);
      if (!served.ok) {
        throw new StepError(
          'timeout',
          `not every nameserver serves TTL ${p.ttlSeconds} s for ${r.rec.name} after ${served.elapsedMs} ms: ${describeViews(served.views)}`,
          { where: r.rec.name, retryable: true },
        );
      }
      checked.push(checkedNameservers(r.rec, r.views));
    }
    // One deadline for every record: the largest old TTL still cached anywhere, counted from
    // the moment the last nameserver served the new TTL.
    const waits = reads.map((r) =>
      r.old > p.ttlSeconds
        ? {
            deadline: Math.max(drainDeadline(ctx, r.rec) ?? 0, ctx.now() + r.old * 1000),
            why: reads.length > 1 ? `old TTL ${r.old} s of ${r.rec.name}` : `old TTL ${r.old} s`,
          }
        : owedWait(ctx, r.rec, p.ttlSeconds, reads.length > 1),
    );
    const owed = latest(waits);
    const deadline = owed?.deadline ?? ctx.now();
    const why = owed?.why ?? 'nothing to wait for';
    // In the journal before the countdown starts: a process killed while waiting resumes it.
    for (const r of reads) ctx.state.set(drainKey(r.rec), deadline);
    const totalMs = deadline - ctx.now();
    const servedText = `TTL ≤ ${p.ttlSeconds} s served by ${checked.join(' | ')}`;
    if (totalMs > 0) {
      ctx.log.info(
        `${servedText}; waiting ${Math.ceil(totalMs / 1000)} s (${why})${reads.length > 1 ? `, once for all ${reads.length} records` : ''}`,
      );
      await countdown(ctx, deadline, totalMs, (s) => `old TTL drains in ${s} s`, progress);
    } else ctx.log.info(`${servedText}; no wait (${why})`);
  },

  async verify(ctx, p) {
    let ok = true;
    const evidence: string[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
      ok &&= allLow(views, p.ttlSeconds);
      evidence.push(`${checkedNameservers(rec, views)} — ${describeViews(views)}`);
    }
    return { ok, evidence: evidence.join(' | ') };
  },

  async rollback(ctx, p, recorded) {
    let ok = true;
    const evidence: string[] = [];
    for (const rec of stepRecords(ctx, p)) {
      const views = await readRecordViews(stepDnsZone(ctx), rec, { served: false });
      const want = new Map<string, DnsRecordSet>();
      for (const v of views) {
        const before = parseShownSet(
          recorded.changes.find((c) => c.target === `${v.provider.name}: ${rec.name} ${rec.type}`)?.before ?? null,
        );
        if (before && v.api) want.set(v.provider.name, { values: v.api.values, ttlSeconds: before.ttlSeconds });
      }
      if (want.size === 0) {
        evidence.push(
          `${rec.name}: nothing to restore (no provider's TTL was lowered by this step). Now: ${describeViews(views)}`,
        );
        continue;
      }
      await writeEveryProvider(ctx, rec, want, { attempts: p.apiAttempts, backoffMs: BACKOFF_MS }, () => {});
      const served = await awaitServed(stepDnsZone(ctx), rec, want, p.servedTimeoutMs);
      ok &&= served.ok;
      const restored = [...want].map(([n, s]) => `${n} TTL ${s.ttlSeconds} s`).join(', ');
      evidence.push(`${rec.name}: restored ${restored}. Now: ${describeViews(served.views)}`);
    }
    return { ok, evidence: evidence.join(' | ') };
  },
};
