/**
 * Step `dns.set-ttl`: lower a record's TTL at EVERY provider before a planned switchover, then
 * wait out the OLD TTL with a visible countdown, so that no resolver still caches the answer
 * with the long TTL when the record flips.
 *
 * ```yaml
 * - id: lower-ttl
 *   kind: dns.set-ttl
 *   params: { record: app.lab.test, ttlSeconds: 5 }
 * ```
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
 * - verify: every provider holds and every nameserver serves a TTL ≤ the new one.
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
import { stepDnsZone, writeEveryProvider } from './dns-step-zone.ts';
import { recordOf } from './step-lookup.ts';

/** Params of `dns.set-ttl`. */
export const dnsSetTtlParams = z
  .object({
    /** A record of the environment, e.g. `app.lab.test`. */
    record: z.string().min(1),
    /** New (lower) TTL, s. */
    ttlSeconds: z.number().int().min(1).max(604800),
    apiAttempts: z.number().int().min(1).max(10).default(3),
    servedTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();
/** Parsed params of `dns.set-ttl`. */
export type DnsSetTtlParams = z.output<typeof dnsSetTtlParams>;

const BACKOFF_MS = 250;

/**
 * Step-state key of the countdown deadline this step started for a record (epoch ms): a retried
 * or resumed act continues that countdown instead of restarting or skipping it.
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
function owedWait(ctx: StepContext, rec: RecordConfig, ttl: number): { deadline: number; why: string } | null {
  const memo = drainDeadline(ctx, rec);
  if (memo !== undefined) return memo > ctx.now() ? { deadline: memo, why: 'the countdown this run started' } : null;
  if (rec.ttlSeconds <= ttl) return null;
  return {
    deadline: ctx.now() + rec.ttlSeconds * 1000,
    why: `the TTL is already ${ttl} s or lower, but not lowered by this run: the normal TTL (${rec.ttlSeconds} s) may still be cached`,
  };
}

/** `dns.set-ttl` (see the file comment). */
export const dnsSetTtlKind: StepKind<DnsSetTtlParams> = {
  kind: 'dns.set-ttl',
  params: dnsSetTtlParams,
  // The old TTL wait is part of the act: a day-long TTL needs a runbook timeoutMs to match.
  defaultTimeoutMs: 15 * 60_000,
  references: (p) => [{ kind: 'record', name: p.record, path: ['record'] }],
  describe: (p) => `Lower the TTL of ${p.record} to ${p.ttlSeconds} s at every DNS provider and wait out the old TTL`,

  async plan(ctx, p) {
    const rec = recordOf(ctx.env, p.record);
    const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
    const want = wanted(views, p.ttlSeconds);
    const changes: StepChange[] = [];
    const commands: string[] = [];
    const notes: string[] = [];
    for (const v of views) {
      const w = want.get(v.provider.name);
      if (v.api === undefined)
        notes.push(`${v.provider.name}: API unreadable now (${v.apiError}); the step will read it again and retry`);
      else if (v.api === null) notes.push(`${v.provider.name} has no ${rec.name} ${rec.type} record: no TTL to lower`);
      else if (w && w.ttlSeconds !== v.api.ttlSeconds) {
        changes.push({
          target: `${v.provider.name}: ${rec.name} ${rec.type}`,
          before: showSet(v.api),
          after: showSet(w),
        });
        commands.push(describeWriteOf(v, rec, w));
      } else notes.push(`${v.provider.name} already has TTL ${v.api.ttlSeconds} s ≤ ${p.ttlSeconds} s: not written`);
      for (const s of v.served) commands.push(queryCommandText(s.server, rec, w ?? null));
    }
    const old = largestTtl(views);
    const owed = old > p.ttlSeconds ? null : owedWait(ctx, rec, p.ttlSeconds);
    if (old > p.ttlSeconds)
      notes.push(
        `then waits out the old TTL (${old} s) with a countdown, once every nameserver serves ${p.ttlSeconds} s`,
      );
    else if (owed) notes.push(`waits ${Math.ceil((owed.deadline - ctx.now()) / 1000)} s: ${owed.why}`);
    else notes.push(`no wait: the old TTL is already ≤ ${p.ttlSeconds} s`);
    notes.push(`now: ${describeViews(views)}`);
    return {
      changes,
      commands,
      alreadyDone: changes.length === 0 && allLow(views, p.ttlSeconds) && owed === null && old <= p.ttlSeconds,
      notes,
      effects: [],
    };
  },

  async isDone(ctx, p) {
    const rec = recordOf(ctx.env, p.record);
    const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
    if (!allLow(views, p.ttlSeconds)) return { done: false, evidence: describeViews(views) };
    const owed = owedWait(ctx, rec, p.ttlSeconds);
    if (owed)
      return {
        done: false,
        evidence: `${describeViews(views)}; a wait of ${Math.ceil((owed.deadline - ctx.now()) / 1000)} s is owed: ${owed.why}`,
      };
    return { done: true, evidence: `${describeViews(views)}; no old TTL left to wait out` };
  },

  async act(ctx, p, progress) {
    const rec = recordOf(ctx.env, p.record);
    const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
    const old = largestTtl(views);
    const want = wanted(views, p.ttlSeconds);
    await writeEveryProvider(ctx, rec, want, { attempts: p.apiAttempts, backoffMs: BACKOFF_MS }, progress);
    const served = await awaitServed(stepDnsZone(ctx), rec, want, p.servedTimeoutMs, progress);
    if (!served.ok) {
      throw new StepError(
        'timeout',
        `not every nameserver serves TTL ${p.ttlSeconds} s for ${rec.name} after ${served.elapsedMs} ms: ${describeViews(served.views)}`,
        { where: rec.name, retryable: true },
      );
    }
    let deadline: number;
    let why: string;
    if (old > p.ttlSeconds) {
      deadline = Math.max(drainDeadline(ctx, rec) ?? 0, ctx.now() + old * 1000);
      why = `old TTL ${old} s`;
    } else {
      const owed = owedWait(ctx, rec, p.ttlSeconds);
      deadline = owed?.deadline ?? ctx.now();
      why = owed?.why ?? 'nothing to wait for';
    }
    // In the journal before the countdown starts: a process killed while waiting resumes it.
    ctx.state.set(drainKey(rec), deadline);
    const totalMs = deadline - ctx.now();
    if (totalMs > 0) {
      ctx.log.info(`every nameserver serves TTL ${p.ttlSeconds} s; waiting ${Math.ceil(totalMs / 1000)} s (${why})`);
      await countdown(ctx, deadline, totalMs, (s) => `old TTL drains in ${s} s`, progress);
    } else ctx.log.info(`every nameserver serves TTL ${p.ttlSeconds} s; no wait (${why})`);
  },

  async verify(ctx, p) {
    const rec = recordOf(ctx.env, p.record);
    const views = await readRecordViews(stepDnsZone(ctx), rec, { served: true });
    return { ok: allLow(views, p.ttlSeconds), evidence: describeViews(views) };
  },

  async rollback(ctx, p, recorded) {
    const rec = recordOf(ctx.env, p.record);
    const views = await readRecordViews(stepDnsZone(ctx), rec, { served: false });
    const want = new Map<string, DnsRecordSet>();
    for (const v of views) {
      const before = parseShownSet(
        recorded.changes.find((c) => c.target === `${v.provider.name}: ${rec.name} ${rec.type}`)?.before ?? null,
      );
      if (before && v.api) want.set(v.provider.name, { values: v.api.values, ttlSeconds: before.ttlSeconds });
    }
    if (want.size === 0)
      return {
        ok: true,
        evidence: `nothing to restore (no provider's TTL was lowered by this step). Now: ${describeViews(views)}`,
      };
    await writeEveryProvider(ctx, rec, want, { attempts: p.apiAttempts, backoffMs: BACKOFF_MS }, () => {});
    const served = await awaitServed(stepDnsZone(ctx), rec, want, p.servedTimeoutMs);
    const restored = [...want].map(([n, s]) => `${n} TTL ${s.ttlSeconds} s`).join(', ');
    return { ok: served.ok, evidence: `restored ${restored || 'nothing'}. Now: ${describeViews(served.views)}` };
  },
};
