/**
 * The runbook engine: plan → confirm (type the environment name) → run, step by step, with the
 * journal written before and after each step, one run per environment, every action audited.
 *
 * Lifecycle of a run (RunStatus): running → (paused ⇄ running)* → succeeded | failed | aborted,
 * then optionally rolling-back → rolled-back | rollback-failed.
 * - A step refused by a safety rule pauses the run (`safety`): fix the cause, or resume with an
 *   override (overridable verdicts only).
 * - A step failing with a retryable or resumable error (after its retries: auth, unreachable,
 *   timeout, conflict — resumable-error.ts) pauses the run (`step-failed`); any other fails it.
 * - Right before the first irreversible step still to run (fence, promote, DNS write), the
 *   readiness rules (readiness-rules.ts) are judged again; a refusal pauses the run (`safety`). With `onFailure: rollback` both run the rollbacks at once.
 * - A `continueOnError` step that fails lets the run go on (later steps' safety rules see it as
 *   failed); the run then ends `failed`, naming it and the overrides used, and a resume tries it
 *   again.
 * - Approval steps pause the run (`approval`) until `approve()`.
 * - `abort()` stops after the current step; `rollbackRun()` then undoes verified steps in
 *   reverse order (never a step that was skipped as already done: we did not make that change).
 * - After a crash, `resumeRun()`: verified/skipped steps are never executed again; the
 *   interrupted step's `isDone` decides whether to act.
 *
 * Every method resolves to a Result (errors as data, shared/result.ts) once the run pauses or
 * ends; progress is pushed through `onEvent` meanwhile. The `start…` twins (startRun,
 * startResume, startApprove, startRollback) resolve as soon as the run is under way, with the
 * promise of where it stops: what a host needs to answer a call at once.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { fail, ok, type Result } from '../../../shared/result.ts';
import type { AuditLog } from './audit-log.ts';
import type { EnvLock, EnvLockInfo } from './env-lock.ts';
import { executeStep, type RunTarget, type StepResult, type StepSpec } from './execute-step.ts';
import type { RunEvent, RunOutcome, RunStatus } from './run-event.ts';
import type { RunJournal, RunRecord } from './run-journal.ts';
import type { RunPlan } from './run-plan.ts';
import type { Runbook, RunbookStep } from './runbook-schema.ts';
import { planRunbook } from './plan-runbook.ts';
import { isIrreversible, judgeReadiness } from './readiness-rules.ts';
import { pausesRun } from './resumable-error.ts';
import { lockHint, lockedMessage, unverifiedDetail } from './run-messages.ts';
import { outcomeOf, rollbacksOffered } from './run-outcome.ts';
import {
  SafetyOverrideSchema,
  applyOverrides,
  formatVerdicts,
  type SafetyOverride,
  type SafetyStep,
  type SafetyVerdict,
} from './safety-rules.ts';
import type { StepRegistry } from './step-registry.ts';
import type { StepEffect } from './step-plan.ts';

/** The live environment a run acts on (env, services, fresh snapshot). */
export type { RunTarget } from './execute-step.ts';

/** Dependencies and settings of the engine. Times in ms. */
export interface RunEngineOptions {
  registry: StepRegistry;
  journal: RunJournal;
  locks: EnvLock;
  audit: AuditLog;
  /** The live environment named `env`, or undefined when the workspace has none. */
  target(env: string): RunTarget | undefined;
  /** Default actor for audit entries, e.g. `alice@ops-laptop`. */
  actor: string;
  /** Every event of every run (the core forwards them to ConsoleEvents). */
  onEvent?: (e: RunEvent) => void;
  now?: () => number;
  /** Step bound when neither the runbook nor the kind gives one. Default 120,000. */
  defaultTimeoutMs?: number;
  /** Bound on one step's plan computation. Default 15,000. */
  planTimeoutMs?: number;
  /** Lock heartbeat interval while a run executes. Default 10,000. */
  heartbeatMs?: number;
  /** Wait for a timed-out act to stop before retrying. Default 5,000. */
  graceMs?: number;
  /** Two-person rule: the approver must differ from the actor who started the run. Default false. */
  distinctApprover?: boolean;
  /** A plan older than this is refused by executeRun (plan again: live state moved on). Default 600,000. */
  planMaxAgeMs?: number;
}

/** Options of {@link RunEngine.executeRun}. */
export interface ExecuteOptions {
  /** Must equal the plan's environment name exactly (typed by the operator). */
  confirmedEnvName: string;
  /** Typed overrides of overridable verdicts (reason ≥ 10 chars); audited. */
  overrides?: SafetyOverride[];
  onEvent?: (e: RunEvent) => void;
  actor?: string;
}

