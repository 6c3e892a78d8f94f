/**
 * The runbooks' slice of the contract: runbooks, plans, runs and the per-environment lock, plus
 * the events that follow them (`run`, `run-recovery-measured`, `lock-changed`).
 *
 * The calls that start or continue a run (`executeRun`, `resumeRun`, `approveStep`,
 * `rollbackRun`) answer as soon as the run is under way — a run lasts minutes (TTL drains), far
 * longer than a client should hold a call open — with `{ runId }`. A refusal (nothing ran) is
 * the call's error. Where the run goes is told by `run` events: it stops at a `run-paused` or a
 * `run-finished` event; `getRun` reads the whole of it back at any time.
 */
import { z } from 'zod';
import type { RunPlan } from '../runs/run-plan.ts';
import { RunEventSchema } from '../runs/run-event.ts';
import {
  LockInfoSchema,
  MeasuredRecoverySchema,
  type LockInfo,
  type RunbookSummary,
  type RunDetail,
  type RunSummary,
} from '../runs/run-summary.ts';
import { SafetyOverrideSchema } from '../runs/safety-verdict.ts';
import type { ApiOf } from './api-of.ts';
import { envName } from './env-name.ts';

const runId = z.string().min(1).max(100);
const overrides = z.array(SafetyOverrideSchema).max(20).default([]);

/** Argument schemas of the run methods (strict: unknown keys are rejected). */
export const runsMethods = {
  /** Runbooks found in the workspace's runbooks folder, validated (an invalid one carries its error). */
  listRunbooks: z.object({ env: envName }).strict(),
  /** Computes a plan from live state: per-step changes, exact commands, safety verdicts. */
  planRun: z.object({ env: envName, runbook: z.string().min(1).max(64) }).strict(),
  /**
   * Starts a plan. `confirmation` must equal the environment's name (typed by the operator);
   * `overrides` lift overridable refusals, each with a reason (audited). Answers `{ runId }` as
   * soon as the run has started (its `run-started` event is already out); errors mean nothing
   * ran: `not-found`/`conflict` (plan unknown, used or too old; another run holds the lock),
   * `invalid-input` (confirmation, overrides), `unsafe-plan` (a verdict blocks).
   */
  executeRun: z.object({ planId: z.string().min(1).max(100), confirmation: z.string().max(64), overrides }).strict(),
  /**
   * Continues a paused or interrupted run (with more overrides, audited). Answers `{ runId }` once
   * it runs again; errors (`not-found`, `conflict`, `invalid-input`) mean it did not.
   */
  resumeRun: z.object({ runId, overrides }).strict(),
  /**
   * Approves the approval step the run is paused at; the run then continues. Answers
   * `{ runId }` once approved and running again; `conflict` (not waiting for that step) and
   * `auth` (two-person rule) mean nothing changed.
   */
  approveStep: z.object({ runId, stepId: z.string().min(1).max(64) }).strict(),
  /**
   * A paused or interrupted run ends `aborted` at once (lock released, audited); a run executing
   * (here or in another process) stops after its current step. Rollbacks are then offered
   * (rollbackRun). Answers at once.
   */
  abortRun: z.object({ runId, reason: z.string().max(500).optional() }).strict(),
  /**
   * Runs the offered rollbacks of an aborted, failed or paused run, last step first. Answers
   * `{ runId }` once they run; the `run-finished` event says `rolled-back` or `rollback-failed`.
   */
  rollbackRun: z.object({ runId }).strict(),
  listRuns: z.object({ env: envName, limit: z.number().int().min(1).max(200).default(50) }).strict(),
  getRun: z.object({ runId }).strict(),
  /** The environment's run lock (who holds it, whether it is stale). */
  getLock: z.object({ env: envName }).strict(),
  /** Breaks a stale lock deliberately; the reason goes into the audit log. */
  breakLock: z.object({ env: envName, reason: z.string().trim().min(10).max(500) }).strict(),
} as const;

/** A run call's answer: the run it started or continued; follow it through `run` events. */
export interface RunUnderWay {
  runId: string;
}

/** What each run method resolves to. */
export interface RunsReturns {
  listRunbooks: RunbookSummary[];
  planRun: RunPlan;
  executeRun: RunUnderWay;
  resumeRun: RunUnderWay;
  approveStep: RunUnderWay;
  abortRun: { runId: string; abortRequested: true };
  rollbackRun: RunUnderWay;
  listRuns: RunSummary[];
  getRun: RunDetail;
  getLock: LockInfo;
  breakLock: LockInfo;
}

/** The runs' part of `ConsoleApi` (built by electron/core/runbooks/runs-api.ts). */
export type RunsApi = ApiOf<typeof runsMethods, RunsReturns>;

/** Events of the runs: name → payload schema. */
export const runsEvents = {
  /** One event of a run's live timeline (run started, step started/log/progress/finished, paused, finished). */
  run: RunEventSchema,
  /**
   * A run's recovery time was measured (after its DNS move, often seconds after the run ended).
   * Not sent when the run moves no traffic or the new site was not reached in time.
   */
  'run-recovery-measured': z.object({ runId: z.string(), env: z.string(), recovery: MeasuredRecoverySchema }),
  /**
   * The lock of `env` was taken, paused, released or broken — by this console at once, by
   * another process on the same store (the CLI) or by going stale within a few seconds.
   */
  'lock-changed': z.object({ env: z.string(), lock: LockInfoSchema }),
} as const;
