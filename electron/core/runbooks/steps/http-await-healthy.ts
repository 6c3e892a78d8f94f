/**
 * Step `http.await-healthy`: a health gate — wait until a URL answers 2xx `consecutive` times in
 * a row (and, with `expectSlot`, names that slot in its JSON `slot`), within `timeoutMs`.
 *
 * ```yaml
 * - id: gate
 *   kind: http.await-healthy
 *   params: { site: failover, slot: blue, consecutive: 3, timeoutMs: 10000 }
 * ```
 *
 * The URL is `url`, or a slot's own health URL (`site` + `slot`: slot url + healthPath), or the
 * site's entry through its router (`site` alone: router.entryUrl). Loopback only, like the
 * workspace.
 * - isDone: never — a gate is always checked against live traffic (it changes nothing, so
 *   running it again is harmless).
 * - act: probes every `intervalMs`, progress `k/n healthy in a row`; times out with the last answers.
 * - verify: one more probe must pass.
 */
import { z } from 'zod';
import type { HttpProbeResult } from '../../health/http-probe.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import { stepService } from '../step-services.ts';
import { isLoopbackUrl, siteOf } from './step-lookup.ts';

/** Params of `http.await-healthy`: `url`, or `site` (+ `slot`). */
export const httpAwaitHealthyParams = z
  .object({
    url: z
      .string()
      .refine(isLoopbackUrl, 'must be an http(s) URL on a loopback address (127.0.0.0/8, [::1] or localhost)')
      .optional(),
    site: z.string().min(1).optional(),
    slot: z.string().min(1).optional(),
    /** Consecutive healthy answers needed. */
    consecutive: z.number().int().min(1).max(100).default(3),
    /** Bound on the whole wait, ms. */
    timeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    /** Pause between probes, ms. */
    intervalMs: z.number().int().min(10).max(60_000).default(250),
    /** Bound on one probe, ms. */
    requestTimeoutMs: z.number().int().min(50).max(60_000).default(1000),
    /** Also require the JSON body's `slot` to be this (e.g. after a switch). */
    expectSlot: z.string().min(1).optional(),
  })
  .strict()
  .refine((p) => (p.url === undefined) !== (p.site === undefined), {
    message: 'give exactly one of "url" or "site"',
    path: ['url'],
  })
  .refine((p) => p.slot === undefined || p.site !== undefined, { message: '"slot" needs "site"', path: ['slot'] });
/** Parsed params of `http.await-healthy`. */
export type HttpAwaitHealthyParams = z.output<typeof httpAwaitHealthyParams>;

/** The URL the gate probes. */
export function gateUrl(ctx: Pick<StepContext, 'env'>, p: HttpAwaitHealthyParams): string {
  if (p.url !== undefined) return p.url;
  const site = siteOf(ctx.env, p.site!);
  if (p.slot === undefined) return site.router.entryUrl;
  const slot = site.slots.find((s) => s.name === p.slot);
  if (!slot)
    throw new StepError('invalid-input', `site ${site.name} has no slot "${p.slot}"`, {
      hint: `use one of: ${site.slots.map((s) => s.name).join(', ')}`,
      where: site.name,
    });
  return slot.url.replace(/\/+$/, '') + slot.healthPath;
}

/** Healthy = 2xx and, with `expectSlot`, JSON `slot` equal to it. Returns the reason when not. */
function judge(r: HttpProbeResult, expectSlot: string | undefined): { ok: boolean; text: string } {
  const slot = r.body && typeof r.body === 'object' ? (r.body as { slot?: unknown }).slot : undefined;
  const what = `${r.status !== null ? `HTTP ${r.status}` : (r.error ?? 'no answer')}${typeof slot === 'string' ? ` slot=${slot}` : ''} in ${Math.round(r.latencyMs)} ms`;
  if (!r.ok) return { ok: false, text: what };
  if (expectSlot !== undefined && slot !== expectSlot) return { ok: false, text: `${what} (want slot=${expectSlot})` };
  return { ok: true, text: what };
}

/** `http.await-healthy` (see the file comment). */
export const httpAwaitHealthyKind: StepKind<HttpAwaitHealthyParams> = {
  kind: 'http.await-healthy',
  params: httpAwaitHealthyParams,
  // Bounded by its own timeoutMs (≤ 1 h): the engine's bound only backs it up.
  defaultTimeoutMs: 3_660_000,
  references: (p) =>
    p.site === undefined
      ? []
      : [
          { kind: 'site', name: p.site, path: ['site'] },
          ...(p.slot !== undefined ? [{ kind: 'slot' as const, site: p.site, name: p.slot, path: ['slot'] }] : []),
        ],
  describe: (p) =>
    `Wait until ${p.url ?? (p.slot ? `${p.site}/${p.slot}` : `the entry of site ${p.site}`)} answers healthy ${p.consecutive} times in a row`,

  async plan(ctx, p) {
    const url = gateUrl(ctx, p);
    const now = judge(
      await stepService(ctx, 'health').probe(url, { timeoutMs: p.requestTimeoutMs, signal: ctx.signal }),
      p.expectSlot,
    );
    return {
      changes: [],
      commands: [
        `GET ${url} until ${p.consecutive} healthy answers in a row${p.expectSlot ? ` naming slot ${p.expectSlot}` : ''} (every ${p.intervalMs} ms, ≤ ${p.timeoutMs} ms)`,
      ],
      alreadyDone: false,
      notes: [`now: ${url} → ${now.text}`],
      // lets the plan accept traffic moving to a site that this gate will prove healthy first
      effects: p.site ? [{ type: 'health-gate', site: p.site, slot: p.slot ?? null }] : [],
    };
  },

  async isDone() {
    return { done: false, evidence: 'a health gate is always checked against live traffic' };
  },

  async act(ctx, p, progress) {
    const url = gateUrl(ctx, p);
    const health = stepService(ctx, 'health');
    const t0 = ctx.now();
    const maxProbes = Math.ceil(p.timeoutMs / p.intervalMs) + p.consecutive + 2;
    let run = 0;
    const last: string[] = [];
    for (let i = 0; i < maxProbes; i++) {
      const j = judge(await health.probe(url, { timeoutMs: p.requestTimeoutMs, signal: ctx.signal }), p.expectSlot);
      ctx.signal.throwIfAborted();
      run = j.ok ? run + 1 : 0;
      last.push(j.text);
      if (last.length > 5) last.shift();
      const elapsed = ctx.now() - t0;
      progress({
        message: `${url}: ${run}/${p.consecutive} healthy in a row (last: ${j.text})`,
        fraction: run / p.consecutive,
        remainingMs: Math.max(0, p.timeoutMs - elapsed),
      });
      if (run >= p.consecutive) {
        ctx.log.info(`${url} healthy ${run} times in a row after ${elapsed} ms`);
        return;
      }
      if (elapsed >= p.timeoutMs) break;
      await ctx.sleep(Math.min(p.intervalMs, Math.max(1, p.timeoutMs - elapsed)));
    }
    throw new StepError(
      'timeout',
      `${url} did not answer healthy ${p.consecutive} times in a row within ${p.timeoutMs} ms; last answers: ${last.join(', ')}`,
      {
        hint: 'check the target (logs, its database); resume the run once it is healthy',
        where: url,
        retryable: true,
      },
    );
  },

  async verify(ctx, p) {
    const url = gateUrl(ctx, p);
    const j = judge(
      await stepService(ctx, 'health').probe(url, { timeoutMs: p.requestTimeoutMs, signal: ctx.signal }),
      p.expectSlot,
    );
    return { ok: j.ok, evidence: `${url} → ${j.text}` };
  },
};
