/**
 * `fake.remember`, a step kind that keeps its progress in `ctx.state` (for step-state.test.ts and
 * its child process): each act counts its attempts in state key `attempts` and fails
 * (retryable) until `succeedOnAttempt`; with `hangAfterSet` the first act blocks the thread right
 * after its `set`, so a crash test can SIGKILL it there. verify reports what state holds; plan
 * sets `planned`, which must never reach the journal.
 */
import { z } from 'zod';
import { StepError } from '../../../electron/core/runbooks/step-error.ts';
import type { StepKind } from '../../../electron/core/runbooks/step-kind.ts';
import { blockForever } from './fakes.ts';

const params = z
  .object({ succeedOnAttempt: z.number().int().min(1).default(2), hangAfterSet: z.boolean().default(false) })
  .strict();

/** What `fake.remember` saw, by step id, in this process. */
export const seen: Record<string, { attemptsBefore: (number | undefined)[]; planned: unknown }> = {};

/** `fake.remember` (see the file comment). */
export const rememberKind: StepKind<z.output<typeof params>> = {
  kind: 'fake.remember',
  params,
  describe: () => 'remember attempts',
  async plan(ctx) {
    ctx.state.set('planned', ctx.runId ?? 'planning');
    return { changes: [], commands: [], alreadyDone: false, notes: [], effects: [] };
  },
  async isDone(ctx, p) {
    const n = ctx.state.get<number>('attempts') ?? 0;
    return { done: n >= p.succeedOnAttempt, evidence: `${n} attempts` };
  },
  async act(ctx, p) {
    const before = ctx.state.get<number>('attempts');
    (seen[ctx.stepId] ??= { attemptsBefore: [], planned: undefined }).attemptsBefore.push(before);
    seen[ctx.stepId]!.planned = ctx.state.get('planned');
    const n = (before ?? 0) + 1;
    ctx.state.set('attempts', n);
    if (p.hangAfterSet && n === 1) blockForever('SET attempts=1');
    if (n < p.succeedOnAttempt) throw new StepError('unreachable', `attempt ${n} of ${p.succeedOnAttempt}`);
  },
  async verify(ctx) {
    return { ok: true, evidence: `state says ${ctx.state.get<number>('attempts')} attempts` };
  },
};
