/**
 * Runs ONE step of a run (or one rollback): fresh plan → safety re-check → isDone? skip :
 * act (per-attempt cockatiel timeout, retries with backoff, isDone before every attempt) →
 * verify. Writes the journal before and after; the run engine decides what a result means for
 * the run (continue, pause, fail).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExponentialBackoff, TimeoutStrategy, handleWhen, retry, timeout, wrap } from 'cockatiel';
import type { OpError } from '../../../shared/result.ts';
import type { AuditLog } from './audit-log.ts';
import type { StepPhase, RunEvent } from './run-event.ts';
import type { RunJournal } from './run-journal.ts';
import {
  applyOverrides,
  evaluateSafety,
  type SafetyOverride,
  type SafetyStep,
  type SafetyVerdict,
} from './safety-rules.ts';
import { StepError, isRetryable, toOpError } from './step-error.ts';
import type { StepContext, StepKind, StepProgress, StepServices } from './step-kind.ts';
import type { StepEffect, StepPlan } from './step-plan.ts';
import { unresolvedReferences } from './unresolved-references.ts';
import type { Environment } from '../config/workspace-schema.ts';
import type { EnvironmentSnapshot } from '../../../shared/status.ts';

/** The live environment a run acts on (wired by the core). */
export interface RunTarget {
  env: Environment;
  services: StepServices;
  /** A fresh observation for the safety rules (the core wires the monitor's `pollOnce()`). */
  snapshot(): Promise<EnvironmentSnapshot>;
}

/** What to run. `rollbackOf` set = call `kind.rollback(ctx, params, rollbackOf)` instead of plan/act/verify. */
export interface StepSpec {
  phase: StepPhase;
  id: string;
  kind: StepKind;
  params: unknown;
  /** Per act attempt and for the verify, ms. */
  timeoutMs: number;
  retry: { attempts: number; backoffMs: number };
  rollbackOf?: StepPlan;
  /** The runbook lets the run go on when this step fails (said in the step's log). */
  continueOnError?: boolean;
}

/** The run around the step. */
export interface StepRunDeps {
  runId: string;
  actor: string;
  journal: RunJournal;
  audit: AuditLog;
  target: RunTarget;
  overrides: readonly SafetyOverride[];
  /** The run's steps for the rules, given this step's fresh effects. */
  safetySteps(freshEffects: StepEffect[]): SafetyStep[];
  emit(e: RunEvent): void;
  now(): number;
  /** Bound on computing the fresh plan, ms. */
  planTimeoutMs: number;
  /** How long a timed-out act may take to stop before another attempt is refused, ms. */
  graceMs: number;
}

/** How the step ended. `refused`: a safety verdict blocks it (nothing was done). */
export type StepResult =
  | { state: 'verified' | 'skipped'; evidence: string }
  | { state: 'failed'; error: OpError; retryable: boolean }
  | { state: 'refused'; verdicts: SafetyVerdict[] };

/**
 * Executes one step. Never throws for step failures (they are results); throws only when the
 * journal or audit log cannot be written (the run must then stop where it is).
 */
