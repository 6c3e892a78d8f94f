/**
 * The one contract between the core and every UI host (Electron IPC, HTTP + WebSocket).
 * Both hosts and the renderer's client are derived from these maps: add a method here and
 * every side gets it; never write a channel string on one side only.
 *
 * - `consoleApi`: method name → zod schema of its single argument. Hosts validate every call
 *   with it at the boundary; the result is always a `Result<T>` (errors as data).
 * - `ConsoleApi`: the typed signatures.
 * - `consoleEvents`: pushed event name → zod schema of its payload (validated by the client).
 */
import { z } from 'zod';
import type { Result } from '../result.ts';
import type {
  EnvironmentSnapshot,
  SeriesMetric,
  SeriesPoint,
  WorkspaceInfo,
} from '../status.ts';
import type { RunPlan } from '../runs/run-plan.ts';
import type { RunEvent, RunOutcome } from '../runs/run-event.ts';
import type { RunbookSummary, RunSummary, RunDetail, LockInfo } from '../runs/run-summary.ts';
import { SafetyOverrideSchema } from '../runs/safety-verdict.ts';

const envName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only');

export const seriesMetrics = ['replication-lag-bytes', 'replication-lag-seconds', 'probe-latency-ms'] as const;

/** Argument schemas, one per ConsoleApi method (strict: unknown keys are rejected). */
export const consoleApi = {
  getWorkspace: z.object({}).strict(),
  getSnapshot: z.object({ env: envName }).strict(),
  getSeries: z
    .object({
      env: envName,
      metric: z.enum(seriesMetrics),
      /** Series key: database node name for lag metrics, probe id for latency. */
      key: z.string().min(1).max(200),
      /** Window start, epoch ms. */
      sinceMs: z.number().int().nonnegative(),
      /** Downsample to at most this many points (min/max-preserving buckets). */
      maxPoints: z.number().int().min(2).max(5000).default(600),
    })
    .strict(),
  /** Runbooks found in the workspace's runbooks folder, validated. */
  listRunbooks: z.object({ env: envName }).strict(),
  /** Computes a plan from live state: per-step changes, exact commands, safety verdicts. */
  planRun: z.object({ env: envName, runbook: z.string().min(1).max(64) }).strict(),
  /**
   * Runs a plan. `confirmation` must equal the environment's name (typed by the operator);
   * `overrides` lift overridable refusals, each with a reason (audited). Resolves when the run
   * finishes or pauses; follow it live through `run` events.
   */
  executeRun: z
    .object({ planId: z.string().min(1).max(100), confirmation: z.string().max(64), overrides: z.array(SafetyOverrideSchema).max(20).default([]) })
    .strict(),
  resumeRun: z.object({ runId: z.string().min(1).max(100), overrides: z.array(SafetyOverrideSchema).max(20).default([]) }).strict(),
  approveStep: z.object({ runId: z.string().min(1).max(100), stepId: z.string().min(1).max(64) }).strict(),
  /** Stops after the current step; rollbacks are then offered (rollbackRun). */
  abortRun: z.object({ runId: z.string().min(1).max(100), reason: z.string().max(500).optional() }).strict(),
  rollbackRun: z.object({ runId: z.string().min(1).max(100) }).strict(),
  listRuns: z.object({ env: envName, limit: z.number().int().min(1).max(200).default(50) }).strict(),
  getRun: z.object({ runId: z.string().min(1).max(100) }).strict(),
  /** The environment's run lock (who holds it, whether it is stale). */
  getLock: z.object({ env: envName }).strict(),
  /** Breaks a stale lock deliberately; the reason goes into the audit log. */
  breakLock: z.object({ env: envName, reason: z.string().trim().min(10).max(500) }).strict(),
} as const;

export type ConsoleMethod = keyof typeof consoleApi;
export type ConsoleArgs<M extends ConsoleMethod> = z.input<(typeof consoleApi)[M]>;
export type ConsoleParsedArgs<M extends ConsoleMethod> = z.output<(typeof consoleApi)[M]>;

/** What each method resolves to. */
export interface ConsoleReturns {
  getWorkspace: WorkspaceInfo;
  getSnapshot: EnvironmentSnapshot;
  getSeries: { metric: SeriesMetric; key: string; points: SeriesPoint[] };
  listRunbooks: RunbookSummary[];
  planRun: RunPlan;
  executeRun: RunOutcome;
  resumeRun: RunOutcome;
  approveStep: RunOutcome;
  abortRun: { runId: string; abortRequested: true };
  rollbackRun: RunOutcome;
  listRuns: RunSummary[];
  getRun: RunDetail;
  getLock: LockInfo;
  breakLock: LockInfo;
}

/** The typed API every host exposes and every client calls. */
export type ConsoleApi = {
  [M in ConsoleMethod]: (args: ConsoleArgs<M>) => Promise<Result<ConsoleReturns[M]>>;
};

/** Pushed events: name → payload schema. Payloads are validated on receipt. */
export const consoleEvents = {
  /** A fresh snapshot of one environment (after each poll round), at most once per second. */
  snapshot: z.object({ env: z.string(), snapshot: z.custom<EnvironmentSnapshot>((v) => typeof v === 'object' && v !== null) }),
  /** New series points since the last event (appended to charts without re-fetching). */
  samples: z.object({
    env: z.string(),
    metric: z.enum(seriesMetrics),
    key: z.string(),
    points: z.array(z.object({ t: z.number(), v: z.number().nullable() })),
  }),
  /** One event of a run's live timeline (step started/log/progress/finished, paused, finished). */
  run: z.custom<RunEvent>((v) => typeof v === 'object' && v !== null && typeof (v as { type?: unknown }).type === 'string'),
} as const;

export type ConsoleEventName = keyof typeof consoleEvents;
export type ConsoleEventPayload<E extends ConsoleEventName> = z.infer<(typeof consoleEvents)[E]>;

/** Names of the methods, for hosts that bind them in a loop (IPC channels, WS dispatch). */
export const consoleMethodNames = Object.keys(consoleApi) as ConsoleMethod[];
export const consoleEventNames = Object.keys(consoleEvents) as ConsoleEventName[];

/** IPC channel for a method / event: derived, never hand-written. */
export const ipcChannel = (name: ConsoleMethod | ConsoleEventName): string => `standby:${name}`;

/** WebSocket wire messages (headless host). */
export const wsClientMessage = z
  .object({ id: z.number().int().nonnegative(), method: z.string(), args: z.unknown() })
  .strict();
export type WsClientMessage = z.infer<typeof wsClientMessage>;
export type WsServerMessage =
  | { type: 'result'; id: number; result: Result<unknown> }
  | { type: 'event'; name: ConsoleEventName; payload: unknown }
  | { type: 'error'; error: { kind: 'invalid-input'; message: string; hint?: string } };
