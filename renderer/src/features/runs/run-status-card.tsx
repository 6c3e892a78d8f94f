/**
 * The run's status and what can be done about it: total time (live), the pause reason and
 * detail, abort / resume / roll back, and — once it ended — the measured recovery time beside
 * the RTO objective.
 */
import { attentionOf, continueActionFor } from './run-history.ts';
import { interruptedBadge, runStatusBadge } from './run-badges.ts';
import { formatDurationMs, formatStartedAt, movesTraffic, recoveryGauge, recoveryView } from './run-format.ts';
import { applyOverrides, overridesToSend, ruleViews, shortId } from './run-safety.ts';
import { currentStep, isRunLive, runElapsedMs, type RunTimeline } from './run-timeline.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useConnectionStore } from '../../app/connection-store.ts';
import { useRunsStore } from './runs-store.ts';
import { CopyButton } from '../../ui/copy-button.tsx';
import { Icon } from '../../ui/icon.tsx';
import { ObjectiveBar } from '../../ui/objective-bar.tsx';
import { RunSafetyPanel } from './run-safety-panel.tsx';
import { StateBadge } from '../../ui/state-badge.tsx';

const pauseWords = {
  approval: 'waiting for an approval',
  safety: 'refused by a safety rule',
  'step-failed': 'a step failed (retryable)',
} as const;

