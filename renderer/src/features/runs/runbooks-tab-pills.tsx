/**
 * Pills after the Runbooks tab label: a run is live, or runs need a person (interrupted or
 * paused) — so it is seen from the overview too.
 */
import { Icon } from '../../ui/icon.tsx';
import { attentionOf } from './run-history.ts';
import { isRunLive } from './run-timeline.ts';
import { useRunsStore } from './runs-store.ts';

export function RunbooksTabPills() {
  const attention = useRunsStore(
    (s) => (s.history ?? []).filter((r) => attentionOf(r, s.lock, s.inFlight[r.runId] !== undefined) !== null).length,
  );
  // "live" only for a run that is really moving (a paused or interrupted one counts as attention).
  const openLive = useRunsStore((s) => {
    const tl = s.openRunId === null ? undefined : s.timelines[s.openRunId];
    if (tl === undefined || !isRunLive(tl.status) || tl.status === 'paused') return false;
    return attentionOf({ runId: tl.runId, status: tl.status }, s.lock, s.inFlight[tl.runId] !== undefined) === null;
  });
  return (
    <>
      {openLive && (
        <span className="nav-pill tone-live" title="a run is in progress" data-testid="nav-live">
          <Icon name="sync" size={10} />
          live
        </span>
      )}
      {attention > 0 && (
        <span
          className="nav-pill tone-bad"
          title="runs that need a person (interrupted or paused)"
          data-testid="nav-attention"
        >
          <Icon name="warn" size={10} />
          {attention}
        </span>
      )}
    </>
  );
}