/** Options of resume, approve and rollback. */
export interface ContinueOptions {
  /** Additional overrides (audited), e.g. to get past a safety pause. */
  overrides?: SafetyOverride[];
  onEvent?: (e: RunEvent) => void;
  actor?: string;
}

/**
 * A run under way: its id, and `stopped`, which resolves when the run pauses or ends (never
 * rejects: an unexpected error becomes an `internal` Result, the run paused where it was).
 */
export interface RunStarted {
  runId: string;
  stopped: Promise<Result<RunOutcome>>;
}

const overridesSchema = z.array(SafetyOverrideSchema);
const defaultRetry = { attempts: 1, backoffMs: 0 };

/** Plans, executes, resumes, approves, aborts and rolls back runs (see the file comment). */
export class RunEngine {
  readonly #o: RunEngineOptions;
  readonly #now: () => number;
  /** Runs this process is driving right now. */
  readonly #active = new Set<string>();
  /** Plans made here and not yet executed, by planId (executeRun never trusts a caller's copy). */
  readonly #plans = new Map<string, RunPlan>();

  constructor(options: RunEngineOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Plans `runbook` on environment `env`: each step's plan from live state, then every safety
   * rule's verdict. Changes nothing.
   * @returns `not-found` (no such environment), `invalid-input` (a step kind is not registered),
   *          `unreachable` (the environment cannot be observed); a step whose plan fails is not
   *          an error: it carries `planError` and an `unknown` verdict.
   */
  async planRun(runbook: Runbook, env: string): Promise<Result<RunPlan>> {
    const target = this.#o.target(env);
    if (!target)
      return fail('not-found', `no environment named "${env}"`, 'use an environment of the workspace', 'env');
    const r = await planRunbook(runbook, target, {
      registry: this.#o.registry,
      now: this.#now,
      planTimeoutMs: this.#o.planTimeoutMs ?? 15_000,
      defaultTimeoutMs: this.#o.defaultTimeoutMs ?? 120_000,
    });
    if (r.ok) {
      this.#plans.set(r.value.planId, structuredClone(r.value));
      // Bounded: only the newest plans can be executed.
      for (const id of [...this.#plans.keys()].slice(0, Math.max(0, this.#plans.size - 50))) this.#plans.delete(id);
    }
    return r;
  }

  /**
   * Executes a confirmed plan (the engine's own copy of the plan with `planId`; each plan runs
   * at most once). Refuses (nothing runs) when the plan is unknown, already used or older than
   * `planMaxAgeMs` (`not-found` / `conflict`), the confirmation differs from the environment name
   * (`invalid-input`), an override is malformed (`invalid-input`), a verdict of the plan blocks
   * and is not overridden (`unsafe-plan`, naming rule and evidence), or another run holds the
   * environment (`conflict`, naming the holder and whether its lock is stale).
   * @returns the outcome once the run ends or pauses.
   */
  async executeRun(planRef: Pick<RunPlan, 'planId'>, options: ExecuteOptions): Promise<Result<RunOutcome>> {
    return untilStopped(this.startRun(planRef, options));
  }

  /**
   * {@link executeRun}, answering once the run is under way (its `run-started` event emitted):
   * the same refusals, else the run id and the promise of where it stops.
   */
  async startRun(planRef: Pick<RunPlan, 'planId'>, options: ExecuteOptions): Promise<Result<RunStarted>> {
    const plan = this.#plans.get(planRef.planId);
    if (!plan)
      return fail('not-found', 'this plan is unknown, expired or already executed', 'plan the runbook again', 'planId');
    const ageMs = this.#now() - plan.createdAt;
    const maxAgeMs = this.#o.planMaxAgeMs ?? 600_000;
    if (ageMs > maxAgeMs) {
      this.#plans.delete(plan.planId);
      return fail(
        'conflict',
        `the plan is ${Math.round(ageMs / 1000)} s old (limit ${Math.round(maxAgeMs / 1000)} s): live state may have changed`,
        'plan the runbook again',
        'planId',
      );
    }
    if (options.confirmedEnvName !== plan.env) {
      return fail(
        'invalid-input',
        `the confirmation "${options.confirmedEnvName}" does not match the environment name "${plan.env}"`,
        'type the environment name exactly to confirm the run',
        'confirmedEnvName',
      );
    }
    const parsed = overridesSchema.safeParse(options.overrides ?? []);
    if (!parsed.success)
      return fail(
        'invalid-input',
        `invalid override: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        'an override is { rule, reason (≥ 10 characters), stepId? }',
        'overrides',
      );
    const overrides = parsed.data;
    const target = this.#o.target(plan.env);
    if (!target) return fail('not-found', `no environment named "${plan.env}"`, undefined, 'env');
    for (const s of plan.runbook.steps)
      if (!this.#o.registry.get(s.kind))
        return fail('invalid-input', `step ${s.id}: unknown step kind "${s.kind}"`, undefined, s.id);
    const { blocking } = applyOverrides(plan.verdicts, overrides);
    if (blocking.length > 0) {
      return fail(
        'unsafe-plan',
        `the plan is refused:\n${formatVerdicts(blocking)}`,
        'fix the cause and plan again; an overridable verdict can be overridden with { rule, reason }',
        blocking[0]!.stepId,
      );
    }
    const runId = randomUUID();
    const lock = this.#o.locks.acquire(plan.env, runId);
    if (!lock.ok) return fail('conflict', lockedMessage(plan.env, lock.holder), lockHint(lock.holder), plan.env);
    this.#plans.delete(plan.planId);
    const actor = options.actor ?? this.#o.actor;
    try {
      // Audit first: a refused append (damaged log) must not leave a journal row `running` forever.
      this.#o.audit.append({
        actor,
        action: 'run.start',
        details: {
          runId,
          env: plan.env,
          runbook: plan.runbook.name,
          kind: plan.runbook.kind,
          confirmedEnvName: options.confirmedEnvName,
          steps: plan.steps.map((s) => s.id),
          planVerdicts: plan.verdicts.filter((v) => v.verdict !== 'pass'),
        },
      });
      this.#o.journal.createRun({
        id: runId,
        env: plan.env,
        runbook: plan.runbook,
        plan,
        actor,
        overrides,
        createdAt: this.#now(),
      });
      for (const o of overrides)
        this.#o.audit.append({
          actor,
          action: 'safety.override',
          details: { runId, rule: o.rule, stepId: o.stepId ?? null, reason: o.reason },
        });
    } catch (e) {
      this.#o.locks.release(plan.env, runId);
      throw e;
    }
    return ok(this.#underWay(runId, this.#drive(runId, target, actor, options.onEvent, false)));
  }

  /**
   * Continues a paused or interrupted run (status `running` after a crash, or `paused`).
   * Completed steps are never executed again; the interrupted step's isDone decides.
   * @returns `not-found`, `conflict` (run ended, runs in this process, or another run holds the
   *          environment), `invalid-input` (bad overrides); else the outcome.
   */
  async resumeRun(runId: string, options: ContinueOptions = {}): Promise<Result<RunOutcome>> {
    return untilStopped(this.startResume(runId, options));
  }

  /** {@link resumeRun}, answering once the run runs again (same refusals). */
  async startResume(runId: string, options: ContinueOptions = {}): Promise<Result<RunStarted>> {
    const run = this.#o.journal.getRun(runId);
    if (!run) return fail('not-found', `no run ${runId}`, undefined, runId);
    if (run.status !== 'running' && run.status !== 'paused')
      return fail(
        'conflict',
        `run ${runId} is ${run.status}; only a paused or interrupted run can resume`,
        run.status === 'aborted' || run.status === 'failed' ? 'roll it back, or plan a new run' : undefined,
        runId,
      );
    return this.#continue(run, options, 'run.resume', (target, actor) =>
      this.#drive(runId, target, actor, options.onEvent, true),
    );
  }

  /**
   * Approves an approval step the run is paused at, then continues the run.
   * @returns `conflict` when the run is not waiting for that step, `auth` when the two-person
   *          rule is on and `by` started the run; else the outcome of the continued run.
   */
  async approve(
    runId: string,
    stepId: string,
    by: string,
    options: Omit<ContinueOptions, 'actor'> = {},
  ): Promise<Result<RunOutcome>> {
    return untilStopped(this.startApprove(runId, stepId, by, options));
  }

  /** {@link approve}, answering once the approved run runs again (same refusals). */
  async startApprove(
    runId: string,
    stepId: string,
    by: string,
    options: Omit<ContinueOptions, 'actor'> = {},
  ): Promise<Result<RunStarted>> {
    const run = this.#o.journal.getRun(runId);
    if (!run) return fail('not-found', `no run ${runId}`, undefined, runId);
    const step = this.#o.journal.step(runId, 'run', stepId);
    if (run.status !== 'paused' || step?.state !== 'awaiting-approval')
      return fail('conflict', `run ${runId} is not waiting for an approval of step "${stepId}"`, undefined, stepId);
    if (this.#o.distinctApprover && by === run.actor)
      return fail(
        'auth',
        `${by} started this run and cannot also approve it`,
        'a second person must approve (two-person rule)',
        stepId,
      );
    this.#o.journal.updateStep(runId, 'run', stepId, { approvedBy: by, approvedAt: this.#now() });
    this.#o.audit.append({ actor: by, action: 'step.approve', details: { runId, stepId } });
    return this.startResume(runId, { ...options, actor: by });
  }

  /**
   * Aborts a run: a run executing in some process stops after its current step (that process
   * ends it `aborted`); a paused or interrupted run ends `aborted` at once. Rollbacks are then
   * offered (`rollbacksOffered`), never run implicitly.
   */
  async abort(
    runId: string,
    by: string,
    reason = '',
  ): Promise<Result<{ runId: string; status: RunStatus; immediate: boolean; rollbacksOffered: string[] }>> {
    const run = this.#o.journal.getRun(runId);
    if (!run) return fail('not-found', `no run ${runId}`, undefined, runId);
    if (run.status !== 'running' && run.status !== 'paused')
      return fail('conflict', `run ${runId} is already ${run.status}`, undefined, runId);
    this.#o.journal.requestAbort(runId);
    this.#o.audit.append({ actor: by, action: 'run.abort', details: { runId, reason } });
    const lock = this.#o.locks.inspect(run.env);
    const executing = this.#active.has(runId) || (lock?.runId === runId && lock.state === 'active' && !lock.stale);
    if (executing) return ok({ runId, status: run.status, immediate: false, rollbacksOffered: [] });
    this.#finish(runId, run.env, 'aborted', `aborted by ${by}${reason ? `: ${reason}` : ''}`, by, this.#emitter());
    return ok({
      runId,
      status: 'aborted',
      immediate: true,
      rollbacksOffered: rollbacksOffered(this.#o.journal, this.#o.registry, this.#o.journal.getRun(runId)!),
    });
  }

  /**
   * Runs the offered rollbacks of an aborted, failed or paused run (or resumes a rollback that
   * stopped), last step first; each is planned, safety-checked, done and verified like a step.
   * @returns the outcome: `rolled-back`, or `rollback-failed` (call again to retry what remains).
   */
  async rollbackRun(runId: string, options: ContinueOptions = {}): Promise<Result<RunOutcome>> {
    return untilStopped(this.startRollback(runId, options));
  }

  /** {@link rollbackRun}, answering once the rollbacks run (same refusals). */
  async startRollback(runId: string, options: ContinueOptions = {}): Promise<Result<RunStarted>> {
    const run = this.#o.journal.getRun(runId);
    if (!run) return fail('not-found', `no run ${runId}`, undefined, runId);
    if (!['aborted', 'failed', 'paused', 'rolling-back', 'rollback-failed', 'running'].includes(run.status))
      return fail('conflict', `run ${runId} is ${run.status}: nothing to roll back`, undefined, runId);
    return this.#continue(run, options, 'run.rollback', (target, actor) =>
      this.#rollback(runId, target, actor, options.onEvent),
    );
  }

  /** Runs that need attention: paused, or `running` without a live process (interrupted). */
  interruptedRuns(): { run: RunRecord; lock: EnvLockInfo | null }[] {
    return this.#o.journal
      .listRuns({ status: ['running', 'paused', 'rolling-back'], limit: 100 })
      .map((run) => ({ run, lock: this.#o.locks.inspect(run.env) }))
      .filter(
        ({ run, lock }) =>
          !this.#active.has(run.id) && (run.status !== 'running' || !lock || lock.runId !== run.id || lock.stale),
      );
  }

  /** The outcome of a run as stored (for the run history and the UI after a restart). */
  outcome(runId: string): RunOutcome | null {
    const run = this.#o.journal.getRun(runId);
    return run ? outcomeOf(this.#o.journal, this.#o.registry, run) : null;
  }

  async #continue(
    run: RunRecord,
    options: ContinueOptions,
    action: string,
    go: (target: RunTarget, actor: string) => Promise<Result<RunOutcome>>,
  ): Promise<Result<RunStarted>> {
    if (this.#active.has(run.id))
      return fail('conflict', `run ${run.id} is already executing in this process`, undefined, run.id);
    const parsed = overridesSchema.safeParse(options.overrides ?? []);
    if (!parsed.success)
      return fail(
        'invalid-input',
        `invalid override: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
        'an override is { rule, reason (≥ 10 characters), stepId? }',
        'overrides',
      );
    const target = this.#o.target(run.env);
    if (!target) return fail('not-found', `no environment named "${run.env}"`, undefined, 'env');
    const lock = this.#o.locks.acquire(run.env, run.id);
    if (!lock.ok) return fail('conflict', lockedMessage(run.env, lock.holder), lockHint(lock.holder), run.env);
    const actor = options.actor ?? this.#o.actor;
    try {
      this.#o.journal.addOverrides(run.id, parsed.data);
      this.#o.audit.append({
        actor,
        action,
        details: {
          runId: run.id,
          env: run.env,
          status: run.status,
          tookOverLock: lock.tookOver
            ? {
                pid: lock.tookOver.holderPid,
                host: lock.tookOver.holderHost,
                state: lock.tookOver.state,
                stale: lock.tookOver.staleReason,
              }
            : null,
        },
      });
      for (const o of parsed.data)
        this.#o.audit.append({
          actor,
          action: 'safety.override',
          details: { runId: run.id, rule: o.rule, stepId: o.stepId ?? null, reason: o.reason },
        });
    } catch (e) {
      // Nothing ran: hand the lock back as it was taken (held for this run, no live process).
      this.#o.locks.pause(run.env, run.id);
      throw e;
    }
    return ok(this.#underWay(run.id, go(target, actor)));
  }

