/**
 * Header tabs: Overview | Runbooks. The Runbooks tab says when a run is live or needs a person
 * (interrupted or paused), so it is seen from the overview too.
 */
import type { ReactNode } from 'react';
import { attentionOf } from '../features/runs/run-history.ts';
import { isRunLive } from '../features/runs/run-timeline.ts';
import { useNavStore, type NavView } from './nav-store.ts';
import { useRunsStore } from '../features/runs/runs-store.ts';
import { Icon } from '../ui/icon.tsx';

export function NavTabs() {
  const view = useNavStore((s) => s.view);
  const setView = useNavStore((s) => s.setView);
  const attention = useRunsStore((s) => (s.history ?? []).filter((r) => attentionOf(r, s.lock, s.inFlight[r.runId] !== undefined) !== null).length);
  // "live" only for a run that is really moving (a paused or interrupted one counts as attention).
  const openLive = useRunsStore((s) => {
    const tl = s.openRunId === null ? undefined : s.timelines[s.openRunId];
    if (tl === undefined || !isRunLive(tl.status) || tl.status === 'paused') return false;
    return attentionOf({ runId: tl.runId, status: tl.status }, s.lock, s.inFlight[tl.runId] !== undefined) === null;
  });
  const tab = (v: NavView, label: string, testId: string, extra?: ReactNode) => (
    <button
      type="button"
      role="tab"
      aria-selected={view === v}
      className={`nav-tab${view === v ? ' is-active' : ''}`}
      data-testid={testId}
      onClick={() => setView(v)}
    >
      {label}
      {extra}
    </button>
  );
  return (
    <nav className="nav-tabs" role="tablist" aria-label="Views">
      {tab('overview', 'Overview', 'nav-overview')}
      {tab(
        'runbooks',
        'Runbooks',
        'nav-runbooks',
        <>
          {openLive && (
            <span className="nav-pill tone-live" title="a run is in progress" data-testid="nav-live">
              <Icon name="sync" size={10} />
              live
            </span>
          )}
          {attention > 0 && (
            <span className="nav-pill tone-bad" title="runs that need a person (interrupted or paused)" data-testid="nav-attention">
              <Icon name="warn" size={10} />
              {attention}
            </span>
          )}
        </>,
      )}
    </nav>
  );
}
