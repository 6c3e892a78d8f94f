/**
 * Run history, run detail, runbook list and lock state as the console shows them. Times are
 * epoch ms, durations ms.
 */
import { z } from 'zod';
import type { OpError } from '../result.ts';
import type { RunbookKind } from './runbook-schema.ts';
import type { PauseReason, RunOutcome, RunStatus, StepPhase, StepState } from './run-event.ts';
import type { RunPlan } from './run-plan.ts';

/** A runbook file found in the workspace, or why it could not be loaded. */
export interface RunbookSummary {
  name: string;
  kind: RunbookKind | null;
  description: string;
  /** Absolute path of the YAML file. */
  path: string;
  stepCount: number;
  /** Set when the file is invalid (file:line:col field: message. Fix: hint). */
  error: string | null;
}

/**
 * What a run's measured recovery time starts at: the run's start, or — when a failure triggered
 * the run — the first failed probe of the failure streak on the site traffic is moved away from.
 */
export const RecoveryFromSchema = z.enum(['run-start', 'first-failed-probe']);
export type RecoveryFrom = z.infer<typeof RecoveryFromSchema>;

/**
 * A run's measured recovery time, pushed as `run-recovery-measured` once the new site answered
 * through the new DNS answer (the same numbers `getRun` then shows in `RunSummary`).
 */
export const MeasuredRecoverySchema = z.object({
  /** Recovery time, ms (whole ms, as journalled). */
  ms: z.number().nonnegative(),
  /** What it counts from (see {@link RecoveryFrom}). */
  from: RecoveryFromSchema,
  /** The instant it counts from, epoch ms. */
  startedAt: z.number(),
  /** The environment's RTO objective, s, for comparison. */
  rtoObjectiveSeconds: z.number(),
});
export type MeasuredRecovery = z.infer<typeof MeasuredRecoverySchema>;

/** One row of the run history. */
export interface RunSummary {
  runId: string;
  env: string;
  runbook: string;
  kind: string;
  status: RunStatus;
  pauseReason: PauseReason | null;
  detail: string | null;
  actor: string;
  createdAt: number;
  finishedAt: number | null;
  durationMs: number | null;
  /**
   * Measured recovery time, ms: from run start (or the first failed probe, when a failure
   * triggered it) to the first healthy probe of the new site reached through the new DNS answer.
   * null until measured (or when the runbook does not move traffic).
   */
  recoveryMs: number | null;
  /**
   * Where `recoveryMs` is counted from: `first-failed-probe` when a failure triggered the run
   * (the site DNS pointed at when the run started had its entry probe unhealthy), else
   * `run-start`. Chosen and stored when the measurement starts, so it is already set while
   * `recoveryMs` is null (measuring). null when no measurement started (the runbook moves no
   * traffic).
   */
  recoveryFrom: RecoveryFrom | null;
  /** The instant the recovery is counted from, epoch ms (run start or first failed probe); null with `recoveryFrom`. */
  recoveryStartedAt: number | null;
  /** The environment's RTO objective, s, for comparison. */
  rtoObjectiveSeconds: number | null;
}

export interface RunStepDetail {
  phase: StepPhase;
  index: number;
  id: string;
  kind: string;
  title: string;
  state: StepState;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  attempts: number;
  evidence: string | null;
  error: OpError | null;
  logs: { at: number; level: 'info' | 'warn' | 'error'; message: string }[];
}

export interface RunDetail extends RunSummary {
  plan: RunPlan;
  steps: RunStepDetail[];
  rollbacksOffered: string[];
}

/** The per-environment run lock. */
export const LockInfoSchema = z.object({
  env: z.string(),
  held: z.boolean(),
  runId: z.string().nullable(),
  /** `pid@host` of the process driving the run, `paused@host` while the run is paused. */
  holder: z.string().nullable(),
  /** When the run took the lock, epoch ms. */
  since: z.number().nullable(),
  /** Held by a process that is gone, or without a heartbeat for too long: may be broken. */
  stale: z.boolean(),
  staleReason: z.string().nullable(),
});
export type LockInfo = z.infer<typeof LockInfoSchema>;

/**
 * The {@link RunOutcome} of a run read back with `getRun`: the same fields the engine hands its
 * callers when the run stops (pause reason only while paused, duration only once it ended).
 */
export function runOutcomeOf(d: RunDetail): RunOutcome {
  const ended = d.status !== 'running' && d.status !== 'paused' && d.status !== 'rolling-back';
  return {
    runId: d.runId,
    status: d.status,
    pauseReason: d.status === 'paused' ? d.pauseReason : null,
    detail: d.detail,
    steps: d.steps.map((s) => ({
      id: s.id,
      phase: s.phase,
      state: s.state,
      durationMs: s.durationMs,
      evidence: s.evidence,
      error: s.error,
    })),
    rollbacksOffered: d.rollbacksOffered,
    durationMs: ended ? d.durationMs : null,
  };
}
