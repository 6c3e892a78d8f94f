/** The plan as the operator confirms it: the steps (left), the safety rules and the confirmation (right). */
import { formatAge } from '../../ui/age.ts';
import { formatStartedAt } from './run-format.ts';
import { overridesToSend, ruleViews } from './run-safety.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useRunsStore } from './runs-store.ts';
import { RunConfirm } from './run-confirm.tsx';
import { RunPlanStep } from './run-plan-step.tsx';
import { RunSafetyPanel } from './run-safety-panel.tsx';

export function RunPlanPanel() {
  const plan = useRunsStore((s) => s.plan);
  const drafts = useRunsStore((s) => s.drafts);
  const setDraft = useRunsStore((s) => s.setDraft);
  const receivedAt = useRunsStore((s) => s.planReceivedAt);
  const now = useClockStore((s) => s.now);
  if (!plan) return null;
  const overrides = overridesToSend(plan.blocking, drafts);
  const rules = ruleViews(plan.rules, plan.blocking, overrides);
  const changes = plan.steps.reduce((n, s) => n + (s.plan?.changes.filter((c) => c.before !== c.after).length ?? 0), 0);
  const skipped = plan.steps.filter((s) => s.plan?.alreadyDone).length;
  const refusing = rules.filter((r) => r.blocking.length > 0 && !r.overridden).length;
  return (
    <div className="plan-layout" data-testid="plan-view" data-plan-id={plan.planId}>
      <section className="plan-main" aria-label="Plan">
        <header className="plan-head">
          <h2 className="plan-title">
            Plan: <span className="strong">{plan.runbook.name}</span> on <span className="env-name">{plan.env}</span>
          </h2>
          <span className="muted small">
            {plan.steps.length} steps · {changes} change{changes === 1 ? '' : 's'}
            {skipped > 0 && ` · ${skipped} already done`} · computed {formatStartedAt(plan.createdAt, now)}
            {receivedAt !== null && ` (${formatAge(now - receivedAt)} ago)`} from live state
          </span>
          {refusing > 0 && (
            <span className="plan-refusing tone-text-bad small strong">
              {refusing} safety rule{refusing === 1 ? '' : 's'} block{refusing === 1 ? 's' : ''} this run
            </span>
          )}
          {plan.runbook.onFailure === 'rollback' && (
            <span className="kind-pill" title="When a step fails for good, the rollbacks run automatically">
              auto-rollback on failure
            </span>
          )}
        </header>
        {plan.runbook.description && <p className="plan-desc muted">{plan.runbook.description}</p>}
        <ol className="plan-steps">
          {plan.steps.map((s) => (
            <RunPlanStep key={s.id} step={s} />
          ))}
        </ol>
      </section>
      <aside className="plan-side">
        <RunSafetyPanel rules={rules} snapshotAt={plan.snapshotAt} drafts={drafts} onDraft={setDraft} />
        <RunConfirm plan={plan} overrides={overrides} />
      </aside>
    </div>
  );
}
