/**
 * Run history, run detail, runbook list and lock state as the console shows them. Times are
 * epoch ms, durations ms.
 */
import type { OpError } from '../result.ts';
import type { RunbookKind } from './runbook-schema.ts';
import type { PauseReason, RunStatus, StepPhase, StepState } from './run-event.ts';
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
export type RecoveryFrom = 'run-start' | 'first-failed-probe';

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
export interface LockInfo {
  env: string;
  held: boolean;
  runId: string | null;
  holder: string | null;
  since: number | null;
  /** Held by a process that is gone, or without a heartbeat for too long: may be broken. */
  stale: boolean;
  staleReason: string | null;
}
