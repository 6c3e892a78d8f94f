/** Run history of the environment: status, start, duration, measured recovery vs RTO (and what it counts from), actor; a row opens the run. */
import { runStatusBadge } from './run-badges.ts';
import { attentionOf, historyRow } from './run-history.ts';
import { shortId } from './run-safety.ts';
import { useClockStore } from '../../ui/clock-store.ts';
import { useRunsStore } from './runs-store.ts';
import { StateBadge } from '../../ui/state-badge.tsx';

export function RunHistory() {
  const history = useRunsStore((s) => s.history);
  const error = useRunsStore((s) => s.historyError);
  const openRunId = useRunsStore((s) => s.openRunId);
  const openRun = useRunsStore((s) => s.actions.openRun);
  const lock = useRunsStore((s) => s.lock);
  const inFlight = useRunsStore((s) => s.inFlight);
  const now = useClockStore((s) => s.now);
  const rows = (history ?? []).map((r) => historyRow(r, now));
  return (
    <section className="card run-history" data-testid="run-history" aria-label="Run history">
      <header className="card-head">
        <h2>Run history</h2>
        <span className="muted small">
          {history === null ? 'loading…' : `${rows.length} most recent`} · click a run to open it
        </span>
      </header>
      {error && <p className="inline-error">Could not read the run history: {error.message}</p>}
      {history !== null && rows.length === 0 && <p className="muted">No runs on this environment yet.</p>}
      {rows.length > 0 && (
        <table className="history-table">
          <thead>
            <tr>
              <th scope="col">runbook</th>
              <th scope="col">status</th>
              <th scope="col">started</th>
              <th scope="col" className="num">
                duration
              </th>
              <th scope="col">measured recovery vs RTO</th>
              <th scope="col">actor</th>
              <th scope="col">run</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.runId}
                className={`history-row${r.runId === openRunId ? ' is-open' : ''}`}
                data-testid={`run-row-${r.runId}`}
                data-status={r.status}
                tabIndex={0}
                role="button"
                aria-label={`open run ${r.runbook} ${r.started}`}
                onClick={() => void openRun(r.runId)}
                onKeyDown={(e) => {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    void openRun(r.runId);
                  }
                }}
              >
                <th scope="row">
                  <span className="strong">{r.runbook}</span> <span className="muted small">{r.kind}</span>
                </th>
                <td title={r.detail ?? undefined} className="status-cell">
                  <StateBadge badge={runStatusBadge(r.status)} size="sm" dataState={r.status} />
                  {attentionOf(r, lock, inFlight[r.runId] !== undefined) === 'interrupted' && (
                    <StateBadge
                      badge={{ tone: 'bad', icon: 'warn', label: 'interrupted' }}
                      size="sm"
                      testId={`run-interrupted-${r.runId}`}
                    />
                  )}
                </td>
                <td className="mono">{r.started}</td>
                <td className="mono num">{r.duration}</td>
                <td
                  className={`tone-text-${r.recovery.tone} recovery-cell`}
                  data-state={r.recovery.state}
                  data-recovery-from={r.recovery.from ?? undefined}
                  title={r.recovery.detail}
                >
                  {r.recovery.text}
                  {r.recovery.fromText && <span className="recovery-from muted small"> ({r.recovery.fromText})</span>}
                </td>
                <td className="muted">{r.actor}</td>
                <td className="mono muted small">{shortId(r.runId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
