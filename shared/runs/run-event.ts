/**
 * Run and step states, pushed run events (the live timeline) and the outcome of a run. Plain
 * JSON data; times epoch ms, durations ms. No Node imports: shared by the core and the renderer.
 * The event types are `z.infer` of their schemas, which check the `run` event on receipt.
 */
import { z } from 'zod';
import { OpErrorSchema, type OpError } from '../result.ts';
import { SafetyVerdictSchema } from './safety-verdict.ts';
import { StepProgressSchema } from './step-progress.ts';

/**
 * - `running`: a process is executing it (or crashed while doing so: resume it);
 * - `paused`: waiting for an approval, a safety condition, or a resume after a retryable failure;
 * - `succeeded`: every step verified or skipped (already done);
 * - `failed`: a step failed for good (or a `continueOnError` step failed);
 * - `aborted`: stopped by an operator after the current step;
 * - `rolling-back` / `rolled-back` / `rollback-failed`: the rollbacks after an abort or failure.
 */
export const RunStatusSchema = z.enum([
  'running',
  'paused',
  'succeeded',
  'failed',
  'aborted',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

/** pending → (awaiting-approval) → acting → verifying → verified | failed; or skipped (already done). */
export const StepStateSchema = z.enum([
  'pending',
  'awaiting-approval',
  'acting',
  'verifying',
  'verified',
  'failed',
  'skipped',
]);
export type StepState = z.infer<typeof StepStateSchema>;

/** `run` = the runbook's steps; `rollback` = their rollbacks. */
export const StepPhaseSchema = z.enum(['run', 'rollback']);
export type StepPhase = z.infer<typeof StepPhaseSchema>;

/** Why a run is paused. */
export const PauseReasonSchema = z.enum(['approval', 'safety', 'step-failed']);
export type PauseReason = z.infer<typeof PauseReasonSchema>;

const base = { runId: z.string(), at: z.number() };
const stepBase = { ...base, phase: StepPhaseSchema, stepId: z.string() };

/** One event of the live timeline, discriminated on `type`. */
export const RunEventSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('run-started'),
    ...base,
    env: z.string(),
    runbook: z.string(),
    resumed: z.boolean(),
    phase: StepPhaseSchema,
    steps: z.array(z.object({ id: z.string(), kind: z.string(), title: z.string() })),
  }),
  z.object({ type: z.literal('step-started'), ...stepBase, index: z.number(), verdicts: z.array(SafetyVerdictSchema) }),
  z.object({ type: z.literal('step-log'), ...stepBase, level: z.enum(['info', 'warn', 'error']), message: z.string() }),
  z.object({ type: z.literal('step-progress'), ...stepBase, progress: StepProgressSchema }),
  z.object({
    type: z.literal('step-finished'),
    ...stepBase,
    state: StepStateSchema,
    durationMs: z.number().nullable(),
    evidence: z.string().nullable(),
    error: OpErrorSchema.nullable(),
    attempts: z.number(),
  }),
  /** `stepId` is '' when the run stopped outside any step (the journal could not be written). */
  z.object({
    type: z.literal('run-paused'),
    ...base,
    reason: PauseReasonSchema,
    stepId: z.string(),
    detail: z.string(),
    verdicts: z.array(SafetyVerdictSchema),
  }),
  z.object({
    type: z.literal('run-finished'),
    ...base,
    status: RunStatusSchema,
    durationMs: z.number().nullable(),
    detail: z.string().nullable(),
    rollbacksOffered: z.array(z.string()),
  }),
]);
/** One event of the live timeline (step started/log/progress/finished, paused, finished). */
export type RunEvent = z.infer<typeof RunEventSchema>;

/**
 * Where a run stopped (paused or ended), as journalled: what the engine's run methods resolve to
 * and what `standby run --json` prints. Over the contract the run calls answer at once
 * (`{ runId }`); this shape is read back with `getRun` (see `runOutcomeOf` in run-summary.ts).
 */
export interface RunOutcome {
  runId: string;
  status: RunStatus;
  pauseReason: PauseReason | null;
  /** Why it paused or failed, in words (names the step, rule, evidence or error). */
  detail: string | null;
  steps: {
    id: string;
    phase: StepPhase;
    state: StepState;
    durationMs: number | null;
    evidence: string | null;
    error: OpError | null;
  }[];
  /** Step ids whose rollback `rollbackRun` would run, in the order it would run them. */
  rollbacksOffered: string[];
  /** From the run's creation to its end, ms (null while paused). */
  durationMs: number | null;
}
