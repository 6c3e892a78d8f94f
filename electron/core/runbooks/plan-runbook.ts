/**
 * Computes a RunPlan: every step's plan from live state (in parallel, each bounded), then the
 * safety rules over the whole plan. Changes nothing. Used by RunEngine.planRun.
 */
import { randomUUID } from 'node:crypto';
import { TimeoutStrategy, timeout } from 'cockatiel';
import { fail, ok, type OpError, type Result } from '../../../shared/result.ts';
import type { EnvironmentSnapshot } from '../../../shared/status.ts';
import type { RunTarget } from './execute-step.ts';
import { memoryStepState } from './run-journal.ts';
import type { PlannedStep, RuleSummary, RunPlan } from './run-plan.ts';
import type { Runbook } from './runbook-schema.ts';
import { judgeReadiness } from './readiness-rules.ts';
import { evaluateSafety, safetyRuleNames, type SafetyVerdict } from './safety-rules.ts';
import { toOpError } from '../platform/op-error.ts';
import type { StepContext } from './step-kind.ts';
import type { StepPlan } from './step-plan.ts';
import type { StepRegistry } from './step-registry.ts';

/** Settings of {@link planRunbook}. Times in ms. */
export interface PlanSettings {
  registry: StepRegistry;
  now: () => number;
  /** Bound on each step's `plan`. */
  planTimeoutMs: number;
  /** Step bound when neither runbook nor kind gives one. */
  defaultTimeoutMs: number;
}

/**
 * Plans `runbook` against `target`.
 * @returns `invalid-input` when a step kind is not registered, `unreachable` when the environment
 *          cannot be observed; a failing step plan is reported in the step (`planError`) and as
 *          an `unknown` verdict of `plan-computed`.
 */
export async function planRunbook(runbook: Runbook, target: RunTarget, s: PlanSettings): Promise<Result<RunPlan>> {
  for (const step of runbook.steps) {
    if (!s.registry.get(step.kind))
      return fail(
        'invalid-input',
        `step ${step.id}: unknown step kind "${step.kind}"`,
        `use one of: ${s.registry.names().join(', ')}`,
        step.id,
      );
    if (step.rollback && !s.registry.get(step.rollback.kind))
      return fail(
        'invalid-input',
        `step ${step.id}: unknown rollback kind "${step.rollback.kind}"`,
        undefined,
        step.id,
      );
  }
  let snapshot: EnvironmentSnapshot;
  try {
    snapshot = await target.snapshot();
  } catch (e) {
    return fail(
      'unreachable',
      `cannot observe environment "${target.env.name}": ${toOpError(e).message}`,
      'check the workspace and that the sites are reachable',
      target.env.name,
    );
  }
  const planned = await Promise.all(
    runbook.steps.map(async (step): Promise<{ plan: StepPlan | null; error: OpError | null; notes: string[] }> => {
      const kind = s.registry.get(step.kind)!;
      const notes: string[] = [];
      const state = memoryStepState();
      const ctx = (signal: AbortSignal): StepContext => ({
        env: target.env,
        services: target.services,
        signal,
        log: {
          info: (m) => notes.push(m),
          warn: (m) => notes.push(`warning: ${m}`),
          error: (m) => notes.push(`error: ${m}`),
        },
        now: s.now,
        sleep: () => Promise.reject(new Error('a plan must not wait')),
        runId: null,
        stepId: step.id,
        state,
      });
      try {
        const plan = await timeout(s.planTimeoutMs, TimeoutStrategy.Aggressive).execute(({ signal }) =>
          kind.plan(ctx(signal), step.params),
        );
        return { plan: { ...plan, notes: [...plan.notes, ...notes] }, error: null, notes };
      } catch (e) {
        return { plan: null, error: toOpError(e, step.id), notes };
      }
    }),
  );
  // A step whose plan says its effect is already in place changes nothing: it is not judged
  // (its effects still count for the steps after it, e.g. a fence already done).
  const alreadyDone = new Set(runbook.steps.filter((_, i) => planned[i]!.plan?.alreadyDone === true).map((x) => x.id));
  const verdicts: SafetyVerdict[] = evaluateSafety({
    snapshot,
    steps: runbook.steps.map((step, i) => ({
      id: step.id,
      effects: planned[i]!.plan?.effects ?? [],
      state: 'planned',
    })),
    judge: 'plan',
  }).filter((v) => !alreadyDone.has(v.stepId));
  // Preflight: every provider, nameserver and node a step needs answers now (judged again by
  // the engine right before the first irreversible step).
  verdicts.push(
    ...(await judgeReadiness({
      env: target.env,
      services: target.services,
      snapshot,
      steps: runbook.steps
        .filter((step) => !alreadyDone.has(step.id))
        .map((step) => ({ id: step.id, kind: s.registry.get(step.kind)!, params: step.params })),
      timeoutMs: Math.min(s.planTimeoutMs, 5_000),
    })),
  );
  runbook.steps.forEach((step, i) => {
    const err = planned[i]!.error;
    if (err)
      verdicts.push({
        rule: 'plan-computed',
        stepId: step.id,
        verdict: 'unknown',
        evidence: `the step's plan failed (${err.message}); its effects cannot be judged`,
        overridable: true,
      });
  });
  const steps: PlannedStep[] = runbook.steps.map((step, i) => {
    const kind = s.registry.get(step.kind)!;
    const description = kind.describe(step.params);
    const rbKind = step.rollback ? s.registry.get(step.rollback.kind)! : null;
    return {
      index: i,
      id: step.id,
      kind: step.kind,
      title: step.title ?? description,
      description,
      params: step.params,
      plan: planned[i]!.plan,
      planError: planned[i]!.error,
      verdicts: verdicts.filter((v) => v.stepId === step.id),
      timeoutMs: step.timeoutMs ?? kind.defaultTimeoutMs ?? s.defaultTimeoutMs,
      retry: step.retry ?? { attempts: 1, backoffMs: 0 },
      continueOnError: step.continueOnError,
      requiresApproval: kind.requiresApproval === true,
      rollback:
        rbKind && step.rollback
          ? { kind: rbKind.kind, description: rbKind.describe(step.rollback.params) }
          : kind.rollback
            ? { kind: kind.kind, description: `undo: ${description}` }
            : null,
    };
  });
  return ok({
    planId: randomUUID(),
    env: target.env.name,
    runbook,
    createdAt: s.now(),
    snapshotAt: snapshot.generatedAt,
    steps,
    verdicts,
    rules: summarizeRules(verdicts),
    blocking: verdicts.filter((v) => v.verdict !== 'pass'),
  });
}

/** Worst verdict per rule: refuse > unknown > pass; `not-applicable` when no step triggered it. */
export function summarizeRules(verdicts: readonly SafetyVerdict[]): RuleSummary[] {
  const rank = { refuse: 3, unknown: 2, pass: 1 } as const;
  return safetyRuleNames
    .filter((rule) => rule !== 'plan-computed' || verdicts.some((v) => v.rule === rule))
    .map((rule) => {
      const mine = verdicts.filter((v) => v.rule === rule).sort((a, b) => rank[b.verdict] - rank[a.verdict]);
      return {
        rule,
        verdict: mine[0]?.verdict ?? 'not-applicable',
        evidence: mine.map((v) => `${v.stepId}: ${v.evidence}`),
      };
    });
}