export async function executeStep(spec: StepSpec, deps: StepRunDeps): Promise<StepResult> {
  const { journal, runId } = deps;
  const { phase, id } = spec;
  const ctx = (signal: AbortSignal): StepContext => makeContext(spec, deps, signal);
  const before = journal.step(runId, phase, id);
  if (!before) throw new Error(`journal: no step ${phase}/${id} in run ${runId}`);
  const fresh = before.state === 'pending' && !before.acted;

  // Safety re-check with a plan computed from live state now.
  let plan: StepPlan | null = before.plan;
  let verdicts: SafetyVerdict[] = [];
  if (!spec.rollbackOf) {
    // Whatever was overridden at plan time (`plan-computed`), a name that resolves to nothing in
    // this environment is never acted on: refused here, not overridable.
    const unresolved = unresolvedReferences(spec.kind, spec.params, deps.target.env);
    if (unresolved.length > 0) {
      const refused: SafetyVerdict = {
        rule: 'plan-computed',
        stepId: id,
        verdict: 'refuse',
        evidence: `step ${id} names what environment ${deps.target.env.name} does not define: ${unresolved.join(', ')}`,
        overridable: false,
      };
      journal.updateStep(runId, phase, id, { verdicts: [refused] });
      return { state: 'refused', verdicts: [refused] };
    }
    const planned = await computePlan(spec, deps, ctx);
    if (!planned.ok && planned.retryable) return finishFailed(spec, deps, planned.error, true, null);
    plan = planned.ok ? planned.plan : null;
    verdicts = await judge(spec, deps, plan, planned.ok ? null : planned.error);
    // A step whose effect is already in place (e.g. a node this run already promoted) changes
    // nothing: its verdicts are kept for the record but block nothing.
    const { blocking, overridden } = plan?.alreadyDone
      ? { blocking: [], overridden: [] }
      : applyOverrides(verdicts, deps.overrides);
    journal.updateStep(runId, phase, id, { plan, verdicts });
    for (const o of overridden) {
      deps.audit.append({
        actor: deps.actor,
        action: 'safety.override-applied',
        details: {
          runId,
          stepId: id,
          rule: o.verdict.rule,
          verdict: o.verdict.verdict,
          evidence: o.verdict.evidence,
          reason: o.override.reason,
        },
      });
    }
    if (blocking.length > 0) return { state: 'refused', verdicts: blocking };
  }

  const startedAt = deps.now();
  journal.updateStep(runId, phase, id, {
    state: 'acting',
    startedAt,
    finishedAt: null,
    durationMs: null,
    error: null,
    evidence: null,
  });
  deps.emit({ type: 'step-started', runId, phase, stepId: id, index: before.index, at: startedAt, verdicts });
  deps.audit.append({
    actor: deps.actor,
    action: 'step.start',
    details: {
      runId,
      phase,
      stepId: id,
      kind: spec.kind.kind,
      params: spec.params,
      resumed: !fresh,
      changes: plan?.changes ?? [],
      commands: plan?.commands ?? [],
    },
  });

  if (spec.rollbackOf) return runRollbackFn(spec, deps, ctx, startedAt);

  let outcome: { skipped: boolean; evidence: string };
  try {
    outcome = await actUnlessDone(spec, deps, ctx, fresh);
  } catch (e) {
    return finishFailed(spec, deps, toOpError(e, id), isRetryable(e), startedAt);
  }
  if (outcome.skipped) return finishOk(spec, deps, 'skipped', `already done: ${outcome.evidence}`, startedAt);

  journal.updateStep(runId, phase, id, { state: 'verifying' });
  try {
    const v = await timeout(spec.timeoutMs, TimeoutStrategy.Aggressive).execute(({ signal }) =>
      spec.kind.verify(ctx(signal), spec.params),
    );
    if (!v.ok)
      return finishFailed(
        spec,
        deps,
        { kind: 'conflict', message: `verification failed: ${v.evidence}`, where: id },
        true,
        startedAt,
      );
    const evidence = outcome.evidence ? `${v.evidence} (effect was already in place: ${outcome.evidence})` : v.evidence;
    return finishOk(spec, deps, 'verified', evidence, startedAt);
  } catch (e) {
    return finishFailed(spec, deps, toOpError(e, id), isRetryable(e), startedAt);
  }
}

async function computePlan(
  spec: StepSpec,
  deps: StepRunDeps,
  ctx: (s: AbortSignal) => StepContext,
): Promise<{ ok: true; plan: StepPlan } | { ok: false; error: OpError; retryable: boolean }> {
  const policy = wrap(retryPolicy(spec, deps), timeout(deps.planTimeoutMs, TimeoutStrategy.Aggressive));
  try {
    return { ok: true, plan: await policy.execute(({ signal }) => spec.kind.plan(ctx(signal), spec.params)) };
  } catch (e) {
    return { ok: false, error: toOpError(e, spec.id), retryable: isRetryable(e) };
  }
}

