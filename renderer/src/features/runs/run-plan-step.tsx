/** One planned step: number, title, kind, markers, the diff of its changes, its exact commands, notes and verdicts. */
import type { PlannedStep } from '../../../../shared/runs/run-plan.ts';
import { formatDurationMs } from './run-format.ts';
import { stepMarkers, type StepMarker } from './run-plan-view.ts';
import { verdictBadge } from './run-safety.ts';
import { Icon } from '../../ui/icon.tsx';
import { RunChangeTable } from './run-change-table.tsx';
import { RunCommandList } from './run-command-list.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';

const markerIcon: Record<StepMarker['kind'], 'check' | 'lock' | 'sync' | 'dot' | 'warn' | 'cross'> = {
  'already-done': 'check',
  approval: 'lock',
  rollback: 'sync',
  'no-rollback': 'dot',
  retry: 'sync',
  'continue-on-error': 'warn',
  'plan-error': 'cross',
};

export function RunPlanStep({ step }: { step: PlannedStep }) {
  const markers = stepMarkers(step);
  const concerns = step.verdicts.filter((v) => v.verdict !== 'pass');
  const done = step.plan?.alreadyDone ?? false;
  return (
    <li
      className={`plan-step${done ? ' is-done' : ''}`}
      data-testid={`plan-step-${step.id}`}
      data-already-done={done || undefined}
      data-approval={step.requiresApproval || undefined}
    >
      <header className="plan-step-head">
        <span className="step-num">{step.index + 1}</span>
        <h3 className="plan-step-title">{step.title}</h3>
        <span className="kind-pill mono">{step.kind}</span>
        <span className="plan-markers">
          {markers.map((m) => (
            <span
              key={m.kind}
              className={`marker marker-${m.kind}`}
              data-testid={`marker-${m.kind}-${step.id}`}
              title={m.kind === 'rollback' ? step.rollback?.description : undefined}
            >
              <Icon name={markerIcon[m.kind]} size={11} />
              {m.text}
            </span>
          ))}
        </span>
      </header>
      {step.description && step.description !== step.title && (
        <p className="plan-step-desc muted">{step.description}</p>
      )}
      {step.planError && (
        <p className="inline-error">
          <Icon name="cross" /> The plan of this step failed: {step.planError.message}
          {step.planError.hint && <span className="muted"> — {step.planError.hint}</span>}
        </p>
      )}
      {step.plan && step.plan.changes.length > 0 && <RunChangeTable stepId={step.id} changes={step.plan.changes} />}
      {step.plan && step.plan.changes.length === 0 && !step.planError && (
        <p className="muted small no-changes">Changes nothing (a gate or a wait).</p>
      )}
      {step.plan && step.plan.commands.length > 0 && <RunCommandList stepId={step.id} commands={step.plan.commands} />}
      {step.plan && step.plan.notes.length > 0 && (
        <ul className="plan-notes small">
          {step.plan.notes.map((n, i) => (
            <li key={i}>{n}</li>
          ))}
        </ul>
      )}
      {concerns.length > 0 && (
        <ul className="step-verdicts">
          {concerns.map((v, i) => (
            <li key={i}>
              <StateBadge badge={verdictBadge(v.verdict)} size="sm" />
              <span className="mono small">{v.rule}</span>
              <span className="small">{v.evidence}</span>
            </li>
          ))}
        </ul>
      )}
      <footer className="plan-step-foot muted small">
        timeout {formatDurationMs(step.timeoutMs)} per attempt
        {step.retry.attempts > 1 &&
          ` · ${step.retry.attempts} attempts, backoff from ${formatDurationMs(step.retry.backoffMs)}`}
        {step.rollback ? ` · rollback: ${step.rollback.description}` : ' · no rollback'}
      </footer>
    </li>
  );
}
