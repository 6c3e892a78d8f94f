/** Small run fixtures shared by the run-* renderer tests (pure data). */
import type { RunPlan, PlannedStep } from '../../../../../shared/runs/run-plan.ts';
import type { RunDetail, RunStepDetail } from '../../../../../shared/runs/run-summary.ts';
import type { SafetyVerdict } from '../../../../../shared/runs/safety-verdict.ts';

export function plannedStep(id: string, index: number, extra: Partial<PlannedStep> = {}): PlannedStep {
  return {
    index,
    id,
    kind: 'wait',
    title: `step ${id}`,
    description: '',
    params: {},
    plan: { changes: [], commands: [], alreadyDone: false, notes: [], effects: [] },
    planError: null,
    verdicts: [],
    timeoutMs: 1000,
    retry: { attempts: 1, backoffMs: 0 },
    continueOnError: false,
    requiresApproval: false,
    rollback: null,
    ...extra,
  };
}

export function plan(extra: Partial<RunPlan> = {}): RunPlan {
  return {
    planId: 'plan-1',
    env: 'lab',
    runbook: { version: 1, name: 'failover', description: '', kind: 'failover', onFailure: 'pause', steps: [] },
    createdAt: 1_000,
    snapshotAt: 900,
    steps: [plannedStep('a', 0), plannedStep('b', 1), plannedStep('c', 2)],
    verdicts: [],
    rules: [],
    blocking: [],
    ...extra,
  };
}

export const verdict = (
  rule: SafetyVerdict['rule'],
  v: SafetyVerdict['verdict'],
  overridable: boolean,
  stepId = 'b',
): SafetyVerdict => ({
  rule,
  stepId,
  verdict: v,
  evidence: `${rule} evidence`,
  overridable,
});

export function stepDetail(id: string, index: number, extra: Partial<RunStepDetail> = {}): RunStepDetail {
  return {
    phase: 'run',
    index,
    id,
    kind: 'wait',
    title: `step ${id}`,
    state: 'pending',
    startedAt: null,
    finishedAt: null,
    durationMs: null,
    attempts: 0,
    evidence: null,
    error: null,
    logs: [],
    ...extra,
  };
}

export function detail(extra: Partial<RunDetail> = {}): RunDetail {
  return {
    runId: 'r1',
    env: 'lab',
    runbook: 'failover',
    kind: 'failover',
    status: 'running',
    pauseReason: null,
    detail: null,
    actor: 'alice@ops',
    createdAt: 10_000,
    finishedAt: null,
    durationMs: null,
    recoveryMs: null,
    recoveryFrom: null,
    recoveryStartedAt: null,
    rtoObjectiveSeconds: 60,
    plan: plan(),
    steps: [stepDetail('a', 0), stepDetail('b', 1), stepDetail('c', 2)],
    rollbacksOffered: [],
    ...extra,
  };
}