async function judge(
  spec: StepSpec,
  deps: StepRunDeps,
  plan: StepPlan | null,
  planError: OpError | null,
): Promise<SafetyVerdict[]> {
  const verdicts: SafetyVerdict[] = [];
  try {
    const snapshot = await deps.target.snapshot();
    verdicts.push(
      ...evaluateSafety({ snapshot, steps: deps.safetySteps(plan?.effects ?? []), judge: { stepId: spec.id } }),
    );
  } catch (e) {
    verdicts.push({
      rule: 'plan-computed',
      stepId: spec.id,
      verdict: 'unknown',
      evidence: `cannot observe the environment: ${toOpError(e).message}`,
      overridable: true,
    });
  }
  if (planError)
    verdicts.push({
      rule: 'plan-computed',
      stepId: spec.id,
      verdict: 'unknown',
      evidence: `the step's plan failed (${planError.message}); its effects cannot be judged`,
      overridable: true,
    });
  return verdicts;
}

/** isDone before every attempt; act only when not done. The journal says `acted` BEFORE each act. */
async function actUnlessDone(
  spec: StepSpec,
  deps: StepRunDeps,
  ctx: (s: AbortSignal) => StepContext,
  fresh: boolean,
): Promise<{ skipped: boolean; evidence: string }> {
  const { journal, runId } = deps;
  let checks = 0;
  let inflight: Promise<unknown> | null = null;
  const policy = wrap(retryPolicy(spec, deps), timeout(spec.timeoutMs, TimeoutStrategy.Aggressive));
  return policy.execute(async ({ signal }) => {
    // An aggressive timeout rejects at once but cannot stop an act that ignores its signal;
    // acting again while it may still be running could apply the effect twice.
    if (inflight && !(await settlesWithin(inflight, deps.graceMs))) {
      throw new StepError(
        'internal',
        `the previous attempt did not stop within ${deps.graceMs} ms of its timeout; not acting again while it may still be running`,
        { retryable: false },
      );
    }
    const attempt = (async () => {
      const c = ctx(signal);
      const first = checks++ === 0;
      const done = await spec.kind.isDone(c, spec.params);
      if (done.done) {
        c.log.info(`already done: ${done.evidence}`);
        return { skipped: first && fresh, evidence: done.evidence };
      }
      const rec = journal.step(runId, spec.phase, spec.id);
      journal.updateStep(runId, spec.phase, spec.id, { attempts: (rec?.attempts ?? 0) + 1, acted: true });
      c.log.info(`acting (attempt ${(rec?.attempts ?? 0) + 1}): ${done.evidence}`);
      await spec.kind.act(c, spec.params, (p: StepProgress) =>
        deps.emit({ type: 'step-progress', runId, phase: spec.phase, stepId: spec.id, at: deps.now(), progress: p }),
      );
      return { skipped: false, evidence: '' };
    })();
    inflight = attempt.catch(() => undefined);
    return attempt;
  });
}

async function runRollbackFn(
  spec: StepSpec,
  deps: StepRunDeps,
  ctx: (s: AbortSignal) => StepContext,
  startedAt: number,
): Promise<StepResult> {
  const { journal, runId } = deps;
  const rollback = spec.kind.rollback;
  if (!rollback || !spec.rollbackOf)
    return finishFailed(
      spec,
      deps,
      { kind: 'unsupported', message: `step kind ${spec.kind.kind} has no rollback` },
      false,
      startedAt,
    );
  const recorded = spec.rollbackOf;
  journal.updateStep(runId, spec.phase, spec.id, {
    attempts: 1 + (journal.step(runId, spec.phase, spec.id)?.attempts ?? 0),
    acted: true,
  });
  try {
    const r = await timeout(spec.timeoutMs, TimeoutStrategy.Aggressive).execute(({ signal }) =>
      rollback.call(spec.kind, ctx(signal), spec.params, recorded),
    );
    return r.ok
      ? finishOk(spec, deps, 'verified', r.evidence, startedAt)
      : finishFailed(
          spec,
          deps,
          { kind: 'conflict', message: `rollback not verified: ${r.evidence}`, where: spec.id },
          true,
          startedAt,
        );
  } catch (e) {
    return finishFailed(spec, deps, toOpError(e, spec.id), isRetryable(e), startedAt);
  }
}

