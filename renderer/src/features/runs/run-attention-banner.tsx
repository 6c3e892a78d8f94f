/**
 * Runs that need a person, shown first: interrupted runs (the journal says running, no live
 * process holds the lock: the console that drove them was killed) and paused ones.
 */
import { attentionOf, continueActionFor } from './run-history.ts';
import { formatStartedAt } from './run-format.ts';
import { shortId } from './run-safety.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useConnectionStore } from '../../app/connection-store.ts';
import { useRunsStore } from './runs-store.ts';
import { Icon } from '../../ui/icon.tsx';

export function RunAttentionBanner() {
  const history = useRunsStore((s) => s.history);
  const lock = useRunsStore((s) => s.lock);
  const inFlight = useRunsStore((s) => s.inFlight);
  const openRunId = useRunsStore((s) => s.openRunId);
  const actions = useRunsStore((s) => s.actions);
  const connected = useConnectionStore((s) => s.status?.state === 'connected');
  const now = useClockStore((s) => s.now);
  const runs = (history ?? [])
    .filter((r) => r.runId !== openRunId)
    .map((r) => ({ r, why: attentionOf(r, lock, inFlight[r.runId] !== undefined) }))
    .filter((x) => x.why !== null);
  if (runs.length === 0) return null;
  return (
    <div className="attention" data-testid="attention-banner">
      {runs.map(({ r, why }) => (
        <div
          key={r.runId}
          className={`notice attention-row tone-${why === 'interrupted' ? 'bad' : 'warn'}`}
          data-testid={`attention-${r.runId}`}
          data-why={why}
        >
          <Icon name="warn" size={14} />
          <div className="attention-body">
            <strong>
              {why === 'interrupted' ? 'Interrupted run' : 'Paused run'}: {r.runbook}
            </strong>{' '}
            <span className="muted">
              (run {shortId(r.runId)}, started {formatStartedAt(r.createdAt, now)} by {r.actor})
            </span>
            <div className="small">
              {why === 'interrupted'
                ? 'Its journal says it is running, but no live process holds the lock: the console driving it stopped. Resume it — completed steps are not executed again.'
                : r.detail}
            </div>
          </div>
          <div className="attention-actions">
            <button
              type="button"
              className="btn btn-sm"
              onClick={() => void actions.openRun(r.runId)}
              data-testid={`open-run-${r.runId}`}
            >
              Open
            </button>
            {why === 'interrupted' && (
              <button
                type="button"
                className="btn btn-primary btn-sm"
                data-testid={`resume-run-${r.runId}`}
                disabled={!connected}
                onClick={() => {
                  void actions.openRun(r.runId);
                  void (continueActionFor(r.status) === 'rollback'
                    ? actions.rollback(r.runId)
                    : actions.resume(r.runId));
                }}
              >
                {continueActionFor(r.status) === 'rollback' ? 'Continue rollback' : 'Resume'}
              </button>
            )}
          </div>
        </div>
      ))}
    </div>
  );
}
