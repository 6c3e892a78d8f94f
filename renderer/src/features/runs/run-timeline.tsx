/** The live step timeline: the runbook's steps, then the rollback steps when rollbacks ran. */
import { stepCounts, type RunTimeline as Timeline } from './run-timeline.ts';
import { RunTimelineStep } from './run-timeline-step.tsx';

/** `interrupted`: no live process drives the run (its acting step is shown stopped, not spinning). */
export function RunTimeline({ tl, interrupted = false }: { tl: Timeline; interrupted?: boolean }) {
  const c = stepCounts(tl.steps);
  const done = c.verified + c.skipped;
  return (
    <section className="card timeline" data-testid="timeline" aria-label="Steps">
      <header className="card-head">
        <h2>
          Steps · <span className="strong">{tl.runbook}</span> on <span className="env-name">{tl.env}</span>
        </h2>
        <span className="muted small" data-testid="timeline-count">
          {done} of {tl.steps.length} done{c.skipped > 0 ? ` (${c.skipped} already done)` : ''}
          {c.failed > 0 ? ` · ${c.failed} failed` : ''}
        </span>
      </header>
      <ol className="tl-list">
        {tl.steps.map((s, i) => (
          <RunTimelineStep key={s.id} tl={tl} step={s} last={i === tl.steps.length - 1} interrupted={interrupted} />
        ))}
      </ol>
      {tl.rollbackSteps.length > 0 && (
        <>
          <h3 className="tl-phase-title">Rollback (last step first)</h3>
          <ol className="tl-list tl-rollback" data-testid="timeline-rollback">
            {tl.rollbackSteps.map((s, i) => (
              <RunTimelineStep
                key={`rb-${s.id}`}
                tl={tl}
                step={s}
                last={i === tl.rollbackSteps.length - 1}
                interrupted={interrupted}
              />
            ))}
          </ol>
        </>
      )}
    </section>
  );
}
