/**
 * One step of the timeline: state icon and word, duration (live while it runs), attempts,
 * wait progress, the Approve button when it awaits approval, evidence or error, and its log
 * lines (open by default while it acts or after it failed).
 */
import { useState } from 'react';
import { formatDurationMs, formatLogTime } from './run-format.ts';
import { interruptedStepBadge, stepStateBadge } from './run-badges.ts';
import { stepElapsedMs, type RunTimeline, type TimelineStep } from './run-timeline.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useRunsStore } from './runs-store.ts';
import { Icon } from '../../ui/icon.tsx';
import { RunStepProgress } from './run-step-progress.tsx';

export function RunTimelineStep({
  tl,
  step,
  last,
  interrupted = false,
}: {
  tl: RunTimeline;
  step: TimelineStep;
  last: boolean;
  interrupted?: boolean;
}) {
  const now = useClockStore((s) => s.now);
  const approve = useRunsStore((s) => s.actions.approve);
  const inFlight = useRunsStore((s) => s.inFlight[tl.runId]);
  const [expanded, setExpanded] = useState<boolean | null>(null);
  const inProgress = step.state === 'acting' || step.state === 'verifying';
  // A step "acting" in a run no process drives is not running: it stopped there.
  const stopped = interrupted && inProgress;
  const running = inProgress && !stopped;
  const badge = stopped ? interruptedStepBadge : stepStateBadge(step.state);
  const rb = step.phase === 'rollback';
  const testId = rb ? `timeline-rollback-step-${step.id}` : `timeline-step-${step.id}`;
  const elapsed = stopped ? null : stepElapsedMs(step, now, tl.clockOffsetMs);
  const open = expanded ?? (inProgress || step.state === 'failed');
  const awaiting = step.state === 'awaiting-approval' && tl.status === 'paused';
  return (
    <li
      className={`tl-step state-${stopped ? 'interrupted' : step.state}${last ? ' is-last' : ''}`}
      data-testid={testId}
      data-state={step.state}
      data-phase={step.phase}
    >
      <div className="tl-rail" aria-hidden="true">
        <span className={`tl-dot tone-${badge.tone}`}>
          <Icon name={badge.icon} size={12} />
        </span>
      </div>
      <div className="tl-body">
        <div className="tl-head">
          <span className="step-num">{step.index + 1}</span>
          <span className="tl-title">{step.title}</span>
          {step.kind && <span className="kind-pill mono">{step.kind}</span>}
          <span className={`tl-state tone-text-${badge.tone}`} data-state={step.state}>
            {badge.label}
          </span>
          <span className="tl-spacer" />
          {step.attempts > 1 && (
            <span className="tl-attempts small" data-testid={`step-attempts-${step.id}`}>
              {step.attempts} attempts
            </span>
          )}
          <span
            className={`tl-duration mono${running ? ' is-live' : ''}`}
            data-testid={`step-duration-${step.id}`}
            title={running ? 'running for' : 'took'}
          >
            {elapsed === null ? '—' : formatDurationMs(elapsed)}
          </span>
        </div>
        {running && step.progress && step.progressReceivedAt !== null && (
          <RunStepProgress stepId={step.id} progress={step.progress} receivedAt={step.progressReceivedAt} now={now} />
        )}
        {awaiting && (
          <div className="approval-box" data-testid={`approval-${step.id}`}>
            <Icon name="lock" />
            <span>
              The run is paused here until a person approves this step.
              {tl.pause?.detail && <span className="muted"> {tl.pause.detail}</span>}
            </span>
            <button
              type="button"
              className="btn btn-primary btn-sm"
              data-testid={`approve-${step.id}`}
              disabled={inFlight !== undefined}
              onClick={() => void approve(tl.runId, step.id)}
            >
              {inFlight === 'approve' ? 'Approving…' : 'Approve'}
            </button>
          </div>
        )}
        {step.evidence && (
          <p className="tl-evidence small" data-testid={`step-evidence-${step.id}`}>
            {step.evidence}
          </p>
        )}
        {step.error && (
          <div className="tl-error small" data-testid={`step-error-${step.id}`}>
            <Icon name="cross" />
            <div>
              <span className="pre-wrap">{step.error.message}</span>
              {step.error.hint && <div className="muted">{step.error.hint}</div>}
              {step.error.where && <div className="mono muted">{step.error.where}</div>}
            </div>
          </div>
        )}
        {step.logs.length > 0 && (
          <div className="tl-logs">
            <button
              type="button"
              className="link-button tl-logs-toggle"
              aria-expanded={open}
              data-testid={`step-logs-toggle-${step.id}`}
              onClick={() => setExpanded(!open)}
            >
              {open ? 'hide' : 'show'} {step.logs.length} log line{step.logs.length === 1 ? '' : 's'}
            </button>
            {open && (
              <ol className="log-lines mono" data-testid={`step-logs-${step.id}`}>
                {step.logs.map((l, i) => (
                  <li key={i} className={`log-${l.level}`}>
                    <span className="log-time">{formatLogTime(l.at)}</span>
                    <span className="log-level">{l.level}</span>
                    <span className="log-msg">{l.message}</span>
                  </li>
                ))}
              </ol>
            )}
          </div>
        )}
      </div>
    </li>
  );
}