  #underWay(runId: string, stopped: Promise<Result<RunOutcome>>): RunStarted {
    return {
      runId,
      // #guarded turns step and journal errors into a paused run; this catches the rest, so a
      // caller that answered at once never leaves a rejection unhandled
      stopped: stopped.catch((e: unknown) =>
        fail(
          'internal',
          `run ${runId} stopped unexpectedly: ${(e as Error).message}`,
          'resume the run, or roll it back',
          runId,
        ),
      ),
    };
  }

  /** Runs the steps from the first not completed one until the run pauses or ends. */
  async #drive(
    runId: string,
    target: RunTarget,
    actor: string,
    onEvent: ((e: RunEvent) => void) | undefined,
    resumed: boolean,
  ): Promise<Result<RunOutcome>> {
    const j = this.#o.journal;
    const emit = this.#emitter(onEvent);
    const run = j.getRun(runId)!;
    const stopBeat = this.#beat(run.env, runId);
    try {
      return await this.#guarded(runId, run.env, 'paused', emit, () =>
        this.#driveSteps(runId, run, target, actor, onEvent, emit, resumed),
      );
    } finally {
      stopBeat();
    }
  }

  async #driveSteps(
    runId: string,
    run: RunRecord,
    target: RunTarget,
    actor: string,
    onEvent: ((e: RunEvent) => void) | undefined,
    emit: (e: RunEvent) => void,
    resumed: boolean,
  ): Promise<Result<RunOutcome>> {
    const j = this.#o.journal;
    j.setRunStatus(runId, 'running');
    emit({
      type: 'run-started',
      runId,
      env: run.env,
      runbook: run.runbook.name,
      at: this.#now(),
      resumed,
      phase: 'run',
      steps: run.plan.steps.map((s) => ({ id: s.id, kind: s.kind, title: s.title })),
    });
    let preflightDone = false;
    for (const step of run.runbook.steps) {
      const rec = j.step(runId, 'run', step.id)!;
      if (rec.state === 'verified' || rec.state === 'skipped') continue;
      // A failed step — best-effort (continueOnError) or not — is tried again when the run
      // resumes, and its isDone decides: the cause may be gone by now (the old primary's site
      // is back and can be fenced).
      if (j.getRun(runId)!.abortRequested)
        return this.#end(runId, run.env, 'aborted', `aborted before step ${step.id}`, actor, emit);
      const kind = this.#o.registry.get(step.kind)!;
      if (kind.requiresApproval) {
        if (!rec.approvedBy) {
          j.updateStep(runId, 'run', step.id, { state: 'awaiting-approval' });
          return this.#pause(
            runId,
            run.env,
            'approval',
            step.id,
            `waiting for an approval of step ${step.id}`,
            [],
            actor,
            emit,
          );
        }
        const at = this.#now();
        const evidence = `approved by ${rec.approvedBy} at ${new Date(rec.approvedAt ?? at).toISOString()}`;
        j.updateStep(runId, 'run', step.id, {
          state: 'verified',
          evidence,
          startedAt: rec.startedAt ?? at,
          finishedAt: at,
          durationMs: 0,
        });
        emit({
          type: 'step-finished',
          runId,
          phase: 'run',
          stepId: step.id,
          at,
          state: 'verified',
          durationMs: 0,
          evidence,
          error: null,
          attempts: 0,
        });
        continue;
      }
      const overrides = j.getRun(runId)!.overrides;
      if (!preflightDone && isIrreversible(step.kind)) {
        // Once per drive (so again on every resume), right before the first irreversible step
        // still to run: everything the remaining steps need must answer now.
        preflightDone = true;
        const refused = await this.#preflight(runId, run, target, actor, overrides, step.id, emit);
        if (refused.length > 0)
          return this.#pause(
            runId,
            run.env,
            'safety',
            step.id,
            `readiness refused before step ${step.id} (${step.kind}):\n${formatVerdicts(refused)}`,
            refused,
            actor,
            emit,
          );
      }
      const result = await executeStep(
        this.#spec('run', step, kind),
        this.#stepDeps(runId, target, actor, overrides, emit, step.id),
      );
      if (result.state === 'refused') {
        return this.#pause(
          runId,
          run.env,
          'safety',
          step.id,
          `step ${step.id} refused:\n${formatVerdicts(result.verdicts)}`,
          result.verdicts,
          actor,
          emit,
        );
      }
      if (result.state === 'failed' && !step.continueOnError)
        return this.#stepFailed(runId, run, step.id, result, target, actor, onEvent, emit);
    }
    const unverified = j.steps(runId, 'run').filter((r) => r.state === 'failed');
    if (unverified.length > 0)
      return this.#end(runId, run.env, 'failed', unverifiedDetail(unverified, j.getRun(runId)!.overrides), actor, emit);
    return this.#end(runId, run.env, 'succeeded', null, actor, emit);
  }

  /**
   * Runs `fn`; if the journal, lock or audit log cannot be written (disk full, damaged audit
   * file), the run stops where it is, marked `status` (resumable), and the error is returned.
   */
  async #guarded(
    runId: string,
    env: string,
    status: 'paused' | 'rollback-failed',
    emit: (e: RunEvent) => void,
    fn: () => Promise<Result<RunOutcome>>,
  ): Promise<Result<RunOutcome>> {
    try {
      return await fn();
    } catch (e) {
      const detail = `internal error, the run stopped where it was: ${(e as Error).message}`;
      try {
        this.#o.journal.setRunStatus(
          runId,
          status,
          status === 'paused' ? { pauseReason: 'step-failed', detail } : { detail },
        );
        this.#o.locks.pause(env, runId);
      } catch {}
      if (status === 'paused')
        emit({ type: 'run-paused', runId, at: this.#now(), reason: 'step-failed', stepId: '', detail, verdicts: [] });
      else
        emit({ type: 'run-finished', runId, at: this.#now(), status, durationMs: null, detail, rollbacksOffered: [] });
      return fail(
        'internal',
        detail,
        'fix the cause (disk space, the audit log: `standby audit verify`), then resume or roll back the run',
        runId,
      );
    }
  }

  async #stepFailed(
    runId: string,
    run: RunRecord,
    stepId: string,
    result: Extract<StepResult, { state: 'failed' }>,
    target: RunTarget,
    actor: string,
    onEvent: ((e: RunEvent) => void) | undefined,
    emit: (e: RunEvent) => void,
  ): Promise<Result<RunOutcome>> {
    const detail = `step ${stepId} failed: ${result.error.message}`;
    if (run.runbook.onFailure === 'rollback') {
      this.#o.audit.append({
        actor,
        action: 'run.auto-rollback',
        details: { runId, stepId, error: { ...result.error } },
      });
      return this.#rollback(runId, target, actor, onEvent, `${detail}; `);
    }
    if (pausesRun(result.error, result.retryable))
      return this.#pause(
        runId,
        run.env,
        'step-failed',
        stepId,
        `${detail} (${result.retryable ? 'retryable' : result.error.kind}: resume when the cause is fixed, or abort and roll back)`,
        [],
        actor,
        emit,
      );
    return this.#end(runId, run.env, 'failed', detail, actor, emit);
  }

  /**
   * Readiness rules (readiness-rules.ts) over the steps not yet done, from `stepId` on, with a
   * fresh snapshot. Logs each verdict on the step, audits each override used.
   * @returns the verdicts that block (refused and not overridden).
   */
  async #preflight(
    runId: string,
    run: RunRecord,
    target: RunTarget,
    actor: string,
    overrides: SafetyOverride[],
    stepId: string,
    emit: (e: RunEvent) => void,
  ): Promise<SafetyVerdict[]> {
    const j = this.#o.journal;
    const from = run.runbook.steps.findIndex((s) => s.id === stepId);
    const remaining = run.runbook.steps.slice(from).filter((s) => {
      const st = j.step(runId, 'run', s.id)?.state;
      return st !== 'verified' && st !== 'skipped';
    });
    let verdicts: SafetyVerdict[];
    try {
      verdicts = await judgeReadiness({
        env: target.env,
        services: target.services,
        snapshot: await target.snapshot(),
        steps: remaining.map((s) => ({ id: s.id, kind: this.#o.registry.get(s.kind)!, params: s.params })),
        timeoutMs: Math.min(this.#o.planTimeoutMs ?? 15_000, 5_000),
      });
    } catch (e) {
      verdicts = [
        {
          rule: 'hosts-reachable',
          stepId,
          verdict: 'unknown',
          evidence: `cannot observe the environment: ${(e as Error).message}`,
          overridable: true,
        },
      ];
    }
    const { blocking, overridden } = applyOverrides(verdicts, overrides);
    const at = this.#now();
    for (const v of verdicts) {
      const message = `readiness ${v.rule} (${v.stepId}): ${v.verdict} — ${v.evidence}`;
      const level = v.verdict === 'pass' ? 'info' : 'warn';
      j.appendLog(runId, 'run', stepId, { t: at, level, message });
      emit({ type: 'step-log', runId, phase: 'run', stepId, at, level, message });
    }
    for (const o of overridden)
      this.#o.audit.append({
        actor,
        action: 'safety.override-applied',
        details: {
          runId,
          stepId: o.verdict.stepId,
          rule: o.verdict.rule,
          verdict: o.verdict.verdict,
          evidence: o.verdict.evidence,
          reason: o.override.reason,
        },
      });
    return blocking;
  }

  async #rollback(
    runId: string,
    target: RunTarget,
    actor: string,
    onEvent: ((e: RunEvent) => void) | undefined,
    why = '',
  ): Promise<Result<RunOutcome>> {
    const j = this.#o.journal;
    const emit = this.#emitter(onEvent);
    const run = j.getRun(runId)!;
    const stopBeat = this.#beat(run.env, runId);
    try {
      return await this.#guarded(runId, run.env, 'rollback-failed', emit, () =>
        this.#rollbackSteps(runId, run, target, actor, emit, why),
      );
    } finally {
      stopBeat();
    }
  }

  async #rollbackSteps(
    runId: string,
    run: RunRecord,
    target: RunTarget,
    actor: string,
    emit: (e: RunEvent) => void,
    why: string,
  ): Promise<Result<RunOutcome>> {
    const j = this.#o.journal;
    const ids = rollbacksOffered(this.#o.journal, this.#o.registry, run, true);
    j.setRunStatus(runId, 'rolling-back');
    emit({
      type: 'run-started',
      runId,
      env: run.env,
      runbook: run.runbook.name,
      at: this.#now(),
      resumed: true,
      phase: 'rollback',
      steps: ids.map((id) => ({ id, kind: run.runbook.steps.find((s) => s.id === id)!.kind, title: `undo ${id}` })),
    });
    for (const [n, id] of ids.entries()) {
      const step = run.runbook.steps.find((s) => s.id === id)!;
      const rb = step.rollback;
      const kind = this.#o.registry.get(rb ? rb.kind : step.kind)!;
      j.ensureStep(runId, 'rollback', n, id, kind.kind);
      const rec = j.step(runId, 'rollback', id)!;
      if (rec.state === 'verified' || rec.state === 'skipped') continue;
      const recorded = j.step(runId, 'run', id)!.plan ?? {
        changes: [],
        commands: [],
        alreadyDone: false,
        notes: [],
        effects: [],
      };
      const spec: StepSpec = rb
        ? {
            phase: 'rollback',
            id,
            kind,
            params: rb.params,
            timeoutMs: step.timeoutMs ?? kind.defaultTimeoutMs ?? this.#defaultTimeout(),
            retry: step.retry ?? defaultRetry,
          }
        : {
            phase: 'rollback',
            id,
            kind,
            params: step.params,
            timeoutMs: step.timeoutMs ?? kind.defaultTimeoutMs ?? this.#defaultTimeout(),
            retry: defaultRetry,
            rollbackOf: recorded,
          };
      const result = await executeStep(
        spec,
        this.#stepDeps(runId, target, actor, j.getRun(runId)!.overrides, emit, id, 'rollback'),
      );
      if (result.state === 'refused')
        return this.#end(
          runId,
          run.env,
          'rollback-failed',
          `${why}rollback of ${id} refused:\n${formatVerdicts(result.verdicts)}`,
          actor,
          emit,
        );
      if (result.state === 'failed')
        return this.#end(
          runId,
          run.env,
          'rollback-failed',
          `${why}rollback of ${id} failed: ${result.error.message}`,
          actor,
          emit,
        );
    }
    return this.#end(
      runId,
      run.env,
      'rolled-back',
      `${why}${ids.length ? `rolled back: ${ids.join(', ')}` : 'nothing to roll back'}`,
      actor,
      emit,
    );
  }

  #spec(phase: 'run', step: RunbookStep, kind: NonNullable<ReturnType<StepRegistry['get']>>): StepSpec {
    return {
      phase,
      id: step.id,
      kind,
      params: step.params,
      timeoutMs: step.timeoutMs ?? kind.defaultTimeoutMs ?? this.#defaultTimeout(),
      retry: step.retry ?? defaultRetry,
      continueOnError: step.continueOnError,
    };
  }

  #stepDeps(
    runId: string,
    target: RunTarget,
    actor: string,
    overrides: SafetyOverride[],
    emit: (e: RunEvent) => void,
    stepId: string,
    phase: 'run' | 'rollback' = 'run',
  ) {
    const j = this.#o.journal;
    const run = j.getRun(runId)!;
    return {
      runId,
      actor,
      journal: j,
      audit: this.#o.audit,
      target,
      overrides,
      emit,
      now: this.#now,
      planTimeoutMs: this.#o.planTimeoutMs ?? 15_000,
      graceMs: this.#o.graceMs ?? 5_000,
      safetySteps: (fresh: StepEffect[]): SafetyStep[] => {
        // Rollbacks are judged on their own effects only, after everything the run did.
        if (phase === 'rollback') return [{ id: stepId, effects: fresh, state: 'planned' }];
        const rows = new Map(j.steps(runId, 'run').map((r) => [r.stepId, r]));
        return run.plan.steps.map((p) => {
          const row = rows.get(p.id);
          const effects = p.id === stepId ? fresh : ((row?.plan ?? p.plan)?.effects ?? []);
          return {
            id: p.id,
            effects,
            state: p.id === stepId ? 'pending' : (row?.state ?? 'pending'),
            ...(p.id !== stepId && row?.finishedAt != null ? { finishedAt: row.finishedAt } : {}),
          };
        });
      },
    };
  }

  #pause(
    runId: string,
    env: string,
    reason: 'approval' | 'safety' | 'step-failed',
    stepId: string,
    detail: string,
    verdicts: SafetyVerdict[],
    actor: string,
    emit: (e: RunEvent) => void,
  ): Result<RunOutcome> {
    this.#o.journal.setRunStatus(runId, 'paused', { pauseReason: reason, detail });
    this.#o.locks.pause(env, runId);
    this.#o.audit.append({ actor, action: 'run.pause', details: { runId, reason, stepId, detail } });
    emit({ type: 'run-paused', runId, at: this.#now(), reason, stepId, detail, verdicts });
    return ok(outcomeOf(this.#o.journal, this.#o.registry, this.#o.journal.getRun(runId)!));
  }

  #end(
    runId: string,
    env: string,
    status: RunStatus,
    detail: string | null,
    actor: string,
    emit: (e: RunEvent) => void,
  ): Result<RunOutcome> {
    this.#finish(runId, env, status, detail, actor, emit);
    return ok(outcomeOf(this.#o.journal, this.#o.registry, this.#o.journal.getRun(runId)!));
  }

  #finish(
    runId: string,
    env: string,
    status: RunStatus,
    detail: string | null,
    actor: string,
    emit: (e: RunEvent) => void,
  ): void {
    const j = this.#o.journal;
    const run = j.getRun(runId)!;
    const at = this.#now();
    const durationMs = at - run.createdAt;
    j.setRunStatus(runId, status, { detail, finishedAt: at, durationMs });
    this.#o.locks.release(env, runId);
    const offered =
      status === 'succeeded' || status === 'rolled-back' ? [] : rollbacksOffered(j, this.#o.registry, j.getRun(runId)!);
    this.#o.audit.append({ actor, action: 'run.finish', details: { runId, status, detail, durationMs } });
    emit({ type: 'run-finished', runId, at, status, durationMs, detail, rollbacksOffered: offered });
  }

  #emitter(onEvent?: (e: RunEvent) => void): (e: RunEvent) => void {
    return (e) => {
      // A listener's failure must never stop a run half-way.
      for (const l of [this.#o.onEvent, onEvent]) {
        try {
          l?.(e);
        } catch {}
      }
    };
  }

  /** Marks the run active here and beats the lock; returns the stop function. */
  #beat(env: string, runId: string): () => void {
    this.#active.add(runId);
    const t = setInterval(() => {
      try {
        this.#o.locks.heartbeat(env, runId);
      } catch {}
    }, this.#o.heartbeatMs ?? 10_000);
    t.unref();
    return () => {
      clearInterval(t);
      this.#active.delete(runId);
    };
  }

  #defaultTimeout(): number {
    return this.#o.defaultTimeoutMs ?? 120_000;
  }
}

async function untilStopped(started: Promise<Result<RunStarted>>): Promise<Result<RunOutcome>> {
  const r = await started;
  return r.ok ? r.value.stopped : r;
}
