/**
 * Run and step states, pushed run events (the live timeline) and the outcome a run call
 * returns. Plain JSON data; times epoch ms, durations ms. No Node imports, so these can move to
 * shared/ when the lead adds runs to the contract.
 */
import type { OpError } from '../result.ts';
import type { SafetyVerdict } from './safety-verdict.ts';
import type { StepProgress } from './step-progress.ts';

/**
 * - `running`: a process is executing it (or crashed while doing so: resume it);
 * - `paused`: waiting for an approval, a safety condition, or a resume after a retryable failure;
 * - `succeeded`: every step verified or skipped (already done);
 * - `failed`: a step failed for good (or a `continueOnError` step failed);
 * - `aborted`: stopped by an operator after the current step;
 * - `rolling-back` / `rolled-back` / `rollback-failed`: the rollbacks after an abort or failure.
 */
export type RunStatus = 'running' | 'paused' | 'succeeded' | 'failed' | 'aborted' | 'rolling-back' | 'rolled-back' | 'rollback-failed';

/** pending → (awaiting-approval) → acting → verifying → verified | failed; or skipped (already done). */
export type StepState = 'pending' | 'awaiting-approval' | 'acting' | 'verifying' | 'verified' | 'failed' | 'skipped';

/** `run` = the runbook's steps; `rollback` = their rollbacks. */
export type StepPhase = 'run' | 'rollback';

/** Why a run is paused. */
export type PauseReason = 'approval' | 'safety' | 'step-failed';

/** One event of the live timeline. */
export type RunEvent =
  | { type: 'run-started'; runId: string; env: string; runbook: string; at: number; resumed: boolean; phase: StepPhase; steps: { id: string; kind: string; title: string }[] }
  | { type: 'step-started'; runId: string; phase: StepPhase; stepId: string; index: number; at: number; verdicts: SafetyVerdict[] }
  | { type: 'step-log'; runId: string; phase: StepPhase; stepId: string; at: number; level: 'info' | 'warn' | 'error'; message: string }
  | { type: 'step-progress'; runId: string; phase: StepPhase; stepId: string; at: number; progress: StepProgress }
  | { type: 'step-finished'; runId: string; phase: StepPhase; stepId: string; at: number; state: StepState; durationMs: number | null; evidence: string | null; error: OpError | null; attempts: number }
  | { type: 'run-paused'; runId: string; at: number; reason: PauseReason; stepId: string; detail: string; verdicts: SafetyVerdict[] }
  | { type: 'run-finished'; runId: string; at: number; status: RunStatus; durationMs: number | null; detail: string | null; rollbacksOffered: string[] };

/** What executeRun / resumeRun / approve / rollbackRun resolve to once the run stops or pauses. */
export interface RunOutcome {
  runId: string;
  status: RunStatus;
  pauseReason: PauseReason | null;
  /** Why it paused or failed, in words (names the step, rule, evidence or error). */
  detail: string | null;
  steps: { id: string; phase: StepPhase; state: StepState; durationMs: number | null; evidence: string | null; error: OpError | null }[];
  /** Step ids whose rollback `rollbackRun` would run, in the order it would run them. */
  rollbacksOffered: string[];
  /** From the run's creation to its end, ms (null while paused). */
  durationMs: number | null;
}