function retryPolicy(spec: StepSpec, deps: StepRunDeps) {
  const policy = retry(handleWhen(isRetryable), {
    maxAttempts: spec.retry.attempts - 1,
    backoff: new ExponentialBackoff({
      initialDelay: Math.max(1, spec.retry.backoffMs),
      maxDelay: Math.max(spec.retry.backoffMs, 30_000),
    }),
  });
  policy.onRetry((r) => {
    const why = 'error' in r ? toOpError(r.error).message : 'unexpected result';
    log(spec, deps, 'warn', `attempt failed (${why}); retrying in ${Math.round(r.delay)} ms`);
  });
  return policy;
}

function finishOk(
  spec: StepSpec,
  deps: StepRunDeps,
  state: 'verified' | 'skipped',
  evidence: string,
  startedAt: number,
): StepResult {
  const at = deps.now();
  const durationMs = at - startedAt;
  deps.journal.updateStep(deps.runId, spec.phase, spec.id, { state, evidence, finishedAt: at, durationMs });
  deps.audit.append({
    actor: deps.actor,
    action: 'step.finish',
    details: { runId: deps.runId, phase: spec.phase, stepId: spec.id, state, evidence, durationMs },
  });
  const attempts = deps.journal.step(deps.runId, spec.phase, spec.id)?.attempts ?? 0;
  deps.emit({
    type: 'step-finished',
    runId: deps.runId,
    phase: spec.phase,
    stepId: spec.id,
    at,
    state,
    durationMs,
    evidence,
    error: null,
    attempts,
  });
  return { state, evidence };
}

function finishFailed(
  spec: StepSpec,
  deps: StepRunDeps,
  error: OpError,
  retryable: boolean,
  startedAt: number | null,
): StepResult {
  const at = deps.now();
  const durationMs = startedAt === null ? null : at - startedAt;
  deps.journal.updateStep(deps.runId, spec.phase, spec.id, { state: 'failed', error, finishedAt: at, durationMs });
  deps.audit.append({
    actor: deps.actor,
    action: 'step.finish',
    details: {
      runId: deps.runId,
      phase: spec.phase,
      stepId: spec.id,
      state: 'failed',
      error: { ...error },
      retryable,
      durationMs,
    },
  });
  const next = spec.continueOnError
    ? ' (continueOnError: the run goes on; later steps are judged knowing this one failed)'
    : retryable
      ? ' (retryable: the run can be resumed)'
      : '';
  log(spec, deps, 'error', `failed${next}: ${error.message}`);
  const attempts = deps.journal.step(deps.runId, spec.phase, spec.id)?.attempts ?? 0;
  deps.emit({
    type: 'step-finished',
    runId: deps.runId,
    phase: spec.phase,
    stepId: spec.id,
    at,
    state: 'failed',
    durationMs,
    evidence: null,
    error,
    attempts,
  });
  return { state: 'failed', error, retryable };
}

function makeContext(spec: StepSpec, deps: StepRunDeps, signal: AbortSignal): StepContext {
  return {
    env: deps.target.env,
    services: deps.target.services,
    signal,
    log: {
      info: (m) => log(spec, deps, 'info', m),
      warn: (m) => log(spec, deps, 'warn', m),
      error: (m) => log(spec, deps, 'error', m),
    },
    now: deps.now,
    sleep: (ms) => sleep(ms, undefined, { signal }),
    runId: deps.runId,
    stepId: spec.id,
    state: deps.journal.stepState(deps.runId, spec.phase, spec.id, deps.now),
  };
}

function log(spec: StepSpec, deps: StepRunDeps, level: 'info' | 'warn' | 'error', message: string): void {
  const at = deps.now();
  deps.journal.appendLog(deps.runId, spec.phase, spec.id, { t: at, level, message });
  deps.emit({ type: 'step-log', runId: deps.runId, phase: spec.phase, stepId: spec.id, at, level, message });
}

async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  const ac = new AbortController();
  const r = await Promise.race([p.then(() => true), sleep(ms, false, { signal: ac.signal }).catch(() => false)]);
  ac.abort();
  return r;
}
