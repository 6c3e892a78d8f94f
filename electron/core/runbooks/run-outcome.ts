/**
 * What a run amounts to, read from its journal: the outcome handed back to callers and pushed to
 * the UI, and which of its steps can be rolled back. Pure reads; the engine decides.
 */
import type { RunOutcome } from './run-event.ts';
import type { RunJournal, RunRecord } from './run-journal.ts';
import type { StepRegistry } from './step-registry.ts';

/**
 * Steps of `run` that have a rollback (runbook `rollback`, else the kind's `rollback`) and whose
 * act ran (verified after acting, or failed/interrupted after acting: possibly partial), last
 * first; minus those already rolled back unless `includeRolledBack`. Never a step skipped as
 * already done: this run did not make that change.
 * @returns step ids, in the order they would be undone
 */
export function rollbacksOffered(
  journal: RunJournal,
  registry: StepRegistry,
  run: RunRecord,
  includeRolledBack = false,
): string[] {
  const rows = journal.steps(run.id, 'run');
  const done = new Set(
    journal
      .steps(run.id, 'rollback')
      .filter((r) => r.state === 'verified' || r.state === 'skipped')
      .map((r) => r.stepId),
  );
  return rows
    .filter(
      (r) =>
        r.acted && (r.state === 'verified' || r.state === 'failed' || r.state === 'acting' || r.state === 'verifying'),
    )
    .filter((r) => {
      const step = run.runbook.steps.find((s) => s.id === r.stepId);
      return step && (step.rollback || registry.get(step.kind)?.rollback);
    })
    .map((r) => r.stepId)
    .filter((id) => includeRolledBack || !done.has(id))
    .reverse();
}

/**
 * The outcome of `run` as journalled: status, each step (run and rollback phase) with its
 * duration (ms), evidence and error, the rollbacks still offered, and the total duration (ms,
 * null while the run has not ended).
 */
export function outcomeOf(journal: RunJournal, registry: StepRegistry, run: RunRecord): RunOutcome {
  const steps = [...journal.steps(run.id, 'run'), ...journal.steps(run.id, 'rollback')].map((s) => ({
    id: s.stepId,
    phase: s.phase,
    state: s.state,
    durationMs: s.durationMs,
    evidence: s.evidence,
    error: s.error,
  }));
  const ended = !['running', 'paused', 'rolling-back'].includes(run.status);
  return {
    runId: run.id,
    status: run.status,
    pauseReason: run.status === 'paused' ? run.pauseReason : null,
    detail: run.detail,
    steps,
    rollbacksOffered:
      run.status === 'succeeded' || run.status === 'rolled-back' ? [] : rollbacksOffered(journal, registry, run),
    durationMs: ended ? run.durationMs : null,
  };
}
