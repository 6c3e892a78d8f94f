/**
 * Step `traffic.switch-slot`: send a site's traffic to another blue/green slot, on the router
 * itself, and prove traffic through the site's entry reaches it.
 *
 * ```yaml
 * - id: to-green
 *   kind: traffic.switch-slot
 *   params: { site: primary, slot: green }
 * ```
 *
 * - nginx: rewrite the upstream include, `nginx -t`, reload (old file restored on failure);
 *   HAProxy: new server ready → wait until UP → old one to maintenance (traffic/routers/).
 * - plan: the router's live slot now → `slot`, the exact commands (and for nginx the file as it
 *   is and as it will be); effect `slot-switch` (target-healthy-before-traffic judges the new
 *   slot's health). No `slot-drain` effect: the old slot stops taking traffic only because the
 *   new one takes it, which the rule on the new slot covers — and a drain would stay counted by
 *   last-healthy-slot after a later switch back, refusing a blue → green → blue runbook.
 * - isDone / verify: the router names `slot` AND the entry URL answers 2xx naming `slot`
 *   `consecutive` times in a row, each on a new connection.
 * - rollback: switch back to the recorded `before` slot, verified the same way.
 */
import { z } from 'zod';
import type { SlotRouter } from '../../traffic/slot-router.ts';
import { StepError } from '../step-error.ts';
import type { StepContext, StepKind } from '../step-kind.ts';
import { asStepError, routerOf, siteOf } from './step-lookup.ts';

/** Params of `traffic.switch-slot`. */
export const trafficSwitchSlotParams = z
  .object({
    /** Site whose router switches (`sites[].name`). */
    site: z.string().min(1),
    /** Slot that must take the traffic (`sites[].slots[].name`). */
    slot: z.string().min(1),
    /** Consecutive answers of the entry URL naming the slot needed to verify. */
    consecutive: z.number().int().min(1).max(50).default(3),
    /** HAProxy: bound on "new server UP", ms. */
    upTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
  })
  .strict();
/** Parsed params of `traffic.switch-slot`. */
export type TrafficSwitchSlotParams = z.output<typeof trafficSwitchSlotParams>;

type Switching = Required<Pick<SlotRouter, 'switchSlot' | 'planSwitch' | 'verifySlot'>> &
  Pick<SlotRouter, 'readLiveSlot' | 'kind'>;

function switching(ctx: StepContext, site: string, slot: string): Switching {
  const s = siteOf(ctx.env, site);
  if (!s.slots.some((x) => x.name === slot))
    throw new StepError('invalid-input', `site ${site} has no slot "${slot}"`, {
      hint: `use one of: ${s.slots.map((x) => x.name).join(', ')}`,
      where: site,
    });
  const r = routerOf(ctx, site);
  if (!r.capabilities.switch || !r.switchSlot || !r.planSwitch || !r.verifySlot)
    throw new StepError('unsupported', `the ${r.kind} router of site ${site} cannot switch slots`, { where: site });
  return {
    kind: r.kind,
    readLiveSlot: r.readLiveSlot.bind(r),
    switchSlot: r.switchSlot.bind(r),
    planSwitch: r.planSwitch.bind(r),
    verifySlot: r.verifySlot.bind(r),
  };
}

async function verified(
  ctx: StepContext,
  r: Switching,
  slot: string,
  consecutive: number,
  timeoutMs: number,
): Promise<{ ok: boolean; evidence: string }> {
  try {
    const v = await r.verifySlot(slot, { consecutive, timeoutMs, signal: ctx.signal });
    return { ok: v.verified, evidence: v.verified ? v.evidence : `${v.reason ?? 'not verified'}; ${v.evidence}` };
  } catch (e) {
    throw asStepError(e);
  }
}

async function doSwitch(
  ctx: StepContext,
  r: Switching,
  site: string,
  slot: string,
  upTimeoutMs: number,
  progress: (m: string) => void,
): Promise<void> {
  try {
    const res = await r.switchSlot(slot, {
      signal: ctx.signal,
      upTimeoutMs,
      onProgress: (x) => progress(`${x.phase}: ${x.message}`),
    });
    for (const c of res.commands)
      ctx.log.info(
        `${c.kind} ${c.target}: ${c.text} → ${c.outcome ?? 'ok'}${c.durationMs !== undefined ? ` (${c.durationMs} ms)` : ''}`,
      );
    ctx.log.info(`${site}: ${res.summary}`);
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && stderr.trim()) ctx.log.error(`${r.kind} said: ${stderr.trim()}`);
    throw asStepError(e, site);
  }
}

/** `traffic.switch-slot` (see the file comment). */
export const trafficSwitchSlotKind: StepKind<TrafficSwitchSlotParams> = {
  kind: 'traffic.switch-slot',
  params: trafficSwitchSlotParams,
  defaultTimeoutMs: 60_000,
  references: (p) => [
    { kind: 'site', name: p.site, path: ['site'] },
    { kind: 'slot', site: p.site, name: p.slot, path: ['slot'] },
  ],
  describe: (p) => `Switch site ${p.site} to slot ${p.slot}`,

  async plan(ctx, p) {
    const r = switching(ctx, p.site, p.slot);
    let plan;
    try {
      plan = await r.planSwitch(p.slot, { signal: ctx.signal });
    } catch (e) {
      throw asStepError(e, p.site);
    }
    const notes = [plan.summary];
    if (plan.fileBefore !== undefined && plan.fileAfter !== undefined && plan.fileBefore !== plan.fileAfter) {
      notes.push(`upstream file now:\n${plan.fileBefore.trimEnd()}\nafter the switch:\n${plan.fileAfter.trimEnd()}`);
    }
    return {
      changes: [{ target: `${p.site} live slot`, before: plan.from ?? 'unknown', after: p.slot }],
      commands: plan.commands.map(
        (c) => `${c.kind === 'http' ? 'http' : 'ssh'} ${c.target}: ${c.text}${c.outcome ? `  # ${c.outcome}` : ''}`,
      ),
      alreadyDone: !plan.changed,
      notes,
      effects: [{ type: 'slot-switch', site: p.site, fromSlot: plan.from, toSlot: p.slot }],
    };
  },

  async isDone(ctx, p) {
    const v = await verified(ctx, switching(ctx, p.site, p.slot), p.slot, Math.min(2, p.consecutive), 2000);
    return { done: v.ok, evidence: v.evidence };
  },

  async act(ctx, p, progress) {
    await doSwitch(ctx, switching(ctx, p.site, p.slot), p.site, p.slot, p.upTimeoutMs, (message) =>
      progress({ message }),
    );
  },

  async verify(ctx, p) {
    return verified(ctx, switching(ctx, p.site, p.slot), p.slot, p.consecutive, 5000);
  },

  async rollback(ctx, p, recorded) {
    const before = recorded.changes.find((c) => c.target === `${p.site} live slot`)?.before ?? null;
    const site = siteOf(ctx.env, p.site);
    if (before === null || !site.slots.some((s) => s.name === before)) {
      return {
        ok: false,
        evidence: `the slot live before the switch is not known (${before ?? 'none recorded'}): switch ${p.site} back by hand`,
      };
    }
    const r = switching(ctx, p.site, before);
    await doSwitch(ctx, r, p.site, before, p.upTimeoutMs, (m) => ctx.log.info(m));
    const v = await verified(ctx, r, before, p.consecutive, 5000);
    return { ok: v.ok, evidence: `switched ${p.site} back to ${before}: ${v.evidence}` };
  },
};
