/**
 * The interface every step kind (one file each in electron/core/runbooks/steps/) implements,
 * and the context the engine hands it. A step is plan → (isDone? skip) → act → verify:
 * - `plan` reads live state and says exactly what will change (never changes anything);
 * - `isDone` is the idempotence check: the engine calls it before every act attempt (first
 *   try, each retry, and after a crash), so `act` is never applied twice;
 * - `act` performs the change; it must honour `ctx.signal` (timeouts abort it);
 * - `verify` reads the real system back (never trusts what `act` returned).
 */
import type { z } from 'zod';
import type { Environment } from '../config/workspace-schema.ts';
import type {
  DbNodeService,
  DnsServices,
  HttpProbeService,
  NamedServices,
  SshExecService,
} from '../environment/environment-services.ts';
import type { SlotRouter } from '../traffic/slot-router.ts';
import type { StepPlan } from './step-plan.ts';

/**
 * The live services a step talks to: the parts of its environment's services
 * (environment/environment-services.ts) a step may use. Optional so a run target may carry only
 * what its steps need (engine tests carry none); a step takes one with `stepService(ctx, name)`
 * (step-services.ts), which fails cleanly when it is missing.
 */
export interface StepServices {
  /** Every DNS provider of the environment, plus authoritative queries. */
  readonly dns?: DnsServices;
  /** Database nodes by name: adapter and planned commands. */
  readonly replication?: NamedServices<DbNodeService>;
  /** Slot router per site. */
  readonly routers?: NamedServices<SlotRouter>;
  /** Commands on a site's host through the shared SSH pool. */
  readonly ssh?: SshExecService;
  /** HTTP health probes for gates. */
  readonly health?: HttpProbeService;
}

/** Per-step log lines; each line is written to the run journal (step_logs) and pushed live. */
export interface StepLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export type { StepProgress } from '../../../shared/runs/step-progress.ts';
import type { StepProgress } from '../../../shared/runs/step-progress.ts';

/** Everything a step may use. One context per step execution (and per plan computation). */
export interface StepContext {
  /** The environment from the workspace (sites, records, providers, databases). */
  env: Environment;
  services: StepServices;
  /** Aborted on timeout (per attempt) or when the engine shuts down: stop promptly. */
  signal: AbortSignal;
  /** Writes to the journal; during planning lines go to the plan's notes instead. */
  log: StepLogger;
  /** Wall clock, epoch ms (injectable for tests). */
  now(): number;
  /** Sleeps `ms`, rejecting when `signal` aborts (use for waits so timeouts and tests work). */
  sleep(ms: number): Promise<void>;
  /** Run id; null while planning. */
  runId: string | null;
  stepId: string;
  /**
   * This step's own state in this run (and phase), by key: what it must still know when the
   * process dies mid-step and the run is resumed elsewhere (e.g. a drain deadline). `set`
   * writes the run journal before it returns, so a kill right after it keeps the value; values
   * are JSON (`undefined` deletes the key), and `get` returns what was set, unchecked — validate
   * it. While planning (`runId` null) the state lives in memory and is dropped with the plan.
   */
  state: { get<T>(key: string): T | undefined; set(key: string, value: unknown): void };
}

/** Result of an idempotence check or a verification: a verdict plus what was observed. */
export interface Evidence {
  /** Observed facts in words, e.g. `ns1 127.0.0.1:15353 serves 127.0.0.3 (TTL 5)`. */
  evidence: string;
}

/**
 * A name in a step's params that must exist in the environment the runbook runs in. `path` is
 * where the name sits inside `params` (e.g. `['node']`), so a wrong name is reported at its line.
 */
export type StepReference = { name: string; path: (string | number)[] } & (
  | { kind: 'site' | 'node' | 'record' | 'provider' }
  /** A slot of `site` (a slot name only means something on its site). */
  | { kind: 'slot'; site: string }
);

/**
 * A step kind. `P` is the parsed params type (`z.output` of `params`). Methods use method
 * syntax on purpose: it lets a `StepKind<{…}>` be registered where `StepKind<unknown>` is
 * expected (parameter bivariance), since the registry validates params before any call.
 *
 * Errors: throw (ideally a StepError, electron/core/runbooks/step-error.ts). Whether the
 * engine retries and then pauses, or fails the run, depends on the error being retryable.
 */
export interface StepKind<P = unknown> {
  /** Kind name used in runbook YAML, e.g. `dns.set-records`. */
  readonly kind: string;
  /** Params schema (strict objects, please): validated when the runbook loads. */
  readonly params: z.ZodType<P>;
  /** Act/verify time bound when the runbook gives no `timeoutMs`, ms. Engine default 120,000. */
  readonly defaultTimeoutMs?: number;
  /**
   * Approval gate: the engine pauses the run at this step until `approve()` is called, then
   * marks it verified with the approver as evidence (act/verify are not called).
   */
  readonly requiresApproval?: boolean;
  /**
   * The sites, database nodes, records, providers and slots `params` name. The runbook loader
   * checks each against the workspace (`standby validate`, the runbook list) so a misspelled
   * name is a located issue before any plan. Omit when the kind names none.
   */
  references?(params: P): StepReference[];
  /** One line for the plan and timeline, e.g. `Point app.lab.test at failover (127.0.0.3)`. */
  describe(params: P): string;
  /** Reads live state and says what will change. Must not change anything. */
  plan(ctx: StepContext, params: P): Promise<StepPlan>;
  /** Idempotence check: is the effect already in place? */
  isDone(ctx: StepContext, params: P): Promise<Evidence & { done: boolean }>;
  /** Performs the change. `progress` feeds the live timeline. */
  act(ctx: StepContext, params: P, progress: (p: StepProgress) => void): Promise<void>;
  /** Reads the real system back. */
  verify(ctx: StepContext, params: P): Promise<Evidence & { ok: boolean }>;
  /**
   * Undoes a verified step when the runbook gives no explicit `rollback` for it. Gets the plan
   * recorded just before the step acted (its `changes[].before` is the state to restore). Must
   * verify what it restored and say so.
   */
  rollback?(ctx: StepContext, params: P, recorded: StepPlan): Promise<Evidence & { ok: boolean }>;
}
