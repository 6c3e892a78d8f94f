/**
 * Step `wait`: wait a fixed time with a visible countdown (`progress.remainingMs` every second),
 * e.g. to let connections drain after a switch.
 *
 * ```yaml
 * - id: settle
 *   kind: wait
 *   params: { seconds: 10 }
 * ```
 *
 * isDone is never true (a wait is not an effect that can be found in place); after a crash the
 * whole wait runs again. The wait bounds itself (≤ 1 day), so the kind's default step bound is
 * that plus a minute.
 */
import { z } from 'zod';
import type { StepKind } from '../step-kind.ts';
import { countdown } from './countdown.ts';

/** Params of `wait`. */
export const waitParams = z
  .object({
    /** How long, s (fractions allowed). */
    seconds: z.number().positive().max(86_400),
    /** Why, shown in the timeline. */
    reason: z.string().min(1).max(200).optional(),
  })
  .strict();
/** Parsed params of `wait`. */
export type WaitParams = z.output<typeof waitParams>;

/** `wait` (see the file comment). */
export const waitKind: StepKind<WaitParams> = {
  kind: 'wait',
  params: waitParams,
  defaultTimeoutMs: 86_460_000,
  describe: (p) => `Wait ${p.seconds} s${p.reason ? `: ${p.reason}` : ''}`,
  plan: async (_ctx, p) => ({
    changes: [],
    commands: [],
    alreadyDone: false,
    notes: [`waits ${p.seconds} s with a countdown`],
    effects: [],
  }),
  isDone: async () => ({ done: false, evidence: 'a wait always runs' }),
  async act(ctx, p, progress) {
    const totalMs = Math.round(p.seconds * 1000);
    await countdown(
      ctx,
      ctx.now() + totalMs,
      totalMs,
      (s) => `${s} s left${p.reason ? ` (${p.reason})` : ''}`,
      progress,
    );
  },
  verify: async (_ctx, p) => ({ ok: true, evidence: `waited ${p.seconds} s` }),
};