export function RunStatusCard({ tl }: { tl: RunTimeline }) {
  const now = useClockStore((s) => s.now);
  const lock = useRunsStore((s) => s.lock);
  const inFlight = useRunsStore((s) => s.inFlight[tl.runId]);
  const runError = useRunsStore((s) => s.runErrors[tl.runId]);
  const runNotice = useRunsStore((s) => s.runNotices[tl.runId]);
  const endedAt = useRunsStore((s) => s.endedReceivedAt[tl.runId]);
  const drafts = useRunsStore((s) => s.resumeDrafts[tl.runId]) ?? {};
  const setResumeDraft = useRunsStore((s) => s.setResumeDraft);
  const actions = useRunsStore((s) => s.actions);
  const close = useRunsStore((s) => s.closeRun);
  const connected = useConnectionStore((s) => s.status?.state === 'connected');

  const attention = attentionOf(
    { runId: tl.runId, status: tl.status },
    lock && lock.env === tl.env ? lock : null,
    inFlight !== undefined,
  );
  const interrupted = attention === 'interrupted';
  const badge = interrupted ? interruptedBadge : runStatusBadge(tl.status);
  const live = isRunLive(tl.status);
  const elapsed = runElapsedMs(tl, now);
  const step = currentStep(tl);
  const busy = inFlight !== undefined || !connected;

  // A safety pause: what a resume must override, with the same break-glass control as the plan.
  const pauseVerdicts = tl.pause?.reason === 'safety' ? tl.pause.verdicts : [];
  const overrides = overridesToSend(pauseVerdicts, drafts);
  const stillRefused = applyOverrides(pauseVerdicts, overrides).unresolved.length > 0;
  const pauseRules = ruleViews(
    [...new Set(pauseVerdicts.map((v) => v.rule))].map((rule) => ({
      rule,
      verdict: pauseVerdicts.some((v) => v.rule === rule && v.verdict === 'refuse')
        ? ('refuse' as const)
        : ('unknown' as const),
      evidence: pauseVerdicts.filter((v) => v.rule === rule).map((v) => `step ${v.stepId}: ${v.evidence}`),
    })),
    pauseVerdicts,
    overrides,
  );

  const canAbort = (tl.status === 'running' || tl.status === 'paused') && !tl.abortRequested;
  // An approval pause continues with Approve (on the step), not Resume.
  const canResume = (tl.status === 'paused' && tl.pause?.reason !== 'approval') || attention === 'interrupted';
  const resumeKind = continueActionFor(tl.status);
  const canRollback =
    tl.rollbacksOffered.length > 0 && ['aborted', 'failed', 'paused', 'rollback-failed'].includes(tl.status);
  const moves = movesTraffic(tl.plan);
  const recovery = recoveryView(
    tl.recoveryMs,
    tl.rtoObjectiveSeconds,
    moves,
    live ? null : endedAt === undefined ? null : now - endedAt,
    tl.status,
    {
      from: tl.recoveryFrom,
      startedAt: tl.recoveryStartedAt,
      now,
    },
  );
  const showRecovery = !live || tl.recoveryMs !== null;

  return (
    <section
      className={`card run-status-card tone-edge-${badge.tone === 'neutral' ? 'live' : badge.tone}`}
      data-testid="run-status-card"
      aria-label="Run status"
    >
      <header className="run-status-head">
        <span data-testid="run-status" data-status={tl.status} className={`run-status status-${tl.status}`}>
          <StateBadge badge={badge} size="lg" dataState={interrupted ? 'interrupted' : tl.status} />
        </span>
        <span className="run-total" title="total run time">
          <span className="field-label">total</span>
          <span
            className={`mono run-total-value${live && !interrupted && tl.status !== 'paused' ? ' is-live' : ''}`}
            data-testid="run-duration"
          >
            {formatDurationMs(elapsed)}
          </span>
        </span>
      </header>
      <dl className="run-facts small">
        <div>
          <dt>run</dt>
          <dd>
            <span className="mono" title={tl.runId}>
              {shortId(tl.runId)}
            </span>
            <CopyButton text={tl.runId} label="copy run id" />
          </dd>
        </div>
        {tl.createdAt !== null && (
          <div>
            <dt>started</dt>
            <dd>
              {formatStartedAt(tl.createdAt, now)}
              {tl.actor && <span className="muted"> by {tl.actor}</span>}
            </dd>
          </div>
        )}
        {live && step && (
          <div>
            <dt>{interrupted ? 'stopped at' : 'now at'}</dt>
            <dd>
              step {step.index + 1} · {step.title}
            </dd>
          </div>
        )}
      </dl>

      {attention === 'interrupted' && (
        <div className="run-callout tone-bad" data-testid="run-interrupted">
          <Icon name="warn" />
          <div>
            <strong>Interrupted.</strong> The journal says {tl.status}, but no live process holds the lock of {tl.env}
            {lock?.stale && lock.staleReason ? ` (${lock.staleReason})` : ''}. Resume it: completed steps are not
            executed again, and the interrupted step checks whether its effect is already there.
          </div>
        </div>
      )}

      {tl.pause && (
        <div
          className={`run-callout tone-${tl.pause.reason === 'approval' ? 'warn' : 'bad'}`}
          data-testid="pause-reason"
          data-reason={tl.pause.reason}
        >
          <Icon name={tl.pause.reason === 'approval' ? 'lock' : 'warn'} />
          <div>
            <strong>Paused — {pauseWords[tl.pause.reason]}</strong>
            {tl.pause.stepId && <span className="muted"> at step {tl.pause.stepId}</span>}
            <div className="pre-wrap pause-detail" data-testid="pause-detail">
              {tl.pause.detail}
            </div>
          </div>
        </div>
      )}

      {!live && tl.detail && (
        <div className={`run-callout tone-${badge.tone}`} data-testid="run-detail">
          <Icon name={badge.icon} />
          <div className="pre-wrap">{tl.detail}</div>
        </div>
      )}

      {tl.abortRequested && live && (
        <div className="run-callout tone-warn" data-testid="abort-requested">
          <Icon name="clock" />
          <div>Abort requested — the run stops after the current step; rollbacks are then offered.</div>
        </div>
      )}

      {pauseRules.length > 0 && (
        <RunSafetyPanel
          title="Refused at this step"
          rules={pauseRules}
          snapshotAt={null}
          drafts={drafts}
          onDraft={(rule, reason) => setResumeDraft(tl.runId, rule, reason)}
        />
      )}

      {showRecovery && (
        <div className={`recovery tone-${recovery.tone}`} data-testid="recovery" data-state={recovery.state}>
          <div className="field-label">measured recovery</div>
          <div
            className={`recovery-figure tone-text-${recovery.tone}`}
            data-testid="recovery-time"
            data-state={recovery.state}
            data-recovery-from={recovery.from ?? undefined}
            title={recovery.detail}
          >
            {recovery.state === 'measuring' && <span className="spinner spinner-sm" aria-hidden="true" />}
            {recovery.text}
            {recovery.fromText && <span className="recovery-from muted small"> ({recovery.fromText})</span>}
          </div>
          {tl.recoveryMs !== null && tl.rtoObjectiveSeconds !== null && (
            <ObjectiveBar
              tone={recovery.tone}
              segments={[
                {
                  fraction: recoveryGauge(tl.recoveryMs, tl.rtoObjectiveSeconds).fill,
                  className: 'fill-value',
                  title: recovery.text,
                },
              ]}
              objectiveFraction={recoveryGauge(tl.recoveryMs, tl.rtoObjectiveSeconds).marker}
              objectiveLabel={`RTO ${tl.rtoObjectiveSeconds} s`}
            />
          )}
          <p className="explanation">{recovery.detail}</p>
        </div>
      )}

      <div className="run-actions">
        {canResume && (
          <button
            type="button"
            className="btn btn-primary"
            data-testid="resume-button"
            disabled={busy || stillRefused}
            title={stillRefused ? 'Override the refusal with a reason first, or fix its cause' : undefined}
            onClick={() => void (resumeKind === 'rollback' ? actions.rollback(tl.runId) : actions.resume(tl.runId))}
          >
            {inFlight === 'resume'
              ? 'Resuming…'
              : resumeKind === 'rollback'
                ? 'Continue rollback'
                : overrides.length > 0
                  ? 'Resume with override'
                  : 'Resume'}
          </button>
        )}
        {canAbort && (
          <button
            type="button"
            className="btn btn-danger"
            data-testid="abort-button"
            disabled={!connected}
            title="Stops after the current step; rollbacks are then offered"
            onClick={() => void actions.abort(tl.runId)}
          >
            Abort
          </button>
        )}
        {canRollback && (
          <button
            type="button"
            className="btn btn-warn"
            data-testid="rollback-button"
            disabled={busy}
            onClick={() => void actions.rollback(tl.runId)}
          >
            {inFlight === 'rollback'
              ? 'Rolling back…'
              : `Roll back ${tl.rollbacksOffered.length} step${tl.rollbacksOffered.length === 1 ? '' : 's'}`}
          </button>
        )}
        {!live && (
          <button type="button" className="btn" data-testid="new-plan-button" onClick={close}>
            Back to runbooks
          </button>
        )}
        {live && (
          <button
            type="button"
            className="link-button"
            data-testid="close-run"
            onClick={close}
            title="Reopen it from the history"
          >
            {tl.status === 'running' && !interrupted ? 'hide (the run goes on)' : 'back to runbooks'}
          </button>
        )}
      </div>
      {canRollback && (
        <p className="muted small rollback-list" data-testid="rollback-list">
          Would undo, in this order: <span className="mono">{tl.rollbacksOffered.join(' → ')}</span>
        </p>
      )}
      {runNotice && live && (
        <p className="run-notice small muted" data-testid="run-notice">
          <span className="spinner spinner-sm" aria-hidden="true" />
          {runNotice}
        </p>
      )}
      {runError && (
        <div className="inline-error" role="alert" data-testid="run-error">
          <Icon name="cross" />
          <div>
            <span className="pre-wrap">{runError.message}</span>
            {runError.hint && <div className="muted">{runError.hint}</div>}
          </div>
        </div>
      )}
    </section>
  );
}
